// The real model configurations bundled in examples/configs/ (SPEC.md section E) load, and
// their tables reproduce SPEC.md's reference numbers (computed there in float64 from the
// formulas, or published by vLLM): tolerances follow the published digits, never this code's
// own output.
#include <gtest/gtest.h>

#include <ropescale/hf_config.hpp>

#include <cmath>
#include <string>
#include <variant>

#ifndef ROPESCALE_EXAMPLE_CONFIGS_DIR
#error "ROPESCALE_EXAMPLE_CONFIGS_DIR must name examples/configs"
#endif

namespace rs = ropescale;

namespace {

rs::hf_rope_config load(const char* name) {
    const std::string path = std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name;
    auto r = rs::load_hf_config(path);
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::hf_rope_config{};
}

rs::frequency_table table(const rs::hf_rope_config& c, rs::table_options opt = {}) {
    auto t = rs::compute_frequencies(c.config, opt);
    EXPECT_TRUE(t) << t.err().what();
    return t ? *t : rs::frequency_table{};
}

}  // namespace

TEST(bundled_configs, yarn_llama_2_7b_64k) {
    const auto c = load("Yarn-Llama-2-7b-64k.json");
    EXPECT_EQ(c.rope_type, "yarn");
    EXPECT_EQ(c.config.head_dim, 128);        // 4096 / 32
    EXPECT_EQ(c.config.rope_theta, 10000.0);  // no key in the file
    EXPECT_EQ(c.max_position_embeddings, 65536);
    EXPECT_EQ(c.original_max_position_embeddings, 4096);
    const auto* m = std::get_if<rs::yarn>(&c.config.scaling);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->factor, 16.0);
    // "finetuned": true is the YaRN authors' key; static YaRN reads the file with a warning.
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_EQ(c.warnings[0].field, "finetuned");

    const auto t = table(c);
    ASSERT_TRUE(t.correction);
    EXPECT_EQ(t.correction->low, 20.0);  // SPEC E: (20, 46)
    EXPECT_EQ(t.correction->high, 46.0);
    EXPECT_NEAR(t.attention_factor, 1.2772589, 5e-8);  // SPEC E: 0.1 ln 16 + 1
    EXPECT_EQ(t.logit_scale, 1.0);
}

TEST(bundled_configs, gpt_oss_20b_unrounded_correction_range) {
    const auto c = load("gpt-oss-20b.json");
    EXPECT_EQ(c.config.head_dim, 64);  // explicit; 2880 / 64 would be 45
    const auto* m = std::get_if<rs::yarn>(&c.config.scaling);
    ASSERT_NE(m, nullptr);
    EXPECT_FALSE(m->truncate);
    EXPECT_EQ(c.config.rope_theta, 150000.0);
    EXPECT_TRUE(c.warnings.empty());

    const auto t = table(c);
    ASSERT_TRUE(t.correction);
    // vLLM PR #28244's printout, reproduced in SPEC E.
    EXPECT_NEAR(t.correction->low, 8.092779115512402, 1e-12);
    EXPECT_NEAR(t.correction->high, 17.39802450158856, 1e-12);
    EXPECT_NEAR(t.attention_factor, 1.3465736, 5e-8);  // SPEC E: 0.1 ln 32 + 1
}

TEST(bundled_configs, deepseek_v2_lite_rope_slice_and_logit_scale) {
    const auto c = load("DeepSeek-V2-Lite.json");
    EXPECT_EQ(c.config.head_dim, 64);  // qk_rope_head_dim, not 2048 / 16
    EXPECT_EQ(c.rope_type, "yarn");
    EXPECT_TRUE(c.warnings.empty());  // 163840 / 4096 = 40 = factor

    const auto t = table(c);
    EXPECT_EQ(t.rotary_dim, 64);
    EXPECT_EQ(t.attention_factor, 1.0);  // mscale == mscale_all_dim: exactly 1 (SPEC A8)
    EXPECT_NEAR(t.logit_scale, 1.5896262, 1.5896262 * 1e-7);  // SPEC A8, 8 digits
    // Same d, b, L and betas as DeepSeek-V3, whose range SPEC E gives as (10, 23).
    ASSERT_TRUE(t.correction);
    EXPECT_EQ(t.correction->low, 10.0);
    EXPECT_EQ(t.correction->high, 23.0);
}

