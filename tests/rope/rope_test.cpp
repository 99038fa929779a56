// The rope object forwards to apply_rope / shift_rope with the arguments it holds: every form
// of call gives, to the bit, what the free functions give with the same table, cache, layout
// and mode (those are checked against the scalar reference in tests/kernels); its own checks
// (options, inferred head counts) refuse bad input before anything is written.
#include <ropescale/rope.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

namespace rs = ropescale;

constexpr int head_dim = 128;
constexpr int q_heads = 8;
constexpr int k_heads = 2;

rs::rope_config yarn_config() {
    rs::yarn m;
    m.factor = 8.0;
    m.original_max_position_embeddings = 4096;
    rs::rope_config c;
    c.head_dim = head_dim;
    c.rope_theta = 500000.0;
    c.scaling = m;
    return c;
}

rs::frequency_table yarn_table() { return *rs::compute_frequencies(yarn_config()); }

std::vector<float> filled(std::size_t n, float seed) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(seed + 0.37f * static_cast<float>(i));
    return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

const std::vector<std::int32_t> positions = {0, 7, 4095, 32767, 1};
const std::int64_t tokens = static_cast<std::int64_t>(positions.size());

struct tensors {
    std::vector<float> q = filled(static_cast<std::size_t>(tokens) * q_heads * head_dim, 0.1f);
    std::vector<float> k = filled(static_cast<std::size_t>(tokens) * k_heads * head_dim, 0.7f);
};

rs::rope_operand<float> operand(std::vector<float>& x, int heads) {
    return rs::in_place(rs::make_heads_view(x.data(), tokens, heads, head_dim));
}

TEST(rope, cached_apply_equals_apply_rope_with_the_same_cache) {
    for (const auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
        for (const auto mode :
             {rs::attention_factor_mode::folded, rs::attention_factor_mode::separate}) {
            const auto rope = rs::rope::make(
                yarn_config(),
                rs::rope_options::cached(32768).with_layout(layout).with_attention(mode));
            ASSERT_TRUE(rope) << rope.err().what();
            EXPECT_EQ(rope->cache().size(), 32768);
            EXPECT_EQ(rope->cache().attention(), mode);
            const auto cache = rs::build_rope_cache(yarn_table(), 32768, mode);
            tensors by_object, by_function;
            ASSERT_TRUE(rope->apply(positions, by_object.q, by_object.k));
            ASSERT_TRUE(rs::apply_rope(*cache, layout, positions, operand(by_function.q, q_heads),
                                       operand(by_function.k, k_heads)));
            EXPECT_TRUE(same_bits(by_object.q, by_function.q));
            EXPECT_TRUE(same_bits(by_object.k, by_function.k));
            EXPECT_FALSE(same_bits(by_object.q, tensors{}.q));  // something was rotated
        }
    }
}

TEST(rope, on_the_fly_apply_equals_apply_rope_with_the_table) {
    for (const auto mode :
         {rs::attention_factor_mode::folded, rs::attention_factor_mode::separate}) {
        const auto rope =
            rs::rope::make(yarn_table(), rs::rope_options::on_the_fly().with_attention(mode));
        ASSERT_TRUE(rope) << rope.err().what();
        EXPECT_EQ(rope->cache().size(), 0);
        tensors by_object, by_function;
        ASSERT_TRUE(rope->apply(positions, by_object.q, by_object.k));
        ASSERT_TRUE(rs::apply_rope(yarn_table(), rs::rotary_layout::half_split, positions,
                                   operand(by_function.q, q_heads), operand(by_function.k, k_heads),
                                   rs::rotation_direction::forward, mode));
        EXPECT_TRUE(same_bits(by_object.q, by_function.q));
        EXPECT_TRUE(same_bits(by_object.k, by_function.k));
    }
}

