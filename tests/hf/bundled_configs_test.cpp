// The real model configurations bundled in examples/configs/ load and give the tables
// transformers v5 would build from them. The expected values are in tests/hf/expected/, one
// JSON per config, written by tests/hf/expected/make_expected.py: an independent mpmath
// evaluation of transformers' rules (README.md there names the functions), never this code's
// output. Tolerances are the methods' precision contracts (their headers' doc comments).
//
// Each config is checked twice:
//   * the primary table (full attention, or the only one) through model_rope_config::config, and
//     the long LongRoPE list;
//   * every layer's table through model_rope_config::layer_types / layers, and the query scale
//     (model_rope_config::query_scale).
#include <gtest/gtest.h>

#include "support/ulp.hpp"

#include <ropescale/hf_config.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#ifndef ROPESCALE_EXAMPLE_CONFIGS_DIR
#error "ROPESCALE_EXAMPLE_CONFIGS_DIR must name examples/configs"
#endif

namespace rs = ropescale;
namespace fs = std::filesystem;
using ropescale_test::factor_ulp;
using ropescale_test::inv_freq_ulp;
using ropescale_test::ulp_distance;

namespace {

rs::model_rope_config load(const char* name) {
    const std::string path = std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name;
    auto r = rs::load_hf_config(path);
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::model_rope_config{};
}

rs::frequency_table table(const rs::model_rope_config& c, rs::table_options opt = {}) {
    auto t = rs::compute_frequencies(c.config, opt);
    EXPECT_TRUE(t) << t.err().what();
    return t ? *t : rs::frequency_table{};
}

// Every bundled config; bundled_configs.expected_files_match_the_configs keeps this list, the
// directory and tests/hf/expected/ in step.
const char* const bundled[] = {
    "CodeLlama-7b.json",
    "DeepSeek-V2-Lite.json",
    "DeepSeek-V3.json",
    "Devstral-Small-2-24B-Instruct-2512.json",
    "EXAONE-4.0-32B.json",
    "GLM-4.5-FP8.json",
    "Hunyuan-A13B-Instruct.json",
    "Kimi-K2-Instruct.json",
    "Llama-3.1-8B.json",
    "Llama-3.2-90B-Vision-Instruct.json",
    "Ministral-3-3B-2512.json",
    "Mistral-7B.json",
    "OLMo-2-7B.json",
    "Olmo-3.1-32B-Instruct.json",
    "Phi-3-mini-128k-instruct.json",
    "Phi-3.5-mini-instruct.json",
    "Phi-4-mini-instruct.json",
    "Qwen2.5-7B.json",
    "Qwen2.5-VL-7B-Instruct.json",
    "Qwen3-8B.json",
    "Qwen3-VL-8B-Instruct.json",
    "SmolLM3-3B.json",
    "Yarn-Llama-2-7b-64k.json",
    "aya-23-8B.json",
    "gemma-2-9b.json",
    "gemma-3-27b-it.json",
    "gemma-4-31B-it.json",
    "gpt-oss-120b.json",
    "gpt-oss-20b-original.json",
    "gpt-oss-20b.json",
    "internlm2_5-7b.json",
    "phi-4.json",
    "stablelm-2-zephyr-1_6b.json",
};

std::string expected_dir() {
    return std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/../../tests/hf/expected";
}

nlohmann::json load_expected(const std::string& name) {
    std::ifstream in(expected_dir() + "/" + name);
    EXPECT_TRUE(in.good()) << "no expected values for " << name;
    if (!in) return {};
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

// A computed table against one table of the expected file.
void expect_table(const rs::frequency_table& t, const nlohmann::json& e, const std::string& what) {
    SCOPED_TRACE(what);
    const std::string type = e.at("rope_type").get<std::string>();
    EXPECT_EQ(t.head_dim, e.at("head_dim").get<int>());
    EXPECT_EQ(t.rotary_dim, e.at("rotary_dim").get<int>());
    EXPECT_EQ(t.rope_theta, e.at("rope_theta").get<double>());
    const auto& inv = e.at("inv_freq");
    ASSERT_EQ(t.inv_freq.size(), inv.size());
    const std::uint64_t tol = inv_freq_ulp(type);
    for (std::size_t i = 0; i < inv.size(); ++i) {
        const double want = inv[i].get<double>();
        EXPECT_LE(ulp_distance(t.inv_freq[i], want), tol)
            << "pair " << i << ": " << t.inv_freq[i] << " vs " << want;
    }
    EXPECT_LE(ulp_distance(t.attention_factor, e.at("attention_factor").get<double>()), factor_ulp)
        << t.attention_factor << " vs " << e.at("attention_factor");
    EXPECT_LE(ulp_distance(t.logit_scale, e.at("logit_scale").get<double>()), factor_ulp)
        << t.logit_scale << " vs " << e.at("logit_scale");
    if (e.contains("correction_range")) {
        ASSERT_TRUE(t.correction);
        // Integers when truncated; otherwise within 4 ulp of the formula.
        EXPECT_LE(ulp_distance(t.correction->low, e["correction_range"][0].get<double>()),
                  factor_ulp);
        EXPECT_LE(ulp_distance(t.correction->high, e["correction_range"][1].get<double>()),
                  factor_ulp);
    }
}

// The table transformers builds for full-attention layers (or the only one).
const nlohmann::json& primary_table(const nlohmann::json& e) {
    const auto& tables = e.at("tables");
    return tables.contains("full_attention") ? tables["full_attention"] : tables["rope"];
}

class bundled_config : public ::testing::TestWithParam<const char*> {};

TEST_P(bundled_config, primary_table_matches_transformers) {
    const std::string name = GetParam();
    const nlohmann::json e = load_expected(name);
    ASSERT_FALSE(e.is_discarded());
    const auto r = rs::load_hf_config(std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name);
    ASSERT_TRUE(r) << r.err().what();
    const nlohmann::json& want = primary_table(e);
    const auto t = rs::compute_frequencies(r->config);
    ASSERT_TRUE(t) << t.err().what();
    expect_table(*t, want, "primary table");
    if (!want.at("original_max_position_embeddings").is_null()) {
        ASSERT_TRUE(r->original_max_position_embeddings);
        EXPECT_EQ(*r->original_max_position_embeddings,
                  want["original_max_position_embeddings"].get<std::int64_t>());
    }
    // Multimodal sections (Qwen2-VL, Qwen2.5-VL, Qwen3-VL), or none.
    if (e.contains("mrope_section")) {
        ASSERT_TRUE(r->mrope) << "no mrope sections read";
        EXPECT_EQ(r->mrope->section, e["mrope_section"].get<std::vector<int>>());
        EXPECT_EQ(r->mrope->interleaved, e.at("mrope_interleaved").get<bool>());
    } else {
        EXPECT_FALSE(r->mrope) << "mrope sections read where transformers has none";
    }
    // LongRoPE past the original length: the long list.
    if (e["tables"].contains("rope_long")) {
        const auto& lw = e["tables"]["rope_long"];
        const auto tl = rs::compute_frequencies(
            r->config, rs::table_options{lw.at("seq_len").get<std::int64_t>(), std::nullopt});
        ASSERT_TRUE(tl) << tl.err().what();
        expect_table(*tl, lw, "long table");
    }
}

// Per-layer reader: every layer's table (or no RoPE) and the query scale.
TEST_P(bundled_config, every_layer_matches_transformers) {
    const std::string name = GetParam();
    const nlohmann::json e = load_expected(name);
    ASSERT_FALSE(e.is_discarded());
    const auto r = rs::load_hf_config(std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name);
    ASSERT_TRUE(r) << r.err().what();
    const auto& c = *r;
    const std::string model_type = e.value("model_type", std::string());
    const std::string text_model_type = e.value("text_model_type", std::string());
    EXPECT_TRUE(c.model_type == model_type || c.model_type == text_model_type) << c.model_type;

    // Each layer type's table, computed once.
    std::vector<rs::frequency_table> tables;
    for (const auto& lt : c.layer_types) {
        const auto t = rs::compute_frequencies(lt.config);
        ASSERT_TRUE(t) << lt.layer_type << ": " << t.err().what();
        tables.push_back(*t);
    }
    const auto& want_tables = e.at("tables");
    if (e.contains("layers")) {
        const auto& layers = e["layers"];
        ASSERT_EQ(c.layers.size(), layers.size());
        for (std::size_t i = 0; i < layers.size(); ++i) {
            const std::string what = "layer " + std::to_string(i);
            if (layers[i].is_null()) {
                EXPECT_FALSE(c.layers[i]) << what << " has no RoPE";
                continue;
            }
            ASSERT_TRUE(c.layers[i]) << what << " has RoPE";
            ASSERT_LT(*c.layers[i], tables.size());
            const std::string want = layers[i].get<std::string>();
            expect_table(tables[*c.layers[i]], want_tables.at(want), what + " (" + want + ")");
            const auto& lt = c.layer_types[*c.layers[i]];
            const auto& w = want_tables[want]["original_max_position_embeddings"];
            if (!w.is_null()) {
                ASSERT_TRUE(lt.original_max_position_embeddings) << what;
                EXPECT_EQ(*lt.original_max_position_embeddings, w.get<std::int64_t>()) << what;
            }
        }
    } else {
        // One table for the whole model: every layer the reader lists uses it.
        for (std::size_t i = 0; i < c.layers.size(); ++i) {
            ASSERT_TRUE(c.layers[i]) << "layer " << i;
            expect_table(tables.at(*c.layers[i]), primary_table(e), "layer " + std::to_string(i));
        }
    }

    // Query scale on both sides of every floor boundary.
    if (e.contains("query_scale")) {
        ASSERT_TRUE(c.query_scale);
        for (const auto& pv : e["query_scale"]["values"]) {
            const auto pos = pv[0].get<std::int64_t>();
            const double want = pv[1].get<double>();
            const double got =
                std::visit([&](const auto& s) { return rs::query_scale(s, pos); }, *c.query_scale);
            EXPECT_LE(ulp_distance(got, want), factor_ulp)
                << "position " << pos << ": " << got << " vs " << want;
        }
    } else {
        EXPECT_FALSE(c.query_scale);
    }
}

std::string test_name(const ::testing::TestParamInfo<const char*>& info) {
    std::string s = info.param;
    s = s.substr(0, s.size() - 5);  // ".json"
    for (char& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(configs, bundled_config, ::testing::ValuesIn(bundled), test_name);

}  // namespace

// The list above, the directory and the expected files agree, and every config names its
// upstream source.
TEST(bundled_configs, expected_files_match_the_configs) {
    std::set<std::string> listed(std::begin(bundled), std::end(bundled));
    std::set<std::string> on_disk;
    for (const auto& f : fs::directory_iterator(ROPESCALE_EXAMPLE_CONFIGS_DIR))
        if (f.path().extension() == ".json") on_disk.insert(f.path().filename().string());
    EXPECT_EQ(listed, on_disk);
    for (const auto& name : on_disk) {
        EXPECT_TRUE(fs::exists(expected_dir() + "/" + name)) << name;
        std::ifstream in(std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name);
        const auto j = nlohmann::json::parse(in, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << name;
        ASSERT_TRUE(j.contains("_source")) << name;
        EXPECT_NE(j["_source"].get<std::string>().find("Hugging Face"), std::string::npos) << name;
    }
}

// Checks of particular files, beyond the tables.

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
    EXPECT_EQ(t.correction->low, 20.0);  // the YaRN formula: (20, 46)
    EXPECT_EQ(t.correction->high, 46.0);
    EXPECT_NEAR(t.attention_factor, 1.2772589, 5e-8);  // 0.1 ln 16 + 1
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
    // vLLM PR #28244's printout of the unrounded range.
    EXPECT_NEAR(t.correction->low, 8.092779115512402, 1e-12);
    EXPECT_NEAR(t.correction->high, 17.39802450158856, 1e-12);
    EXPECT_NEAR(t.attention_factor, 1.3465736, 5e-8);  // 0.1 ln 32 + 1
}

TEST(bundled_configs, deepseek_v2_lite_rope_slice_and_logit_scale) {
    const auto c = load("DeepSeek-V2-Lite.json");
    EXPECT_EQ(c.config.head_dim, 64);  // qk_rope_head_dim, not 2048 / 16
    EXPECT_EQ(c.rope_type, "yarn");
    EXPECT_TRUE(c.warnings.empty());  // 163840 / 4096 = 40 = factor

    const auto t = table(c);
    EXPECT_EQ(t.rotary_dim, 64);
    EXPECT_EQ(t.attention_factor, 1.0);                       // mscale == mscale_all_dim: exactly 1
    EXPECT_NEAR(t.logit_scale, 1.5896262, 1.5896262 * 1e-7);  // (0.1 * 0.707 ln 40 + 1)^2, 8 digits
    // Same d, b, L and betas as DeepSeek-V3: the range (10, 23).
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
    ASSERT_EQ(m->short_factor.size(), 48u);  // 48 each = d/2
    ASSERT_EQ(m->long_factor.size(), 48u);
    EXPECT_TRUE(c.warnings.empty());

    const auto short_table = table(c);
    EXPECT_NEAR(short_table.attention_factor, 1.19023807, 1e-8);  // sqrt(1 + ln 32 / ln 4096)
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
    // (wavelength ~2.5e6) is far above L / low_freq_factor: divided by the factor.
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
