// load_rope / make_rope: config.json to a rope object, the cache sized by the config.
#include <ropescale/hf_rope.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;

const std::string configs = ROPESCALE_EXAMPLE_CONFIGS_DIR;

TEST(load_rope, builds_the_table_of_the_file_and_a_cache_of_max_position_embeddings) {
    const auto hf = rs::load_hf_config(configs + "/Yarn-Llama-2-7b-64k.json");
    ASSERT_TRUE(hf);
    const auto rope = rs::load_rope(configs + "/Yarn-Llama-2-7b-64k.json");
    ASSERT_TRUE(rope) << rope.err().what();
    EXPECT_EQ(rope->cache().size(), hf->max_position_embeddings.value_or(-1));
    EXPECT_EQ(rope->table().inv_freq, rs::compute_frequencies(hf->config)->inv_freq);
    EXPECT_EQ(rope->cache().attention(), rs::attention_factor_mode::folded);
}

TEST(load_rope, options_override_the_cache_size_and_source) {
    const auto small = rs::load_rope(configs + "/Llama-3.1-8B.json", rs::rope_options::cached(64));
    ASSERT_TRUE(small);
    EXPECT_EQ(small->cache().size(), 64);
    const auto fly = rs::load_rope(configs + "/Llama-3.1-8B.json", rs::rope_options::on_the_fly());
    ASSERT_TRUE(fly);
    EXPECT_EQ(fly->cache().size(), 0);
}

TEST(load_rope, errors_are_the_readers_and_the_missing_cache_size) {
    const auto missing = rs::load_rope(configs + "/no-such-config.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.err().code, rs::errc::io_error);
    const auto hf = rs::parse_hf_config(R"({"head_dim": 64, "rope_theta": 10000})");
    ASSERT_TRUE(hf);
    const auto no_size = rs::make_rope(*hf);
    ASSERT_FALSE(no_size);
    EXPECT_EQ(no_size.err().code, rs::errc::missing_field);
    EXPECT_EQ(no_size.err().field, "max_position_embeddings");
    EXPECT_TRUE(rs::make_rope(*hf, rs::rope_options::cached(16)));
}

TEST(make_rope, the_readers_warnings_come_first_in_the_tables) {
    const auto hf = rs::parse_hf_config(
        R"({"head_dim": 64, "max_position_embeddings": 64,
            "rope_scaling": {"rope_type": "linear", "factor": 2.0, "surprise": 1}})");
    ASSERT_TRUE(hf);
    ASSERT_FALSE(hf->warnings.empty());
    const auto rope = rs::make_rope(*hf);
    ASSERT_TRUE(rope);
    ASSERT_GE(rope->table().warnings.size(), hf->warnings.size());
    EXPECT_EQ(rope->table().warnings[0].field, hf->warnings[0].field);
}

TEST(load_rope, five_lines_from_config_to_a_decode_step) {
    std::vector<float> q(32 * 128, 1.0f), k(8 * 128, 1.0f);
    const std::vector<std::int32_t> position = {4095};
    // The README's five lines, as an engine writes them.
    auto rope = rs::load_rope(configs + "/Llama-3.1-8B.json");
    ASSERT_TRUE(rope) << rope.err().what();
    for (int step = 0; step < 2; ++step) {
        auto s = rope->apply(position, q, k);
        ASSERT_TRUE(s) << s.err().what();
    }
    EXPECT_NE(q[0], 1.0f);
}

