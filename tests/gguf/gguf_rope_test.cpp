// GGUF metadata -> rope configuration (ropescale/gguf_rope.hpp). Every bundled config of
// examples/configs/ is written into a GGUF file the way llama.cpp's converter
// (convert_hf_to_gguf.py) writes its RoPE keys and tensors, by a small C++ transcription of the
// converter class that handles the config's architecture (hf_to_gguf.hpp, each rule
// naming the class and method it follows), with the specification-based writer of
// gguf_writer.hpp. The table read from the file must be the table the config.json reader
// (hf_config.hpp, itself checked against an independent mpmath evaluation of transformers in
// tests/hf/) gives for the same config.json, layer by layer, within the methods' precision
// contracts plus the float32 rounding of what the file stores as float32 (stated per config).
// Configs the converter cannot convert are listed, each with the reason, and the list is
// checked against the directory: no bundled config is left out silently. Errors for missing
// and mistyped keys are checked for the key they name.
#include "gguf_writer.hpp"
#include "hf_to_gguf.hpp"
#include "support/ulp.hpp"

#include <ropescale/gguf_rope.hpp>
#include <ropescale/hf_config.hpp>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

namespace {

namespace rs = ropescale;
namespace gw = gguf_test;
using json = nlohmann::json;
using ropescale_test::factor_ulp;
using ropescale_test::inv_freq_ulp;
using ropescale_test::ulp_distance;
using namespace hf_to_gguf;  // the converter: convert_json, converted, storage_bound, ...

std::string config_path(const std::string& name) {
    return std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) + "/" + name;
}

json read_raw(const std::string& name) {
    std::ifstream in(config_path(name));
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << name;
    return j;
}

