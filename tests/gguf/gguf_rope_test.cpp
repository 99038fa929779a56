// GGUF metadata -> rope configuration (ropescale/gguf_rope.hpp). Each bundled config of
// examples/configs/ named below is written into a GGUF file the way llama.cpp's converter
// (convert_hf_to_gguf.py: TextModel.set_gguf_parameters, LlamaModel.generate_extra_tensors,
// Phi3MiniModel, DeepseekV2Model, Gemma3Model, GptOssModel, Qwen2VLModel) writes it, with the
// specification-based writer of gguf_writer.hpp; the table read from it must be the table the
// config.json reader (hf_config.hpp, itself checked against an independent mpmath evaluation of
// transformers in tests/hf/) gives for the same config.json, layer by layer, within the
// methods' precision contracts. Where the file can only hold a float32 (rope_freqs, the
// LongRoPE lists, yarn_log_multiplier), the bound is that rounding, stated at the check.
// Errors for missing and mistyped keys are checked for the key they name.
#include "gguf_writer.hpp"
#include "support/ulp.hpp"

#include <ropescale/gguf_rope.hpp>
#include <ropescale/hf_config.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifndef ROPESCALE_EXAMPLE_CONFIGS_DIR
#error "ROPESCALE_EXAMPLE_CONFIGS_DIR must name examples/configs"
#endif

