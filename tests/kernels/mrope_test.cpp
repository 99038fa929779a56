// M-RoPE (mrope.hpp, apply.hpp): the pair -> stream map against transformers' rules restated
// here as slicing operations, its validation, and the rotation on every compiled ISA for every
// element type, layout, angle source and direction:
//   - each pair is bitwise the pair of the 1-D call at the position of the stream that
//     transformers' rules (restated below, not the map under test) give it; the three streams
//     sit at different positions, so a pair taken from the wrong stream, or an interleaving
//     off by one, changes its bits (both mutations of mrope_pair_stream fail this test);
//   - a call whose tokens all have t = h = w (int32, int64 or mixed streams) is bitwise the
//     1-D call, pass-through channels included;
//   - the result is within the reference bound of the scalar reference's M-RoPE rotation;
//   - apply_rope_unchecked writes the same bytes as the checked call.
#include "support.hpp"

#include <ropescale/mrope.hpp>
#include <ropescale/rope.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;

// transformers `apply_multimodal_rotary_pos_emb` (Qwen2-VL, Qwen2.5-VL): cos and sin span the
// full rotary dimension (both halves), are split into chunks of sizes mrope_section * 2, and
// chunk j takes stream j % 3. Pair i owns channels i and i + d/2: both must agree.
std::vector<int> chunked_rule(const std::vector<int>& section, int pairs) {
    std::vector<int> sizes = section;
    sizes.insert(sizes.end(), section.begin(), section.end());
    std::vector<int> channel;
    for (std::size_t j = 0; j < sizes.size(); ++j)
        for (int k = 0; k < sizes[j]; ++k) channel.push_back(static_cast<int>(j % 3));
    EXPECT_EQ(channel.size(), static_cast<std::size_t>(2 * pairs));
    std::vector<int> out(static_cast<std::size_t>(pairs));
    for (int i = 0; i < pairs; ++i) {
        out[static_cast<std::size_t>(i)] = channel[static_cast<std::size_t>(i)];
        EXPECT_EQ(channel[static_cast<std::size_t>(i)],
                  channel[static_cast<std::size_t>(i + pairs)]);
    }
    return out;
}

// transformers `apply_interleaved_mrope` (Qwen3-VL): freqs_t = freqs[t]; then for (dim,
// offset) in ((h, 1), (w, 2)): freqs_t[offset : 3 * section[dim] : 3] = freqs[dim][same slice].
std::vector<int> interleaved_rule(const std::vector<int>& section, int pairs) {
    std::vector<int> out(static_cast<std::size_t>(pairs), 0);
    for (int dim = 1; dim <= 2; ++dim)
        for (int idx = dim; idx < 3 * section[static_cast<std::size_t>(dim)] && idx < pairs;
             idx += 3)
            out[static_cast<std::size_t>(idx)] = dim;
    return out;
}

std::vector<int> map_streams(const rs::mrope_map& m) {
    return std::vector<int>(m.streams().begin(), m.streams().end());
}

TEST(mrope_map, follows_the_reference_rules) {
    const std::vector<std::vector<int>> sections = {{16, 24, 24}, {24, 20, 20}, {11, 11, 10},
                                                    {1, 2, 3},    {3, 0, 1},    {0, 0, 4},
                                                    {4, 0, 0},    {2, 5, 1}};
    for (const auto& sec : sections) {
        const int pairs = sec[0] + sec[1] + sec[2];
        for (const bool interleaved : {false, true}) {
            const auto m = rs::mrope_map::make({sec, interleaved}, 2 * pairs);
            ASSERT_TRUE(m) << m.err().what();
            EXPECT_EQ(map_streams(*m),
                      interleaved ? interleaved_rule(sec, pairs) : chunked_rule(sec, pairs))
                << sec[0] << " " << sec[1] << " " << sec[2] << " interleaved " << interleaved;
            EXPECT_EQ(m->rotary_dim(), 2 * pairs);
        }
    }
    // Qwen3-VL's [24, 20, 20]: t h w t h w ... up to pair 59, then t for pairs 60..63.
    const auto m = *rs::mrope_map::make({{24, 20, 20}, true}, 128);
    EXPECT_EQ(m.streams()[0], 0);
    EXPECT_EQ(m.streams()[1], 1);
    EXPECT_EQ(m.streams()[2], 2);
    EXPECT_EQ(m.streams()[59], 2);
    for (int i = 60; i < 64; ++i) EXPECT_EQ(m.streams()[static_cast<std::size_t>(i)], 0) << i;
}