TEST(load_rope, a_qwen2_5_vl_config_gives_an_mrope_rope) {
    const auto rope =
        rs::load_rope(configs + "/Qwen2.5-VL-7B-Instruct.json", rs::rope_options::cached(4096));
    ASSERT_TRUE(rope) << rope.err().what();
    // mrope_section [16, 24, 24], chunked: pairs 0-15 t, 16-39 h, 40-63 w.
    ASSERT_EQ(rope->mrope().rotary_dim(), 128);
    EXPECT_FALSE(rope->mrope().sections().interleaved);
    for (int i = 0; i < 64; ++i)
        EXPECT_EQ(rope->mrope().streams()[static_cast<std::size_t>(i)], i < 16   ? 0
                                                                        : i < 40 ? 1
                                                                                 : 2)
            << i;
    // Text tokens (t = h = w): exactly the 1-D rotation.
    std::vector<float> q(3 * 28 * 128), k(3 * 4 * 128);
    for (std::size_t i = 0; i < q.size(); ++i) q[i] = 0.001f * static_cast<float>(i % 997) - 0.4f;
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = 0.002f * static_cast<float>(i % 499) - 0.5f;
    const std::vector<std::int64_t> line = {7, 1000, 4095};
    const std::vector<std::int64_t> same = {7, 1000, 4095, 7, 1000, 4095, 7, 1000, 4095};
    auto q1 = q, k1 = k, q3 = q, k3 = k;
    ASSERT_TRUE(rope->apply(line, q1, k1));
    ASSERT_TRUE(rope->apply(rs::make_mrope_streams(same.data(), 3), q3, k3));
    EXPECT_EQ(q1, q3);
    EXPECT_EQ(k1, k3);
    // Image tokens (three different positions), streams `stride` apart in a larger buffer,
    // split over two token ranges as an engine's threads would: bitwise the whole call.
    const std::int64_t stride = 8;
    const std::vector<std::int32_t> grid = {5, 5, 5, 5, 0, 0, 0, 0,   // t
                                            5, 5, 6, 6, 0, 0, 0, 0,   // h
                                            5, 6, 5, 6, 0, 0, 0, 0};  // w
    std::vector<float> qa(4 * 28 * 128), ka(4 * 4 * 128);
    for (std::size_t i = 0; i < qa.size(); ++i) qa[i] = 0.003f * static_cast<float>(i % 331) - 0.5f;
    for (std::size_t i = 0; i < ka.size(); ++i) ka[i] = 0.002f * static_cast<float>(i % 211) - 0.2f;
    auto qb = qa, kb = ka;
    const auto streams = rs::make_mrope_streams(grid.data(), 4, stride);
    ASSERT_TRUE(rope->apply(streams, qa, ka));
    const auto qv = rs::make_heads_view(qb.data(), 4, 28, 128);
    const auto kv = rs::make_heads_view(kb.data(), 4, 4, 128);
    ASSERT_TRUE(rope->apply(streams.subspan(0, 1), qv.token_range(0, 1), kv.token_range(0, 1)));
    ASSERT_TRUE(rope->apply(streams.subspan(1, 3), qv.token_range(1, 3), kv.token_range(1, 3)));
    EXPECT_EQ(qa, qb);
    EXPECT_EQ(ka, kb);
    // Token 0 (t = h = w = 5) is the 1-D rotation at 5; token 3 is not.
    const std::vector<std::int64_t> five = {5};
    std::vector<float> qs(qa.size()), ks(ka.size());
    for (std::size_t i = 0; i < qs.size(); ++i) qs[i] = 0.003f * static_cast<float>(i % 331) - 0.5f;
    for (std::size_t i = 0; i < ks.size(); ++i) ks[i] = 0.002f * static_cast<float>(i % 211) - 0.2f;
    std::vector<float> qt0(qs.begin(), qs.begin() + 28 * 128),
        kt0(ks.begin(), ks.begin() + 4 * 128);
    ASSERT_TRUE(rope->apply(five, qt0, kt0));
    EXPECT_TRUE(std::equal(qt0.begin(), qt0.end(), qa.begin()));
    EXPECT_TRUE(std::equal(kt0.begin(), kt0.end(), ka.begin()));
    std::vector<float> qt3(qs.end() - 28 * 128, qs.end()), kt3(ks.end() - 4 * 128, ks.end());
    ASSERT_TRUE(rope->apply(five, qt3, kt3));
    EXPECT_FALSE(std::equal(qt3.begin(), qt3.end(), qa.end() - 28 * 128));
    // An explicit section list in the options wins over the config's.
    const auto other = rs::load_rope(
        configs + "/Qwen2.5-VL-7B-Instruct.json",
        rs::rope_options::cached(64).with_mrope(rs::mrope_sections{{24, 20, 20}, true}));
    ASSERT_TRUE(other) << other.err().what();
    EXPECT_TRUE(other->mrope().sections().interleaved);
    // A text model's rope has none.
    const auto text = rs::load_rope(configs + "/Qwen2.5-7B.json", rs::rope_options::cached(64));
    ASSERT_TRUE(text);
    EXPECT_TRUE(text->mrope().empty());
}

}  // namespace
