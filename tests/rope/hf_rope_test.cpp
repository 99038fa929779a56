// load_rope / make_rope: config.json to a rope object, the cache sized by the config.
#include <ropescale/hf_rope.hpp>

#include <gtest/gtest.h>

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

}  // namespace