TEST(mrope_map, refuses_sections_that_do_not_fit) {
    auto m = rs::mrope_map::make({{16, 24, 24}, false}, 96);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().code, rs::errc::inconsistent);
    EXPECT_EQ(m.err().field, "mrope_section");
    EXPECT_NE(m.err().message.find("48"), std::string::npos) << m.err().message;
    EXPECT_NE(m.err().message.find("64"), std::string::npos) << m.err().message;
    m = rs::mrope_map::make({{16, 24}, false}, 80);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().field, "mrope_section");
    m = rs::mrope_map::make({{16, -4, 28}, false}, 80);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().code, rs::errc::out_of_range);
    EXPECT_EQ(m.err().field, "mrope_section[1]");
    m = rs::mrope_map::make({{1, 1, 1}, false}, 5);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().field, "rotary_dim");
}

// Positions of the three streams: t = n, and h, w walking the cache rows at other rates, so
// that most tokens have three different positions; token 0 has t = h = w (a text token) and
// token 1 has h = w != t.
struct stream_positions {
    std::vector<std::int64_t> data;
    std::int64_t tokens;
    stream_positions(std::int64_t n, std::int64_t rows)
        : data(3 * static_cast<std::size_t>(n)), tokens(n) {
        for (std::int64_t i = 0; i < n; ++i) {
            data[static_cast<std::size_t>(i)] = i % rows;
            data[static_cast<std::size_t>(n + i)] = (5 * i + 3) % rows;
            data[static_cast<std::size_t>(2 * n + i)] = (11 * i + 7) % rows;
        }
        data[static_cast<std::size_t>(n)] = 0;  // token 0: t = h = w = 0
        data[static_cast<std::size_t>(2 * n)] = 0;
        data[static_cast<std::size_t>(n + 1)] = 9;  // token 1: h = w = 9, t = 1
        data[static_cast<std::size_t>(2 * n + 1)] = 9;
    }
    rs::mrope_streams all() const { return rs::make_mrope_streams(data.data(), tokens); }
    std::vector<std::int64_t> stream(int s) const {
        return {data.begin() + s * tokens, data.begin() + (s + 1) * tokens};
    }
};

struct source {
    const rs::rope_cache* cache;
    const rs::frequency_table* table;
};

// Rotates `x` in place: M-RoPE when `positions` is set, else 1-D at `line`.
template <class Arch, class T>
rs::status rotate(const source& src, rs::rotary_layout layout, const rs::mrope_map* map,
                  const rs::mrope_streams* positions, const std::vector<std::int64_t>* line,
                  kt::strided_tensor<T>& q, kt::strided_tensor<T>& k,
                  rs::rotation_direction direction) {
    const auto qo = rs::in_place(q.view());
    const auto ko = rs::in_place(k.view());
    if (src.cache != nullptr)
        return positions != nullptr
                   ? rs::apply_rope<Arch>(*src.cache, layout, *map, *positions, qo, ko, direction)
                   : rs::apply_rope<Arch>(*src.cache, layout, *line, qo, ko, direction);
    return positions != nullptr
               ? rs::apply_rope<Arch>(*src.table, layout, *map, *positions, qo, ko, direction)
               : rs::apply_rope<Arch>(*src.table, layout, *line, qo, ko, direction);
}