rs::model_rope_config load_hf(const std::string& name) {
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

std::optional<converted> convert_config(const std::string& name) {
    return convert_json(name, read_raw(name));
}

// ---- the comparison -------------------------------------------------------------------------

// One value against transformers': within both methods' contracts (the GGUF side runs another
// method for some configs: Llama 3 as per-pair factors), or within the storage bound.
bool close(double got, double want, std::uint64_t ulp, double rel) {
    if (ulp_distance(got, want) <= ulp) return true;
    return want != 0.0 && std::fabs(got / want - 1.0) <= rel + static_cast<double>(ulp) * 0x1p-52;
}

void expect_same_table(const rs::frequency_table& got, const rs::frequency_table& want,
                       std::uint64_t ulp, const storage_bound& b, const std::string& what) {
    ASSERT_EQ(got.inv_freq.size(), want.inv_freq.size()) << what;
    for (std::size_t i = 0; i < want.inv_freq.size(); ++i)
        EXPECT_TRUE(close(got.inv_freq[i], want.inv_freq[i], ulp, b.inv_freq))
            << what << " inv_freq[" << i << "] " << got.inv_freq[i] << " vs " << want.inv_freq[i]
            << " (" << b.why << ")";
    EXPECT_TRUE(close(got.attention_factor, want.attention_factor, 2 * factor_ulp, b.factor))
        << what << " attention_factor " << got.attention_factor << " vs " << want.attention_factor;
    EXPECT_TRUE(close(got.logit_scale, want.logit_scale, 2 * factor_ulp, b.factor))
        << what << " logit_scale " << got.logit_scale << " vs " << want.logit_scale;
}

// The table options a comparison runs at: the initial table, and LongRoPE's two lists.
std::vector<std::pair<std::string, rs::table_options>> option_sets() {
    rs::table_options s;
    s.longrope = rs::longrope_factors::short_factors;
    rs::table_options l;
    l.longrope = rs::longrope_factors::long_factors;
    return {{"initial", {}}, {"short list", s}, {"long list", l}};
}

// Every layer of the GGUF reading against the config.json reading: same layer count (when
// config.json gives one), same layers without RoPE, same layer type, same table.
void expect_same_layers(const rs::model_rope_config& g, const rs::model_rope_config& h,
                        const storage_bound& b) {
    ASSERT_FALSE(g.layers.empty());
    if (!h.layers.empty()) {
        ASSERT_EQ(g.layers.size(), h.layers.size());
    }
    for (const auto& [label, opt] : option_sets())
        for (std::size_t i = 0; i < g.layers.size(); ++i) {
            const rs::layer_rope* want = h.layer(i);
            const rs::layer_rope* got = g.layer(i);
            const std::string what = "layer " + std::to_string(i) + " (" + label + ")";
            ASSERT_EQ(got == nullptr, want == nullptr) << what << ": RoPE or none";
            if (want == nullptr) continue;
            // Without a layer count config.json gives one layer type for every layer.
            if (!h.layers.empty()) {
                EXPECT_EQ(got->layer_type, want->layer_type) << what;
            }
            expect_same_table(table(got->config, opt), table(want->config, opt),
                              inv_freq_ulp(want->rope_type) + inv_freq_ulp(got->rope_type), b,
                              what);
            EXPECT_EQ(g.scales_queries(i), h.scales_queries(i)) << what;
        }
}

void expect_same_model(const rs::model_rope_config& g, const rs::model_rope_config& h,
                       const storage_bound& b) {
    expect_same_layers(g, h, b);
    ASSERT_EQ(g.mrope.has_value(), h.mrope.has_value());
    if (h.mrope) {
        EXPECT_EQ(g.mrope->section, h.mrope->section);
        EXPECT_EQ(g.mrope->interleaved, h.mrope->interleaved);
    }
    ASSERT_EQ(g.query_scale.has_value(), h.query_scale.has_value());
    if (h.query_scale) {
        ASSERT_EQ(g.query_scale->index(), h.query_scale->index());
        if (const auto* w = std::get_if<rs::llama_4_scaling>(&*h.query_scale)) {
            const auto& q = std::get<rs::llama_4_scaling>(*g.query_scale);
            EXPECT_TRUE(close(q.beta, w->beta, 0, b.beta)) << q.beta << " vs " << w->beta;
            EXPECT_EQ(q.original_max_position_embeddings, w->original_max_position_embeddings);
        }
        EXPECT_EQ(g.query_scale_layers, h.query_scale_layers);
    }
}

// ---- the bundled configs, converted ---------------------------------------------------------

std::vector<std::string> bundled_configs() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(ROPESCALE_EXAMPLE_CONFIGS_DIR))
        if (e.path().extension() == ".json") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// Every bundled config is converted, or listed with the reason it is not: none left out.
TEST(gguf_rope_bundled, every_config_is_converted_or_listed) {
    const std::vector<std::string> names = bundled_configs();
    EXPECT_EQ(names.size(), 33u);
    std::size_t converted_count = 0;
    for (const std::string& name : names) {
        const bool listed = not_converted().count(name) != 0;
        const auto cv = convert_config(name);
        EXPECT_NE(cv.has_value(), listed)
            << name << (listed ? " is listed as not converted" : " has no converter rule");
        converted_count += cv.has_value() ? 1 : 0;
    }
    for (const auto& [name, why] : not_converted())
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_EQ(converted_count, names.size() - not_converted().size());
}

class gguf_rope_config : public ::testing::TestWithParam<std::string> {};