TEST(bundled_configs, phi_3_mini_128k_longrope) {
    const auto c = load("Phi-3-mini-128k-instruct.json");
    EXPECT_EQ(c.rope_type, "longrope");
    EXPECT_EQ(c.config.head_dim, 96);                     // 3072 / 32
    EXPECT_EQ(c.original_max_position_embeddings, 4096);  // top level, Phi-3 style
    const auto* m = std::get_if<rs::longrope>(&c.config.scaling);
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->short_factor.size(), 48u);  // SPEC E: 48 each = d/2
    ASSERT_EQ(m->long_factor.size(), 48u);
    EXPECT_TRUE(c.warnings.empty());

    const auto short_table = table(c);
    EXPECT_NEAR(short_table.attention_factor, 1.19023807, 1e-8);  // SPEC A10
    EXPECT_DOUBLE_EQ(short_table.inv_freq[0], 1.0 / 1.1);         // pair 0: 1 / short[0]
    EXPECT_EQ(short_table.scale, 32.0);                           // 131072 / 4096
    // Without a sequence length the list is not chosen: the short one, with a warning.
    ASSERT_EQ(short_table.warnings.size(), 1u);
    EXPECT_EQ(short_table.warnings[0].field, "seq_len");

    // Past the original length transformers switches to the long list.
    const auto long_table = table(c, rs::table_options{4097, std::nullopt});
    EXPECT_DOUBLE_EQ(long_table.inv_freq[0], 1.0 / 1.0700000524520874);
    EXPECT_TRUE(long_table.warnings.empty());
    EXPECT_NEAR(long_table.inv_freq[47] * 64.76000213623047 * std::pow(10000.0, 94.0 / 96.0), 1.0,
                1e-14);
    EXPECT_NEAR(long_table.attention_factor, 1.19023807, 1e-8);
}

TEST(bundled_configs, llama_3_1_8b) {
    const auto c = load("Llama-3.1-8B.json");
    EXPECT_EQ(c.config.head_dim, 128);
    EXPECT_EQ(c.config.rope_theta, 500000.0);
    EXPECT_EQ(c.original_max_position_embeddings, 8192);
    EXPECT_TRUE(c.warnings.empty());
    const auto t = table(c);
    // Pair 0 (wavelength 2 pi) is far below L / high_freq_factor: unchanged; the last pair
    // (wavelength ~2.5e6) is far above L / low_freq_factor: divided by the factor (SPEC A9).
    EXPECT_EQ(t.multiplier(0), 1.0);
    EXPECT_DOUBLE_EQ(t.multiplier(63), 1.0 / 8.0);
    EXPECT_EQ(t.attention_factor, 1.0);
}

TEST(bundled_configs, codellama_7b_null_rope_scaling) {
    const auto c = load("CodeLlama-7b.json");
    EXPECT_TRUE(std::holds_alternative<rs::plain>(c.config.scaling));
    EXPECT_EQ(c.rope_type, "default");
    EXPECT_EQ(c.config.rope_theta, 1e6);
    EXPECT_TRUE(c.warnings.empty());
    const auto t = table(c);
    EXPECT_EQ(t.inv_freq[0], 1.0);
    EXPECT_NEAR(t.inv_freq[32], 1e-3, 1e-18);  // 1e6^(-1/2)
}

TEST(bundled_configs, mistral_7b_no_rope_scaling) {
    const auto c = load("Mistral-7B.json");
    EXPECT_TRUE(std::holds_alternative<rs::plain>(c.config.scaling));
    EXPECT_EQ(c.config.rope_theta, 10000.0);
    EXPECT_EQ(c.config.head_dim, 128);
    EXPECT_EQ(c.max_position_embeddings, 32768);
    EXPECT_TRUE(c.warnings.empty());
    EXPECT_NEAR(table(c).inv_freq[32], 1e-2, 1e-17);  // 1e4^(-1/2)
}