// `want` is the stream of each pair by transformers' rules (chunked_rule / interleaved_rule),
// not the map's own table.
template <class Arch, class T>
void check_case(const source& src, int head_dim, int rotary_dim, rs::rotary_layout layout,
                const rs::mrope_map& map, const std::vector<int>& want_stream,
                rs::rotation_direction direction, const std::string& what) {
    const std::int64_t tokens = 37;
    const stream_positions pos(tokens, 200);
    kt::rng r(static_cast<std::uint64_t>(head_dim * 7 + rotary_dim));
    auto q_in = kt::padded_tensor<T>(tokens, 3, head_dim, 2, 5, 1);
    auto k_in = kt::padded_tensor<T>(tokens, 2, head_dim, 0, 0, 0);
    q_in.fill_random(r);
    k_in.fill_random(r);
    const auto mpos = pos.all();

    auto q = q_in, k = k_in;
    const auto st = rotate<Arch>(src, layout, &map, &mpos, nullptr, q, k, direction);
    ASSERT_TRUE(st) << what << ": " << st.err().what();
    EXPECT_EQ(q.guard_damage() + k.guard_damage(), 0u) << what;

    // The unchecked twin writes the same bytes, guards and padding included.
    auto qu = q_in, ku = k_in;
    const auto qo = rs::in_place(qu.view());
    const auto ko = rs::in_place(ku.view());
    if (src.cache != nullptr)
        rs::apply_rope_unchecked<Arch>(*src.cache, layout, map, mpos, qo, ko, direction);
    else
        rs::apply_rope_unchecked<Arch>(*src.table, layout, map, mpos, qo, ko, direction);
    EXPECT_TRUE(qu.same_bytes(q) && ku.same_bytes(k)) << what << ": unchecked differs";

    // The 1-D call at each stream's positions, on the same ISA.
    std::vector<kt::strided_tensor<T>> q_line, k_line;
    for (int s = 0; s < 3; ++s) {
        const auto line = pos.stream(s);
        auto qs = q_in, ks = k_in;
        const auto st1 = rotate<Arch>(src, layout, nullptr, nullptr, &line, qs, ks, direction);
        ASSERT_TRUE(st1) << what << ": " << st1.err().what();
        q_line.push_back(qs);
        k_line.push_back(ks);
    }
    const int pairs = rotary_dim / 2;
    int mismatches = 0;
    const auto check = [&](const kt::strided_tensor<T>& got,
                           const std::vector<kt::strided_tensor<T>>& line, const char* name) {
        for (std::int64_t t = 0; t < tokens; ++t)
            for (int h = 0; h < got.heads; ++h) {
                for (int i = 0; i < pairs; ++i) {
                    const int stream = want_stream[static_cast<std::size_t>(i)];
                    const auto& want = line[static_cast<std::size_t>(stream)];
                    const int i1 = layout == rs::rotary_layout::half_split ? i : 2 * i;
                    const int i2 = layout == rs::rotary_layout::half_split ? i + pairs : 2 * i + 1;
                    for (const int ch : {i1, i2})
                        if (!kt::same_bits(got.at(t, h, ch), want.at(t, h, ch)) && mismatches++ < 5)
                            ADD_FAILURE() << what << " " << name << " token " << t << " head " << h
                                          << " pair " << i << " (stream " << stream << ") channel "
                                          << ch << ": not the 1-D result";
                }
                for (int ch = rotary_dim; ch < head_dim; ++ch)
                    if (!kt::same_bits(got.at(t, h, ch), line[0].at(t, h, ch)) && mismatches++ < 5)
                        ADD_FAILURE() << what << " pass-through channel " << ch << " changed";
            }
    };
    check(q, q_line, "q");
    check(k, k_line, "k");
    // Token 0 (t = h = w): the whole token as the 1-D call.
    for (int h = 0; h < 3; ++h)
        for (int ch = 0; ch < head_dim; ++ch)
            ASSERT_TRUE(kt::same_bits(q.at(0, h, ch), q_line[0].at(0, h, ch))) << what;

    // The scalar reference's M-RoPE rotation.
    auto q_ref = q_in, k_ref = k_in;
    ASSERT_TRUE(
        (rotate<rs::scalar_reference>(src, layout, &map, &mpos, nullptr, q_ref, k_ref, direction)));
    const double m = src.cache != nullptr ? std::max(1.0, src.cache->folded_factor())
                                          : std::max(1.0, src.table->attention_factor);
    const double bound_m = direction == rs::rotation_direction::inverse ? 1.0 : m;
    EXPECT_EQ(kt::compare_rotated<T>(q_in, q, q_ref, rotary_dim, layout, bound_m, what + " q"), "");
    EXPECT_EQ(kt::compare_rotated<T>(k_in, k, k_ref, rotary_dim, layout, bound_m, what + " k"), "");
}