// The file the converter writes reads to transformers' table: layer by layer, with the
// multimodal sections and the query scale, and without a warning: the files here carry
// nothing transformers has no place for, and llama.cpp computes the same tables from them but
// for gpt-oss (its warnings are checked in gpt_oss_warns_where_llama_cpp_differs).
TEST_P(gguf_rope_config, reads_to_the_config_json_table) {
    const std::string name = GetParam();
    if (not_converted().count(name) != 0) GTEST_SKIP() << not_converted().at(name);
    const auto cv = convert_config(name);
    ASSERT_TRUE(cv) << name;
    SCOPED_TRACE(name + " as " + cv->converter + " (general.architecture \"" + cv->out.arch +
                 "\")");
    const rs::model_rope_config g = read_gguf(cv->out.file.build());
    const rs::model_rope_config h = load_hf(name);
    EXPECT_EQ(g.model_type, cv->out.arch);
    // gpt-oss's warnings (its table differs from llama.cpp's) are checked below.
    if (cv->out.arch != "gpt-oss")
        for (const rs::warning& w : g.warnings) ADD_FAILURE() << "warning: " << w.what();
    expect_same_model(g, h, cv->bound);
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string s = info.param.substr(0, info.param.size() - 5);  // no ".json"
    for (char& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(bundled, gguf_rope_config, ::testing::ValuesIn(bundled_configs()),
                         param_name);

// The same files with llama.cpp's semantics (gguf_read_options), at llama.cpp's default
// context (A.context_length): every layer reads and builds a usable table, with the same layers
// without RoPE and the same layer types as transformers' reading; each layer type's table is
// then measured against transformers' at that context (seq_len = the context length, so
// LongRoPE takes the same list): the largest relative inv_freq difference and the ratios of the
// attention factors and logit scales. One line per model on stdout, "llama.cpp vs
// transformers: ..."; README.md's table of the differences is these lines.
class gguf_llama_cpp_semantics : public ::testing::TestWithParam<std::string> {};

TEST_P(gguf_llama_cpp_semantics, reads_and_differs_as_measured) {
    const std::string name = GetParam();
    if (not_converted().count(name) != 0) GTEST_SKIP() << not_converted().at(name);
    const auto cv = convert_config(name);
    ASSERT_TRUE(cv) << name;
    const std::string bytes = cv->out.file.build();
    auto f = rs::parse_gguf(bytes);
    ASSERT_TRUE(f) << f.err().what();
    rs::gguf_read_options o;
    o.semantics = rs::gguf_semantics::llama_cpp;
    auto l = rs::read_gguf_rope(*f, bytes, o);
    ASSERT_TRUE(l) << l.err().what();
    const rs::model_rope_config t = read_gguf(bytes);
    ASSERT_EQ(l->layers.size(), t.layers.size());
    for (std::size_t i = 0; i < t.layers.size(); ++i) {
        ASSERT_EQ(l->layer(i) == nullptr, t.layer(i) == nullptr) << "layer " << i;
        if (t.layer(i) != nullptr) {
            EXPECT_EQ(l->layer(i)->layer_type, t.layer(i)->layer_type);
        }
    }
    rs::table_options at_context;
    at_context.seq_len = t.max_position_embeddings;
    std::string line = name.substr(0, name.size() - 5) + ": llama.cpp vs transformers:";
    for (const rs::layer_rope& lt : l->layer_types) {
        const rs::layer_rope* tt = t.find_layer_type(lt.layer_type);
        ASSERT_TRUE(tt != nullptr) << lt.layer_type;
        EXPECT_STREQ(rs::method_name(lt.config.scaling), "llama.cpp");
        const rs::frequency_table a = table(lt.config);
        const rs::frequency_table b = table(tt->config, at_context);
        ASSERT_EQ(a.inv_freq.size(), b.inv_freq.size()) << lt.layer_type;
        double worst = 0.0;
        std::size_t at = 0;
        for (std::size_t i = 0; i < a.inv_freq.size(); ++i) {
            ASSERT_TRUE(std::isfinite(a.inv_freq[i])) << lt.layer_type << " pair " << i;
            const double d = b.inv_freq[i] == 0.0 ? std::fabs(a.inv_freq[i])
                                                  : std::fabs(a.inv_freq[i] / b.inv_freq[i] - 1);
            if (d > worst) worst = d, at = i;
        }
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      " %s: inv_freq %.3g (pair %zu), attention factor x %.9g, logit scale "
                      "x %.9g;",
                      lt.layer_type.c_str(), worst, at, a.attention_factor / b.attention_factor,
                      a.logit_scale / b.logit_scale);
        line += buf;
    }
    std::printf("%s\n", line.c_str());
}

INSTANTIATE_TEST_SUITE_P(bundled, gguf_llama_cpp_semantics, ::testing::ValuesIn(bundled_configs()),
                         param_name);

// What the converted files hold, beyond the table comparison.

rs::model_rope_config read_converted(const std::string& name) {
    const auto cv = convert_config(name);
    EXPECT_TRUE(cv) << name;
    return cv ? read_gguf(cv->out.file.build()) : rs::model_rope_config{};
}

// Llama 3.1: rope_freqs.weight holds, per pair, the converter's divisor f_i; the table is
// theta_i / f_i (within longrope's 3 ulp), and transformers' outside the blend band within
// both methods' contracts (1 and the factor are float32), inside it within 2^-20.
TEST(gguf_rope_bundled, llama_3_1_rope_freqs) {
    const auto cv = convert_config("Llama-3.1-8B.json");
    ASSERT_TRUE(cv);
    const gw::tensor* t = nullptr;
    for (const gw::tensor& x : cv->out.file.tensors)
        if (x.name == rs::gguf_rope_freqs) t = &x;
    ASSERT_TRUE(t != nullptr);
    std::vector<float> divisors(t->data.size() / 4);
    std::memcpy(divisors.data(), t->data.data(), t->data.size());
    const rs::model_rope_config g = read_gguf(cv->out.file.build());
    const rs::model_rope_config h = load_hf("Llama-3.1-8B.json");
    EXPECT_EQ(g.rope_type, "rope_freqs");
    const rs::frequency_table got = table(g.config);
    const rs::frequency_table want = table(h.config);
    ASSERT_EQ(got.inv_freq.size(), divisors.size());
    EXPECT_EQ(got.attention_factor, 1.0);
    int band = 0;
    for (std::size_t i = 0; i < want.inv_freq.size(); ++i) {
        const double theta = 1.0 / std::pow(500000.0, static_cast<double>(2 * i) / 128);
        EXPECT_LE(ulp_distance(got.inv_freq[i], theta / static_cast<double>(divisors[i])), 3u) << i;
        if (divisors[i] == 1.0f || divisors[i] == 8.0f) {
            EXPECT_LE(ulp_distance(got.inv_freq[i], want.inv_freq[i]), 9u) << i;
        } else {
            ++band;
            EXPECT_LE(std::fabs(got.inv_freq[i] / want.inv_freq[i] - 1), 0x1p-20) << i;
        }
    }
    EXPECT_GT(band, 0);
}

// Phi-3-mini-128k from a file on disk (load_gguf_rope): LongRoPE without a warning.
TEST(gguf_rope_bundled, phi_3_mini_from_disk) {
    const auto cv = convert_config("Phi-3-mini-128k-instruct.json");
    ASSERT_TRUE(cv);
    const std::string bytes = cv->out.file.build();
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / "ropescale_gguf_rope_test_phi3.gguf";
    std::ofstream(path, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    auto loaded = rs::load_gguf_rope(path);
    std::filesystem::remove(path);
    ASSERT_TRUE(loaded) << loaded.err().what();
    EXPECT_EQ(loaded->rope_type, "longrope");
    EXPECT_TRUE(loaded->warnings.empty());
    expect_same_model(*loaded, load_hf("Phi-3-mini-128k-instruct.json"), cv->bound);
}

// The per-architecture rules the bundled files exercise, by what they give.
TEST(gguf_rope_bundled, architecture_rules) {
    // DeepSeek: the rotary slice as head_dim, mscale_all_dim divided back from 0.1 x.
    const rs::model_rope_config ds = read_converted("DeepSeek-V2-Lite.json");
    EXPECT_EQ(ds.config.head_dim, 64);
    bool named = false;
    for (const rs::value_source& src : ds.sources)
        if (src.key == "mscale_all_dim")
            named = src.origin.find("deepseek2.rope.scaling.yarn_log_multiplier / 0.1") == 0;
    EXPECT_TRUE(named);
    EXPECT_NE(table(ds.config).logit_scale, 1.0);
    // gpt-oss: transformers' unfloored YaRN; sliding layers at even indices.
    const rs::model_rope_config oss = read_converted("gpt-oss-120b.json");
    ASSERT_TRUE(std::holds_alternative<rs::yarn>(oss.config.scaling));
    EXPECT_FALSE(std::get<rs::yarn>(oss.config.scaling).truncate);
    EXPECT_EQ(oss.layer(0)->layer_type, "sliding_attention");
    EXPECT_EQ(oss.layer(1)->layer_type, "full_attention");
    // Gemma 3: one full layer in six, the sliding base from freq_base_swa.
    const rs::model_rope_config g3 = read_converted("gemma-3-27b-it.json");
    ASSERT_EQ(g3.layer_types.size(), 2u);
    EXPECT_EQ(g3.layer_types[1].config.rope_theta, 10000.0);
    EXPECT_EQ(g3.layer(5)->layer_type, "full_attention");
    // Gemma 4: proportional full layers from rope_freqs.weight, sliding layers of their own
    // head_dim.
    const rs::model_rope_config g4 = read_converted("gemma-4-31B-it.json");
    const rs::layer_rope* g4full = g4.find_layer_type("full_attention");
    ASSERT_TRUE(g4full != nullptr);
    EXPECT_EQ(g4full->rope_type, "proportional");
    EXPECT_EQ(table(g4full->config).inv_freq.back(), 0.0);
    ASSERT_TRUE(g4.find_layer_type("sliding_attention") != nullptr);
    EXPECT_EQ(g4.find_layer_type("sliding_attention")->config.head_dim, 256);
    // EXAONE 4 and SmolLM3: layers without RoPE.
    const rs::model_rope_config ex = read_converted("EXAONE-4.0-32B.json");
    EXPECT_TRUE(ex.layer(3) == nullptr);
    EXPECT_TRUE(ex.layer(0) != nullptr);
    const rs::model_rope_config smol = read_converted("SmolLM3-3B.json");
    EXPECT_TRUE(smol.layer(3) == nullptr);
    EXPECT_TRUE(smol.layer(4) != nullptr);
    // Olmo 3: plain RoPE on the sliding layers, YaRN on the others.
    const rs::model_rope_config olmo = read_converted("Olmo-3.1-32B-Instruct.json");
    EXPECT_EQ(olmo.layer(0)->rope_type, "default");
    EXPECT_EQ(olmo.layer(3)->rope_type, "yarn");
    // Ministral 3: the query scale on every layer.
    const rs::model_rope_config mi = read_converted("Ministral-3-3B-2512.json");
    ASSERT_TRUE(mi.query_scale.has_value());
    EXPECT_EQ(mi.query_scale_layers, rs::query_scale_scope::all);
    // Qwen3-VL: interleaved sections; Qwen2.5-VL: chunked.
    EXPECT_TRUE(read_converted("Qwen3-VL-8B-Instruct.json").mrope->interleaved);
    EXPECT_FALSE(read_converted("Qwen2.5-VL-7B-Instruct.json").mrope->interleaved);
}

// GLM-4.5 as published has num_nextn_predict_layers 1 (the RoPE-only bundled file leaves it
// out): Glm4MoeModel writes 93 blocks and nextn_predict_layers 1, which read to transformers'
// 92 layers.
TEST(gguf_rope_bundled, glm_4_5_nextn_layers) {
    json raw = read_raw("GLM-4.5-FP8.json");
    raw["num_nextn_predict_layers"] = 1;
    const auto cv = convert_json("GLM-4.5-FP8.json", raw);
    ASSERT_TRUE(cv);
    const rs::model_rope_config g = read_gguf(cv->out.file.build());
    auto h = rs::read_hf_config(raw);
    ASSERT_TRUE(h) << h.err().what();
    EXPECT_EQ(g.layers.size(), 92u);
    expect_same_model(g, *h, cv->bound);
}

// Cohere 2 (no bundled config; Cohere2Model's keys: sliding_window, the rotary dimension,
// scaling "none"): RoPE on the sliding-window layers only, one layer in four global.
TEST(gguf_rope_bundled, cohere2_rope_on_sliding_layers) {
    auto h = rs::parse_hf_config(R"({"model_type": "cohere2", "hidden_size": 1024,
        "num_attention_heads": 8, "num_hidden_layers": 8, "max_position_embeddings": 8192,
        "rope_theta": 50000.0, "sliding_window": 4096})");
    ASSERT_TRUE(h) << h.err().what();
    gw::file f;
    f.kv("general.architecture", gw::v_str("cohere2"));
    f.kv("cohere2.block_count", gw::v_u32(8));
    f.kv("cohere2.context_length", gw::v_u32(8192));
    f.kv("cohere2.embedding_length", gw::v_u32(1024));
    f.kv("cohere2.attention.head_count", gw::v_u32(8));
    f.kv("cohere2.rope.freq_base", gw::v_f32(50000.0f));
    f.kv("cohere2.attention.sliding_window", gw::v_u32(4096));
    f.kv("cohere2.rope.dimension_count", gw::v_u32(128));
    f.kv("cohere2.rope.scaling.type", gw::v_str("none"));
    const rs::model_rope_config g = read_gguf(f.build());
    EXPECT_TRUE(g.warnings.empty());
    EXPECT_TRUE(g.layer(3) == nullptr);
    EXPECT_TRUE(g.layer(2) != nullptr);
    expect_same_model(g, *h, storage_bound{});
}

// EXAONE 4 with a sliding window but no pattern and another layer count than 64: llama.cpp
// rotates every layer, transformers keeps its default pattern (every 4th layer global, no
// RoPE): read as transformers, with a warning at the key.
TEST(gguf_rope_bundled, exaone4_window_without_pattern_warns) {
    auto h = rs::parse_hf_config(R"({"model_type": "exaone4", "hidden_size": 2048,
        "num_attention_heads": 32, "head_dim": 64, "num_hidden_layers": 8,
        "max_position_embeddings": 65536, "rope_theta": 1000000.0, "sliding_window": 4096})");
    ASSERT_TRUE(h) << h.err().what();
    gw::file f;
    f.kv("general.architecture", gw::v_str("exaone4"));
    f.kv("exaone4.block_count", gw::v_u32(8));
    f.kv("exaone4.context_length", gw::v_u32(65536));
    f.kv("exaone4.attention.key_length", gw::v_u32(64));
    f.kv("exaone4.rope.freq_base", gw::v_f32(1000000.0f));
    f.kv("exaone4.attention.sliding_window", gw::v_u32(4096));
    const rs::model_rope_config g = read_gguf(f.build());
    ASSERT_EQ(g.warnings.size(), 1u);
    EXPECT_EQ(g.warnings[0].field, "exaone4.attention.sliding_window");
    expect_same_model(g, *h, storage_bound{});
}