TEST(rope, every_form_of_call_gives_the_same_result) {
    const auto rope = rs::rope::make(yarn_config(), rs::rope_options::cached(32768));
    ASSERT_TRUE(rope);
    tensors containers, pointers, views, one_by_one;
    ASSERT_TRUE(rope->apply(positions, containers.q, containers.k));
    ASSERT_TRUE(rope->apply(positions, pointers.q.data(), q_heads, pointers.k.data(), k_heads));
    ASSERT_TRUE(rope->apply(positions, operand(views.q, q_heads), operand(views.k, k_heads)));
    ASSERT_TRUE(rope->apply(positions, one_by_one.q));
    ASSERT_TRUE(rope->apply(positions,
                            rs::make_heads_view(one_by_one.k.data(), tokens, k_heads, head_dim)));
    for (const tensors* t : {&pointers, &views, &one_by_one}) {
        EXPECT_TRUE(same_bits(t->q, containers.q));
        EXPECT_TRUE(same_bits(t->k, containers.k));
    }
}

TEST(rope, out_of_place_views_leave_the_input) {
    const auto rope = rs::rope::make(yarn_config(), rs::rope_options::cached(32768));
    ASSERT_TRUE(rope);
    tensors in, expected;
    const auto input = in.q;
    std::vector<float> out(in.q.size());
    ASSERT_TRUE(rope->apply(
        positions, rs::out_of_place(rs::make_heads_view(in.q.data(), tokens, q_heads, head_dim),
                                    rs::make_heads_view(out.data(), tokens, q_heads, head_dim))));
    ASSERT_TRUE(rope->apply(positions, expected.q));
    EXPECT_TRUE(same_bits(out, expected.q));
    EXPECT_TRUE(same_bits(in.q, input));
}

TEST(rope, inverse_equals_apply_rope_inverse) {
    for (const auto source : {rs::angle_source::cached, rs::angle_source::on_the_fly}) {
        rs::rope_options options = source == rs::angle_source::cached
                                       ? rs::rope_options::cached(32768)
                                       : rs::rope_options::on_the_fly();
        const auto rope = rs::rope::make(yarn_table(), options);
        ASSERT_TRUE(rope);
        tensors by_object, by_function;
        ASSERT_TRUE(rope->inverse(positions, by_object.q, by_object.k));
        if (source == rs::angle_source::cached) {
            ASSERT_TRUE(rs::apply_rope(rope->cache(), rs::rotary_layout::half_split, positions,
                                       operand(by_function.q, q_heads),
                                       operand(by_function.k, k_heads),
                                       rs::rotation_direction::inverse));
        } else {
            ASSERT_TRUE(rs::apply_rope(yarn_table(), rs::rotary_layout::half_split, positions,
                                       operand(by_function.q, q_heads),
                                       operand(by_function.k, k_heads),
                                       rs::rotation_direction::inverse));
        }
        EXPECT_TRUE(same_bits(by_object.q, by_function.q));
        EXPECT_TRUE(same_bits(by_object.k, by_function.k));
    }
}

TEST(rope, shift_equals_shift_rope_from_the_same_source) {
    const std::vector<std::int64_t> deltas = {3, -7, 100, 0, -1};
    for (const auto source : {rs::angle_source::cached, rs::angle_source::on_the_fly}) {
        for (const auto mode :
             {rs::attention_factor_mode::separate, rs::attention_factor_mode::folded}) {
            const rs::rope_options options = source == rs::angle_source::cached
                                                 ? rs::rope_options::cached(32768)
                                                 : rs::rope_options::on_the_fly();
            const auto rope = rs::rope::make(yarn_table(), options.with_attention(mode));
            ASSERT_TRUE(rope);
            tensors by_object, by_function;
            ASSERT_TRUE(rope->shift(deltas, by_object.k));
            const auto keys = operand(by_function.k, k_heads);
            if (source == rs::angle_source::cached)
                ASSERT_TRUE(
                    rs::shift_rope(rope->cache(), rs::rotary_layout::half_split, deltas, keys));
            else
                ASSERT_TRUE(
                    rs::shift_rope(yarn_table(), rs::rotary_layout::half_split, deltas, keys));
            EXPECT_TRUE(same_bits(by_object.k, by_function.k));
            EXPECT_FALSE(same_bits(by_object.k, tensors{}.k));
            tensors by_pointer;
            ASSERT_TRUE(rope->shift(deltas, by_pointer.k.data(), k_heads));
            EXPECT_TRUE(same_bits(by_pointer.k, by_function.k));
        }
    }
}