template <class Arch, class T>
void check_all() {
    struct shape {
        int head_dim, rotary_dim;
        std::vector<int> section;
    };
    const shape shapes[] = {{128, 128, {16, 24, 24}},      // Qwen2-VL / Qwen2.5-VL
                            {128, 128, {24, 20, 20}},      // Qwen3-VL
                            {128, 64, {11, 11, 10}},       // partial rotary
                            {640, 640, {100, 110, 110}}};  // more pairs than one chunk
    for (const shape& sh : shapes) {
        const auto table = kt::yarn_or_plain_table(sh.head_dim, sh.rotary_dim);
        const auto folded = *rs::build_rope_cache(table, 200, rs::attention_factor_mode::folded);
        const auto separate =
            *rs::build_rope_cache(table, 200, rs::attention_factor_mode::separate);
        for (const bool interleaved : {false, true}) {
            const auto map = *rs::mrope_map::make({sh.section, interleaved}, sh.rotary_dim);
            const int pairs = sh.rotary_dim / 2;
            const std::vector<int> want =
                interleaved ? interleaved_rule(sh.section, pairs) : chunked_rule(sh.section, pairs);
            for (const auto layout :
                 {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
                for (const auto direction :
                     {rs::rotation_direction::forward, rs::rotation_direction::inverse}) {
                    const std::string what =
                        std::string(kt::type_name<T>()) + " head_dim " +
                        std::to_string(sh.head_dim) + " rotary " + std::to_string(sh.rotary_dim) +
                        (interleaved ? " interleaved-mrope" : " chunked-mrope") +
                        (layout == rs::rotary_layout::half_split ? " half_split" : " interleaved") +
                        (direction == rs::rotation_direction::forward ? " forward" : " inverse");
                    check_case<Arch, T>({&folded, nullptr}, sh.head_dim, sh.rotary_dim, layout, map,
                                        want, direction, what + " cache(folded)");
                    check_case<Arch, T>({&separate, nullptr}, sh.head_dim, sh.rotary_dim, layout,
                                        map, want, direction, what + " cache(separate)");
                    check_case<Arch, T>({nullptr, &table}, sh.head_dim, sh.rotary_dim, layout, map,
                                        want, direction, what + " on the fly");
                }
        }
    }
}

KT_ISA_TEST(mrope, each_pair_follows_its_stream) {
    check_all<Arch, float>();
    check_all<Arch, double>();
    check_all<Arch, rs::fp16>();
    check_all<Arch, rs::bf16>();
}

// Every token with t = h = w (int32 and int64 streams, mixed): the whole M-RoPE call is
// bitwise the 1-D call at those positions, pass-through channels included, whatever the
// sections.
template <class Arch, class T>
void check_equal_streams() {
    const std::int64_t tokens = 29;
    std::vector<std::int64_t> p64(static_cast<std::size_t>(tokens));
    std::vector<std::int32_t> p32(static_cast<std::size_t>(tokens));
    for (std::int64_t i = 0; i < tokens; ++i) {
        p64[static_cast<std::size_t>(i)] = (37 * i + 11) % 200;
        p32[static_cast<std::size_t>(i)] =
            static_cast<std::int32_t>(p64[static_cast<std::size_t>(i)]);
    }
    const rs::mrope_streams streams[] = {
        {rs::position_span(p64.data(), tokens), rs::position_span(p64.data(), tokens),
         rs::position_span(p64.data(), tokens)},
        {rs::position_span(p32.data(), tokens), rs::position_span(p64.data(), tokens),
         rs::position_span(p32.data(), tokens)}};
    struct shape {
        int head_dim, rotary_dim;
        std::vector<int> section;
    };
    const shape shapes[] = {
        {128, 128, {16, 24, 24}}, {128, 96, {24, 20, 4}}, {640, 640, {1, 318, 1}}};
    for (const shape& sh : shapes) {
        const auto table = kt::yarn_or_plain_table(sh.head_dim, sh.rotary_dim);
        const auto cache = *rs::build_rope_cache(table, 200, rs::attention_factor_mode::folded);
        for (const bool interleaved : {false, true}) {
            const auto map = *rs::mrope_map::make({sh.section, interleaved}, sh.rotary_dim);
            for (const auto layout :
                 {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
                for (const auto direction :
                     {rs::rotation_direction::forward, rs::rotation_direction::inverse})
                    for (const source src : {source{&cache, nullptr}, source{nullptr, &table}})
                        for (const auto& mpos : streams) {
                            const std::string what =
                                std::string(kt::type_name<T>()) + " rotary " +
                                std::to_string(sh.rotary_dim) +
                                (interleaved ? " imrope" : " mrope") +
                                (layout == rs::rotary_layout::half_split ? " half_split"
                                                                         : " interleaved") +
                                (direction == rs::rotation_direction::forward ? " forward"
                                                                              : " inverse") +
                                (src.cache != nullptr ? " cache" : " on the fly") +
                                (mpos.t.data32() != nullptr ? " int32" : " int64");
                            kt::rng r(static_cast<std::uint64_t>(sh.rotary_dim));
                            auto q = kt::padded_tensor<T>(tokens, 3, sh.head_dim, 2, 5, 1);
                            auto k = kt::padded_tensor<T>(tokens, 2, sh.head_dim, 0, 0, 0);
                            q.fill_random(r);
                            k.fill_random(r);
                            auto q1 = q, k1 = k;
                            ASSERT_TRUE(
                                (rotate<Arch>(src, layout, &map, &mpos, nullptr, q, k, direction)))
                                << what;
                            ASSERT_TRUE((rotate<Arch>(src, layout, nullptr, nullptr, &p64, q1, k1,
                                                      direction)))
                                << what;
                            for (std::int64_t t = 0; t < tokens; ++t)
                                for (int ch = 0; ch < sh.head_dim; ++ch) {
                                    for (int h = 0; h < 3; ++h)
                                        ASSERT_TRUE(kt::same_bits(q.at(t, h, ch), q1.at(t, h, ch)))
                                            << what << " q token " << t << " head " << h
                                            << " channel " << ch;
                                    for (int h = 0; h < 2; ++h)
                                        ASSERT_TRUE(kt::same_bits(k.at(t, h, ch), k1.at(t, h, ch)))
                                            << what << " k token " << t << " head " << h
                                            << " channel " << ch;
                                }
                        }
        }
    }
}

KT_ISA_TEST(mrope, equal_streams_are_the_1d_call) {
    check_equal_streams<Arch, float>();
    check_equal_streams<Arch, double>();
    check_equal_streams<Arch, rs::fp16>();
    check_equal_streams<Arch, rs::bf16>();
}

TEST(mrope_errors, streams_are_checked_and_nothing_is_written) {
    const auto table = kt::plain_table(128, 128);
    const auto cache = *rs::build_rope_cache(table, 64, rs::attention_factor_mode::folded);
    const auto map = *rs::mrope_map::make({{16, 24, 24}, false}, 128);
    std::vector<float> q(4 * 2 * 128, 0.5f);
    const auto before = q;
    std::vector<std::int64_t> pos = {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3};
    const auto qv = rs::in_place(rs::make_heads_view(q.data(), 4, 2, 128));
    const auto run = [&](const rs::mrope_streams& p, const rs::mrope_map& m) {
        return rs::apply_rope(cache, rs::rotary_layout::half_split, m, p, qv);
    };
    pos[4 + 2] = 64;  // h of token 2: one past the cache
    auto s = run(rs::make_mrope_streams(pos.data(), 4), map);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::position_out_of_range);
    EXPECT_EQ(s.err().field, "positions.h[2]");
    pos[4 + 2] = 2;
    pos[8 + 3] = -1;
    s = run(rs::make_mrope_streams(pos.data(), 4), map);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "positions.w[3]");
    pos[8 + 3] = 3;
    pos[1] = 70;
    s = run(rs::make_mrope_streams(pos.data(), 4), map);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "positions.t[1]");
    pos[1] = 1;
    rs::mrope_streams short_h = rs::make_mrope_streams(pos.data(), 4);
    short_h.h = short_h.h.subspan(0, 3);
    s = run(short_h, map);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::inconsistent);
    EXPECT_EQ(s.err().field, "positions.h");
    s = run(rs::make_mrope_streams(pos.data(), 4), *rs::mrope_map::make({{8, 12, 12}, false}, 64));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "mrope_map");
    s = run(rs::make_mrope_streams(pos.data(), 4), rs::mrope_map{});
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "mrope_map");
    EXPECT_EQ(q, before);
    EXPECT_TRUE(run(rs::make_mrope_streams(pos.data(), 4), map));
}