// InternLM 2.5's dynamic NTK section: the converter writes nothing for "dynamic"
// (TextModel.set_gguf_parameters), so the file holds plain RoPE; transformers' table agrees up
// to max_position_embeddings (compared above) and not beyond, which the file cannot say.
TEST(gguf_rope_bundled, internlm2_dynamic_is_not_in_the_file) {
    const rs::model_rope_config g = read_converted("internlm2_5-7b.json");
    const rs::model_rope_config h = load_hf("internlm2_5-7b.json");
    EXPECT_EQ(g.rope_type, "default");
    rs::table_options beyond;
    beyond.seq_len = 2 * *h.max_position_embeddings;
    EXPECT_NE(table(g.config, beyond).inv_freq.back(), table(h.config, beyond).inv_freq.back());
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
    expect_same_layers(g, *h, storage_bound{});
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
    big.kvs[1].second = gw::v_u32(static_cast<std::uint32_t>(rs::max_layer_count) + 1);
    expect_error(big, rs::errc::out_of_range, "llama.block_count");
    big.kvs[1].second = gw::v_u32(static_cast<std::uint32_t>(rs::max_layer_count));
    EXPECT_EQ(read_gguf(big.build()).layers.size(), rs::max_layer_count);
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
    // The sliding-window pattern: one bool per layer.
    gw::file g4;
    g4.kv("general.architecture", gw::v_str("gemma4"));
    g4.kv("gemma4.block_count", gw::v_u32(2));
    g4.kv("gemma4.context_length", gw::v_u32(4096));
    g4.kv("gemma4.attention.key_length", gw::v_u32(64));
    expect_error(g4, rs::errc::missing_field, "gemma4.attention.sliding_window_pattern");
    expect_error(gw::file(g4).kv("gemma4.attention.sliding_window_pattern",
                                 gw::v_array(gw::t_bool, {gw::v_bool(true)})),
                 rs::errc::inconsistent, "gemma4.attention.sliding_window_pattern");
    expect_error(gw::file(g4).kv("gemma4.attention.sliding_window_pattern",
                                 gw::v_array(gw::t_float32, {gw::v_f32(1), gw::v_f32(0)})),
                 rs::errc::wrong_type, "gemma4.attention.sliding_window_pattern");
    expect_error(minimal().kv("llama.nextn_predict_layers", gw::v_u32(3)), rs::errc::out_of_range,
                 "llama.nextn_predict_layers");
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

// An architecture without a pattern key reads none, even where the file holds a key "" (a
// fuzzer's input: the empty key was taken for the pattern key and its uint8 refused).
TEST(gguf_rope, an_empty_key_is_not_the_pattern_key) {
    gw::file f;
    f.kv("general.architecture", gw::v_str("gemma3"))
        .kv("gemma3.block_count", gw::v_u32(12))
        .kv("gemma3.context_length", gw::v_u32(8192))
        .kv("gemma3.attention.key_length", gw::v_u32(128))
        .kv("", gw::v_u8(1));
    const rs::model_rope_config g = read_gguf(f.build());
    ASSERT_EQ(g.layers.size(), 12u);
    EXPECT_EQ(g.layer(0)->layer_type, "sliding_attention");
    EXPECT_EQ(g.layer(5)->layer_type, "full_attention");
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
    // ... and, as llama.cpp multiplies cos and sin by it, the comparison with llama.cpp's
    // table says by how much.
    ASSERT_EQ(a.warnings.size(), 2u);
    EXPECT_EQ(a.warnings[0].field, "llama.rope.scaling.attn_factor");
    EXPECT_EQ(a.warnings[1].field, "general.architecture");
    EXPECT_NE(a.warnings[1].message.find("the attention factor by 0.2 relative"), std::string::npos)
        << a.warnings[1].message;
}

// Where transformers' table of a file differs from llama.cpp's (gpt-oss: transformers does
// not floor YaRN's correction range, llama.cpp does), each layer type warns, naming the value
// and the size; the table stays transformers'.
TEST(gguf_rope_bundled, gpt_oss_warns_where_llama_cpp_differs) {
    const rs::model_rope_config g = read_converted("gpt-oss-20b.json");
    ASSERT_EQ(g.warnings.size(), 2u);
    for (const rs::warning& w : g.warnings) {
        EXPECT_EQ(w.field, "gpt-oss.rope.scaling.type");
        EXPECT_NE(w.message.find("differs from llama.cpp's for this file in inv_freq["),
                  std::string::npos)
            << w.message;
    }
    EXPECT_NE(g.warnings[0].message.find("full_attention"), std::string::npos);
    EXPECT_NE(g.warnings[1].message.find("sliding_attention"), std::string::npos);
}

}  // namespace