TEST(rope_errors, a_cached_rope_needs_its_positions) {
    const auto rope = rs::rope::make(yarn_table(), rs::rope_options::cached());
    ASSERT_FALSE(rope);
    EXPECT_EQ(rope.err().code, rs::errc::missing_field);
    EXPECT_EQ(rope.err().field, "positions");
}

TEST(rope_errors, bad_tables_and_configs_are_refused_with_their_errors) {
    rs::frequency_table bad = yarn_table();
    bad.inv_freq[5] = -1.0;
    const auto from_table = rs::rope::make(bad, rs::rope_options::on_the_fly());
    ASSERT_FALSE(from_table);
    EXPECT_EQ(from_table.err().field, "table.inv_freq[5]");
    rs::rope_config config = yarn_config();
    config.rope_theta = 0.5;
    const auto from_config = rs::rope::make(config, rs::rope_options::cached(16));
    ASSERT_FALSE(from_config);
    EXPECT_EQ(from_config.err().field, "rope_theta");
    const auto too_many = rs::rope::make(yarn_table(), rs::rope_options::cached(-1));
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.err().field, "positions");
}

TEST(rope_errors, a_container_that_is_not_whole_heads_is_refused_before_writing) {
    const auto rope = rs::rope::make(yarn_config(), rs::rope_options::cached(32768));
    ASSERT_TRUE(rope);
    tensors t;
    t.k.pop_back();
    const tensors before = t;
    auto s = rope->apply(positions, t.q, t.k);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::inconsistent);
    EXPECT_EQ(s.err().field, "k");
    EXPECT_TRUE(same_bits(t.q, before.q));
    EXPECT_TRUE(same_bits(t.k, before.k));
    std::vector<float> no_tokens(head_dim);
    s = rope->apply(std::vector<std::int32_t>{}, no_tokens);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "q");
}

TEST(rope_errors, positions_outside_the_cache_are_apply_ropes_errors) {
    const auto rope = rs::rope::make(yarn_config(), rs::rope_options::cached(4096));
    ASSERT_TRUE(rope);
    EXPECT_EQ(rope->max_position(), 4095);
    tensors t;
    const tensors before = t;
    const auto s = rope->apply(positions, t.q, t.k);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::position_out_of_range);
    EXPECT_EQ(s.err().field, "positions[3]");
    EXPECT_TRUE(same_bits(t.q, before.q));
}

TEST(rope, empty_calls_are_no_ops) {
    const auto rope = rs::rope::make(yarn_config(), rs::rope_options::on_the_fly());
    ASSERT_TRUE(rope);
    std::vector<float> none;
    EXPECT_TRUE(rope->apply(std::vector<std::int32_t>{}, none, none));
    tensors t;
    const tensors before = t;
    EXPECT_TRUE(rope->apply(positions, t.q, none));  // keys absent: q alone
    EXPECT_FALSE(same_bits(t.q, before.q));
    EXPECT_TRUE(rope->apply(positions, static_cast<float*>(nullptr), 0, t.k.data(), k_heads));
}

TEST(rope, accessors_describe_what_was_built) {
    const auto rope = rs::rope::make(
        yarn_config(), rs::rope_options::cached(1024).with_layout(rs::rotary_layout::interleaved));
    ASSERT_TRUE(rope);
    const auto table = yarn_table();
    EXPECT_EQ(rope->head_dim(), head_dim);
    EXPECT_EQ(rope->rotary_dim(), head_dim);
    EXPECT_EQ(rope->layout(), rs::rotary_layout::interleaved);
    EXPECT_EQ(rope->attention_factor(), table.attention_factor);
    EXPECT_EQ(rope->logit_scale(), table.logit_scale);
    EXPECT_EQ(rope->table().inv_freq, table.inv_freq);
    EXPECT_EQ(rope->max_position(), 1023);
    const auto on_the_fly = rs::rope::make(table, rs::rope_options::on_the_fly());
    EXPECT_EQ(on_the_fly->max_position(), rs::position_limit(table));
}

}  // namespace