namespace {

namespace rs = ropescale;
namespace gw = gguf_test;
using json = nlohmann::json;
using ropescale_test::factor_ulp;
using ropescale_test::inv_freq_ulp;
using ropescale_test::ulp_distance;

std::string config_path(const char* name) {
    return std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name;
}

json read_json(const char* name) {
    std::ifstream in(config_path(name));
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << name;
    if (j.contains("text_config")) return j["text_config"];
    return j;
}

rs::model_rope_config load_hf(const char* name) {
    auto r = rs::load_hf_config(config_path(name));
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::model_rope_config{};
}

rs::model_rope_config read_gguf(const std::string& bytes) {
    auto f = rs::parse_gguf(bytes);
    EXPECT_TRUE(f) << f.err().what();
    if (!f) return {};
    auto r = rs::read_gguf_rope(*f, bytes);
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::model_rope_config{};
}

rs::frequency_table table(const rs::rope_config& c, rs::table_options opt = {}) {
    auto t = rs::compute_frequencies(c, opt);
    EXPECT_TRUE(t) << t.err().what();
    return t ? *t : rs::frequency_table{};
}

// Two tables: each inv_freq within `ulp`, the factors within factor_ulp.
void expect_same_table(const rs::frequency_table& got, const rs::frequency_table& want,
                       std::uint64_t ulp, const std::string& what) {
    ASSERT_EQ(got.inv_freq.size(), want.inv_freq.size()) << what;
    for (std::size_t i = 0; i < want.inv_freq.size(); ++i)
        EXPECT_LE(ulp_distance(got.inv_freq[i], want.inv_freq[i]), ulp)
            << what << " inv_freq[" << i << "] " << got.inv_freq[i] << " vs " << want.inv_freq[i];
    EXPECT_LE(ulp_distance(got.attention_factor, want.attention_factor), factor_ulp)
        << what << " attention_factor " << got.attention_factor << " vs " << want.attention_factor;
    EXPECT_LE(ulp_distance(got.logit_scale, want.logit_scale), factor_ulp)
        << what << " logit_scale " << got.logit_scale << " vs " << want.logit_scale;
}

// Every layer of the GGUF reading against the config.json reading: same layer count (when
// config.json gives one), same layer type per layer, same table.
void expect_same_layers(const rs::model_rope_config& g, const rs::model_rope_config& h,
                        rs::table_options opt = {}) {
    if (!h.layers.empty()) {
        ASSERT_EQ(g.layers.size(), h.layers.size());
    }
    ASSERT_FALSE(g.layers.empty());
    for (std::size_t i = 0; i < g.layers.size(); ++i) {
        const rs::layer_rope* want = h.layer(i);
        const rs::layer_rope* got = g.layer(i);
        ASSERT_TRUE(want != nullptr && got != nullptr) << "layer " << i;
        EXPECT_EQ(got->layer_type, want->layer_type) << "layer " << i;
        expect_same_table(table(got->config, opt), table(want->config, opt),
                          inv_freq_ulp(want->rope_type), "layer " + std::to_string(i));
    }
}

// The keys every converted model has (TextModel.set_gguf_parameters). `layers`: the model's
// layer count where the bundled config.json leaves num_hidden_layers out (the converter reads
// it from the full config).
gw::file base_file(const std::string& arch, const json& c, std::uint32_t context_length,
                   std::uint32_t layers = 0) {
    gw::file f;
    f.kv("general.architecture", gw::v_str(arch));
    f.kv(arch + ".block_count", gw::v_u32(c.value("num_hidden_layers", layers)));
    f.kv(arch + ".context_length", gw::v_u32(context_length));
    f.kv(arch + ".embedding_length", gw::v_u32(c.at("hidden_size").get<std::uint32_t>()));
    f.kv(arch + ".attention.head_count",
         gw::v_u32(c.at("num_attention_heads").get<std::uint32_t>()));
    return f;
}

std::vector<gw::value> i32_array(const std::vector<int>& v) {
    std::vector<gw::value> out;
    for (int x : v) out.push_back(gw::v_i32(x));
    return out;
}

gw::tensor f32_tensor(const char* name, const std::vector<float>& v) {
    return gw::tensor{name, {v.size()}, 0, gw::f32_data(v), std::nullopt};
}

// ---- the bundled configs, converted

// Llama 3.1: no rope scaling keys; rope_freqs.weight holds, per pair, the converter's
// LlamaModel.generate_extra_tensors divisor: 1 (short wavelengths), factor (long ones), else
// 1 / ((1 - smooth) / factor + smooth), computed from the float32 frequencies
// 1 / base^(2i/d) as torch does, stored as float32.
TEST(gguf_rope, llama_3_1_rope_freqs) {
    const json c = read_json("Llama-3.1-8B.json");
    const json& rs_ = c.at("rope_scaling");
    const double base = c.at("rope_theta").get<double>();
    const int dim = c.at("hidden_size").get<int>() / c.at("num_attention_heads").get<int>();
    const double factor = rs_.at("factor").get<double>();
    const double low = rs_.at("low_freq_factor").get<double>();
    const double high = rs_.at("high_freq_factor").get<double>();
    const double old_ctx = rs_.at("original_max_position_embeddings").get<double>();
    std::vector<float> divisors;
    std::vector<bool> in_band;
    for (int i = 0; i < dim / 2; ++i) {
        const float freq = 1.0f / std::pow(static_cast<float>(base),
                                           static_cast<float>(2 * i) / static_cast<float>(dim));
        const double wavelen = 2 * M_PI / static_cast<double>(freq);
        if (wavelen < old_ctx / high) {
            divisors.push_back(1.0f);
            in_band.push_back(false);
        } else if (wavelen > old_ctx / low) {
            divisors.push_back(static_cast<float>(factor));
            in_band.push_back(false);
        } else {
            const double smooth = (old_ctx / wavelen - low) / (high - low);
            divisors.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
            in_band.push_back(true);
        }
    }
    gw::file f = base_file("llama", c, c.at("max_position_embeddings").get<std::uint32_t>());
    f.kv("llama.rope.dimension_count", gw::v_u32(static_cast<std::uint32_t>(dim)));
    f.kv("llama.rope.freq_base", gw::v_f32(static_cast<float>(base)));
    f.add(f32_tensor(rs::gguf_rope_freqs, divisors));

    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("Llama-3.1-8B.json");
    EXPECT_EQ(g.rope_type, "rope_freqs");
    ASSERT_EQ(g.layers.size(), h.layers.size());
    const rs::frequency_table got = table(g.config);
    const rs::frequency_table want = table(h.config);
    ASSERT_EQ(got.inv_freq.size(), want.inv_freq.size());
    EXPECT_EQ(got.attention_factor, 1.0);
    int band = 0;
    for (std::size_t i = 0; i < want.inv_freq.size(); ++i) {
        // The mapping itself: theta_i / f_i within longrope's 3 ulp.
        const double theta = 1.0 / std::pow(base, static_cast<double>(2 * i) / dim);
        EXPECT_LE(ulp_distance(got.inv_freq[i], theta / static_cast<double>(divisors[i])), 3u) << i;
        if (!in_band[i]) {
            // 1 and the factor are float32: transformers' table within longrope's and
            // llama3's contracts (3 + 6 ulp).
            EXPECT_LE(ulp_distance(got.inv_freq[i], want.inv_freq[i]), 9u) << i;
        } else {
            // The blend band: the converter's float32 frequency (relative error 2^-24 from the
            // power, 2^-24 from the division) moves L / wavelen, so the multiplier, by at most
            // (L / wavelen) / (high - low) x 2^-23 x |1 - 1/s| relative to a multiplier >= 1/s;
            // with L / wavelen <= high this is below 2^-20 here, plus the float32 storage.
            ++band;
            EXPECT_LE(std::fabs(got.inv_freq[i] / want.inv_freq[i] - 1), 0x1p-20) << i;
        }
    }
    EXPECT_GT(band, 0);
    EXPECT_EQ(g.layer(0), &g.layer_types[0]);
}

// Yarn-Llama-2-7b-64k: type yarn, factor, original context length, finetuned.
TEST(gguf_rope, yarn_llama_2_7b_64k) {
    const json c = read_json("Yarn-Llama-2-7b-64k.json");
    const json& r = c.at("rope_scaling");
    gw::file f = base_file("llama", c, c.at("max_position_embeddings").get<std::uint32_t>(), 32);
    f.kv("llama.rope.dimension_count", gw::v_u32(128));
    f.kv("llama.rope.freq_base", gw::v_f32(c.value("rope_theta", 10000.0f)));
    f.kv("llama.rope.scaling.type", gw::v_str("yarn"));
    f.kv("llama.rope.scaling.factor", gw::v_f32(r.at("factor").get<float>()));
    f.kv("llama.rope.scaling.original_context_length",
         gw::v_u32(r.at("original_max_position_embeddings").get<std::uint32_t>()));
    f.kv("llama.rope.scaling.finetuned", gw::v_bool(r.at("finetuned").get<bool>()));
    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("Yarn-Llama-2-7b-64k.json");
    EXPECT_EQ(g.rope_type, "yarn");
    EXPECT_TRUE(g.finetuned);
    EXPECT_EQ(g.original_max_position_embeddings, h.original_max_position_embeddings);
    expect_same_layers(g, h);
}

// Phi-3-mini-128k (LongRoPE): no scaling type; original_context_length, attn_factor =
// sqrt(1 + ln(s) / ln(L)) as float32, and the two factor lists as float32 tensors
// (Phi3MiniModel). Read from a file on disk (load_gguf_rope).
TEST(gguf_rope, phi_3_mini_128k_longrope) {
    const json c = read_json("Phi-3-mini-128k-instruct.json");
    const json& r = c.at("rope_scaling");
    const auto n_ctx = c.at("max_position_embeddings").get<std::uint32_t>();
    const auto orig = c.at("original_max_position_embeddings").get<std::uint32_t>();
    const int dim = c.at("hidden_size").get<int>() / c.at("num_attention_heads").get<int>();
    const double scale = static_cast<double>(n_ctx) / orig;
    const double attn = std::sqrt(1 + std::log(scale) / std::log(static_cast<double>(orig)));
    std::vector<float> lf;
    std::vector<float> sf;
    bool exact = true;
    for (const json& x : r.at("long_factor")) {
        lf.push_back(x.get<float>());
        exact = exact && static_cast<double>(lf.back()) == x.get<double>();
    }
    for (const json& x : r.at("short_factor")) sf.push_back(x.get<float>());
    gw::file f = base_file("phi3", c, n_ctx, 32);
    f.kv("phi3.rope.dimension_count", gw::v_u32(static_cast<std::uint32_t>(dim)));
    f.kv("phi3.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("phi3.rope.scaling.original_context_length", gw::v_u32(orig));
    f.kv("phi3.rope.scaling.attn_factor", gw::v_f32(static_cast<float>(attn)));
    f.add(f32_tensor(rs::gguf_rope_factors_long, lf));
    f.add(f32_tensor(rs::gguf_rope_factors_short, sf));
    const std::string bytes = f.build();
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / "ropescale_gguf_rope_test_phi3.gguf";
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto loaded = rs::load_gguf_rope(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(loaded) << loaded.err().what();
    const rs::model_rope_config& g = *loaded;
    const rs::model_rope_config h = load_hf("Phi-3-mini-128k-instruct.json");
    EXPECT_EQ(g.rope_type, "longrope");
    EXPECT_TRUE(g.warnings.empty()) << g.warnings[0].what();
    // The long list's values are float32 in config.json: the same table within 3 ulp.
    ASSERT_TRUE(exact);
    rs::table_options opt;
    opt.seq_len = n_ctx;
    expect_same_layers(g, h, opt);
    // The short list: each factor as float32 (relative 2^-24) within 3 ulp.
    opt.seq_len = orig;
    const rs::frequency_table got = table(g.config, opt);
    const rs::frequency_table want = table(h.config, opt);
    ASSERT_EQ(got.inv_freq.size(), want.inv_freq.size());
    for (std::size_t i = 0; i < want.inv_freq.size(); ++i)
        EXPECT_LE(std::fabs(got.inv_freq[i] / want.inv_freq[i] - 1), 0x1p-24 + 0x1p-50) << i;
    EXPECT_LE(ulp_distance(got.attention_factor, want.attention_factor), factor_ulp);
}

// DeepSeek-V2-Lite: key_length = kv_lora_rank + qk_rope_head_dim, dimension_count =
// qk_rope_head_dim, yarn, yarn_log_multiplier = 0.1 * mscale_all_dim (DeepseekV2Model).
TEST(gguf_rope, deepseek_v2_lite) {
    const json c = read_json("DeepSeek-V2-Lite.json");
    const json& r = c.at("rope_scaling");
    const auto rope_dim = c.at("qk_rope_head_dim").get<std::uint32_t>();
    gw::file f =
        base_file("deepseek2", c, c.at("max_position_embeddings").get<std::uint32_t>(), 27);
    f.kv("deepseek2.attention.key_length",
         gw::v_u32(c.value("kv_lora_rank", 512u) + rope_dim));  // 512: DeepSeek-V2-Lite's
    f.kv("deepseek2.rope.dimension_count", gw::v_u32(rope_dim));
    f.kv("deepseek2.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("deepseek2.rope.scaling.type", gw::v_str("yarn"));
    f.kv("deepseek2.rope.scaling.factor", gw::v_f32(r.at("factor").get<float>()));
    f.kv("deepseek2.rope.scaling.original_context_length",
         gw::v_u32(r.at("original_max_position_embeddings").get<std::uint32_t>()));
    f.kv("deepseek2.rope.scaling.yarn_log_multiplier",
         gw::v_f32(static_cast<float>(0.1 * r.at("mscale_all_dim").get<double>())));
    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("DeepSeek-V2-Lite.json");
    EXPECT_EQ(g.config.head_dim, static_cast<int>(rope_dim));
    const rs::frequency_table got = table(g.config);
    const rs::frequency_table want = table(h.config);
    ASSERT_EQ(got.inv_freq.size(), want.inv_freq.size());
    for (std::size_t i = 0; i < want.inv_freq.size(); ++i)
        EXPECT_LE(ulp_distance(got.inv_freq[i], want.inv_freq[i]), 8u) << i;
    EXPECT_LE(ulp_distance(got.attention_factor, want.attention_factor), factor_ulp);
    // mscale_all_dim comes back through float32 and / 0.1: within 2^-23 relative, so the
    // logit scale (0.1 m ln s + 1)^2 within 2^-22.
    EXPECT_NE(want.logit_scale, 1.0);
    EXPECT_LE(std::fabs(got.logit_scale / want.logit_scale - 1), 0x1p-22);
    EXPECT_EQ(g.layers.size(), 27u);
    bool named = false;
    for (const rs::value_source& src : g.sources)
        if (src.key == "mscale_all_dim")
            named = src.origin.find("deepseek2.rope.scaling.yarn_log_multiplier / 0.1") == 0;
    EXPECT_TRUE(named);
}

// Qwen2.5-7B: plain RoPE, no dimension_count (head_dim from embedding_length / head_count).
TEST(gguf_rope, qwen2_5_plain) {
    const json c = read_json("Qwen2.5-7B.json");
    gw::file f = base_file("qwen2", c, c.at("max_position_embeddings").get<std::uint32_t>());
    f.kv("qwen2.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("Qwen2.5-7B.json");
    EXPECT_EQ(g.rope_type, "default");
    expect_same_layers(g, h);
}

// Gemma 3 27B: key_length, linear factor 8 on the full layers, freq_base_swa on the sliding
// ones (Gemma3Model); one full layer in six.
TEST(gguf_rope, gemma_3_freq_base_swa) {
    const json c = read_json("gemma-3-27b-it.json");
    gw::file f = base_file("gemma3", c, 131072);
    f.kv("gemma3.attention.key_length", gw::v_u32(c.at("head_dim").get<std::uint32_t>()));
    f.kv("gemma3.rope.freq_base", gw::v_f32(1000000.0f));
    f.kv("gemma3.rope.freq_base_swa", gw::v_f32(10000.0f));
    f.kv("gemma3.rope.scaling.type", gw::v_str("linear"));
    f.kv("gemma3.rope.scaling.factor", gw::v_f32(c.at("rope_scaling").at("factor").get<float>()));
    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("gemma-3-27b-it.json");
    ASSERT_EQ(g.layer_types.size(), 2u);
    EXPECT_EQ(g.layer_types[1].config.rope_theta, 10000.0);
    expect_same_layers(g, h);
}

// gpt-oss-20b: yarn with transformers' unfloored correction range.
TEST(gguf_rope, gpt_oss_yarn) {
    const json c = read_json("gpt-oss-20b.json");
    const json& r = c.at("rope_scaling");
    gw::file f = base_file("gpt-oss", c, c.at("max_position_embeddings").get<std::uint32_t>(), 24);
    f.kv("gpt-oss.attention.key_length", gw::v_u32(c.at("head_dim").get<std::uint32_t>()));
    f.kv("gpt-oss.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("gpt-oss.rope.scaling.type", gw::v_str("yarn"));
    f.kv("gpt-oss.rope.scaling.factor", gw::v_f32(r.at("factor").get<float>()));
    f.kv("gpt-oss.rope.scaling.original_context_length",
         gw::v_u32(r.at("original_max_position_embeddings").get<std::uint32_t>()));
    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("gpt-oss-20b.json");
    ASSERT_TRUE(std::holds_alternative<rs::yarn>(g.config.scaling));
    EXPECT_FALSE(std::get<rs::yarn>(g.config.scaling).truncate);
    expect_same_layers(g, h);
}

// Qwen2.5-VL-7B: plain RoPE with dimension_sections [16, 24, 24, 0] (int32, Qwen2VLModel).
TEST(gguf_rope, qwen2_5_vl_dimension_sections) {
    const json c = read_json("Qwen2.5-VL-7B-Instruct.json");
    std::vector<int> sections = c.at("rope_scaling").at("mrope_section").get<std::vector<int>>();
    sections.push_back(0);
    gw::file f = base_file("qwen2vl", c, c.at("max_position_embeddings").get<std::uint32_t>());
    f.kv("qwen2vl.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("qwen2vl.rope.dimension_sections", gw::v_array(gw::t_int32, i32_array(sections)));
    const rs::model_rope_config g = read_gguf(f.build());
    const rs::model_rope_config h = load_hf("Qwen2.5-VL-7B-Instruct.json");
    ASSERT_TRUE(g.mrope && h.mrope);
    EXPECT_EQ(g.mrope->section, h.mrope->section);
    EXPECT_EQ(g.mrope->interleaved, h.mrope->interleaved);
    expect_same_layers(g, h);
}

// The YaRN knobs the converter writes from the rope section (TextModel.set_gguf_parameters:
// beta_fast, beta_slow, extrapolation_factor, attention_factor) against the config.json reader
// on the same section.
TEST(gguf_rope, yarn_knobs_match_config_json) {
    auto h = rs::parse_hf_config(R"({"model_type": "llama", "hidden_size": 1024,
        "num_attention_heads": 8, "num_hidden_layers": 2, "max_position_embeddings": 16384,
        "rope_theta": 50000.0, "rope_scaling": {"rope_type": "yarn", "factor": 4.0,
        "original_max_position_embeddings": 4096, "beta_fast": 16.0, "beta_slow": 2.0,
        "attention_factor": 1.25, "extrapolation_factor": 0.5}})");
    ASSERT_TRUE(h) << h.err().what();
    gw::file f;
    f.kv("general.architecture", gw::v_str("llama"));
    f.kv("llama.block_count", gw::v_u32(2));
    f.kv("llama.context_length", gw::v_u32(16384));
    f.kv("llama.embedding_length", gw::v_u32(1024));
    f.kv("llama.attention.head_count", gw::v_u32(8));
    f.kv("llama.rope.freq_base", gw::v_f32(50000.0f));
    f.kv("llama.rope.scaling.type", gw::v_str("yarn"));
    f.kv("llama.rope.scaling.factor", gw::v_f32(4.0f));
    f.kv("llama.rope.scaling.original_context_length", gw::v_u32(4096));
    f.kv("llama.rope.scaling.yarn_ext_factor", gw::v_f32(0.5f));
    f.kv("llama.rope.scaling.yarn_attn_factor", gw::v_f32(1.25f));
    f.kv("llama.rope.scaling.yarn_beta_fast", gw::v_f32(16.0f));
    f.kv("llama.rope.scaling.yarn_beta_slow", gw::v_f32(2.0f));
    const rs::model_rope_config g = read_gguf(f.build());
    expect_same_layers(g, *h);
    EXPECT_EQ(table(g.config).attention_factor, 1.25);
}

// ---- errors name the key

gw::file minimal() {
    gw::file f;
    f.kv("general.architecture", gw::v_str("llama"));
    f.kv("llama.block_count", gw::v_u32(2));
    f.kv("llama.context_length", gw::v_u32(4096));
    f.kv("llama.attention.key_length", gw::v_u32(64));
    return f;
}

void expect_error(const gw::file& f, rs::errc code, const std::string& field) {
    const std::string bytes = f.build();
    auto p = rs::parse_gguf(bytes);
    ASSERT_TRUE(p) << p.err().what();
    auto r = rs::read_gguf_rope(*p, bytes);
    ASSERT_FALSE(r) << "accepted; expected an error at " << field;
    EXPECT_EQ(r.err().code, code) << r.err().what();
    EXPECT_EQ(r.err().field, field) << r.err().what();
}

TEST(gguf_rope, minimal_file_is_plain_rope) {
    const rs::model_rope_config g = read_gguf(minimal().build());
    EXPECT_EQ(g.rope_type, "default");
    EXPECT_EQ(g.config.head_dim, 64);
    EXPECT_EQ(g.config.rope_theta, 10000.0);
    EXPECT_EQ(g.layers.size(), 2u);
}

// rope_freqs.weight beside the LongRoPE lists: llama.cpp uses rope_freqs, with a warning here.
TEST(gguf_rope, rope_freqs_wins_over_longrope_lists) {
    gw::file f = minimal();
    std::vector<float> freqs(32, 1.0f);
    freqs[31] = 8.0f;
    f.add(f32_tensor(rs::gguf_rope_freqs, freqs));
    f.add(f32_tensor(rs::gguf_rope_factors_long, std::vector<float>(32, 4.0f)));
    f.add(f32_tensor(rs::gguf_rope_factors_short, std::vector<float>(32, 2.0f)));
    const rs::model_rope_config g = read_gguf(f.build());
    EXPECT_EQ(g.rope_type, "rope_freqs");
    ASSERT_EQ(g.warnings.size(), 1u);
    EXPECT_EQ(g.warnings[0].field, "rope_freqs.weight");
    const rs::frequency_table t = table(g.config);
    EXPECT_EQ(t.inv_freq[0], 1.0);
    EXPECT_LE(ulp_distance(t.inv_freq[31], std::pow(10000.0, -62.0 / 64.0) / 8.0), 3u);
}

TEST(gguf_rope, missing_keys_are_named) {
    gw::file f;
    f.kv("llama.block_count", gw::v_u32(2));
    expect_error(f, rs::errc::missing_field, "general.architecture");
    gw::file g;
    g.kv("general.architecture", gw::v_str("llama"));
    g.kv("llama.context_length", gw::v_u32(4096));
    expect_error(g, rs::errc::missing_field, "llama.block_count");
    gw::file h;
    h.kv("general.architecture", gw::v_str("llama"));
    h.kv("llama.block_count", gw::v_u32(2));
    h.kv("llama.context_length", gw::v_u32(4096));
    expect_error(h, rs::errc::missing_field, "llama.attention.key_length");
    gw::file big = minimal();
    big.kvs[1].second = gw::v_u32((1u << 24) + 1);  // llama.block_count
    expect_error(big, rs::errc::out_of_range, "llama.block_count");
    gw::file d = minimal();
    d.kv("llama.rope.scaling.type", gw::v_str("longrope"));
    expect_error(d, rs::errc::missing_field, "rope_factors_long.weight");
}

TEST(gguf_rope, mistyped_keys_are_named) {
    expect_error(minimal().kv("llama.rope.freq_base", gw::v_f64(10000.0)), rs::errc::wrong_type,
                 "llama.rope.freq_base");
    expect_error(minimal().kv("llama.rope.dimension_count", gw::v_i32(64)), rs::errc::wrong_type,
                 "llama.rope.dimension_count");
    expect_error(minimal().kv("llama.rope.scaling.type", gw::v_u32(2)), rs::errc::wrong_type,
                 "llama.rope.scaling.type");
    expect_error(minimal().kv("llama.rope.scaling.finetuned", gw::v_u8(1)), rs::errc::wrong_type,
                 "llama.rope.scaling.finetuned");
    expect_error(minimal().kv("llama.rope.scaling.type", gw::v_str("su")),
                 rs::errc::unknown_rope_type, "llama.rope.scaling.type");
    expect_error(
        minimal().kv("llama.rope.dimension_sections", gw::v_array(gw::t_float32, {gw::v_f32(16)})),
        rs::errc::wrong_type, "llama.rope.dimension_sections");
    expect_error(minimal().kv("llama.rope.dimension_sections",
                              gw::v_array(gw::t_int32, i32_array({8, 8, 8, 0}))),
                 rs::errc::inconsistent, "llama.rope.dimension_sections");
    expect_error(minimal().kv("llama.rope.dimension_sections",
                              gw::v_array(gw::t_int32, i32_array({16, 8, 4, 4}))),
                 rs::errc::invalid_argument, "llama.rope.dimension_sections");
    gw::file w = minimal();
    w.add(f32_tensor(rs::gguf_rope_freqs, std::vector<float>(31, 1.0f)));
    expect_error(w, rs::errc::inconsistent, "rope_freqs.weight");
    gw::file h16 = minimal();  // f16, not the f32 llama.cpp's converter writes
    h16.add(gw::tensor{rs::gguf_rope_freqs, {32}, 1, std::string(64, '\0'), std::nullopt});
    expect_error(h16, rs::errc::wrong_type, "rope_freqs.weight");
    gw::file y = minimal();
    y.kv("llama.rope.scaling.type", gw::v_str("yarn"));
    y.kv("llama.rope.scaling.factor", gw::v_f32(4));
    y.add(f32_tensor(rs::gguf_rope_freqs, std::vector<float>(32, 1.0f)));
    expect_error(y, rs::errc::inconsistent, "llama.rope.scaling.factor");
    // A value the method refuses: named in the HF key vocabulary by validate().
    expect_error(minimal()
                     .kv("llama.rope.scaling.type", gw::v_str("yarn"))
                     .kv("llama.rope.scaling.factor", gw::v_f32(4))
                     .kv("llama.rope.scaling.yarn_beta_fast", gw::v_f32(0.5f)),
                 rs::errc::inconsistent, "beta_fast");
}

// Keys that llama.cpp reads and transformers has no place for give a warning, not silence.
TEST(gguf_rope, unrepresentable_keys_warn) {
    const rs::model_rope_config g =
        read_gguf(minimal().kv("llama.rope.freq_base_swa", gw::v_f32(1000.0f)).build());
    ASSERT_EQ(g.warnings.size(), 1u);
    EXPECT_EQ(g.warnings[0].field, "llama.rope.freq_base_swa");
    const rs::model_rope_config n = read_gguf(minimal()
                                                  .kv("llama.rope.scaling.type", gw::v_str("none"))
                                                  .kv("llama.rope.scaling.factor", gw::v_f32(4))
                                                  .build());
    ASSERT_EQ(n.warnings.size(), 1u);
    EXPECT_EQ(n.warnings[0].field, "llama.rope.scaling.factor");
    EXPECT_EQ(n.rope_type, "default");
    const rs::model_rope_config a =
        read_gguf(minimal().kv("llama.rope.scaling.attn_factor", gw::v_f32(1.25f)).build());
    ASSERT_EQ(a.warnings.size(), 1u);
    EXPECT_EQ(a.warnings[0].field, "llama.rope.scaling.attn_factor");
}

}  // namespace