TEST(mrope_rope, object_applies_with_its_sections) {
    rs::rope_config c;
    c.head_dim = 128;
    c.rope_theta = 1e6;
    const auto r =
        rs::rope::make(c, rs::rope_options::cached(64).with_mrope({{16, 24, 24}, false}));
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(r->mrope().rotary_dim(), 128);
    std::vector<float> q(3 * 4 * 128, 0.5f), k(3 * 2 * 128, 0.25f);
    const std::vector<std::int32_t> pos = {0, 1, 2, 0, 3, 3, 0, 5, 2};
    auto q2 = q, k2 = k;
    ASSERT_TRUE(r->apply(rs::make_mrope_streams(pos.data(), 3), q2, k2));
    // The same call through apply_rope with the rope's cache and map.
    ASSERT_TRUE(rs::apply_rope(r->cache(), rs::rotary_layout::half_split, r->mrope(),
                               rs::make_mrope_streams(pos.data(), 3),
                               rs::in_place(rs::make_heads_view(q.data(), 3, 4, 128)),
                               rs::in_place(rs::make_heads_view(k.data(), 3, 2, 128))));
    EXPECT_EQ(q, q2);
    EXPECT_EQ(k, k2);
    ASSERT_TRUE(r->inverse(rs::make_mrope_streams(pos.data(), 3), q2, k2));
    for (float v : q2) EXPECT_NEAR(v, 0.5f, 1e-6f);
    // Sections that do not fit the table, and a rope without sections.
    const auto bad =
        rs::rope::make(c, rs::rope_options::cached(64).with_mrope({{16, 24, 16}, false}));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.err().field, "mrope_section");
    const auto plain = rs::rope::make(c, rs::rope_options::cached(64));
    const auto s = plain->apply(rs::make_mrope_streams(pos.data(), 3), q2, k2);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "mrope");
}

}  // namespace
