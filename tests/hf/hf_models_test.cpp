// The config.json reader's model knowledge (hf_models.hpp) and per-layer result: nested
// configs, model-type defaults, per-layer-type tables and layers without RoPE, query scales,
// the logit-scale decision, multimodal sections and the keys that are not read. Expected
// numbers come from tests/hf/reader_reference.py (mpmath, 50 digits, transformers v5 rules
// written out there), never from this code.
#include <gtest/gtest.h>

#include <ropescale/hf_config.hpp>
#include <ropescale/hf_rope.hpp>

#include <cmath>
#include <string>
#include <variant>
#include <vector>

namespace rs = ropescale;
using json = nlohmann::json;

namespace {

// Reference values (tests/hf/reader_reference.py).
constexpr double gemma3_sliding_inv_freq_1 = 0.8659643233600653;
constexpr double gemma3_full_inv_freq_1 = 0.10073027347018523;
constexpr double gemma3_sliding_inv_freq_63 = 0.00011547819846894582;
constexpr double gemma3_full_inv_freq_63 = 1.5511722009396494e-07;
constexpr double gemma3_default_full_inv_freq_1 = 0.8976871324473142;
constexpr double gpt_oss_low = 8.092779115512402;
constexpr double gpt_oss_high = 17.398024501588555;
constexpr double deepseek_logit_scale = 1.5896261651208734;
constexpr double llama4_t_8191 = 1.0693147180559945;
constexpr double llama4_t_16383 = 1.109861228866811;
constexpr double l4s_16384 = 1.0693147180559945;
constexpr double l4s_32768 = 1.109861228866811;

// Relative tolerance: the methods' precision contracts are a few ulp per entry (plain 2,
// linear 3, yarn 8); 16 ulp covers them and the reference's rounding to double.
constexpr double rel_tol = 16 * 0x1p-52;

::testing::AssertionResult near_rel(double got, double want) {
    if (std::fabs(got - want) <= rel_tol * std::fabs(want)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << got << " vs " << want;
}

rs::model_rope_config read_ok(const json& config) {
    auto r = rs::read_hf_config(config);
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::model_rope_config{};
}

::testing::AssertionResult fails_with(const json& config, rs::errc code, const std::string& field) {
    const auto r = rs::read_hf_config(config);
    if (r) return ::testing::AssertionFailure() << "accepted, expected " << rs::to_string(code);
    if (r.err().code != code || r.err().field != field)
        return ::testing::AssertionFailure()
               << "got " << rs::to_string(r.err().code) << " \"" << r.err().what() << "\"";
    return ::testing::AssertionSuccess();
}

bool has_warning(const rs::model_rope_config& c, const std::string& field,
                 const std::string& text = "") {
    for (const auto& w : c.warnings)
        if (w.field == field && w.message.find(text) != std::string::npos) return true;
    return false;
}

std::string source_of(const rs::model_rope_config& c, const std::string& key) {
    for (const auto& s : c.sources)
        if (s.key == key) return s.origin;
    return "<none>";
}

rs::frequency_table table(const rs::rope_config& c) {
    auto t = rs::compute_frequencies(c);
    EXPECT_TRUE(t) << t.err().what();
    return t ? *t : rs::frequency_table{};
}

// A Gemma 3 27B-like text config (no rope_theta, as the file ships), 12 layers.
json gemma3_text() {
    return json{{"model_type", "gemma3_text"},
                {"head_dim", 128},
                {"hidden_size", 5376},
                {"num_attention_heads", 32},
                {"num_hidden_layers", 12},
                {"max_position_embeddings", 131072},
                {"rope_scaling", {{"factor", 8.0}, {"rope_type", "linear"}}},
                {"sliding_window", 1024}};
}

}  // namespace

// ---- nested configs ------------------------------------------------------------------------

TEST(hf_models, text_config_is_the_language_model) {
    const auto c = read_ok(json{{"model_type", "gemma3"},
                                {"architectures", {"Gemma3ForConditionalGeneration"}},
                                {"text_config", gemma3_text()},
                                {"vision_config", {{"hidden_size", 1152}}}});
    EXPECT_EQ(c.config_path, "text_config");
    EXPECT_EQ(c.model_type, "gemma3_text");
    EXPECT_EQ(c.config.head_dim, 128);
    EXPECT_EQ(source_of(c, "head_dim"), "text_config.head_dim");
    EXPECT_EQ(source_of(c, "model_type"), "text_config.model_type");
}

TEST(hf_models, errors_in_a_nested_config_name_its_path) {
    json c{{"model_type", "llava"},
           {"text_config", {{"model_type", "mistral"}, {"num_attention_heads", 32}}}};
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "text_config.hidden_size"));
    c["text_config"]["hidden_size"] = 4096;
    c["text_config"]["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", "4"}};
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "text_config.factor"));
    c["text_config"] = "mistral";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "text_config"));
}

TEST(hf_models, nested_model_type_defaults_to_the_text_class_of_the_outer_one) {
    json text = gemma3_text();
    text.erase("model_type");
    const auto c = read_ok(json{{"model_type", "gemma3"}, {"text_config", text}});
    EXPECT_EQ(c.model_type, "gemma3_text");
    EXPECT_NE(source_of(c, "model_type").find("Gemma3Config"), std::string::npos);
    // ... so Gemma3TextConfig's defaults apply: full-attention base 1e6.
    EXPECT_EQ(c.config.rope_theta, 1e6);
}

TEST(hf_models, two_nested_text_configs_are_refused_as_transformers_does) {
    json c{{"text_config", {{"head_dim", 64}}}, {"decoder", {{"head_dim", 64}}}};
    EXPECT_TRUE(fails_with(c, rs::errc::inconsistent, "decoder"));
    // A `decoder` that is not an object is some other setting: the top level is read.
    c = json{{"head_dim", 64}, {"decoder", "causal"}};
    EXPECT_EQ(read_ok(c).config_path, "");
    // A null text_config is absent.
    c = json{{"head_dim", 64}, {"text_config", nullptr}};
    EXPECT_EQ(read_ok(c).config.head_dim, 64);
}

TEST(hf_models, omni_models_keep_the_language_model_in_the_thinker) {
    const auto c = read_ok(json{{"model_type", "qwen2_5_omni"},
                                {"thinker_config",
                                 {{"text_config", {{"head_dim", 128}, {"rope_theta", 1e6}}},
                                  {"audio_config", json::object()}}}});
    EXPECT_EQ(c.config_path, "thinker_config.text_config");
    EXPECT_EQ(c.config.rope_theta, 1e6);
    EXPECT_TRUE(
        fails_with(json{{"thinker_config", {{"text_config", {{"num_attention_heads", 8}}}}}},
                   rs::errc::missing_field, "thinker_config.text_config.hidden_size"));
}

// ---- model-type defaults ---------------------------------------------------------------------

TEST(hf_models, gemma3_text_defaults_and_where_they_came_from) {
    json text = gemma3_text();
    text.erase("head_dim");
    text.erase("rope_scaling");
    const auto c = read_ok(text);
    EXPECT_EQ(c.config.head_dim, 256);  // Gemma3TextConfig.head_dim, not 5376 / 32
    EXPECT_EQ(c.config.rope_theta, 1e6);
    EXPECT_EQ(source_of(c, "full_attention.rope_theta"),
              "default 1000000.0 (transformers Gemma3TextConfig)");
    EXPECT_EQ(source_of(c, "sliding_attention.rope_theta"),
              "default 10000.0 (transformers Gemma3TextConfig)");
    EXPECT_TRUE(near_rel(table(c.config).inv_freq[1], gemma3_default_full_inv_freq_1));
    // The generic default elsewhere, said so.
    const auto llama = read_ok(json{{"model_type", "llama"}, {"head_dim", 128}});
    EXPECT_EQ(llama.config.rope_theta, 10000.0);
    EXPECT_NE(source_of(llama, "rope_theta").find("PreTrainedConfig"), std::string::npos);
}

TEST(hf_models, gpt_oss_without_rope_scaling_gets_the_class_default_yarn) {
    // OpenAI's own schema beside the transformers keys, no rope_scaling.
    const json c{{"model_type", "gpt_oss"},     {"hidden_size", 2880},
                 {"num_attention_heads", 64},   {"max_position_embeddings", 131072},
                 {"rope_scaling_factor", 32.0}, {"initial_context_length", 4096},
                 {"rope_ntk_alpha", 1.0},       {"rope_ntk_beta", 32.0}};
    const auto r = read_ok(c);
    EXPECT_EQ(r.config.head_dim, 64);  // GptOssConfig.head_dim (2880 / 64 = 45)
    EXPECT_EQ(r.config.rope_theta, 150000.0);
    const auto* y = std::get_if<rs::yarn>(&r.config.scaling);
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(y->factor, 32.0);
    EXPECT_FALSE(y->truncate);
    EXPECT_EQ(y->original_max_position_embeddings, 4096);
    EXPECT_NE(source_of(r, "rope section").find("GptOssConfig"), std::string::npos);
    // The OpenAI keys agree with what was read: nothing to say.
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front().what();
    const auto t = table(r.config);
    ASSERT_TRUE(t.correction);
    EXPECT_TRUE(near_rel(t.correction->low, gpt_oss_low));
    EXPECT_TRUE(near_rel(t.correction->high, gpt_oss_high));

    // A disagreeing OpenAI key is news.
    json d = c;
    d["rope_scaling_factor"] = 16.0;
    EXPECT_TRUE(has_warning(read_ok(d), "rope_scaling_factor", "not read"));
}

TEST(hf_models, openai_gpt_oss_schema_alone_is_read_as_gpt_oss) {
    // A checkpoint's original/config.json: OpenAI's keys only, no model_type. transformers'
    // GptOssConfig (and OpenAI's RotaryEmbedding) give the YaRN those keys describe.
    const json c{{"num_hidden_layers", 24},
                 {"hidden_size", 2880},
                 {"head_dim", 64},
                 {"num_attention_heads", 64},
                 {"initial_context_length", 4096},
                 {"rope_theta", 150000},
                 {"rope_scaling_factor", 32.0},
                 {"rope_ntk_alpha", 1},
                 {"rope_ntk_beta", 32}};
    const auto r = read_ok(c);
    EXPECT_EQ(r.model_type, "gpt_oss");
    EXPECT_EQ(r.config.rope_theta, 150000.0);
    const auto* y = std::get_if<rs::yarn>(&r.config.scaling);
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(y->factor, 32.0);
    EXPECT_EQ(y->beta_fast, 32.0);
    EXPECT_EQ(y->beta_slow, 1.0);
    EXPECT_FALSE(y->truncate);
    EXPECT_EQ(y->original_max_position_embeddings, 4096);
    // Reading a file transformers does not load by itself is said; the OpenAI keys agree.
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_TRUE(has_warning(r, "model_type", "GptOssConfig"));
    const auto t = table(r.config);
    ASSERT_TRUE(t.correction);
    EXPECT_TRUE(near_rel(t.correction->low, gpt_oss_low));
    EXPECT_TRUE(near_rel(t.correction->high, gpt_oss_high));

    // Keys that disagree with the default YaRN are news.
    json d = c;
    d["initial_context_length"] = 8192;
    EXPECT_TRUE(has_warning(read_ok(d), "initial_context_length", "not read"));
    // Without rope_scaling_factor, or beside a rope section, nothing is guessed.
    json plain = c;
    plain.erase("rope_scaling_factor");
    EXPECT_EQ(read_ok(plain).model_type, "");
    json with_section = c;
    with_section["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 2.0}};
    EXPECT_EQ(read_ok(with_section).model_type, "");
}

// ---- per-layer tables ----------------------------------------------------------------------

TEST(hf_models, gemma3_legacy_and_per_layer_type_forms_read_the_same) {
    const auto legacy = read_ok(gemma3_text());
    json v5 = gemma3_text();
    v5.erase("rope_scaling");
    v5["rope_parameters"] = {
        {"full_attention", {{"rope_type", "linear"}, {"factor", 8.0}, {"rope_theta", 1e6}}},
        {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 10000.0}}}};
    const auto per_type = read_ok(v5);
    for (const auto* c : {&legacy, &per_type}) {
        ASSERT_EQ(c->layer_types.size(), 2u);
        EXPECT_EQ(c->layer_types[0].layer_type, "full_attention");  // primary first
        EXPECT_EQ(c->layer_types[1].layer_type, "sliding_attention");
        ASSERT_EQ(c->layers.size(), 12u);
        for (std::size_t i = 0; i < 12; ++i) {
            ASSERT_NE(c->layer(i), nullptr);
            // Gemma3TextConfig: full attention every 6th layer (i + 1) % 6 == 0.
            EXPECT_EQ(c->layer(i)->layer_type,
                      (i + 1) % 6 == 0 ? "full_attention" : "sliding_attention")
                << i;
        }
        const auto full = table(c->find_layer_type("full_attention")->config);
        const auto sliding = table(c->find_layer_type("sliding_attention")->config);
        EXPECT_TRUE(near_rel(full.inv_freq[1], gemma3_full_inv_freq_1));
        EXPECT_TRUE(near_rel(full.inv_freq[63], gemma3_full_inv_freq_63));
        EXPECT_TRUE(near_rel(sliding.inv_freq[1], gemma3_sliding_inv_freq_1));
        EXPECT_TRUE(near_rel(sliding.inv_freq[63], gemma3_sliding_inv_freq_63));
        EXPECT_EQ(c->rope_type, "linear");
    }
    // Both forms: the same tables to the bit.
    for (std::size_t k = 0; k < 2; ++k)
        EXPECT_EQ(table(legacy.layer_types[k].config).inv_freq,
                  table(per_type.layer_types[k].config).inv_freq);
}

TEST(hf_models, gemma3_rope_local_base_freq_and_explicit_layer_types) {
    json c = gemma3_text();
    c["rope_local_base_freq"] = 20000.0;
    c["num_hidden_layers"] = 4;
    c["layer_types"] = {"sliding_attention", "full_attention", "sliding_attention",
                        "full_attention"};
    const auto r = read_ok(c);
    EXPECT_EQ(r.find_layer_type("sliding_attention")->config.rope_theta, 20000.0);
    EXPECT_EQ(source_of(r, "sliding_attention.rope_theta"), "rope_local_base_freq");
    EXPECT_EQ(r.layer(1)->layer_type, "full_attention");
    EXPECT_EQ(r.layer(2)->layer_type, "sliding_attention");
    // A sliding_window_pattern that says otherwise: layer_types wins, with a warning.
    c["sliding_window_pattern"] = 6;
    EXPECT_TRUE(has_warning(read_ok(c), "sliding_window_pattern", "layer_types is used"));
    c["sliding_window_pattern"] = 2;
    EXPECT_FALSE(has_warning(read_ok(c), "sliding_window_pattern"));
    // More names than layers.
    c["num_hidden_layers"] = 5;
    EXPECT_TRUE(fails_with(c, rs::errc::inconsistent, "layer_types"));
}

TEST(hf_models, layer_lookup_at_the_edges) {
    const auto g = read_ok(gemma3_text());
    EXPECT_EQ(g.layer(12), nullptr);  // beyond the 12 layers
    // Layer count unknown: every layer is the primary table.
    const auto llama = read_ok(json{{"head_dim", 128}});
    EXPECT_TRUE(llama.layers.empty());
    ASSERT_NE(llama.layer(1000), nullptr);
    EXPECT_EQ(llama.layer(1000), &llama.layer_types.front());
    // A uniform model with a layer count: one table, every layer on it.
    const auto n = read_ok(json{{"head_dim", 128}, {"num_hidden_layers", 3}});
    ASSERT_EQ(n.layers.size(), 3u);
    EXPECT_EQ(n.layer_types.size(), 1u);
    EXPECT_EQ(n.layer(2), &n.layer_types.front());
}

TEST(hf_models, per_layer_type_rope_parameters_of_any_model) {
    json c{{"model_type", "some_hybrid"},
           {"head_dim", 64},
           {"layer_types", {"sliding_attention", "full_attention"}},
           {"max_position_embeddings", 32768},
           {"rope_parameters",
            {{"full_attention",
              {{"rope_type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 8192}}},
             {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 10000.0}}}}},
           {"rope_theta", 1e6}};
    const auto r = read_ok(c);
    ASSERT_EQ(r.layer_types.size(), 2u);
    EXPECT_EQ(r.rope_type, "yarn");
    EXPECT_EQ(r.config.rope_theta, 1e6);  // the top-level base fills the section's
    EXPECT_EQ(r.find_layer_type("sliding_attention")->config.rope_theta, 10000.0);
    EXPECT_EQ(r.layer(0)->layer_type, "sliding_attention");
    // Errors in a layer type's section say which one.
    c["rope_parameters"]["sliding_attention"]["rope_type"] = "linear";
    const auto e = rs::read_hf_config(c);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.err().field, "factor");
    EXPECT_NE(e.err().message.find("sliding_attention"), std::string::npos) << e.err().message;
    // A rotating layer type without a section.
    c["layer_types"] = {"sliding_attention", "chunked_attention"};
    c["rope_parameters"].erase("full_attention");
    c["rope_parameters"]["sliding_attention"]["factor"] = 2.0;
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "rope_parameters.chunked_attention"));
}

TEST(hf_models, llama4_nope_layers_and_attention_temperature) {
    json text{{"model_type", "llama4_text"},
              {"hidden_size", 4096},
              {"num_attention_heads", 40},
              {"num_hidden_layers", 8},
              {"rope_scaling",
               {{"factor", 16.0},
                {"high_freq_factor", 1.0},
                {"low_freq_factor", 1.0},
                {"original_max_position_embeddings", 8192},
                {"rope_type", "llama3"}}},
              {"attn_temperature_tuning", 4},  // as the Llama 4 files write it
              {"floor_scale", 8192},
              {"attn_scale", 0.1}};
    // low_freq_factor == high_freq_factor: llama3 with the method's own handling; read
    // with a linear section here to keep this test about the layers.
    text["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 16.0}};
    const auto r = read_ok(json{{"model_type", "llama4"}, {"text_config", text}});
    EXPECT_EQ(r.config.head_dim, 128);  // Llama4TextConfig.head_dim, not 4096 / 40
    EXPECT_EQ(r.config.rope_theta, 500000.0);
    ASSERT_EQ(r.layer_types.size(), 1u);
    EXPECT_EQ(r.layer_types[0].layer_type, "chunked_attention");
    ASSERT_EQ(r.layers.size(), 8u);
    for (std::size_t i = 0; i < 8; ++i) {
        const bool nope = (i + 1) % 4 == 0;  // no_rope_layer_interval 4
        EXPECT_EQ(r.layer(i) == nullptr, nope) << i;
        EXPECT_EQ(r.scales_queries(i), nope) << i;  // temperature on the NoPE layers only
    }
    ASSERT_TRUE(r.query_scale);
    EXPECT_EQ(r.query_scale_layers, rs::query_scale_scope::nope);
    const auto* t = std::get_if<rs::llama4_attn_temperature>(&*r.query_scale);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->floor_scale, 8192.0);
    EXPECT_EQ(t->attn_scale, 0.1);
    // Both sides of each floor boundary, against the reference.
    EXPECT_EQ(rs::query_scale(*r.query_scale, 8190), 1.0);
    EXPECT_TRUE(near_rel(rs::query_scale(*r.query_scale, 8191), llama4_t_8191));
    EXPECT_TRUE(near_rel(rs::query_scale(*r.query_scale, 16382), llama4_t_8191));
    EXPECT_TRUE(near_rel(rs::query_scale(*r.query_scale, 16383), llama4_t_16383));

    // An explicit list (1 = RoPE), and tuning off.
    text["no_rope_layers"] = {1, 0, 1, 1, 1, 1, 1, 0};
    text["attn_temperature_tuning"] = false;
    const auto l = read_ok(text);
    EXPECT_EQ(l.layer(1), nullptr);
    EXPECT_NE(l.layer(3), nullptr);
    EXPECT_EQ(l.layer(7), nullptr);
    EXPECT_FALSE(l.query_scale);
    // An empty list is replaced by the interval rule, as Llama4TextConfig does.
    text["no_rope_layers"] = json::array();
    EXPECT_EQ(read_ok(text).layer(3), nullptr);
    text["no_rope_layers"] = {1, 1};
    EXPECT_TRUE(fails_with(text, rs::errc::inconsistent, "no_rope_layers"));
}

TEST(hf_models, smollm3_no_rope_layers) {
    json c{{"model_type", "smollm3"},
           {"hidden_size", 2048},
           {"num_attention_heads", 16},
           {"num_hidden_layers", 4},
           {"no_rope_layers", {1, 1, 1, 0}}};
    const auto r = read_ok(c);
    EXPECT_EQ(r.config.rope_theta, 2e6);  // SmolLM3Config.default_theta
    EXPECT_NE(r.layer(2), nullptr);
    EXPECT_EQ(r.layer(3), nullptr);
    EXPECT_FALSE(r.query_scale);
    c["no_rope_layers"] = nullptr;  // the interval rule (4)
    EXPECT_EQ(read_ok(c).layer(3), nullptr);
    c["no_rope_layer_interval"] = 2;
    EXPECT_EQ(read_ok(c).layer(1), nullptr);
}

TEST(hf_models, mllama_cross_attention_layers_have_no_rope) {
    // Llama 3.2 Vision: MllamaTextCrossAttention (the cross_attention_layers) applies no
    // rotary embedding; the self-attention layers rotate.
    json text{{"model_type", "mllama_text_model"},
              {"hidden_size", 4096},
              {"num_attention_heads", 32},
              {"num_hidden_layers", 6},
              {"rope_theta", 500000.0},
              {"cross_attention_layers", {1, 4}}};
    const auto r = read_ok(json{{"model_type", "mllama"}, {"text_config", text}});
    ASSERT_EQ(r.layers.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i)
        EXPECT_EQ(r.layer(i) == nullptr, i == 1 || i == 4) << "layer " << i;
    EXPECT_NE(source_of(r, "layers without RoPE").find("MllamaTextCrossAttention"),
              std::string::npos);
    EXPECT_TRUE(r.warnings.empty());
    // Without the list every layer rotates; an index past the last layer is refused.
    json no_list = text;
    no_list.erase("cross_attention_layers");
    const auto all = read_ok(no_list);
    for (std::size_t i = 0; i < 6; ++i) EXPECT_NE(all.layer(i), nullptr) << "layer " << i;
    text["cross_attention_layers"] = {6};
    EXPECT_TRUE(fails_with(text, rs::errc::out_of_range, "cross_attention_layers[0]"));
    text["cross_attention_layers"] = {"1"};
    EXPECT_TRUE(fails_with(text, rs::errc::wrong_type, "cross_attention_layers[0]"));
}

// The layer count is bounded (max_layer_count), whether num_hidden_layers or layer_types gives
// it; the bound itself is accepted.
TEST(hf_models, layer_count_is_bounded) {
    const auto max = static_cast<std::int64_t>(rs::max_layer_count);
    json c{{"rope_theta", 10000.0}, {"head_dim", 64}, {"num_hidden_layers", max}};
    EXPECT_EQ(read_ok(c).layers.size(), rs::max_layer_count);
    c["num_hidden_layers"] = max + 1;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "num_hidden_layers"));
    c.erase("num_hidden_layers");
    c["layer_types"] = json(std::vector<std::string>(rs::max_layer_count + 1, "full_attention"));
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "layer_types"));
}

TEST(hf_models, exaone4_global_layers_have_no_rope_when_there_is_a_window) {
    json c{{"model_type", "exaone4"},
           {"head_dim", 128},
           {"num_hidden_layers", 8},
           {"sliding_window", 4096},
           {"sliding_window_pattern", 4}};
    auto r = read_ok(c);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(r.layer(i) == nullptr, (i + 1) % 4 == 0) << i;
    EXPECT_EQ(r.layer_types[0].layer_type, "sliding_attention");
    c["sliding_window"] = nullptr;  // no window: every layer rotates
    r = read_ok(c);
    for (std::size_t i = 0; i < 8; ++i) EXPECT_NE(r.layer(i), nullptr) << i;
}

TEST(hf_models, cohere2_rotates_the_sliding_layers_only) {
    const auto r = read_ok(json{{"model_type", "cohere2"},
                                {"hidden_size", 8192},
                                {"num_attention_heads", 64},
                                {"num_hidden_layers", 8},
                                {"rope_theta", 50000.0},
                                {"sliding_window_pattern", 4}});
    for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(r.layer(i) == nullptr, (i + 1) % 4 == 0) << i;
    EXPECT_EQ(r.config.rope_theta, 50000.0);
}

TEST(hf_models, olmo3_scales_full_attention_and_keeps_the_class_base_on_sliding_layers) {
    const json c{{"model_type", "olmo3"},
                 {"hidden_size", 4096},
                 {"num_attention_heads", 32},
                 {"num_hidden_layers", 8},
                 {"max_position_embeddings", 65536},
                 {"rope_theta", 500000},
                 {"rope_scaling",
                  {{"rope_type", "yarn"},
                   {"factor", 8.0},
                   {"original_max_position_embeddings", 8192},
                   {"attention_factor", 1.2079441541679836}}}};
    const auto r = read_ok(c);
    ASSERT_EQ(r.layer_types.size(), 2u);
    EXPECT_EQ(r.rope_type, "yarn");
    EXPECT_EQ(r.layer_types[1].rope_type, "default");
    EXPECT_EQ(r.layer_types[1].config.rope_theta, 500000.0);
    EXPECT_EQ(r.layer(3)->layer_type, "full_attention");
    EXPECT_EQ(r.layer(0)->layer_type, "sliding_attention");
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front().what();
    // A different top-level base reaches full attention only (Olmo3Config), said so.
    json d = c;
    d["rope_theta"] = 1e6;
    const auto w = read_ok(d);
    EXPECT_EQ(w.config.rope_theta, 1e6);
    EXPECT_EQ(w.layer_types[1].config.rope_theta, 500000.0);
    EXPECT_TRUE(has_warning(w, "sliding_attention.rope_theta", "class default"));
}

TEST(hf_models, make_rope_per_layer_type) {
    const auto hf = read_ok(gemma3_text());
    auto full = rs::make_rope(hf, rs::rope_options::cached(64));
    auto sliding = rs::make_rope(hf, "sliding_attention", rs::rope_options::cached(64));
    ASSERT_TRUE(full) << full.err().what();
    ASSERT_TRUE(sliding) << sliding.err().what();
    EXPECT_TRUE(near_rel(full->table().inv_freq[1], gemma3_full_inv_freq_1));
    EXPECT_TRUE(near_rel(sliding->table().inv_freq[1], gemma3_sliding_inv_freq_1));
    const auto missing = rs::make_rope(hf, "chunked_attention");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.err().code, rs::errc::invalid_argument);
    EXPECT_EQ(missing.err().field, "layer_type");
}

// ---- logit scale -----------------------------------------------------------------------------

namespace {
json yarn_mla(const char* model_type, double mscale) {
    return json{{"model_type", model_type},
                {"hidden_size", 2048},
                {"num_attention_heads", 16},
                {"qk_rope_head_dim", 64},
                {"max_position_embeddings", 163840},
                {"rope_scaling",
                 {{"type", "yarn"},
                  {"factor", 40},
                  {"mscale", mscale},
                  {"mscale_all_dim", mscale},
                  {"original_max_position_embeddings", 4096}}}};
}
}  // namespace

TEST(hf_models, logit_scale_only_where_the_attention_applies_it) {
    for (const char* type : {"deepseek_v2", "deepseek_v3", "kimi_k2"}) {
        const auto r = read_ok(yarn_mla(type, 0.707));
        EXPECT_TRUE(near_rel(table(r.config).logit_scale, deepseek_logit_scale)) << type;
        EXPECT_NE(source_of(r, "logit_scale").find("DeepSeek"), std::string::npos);
    }
    // By architecture, whatever the model type.
    json k = yarn_mla("kimi_custom", 0.707);
    k["architectures"] = {"DeepseekV3ForCausalLM"};
    EXPECT_TRUE(near_rel(table(read_ok(k).config).logit_scale, deepseek_logit_scale));
    // Ministral 3: mscale == mscale_all_dim = 1 gives an attention factor of 1 and, its
    // attention not scaling logits, a logit scale of 1; the sources say why.
    const auto m = read_ok(yarn_mla("ministral3", 1.0));
    const auto t = table(m.config);
    EXPECT_EQ(t.attention_factor, 1.0);
    EXPECT_EQ(t.logit_scale, 1.0);
    EXPECT_NE(source_of(m, "logit_scale").find("does not multiply"), std::string::npos);
    // No model type: read as DeepSeek, with a warning.
    json none = yarn_mla("x", 0.707);
    none.erase("model_type");
    const auto n = read_ok(none);
    EXPECT_TRUE(near_rel(table(n.config).logit_scale, deepseek_logit_scale));
    EXPECT_TRUE(has_warning(n, "logit_scale", "no model_type"));
}

// ---- query scale: Ministral 3 ------------------------------------------------------------------

TEST(hf_models, ministral3_llama_4_scaling_beta_scales_every_layer) {
    json text{{"model_type", "ministral3"},
              {"head_dim", 128},
              {"num_hidden_layers", 2},
              {"max_position_embeddings", 262144},
              {"rope_parameters",
               {{"type", "yarn"},
                {"rope_theta", 1e6},
                {"factor", 16.0},
                {"original_max_position_embeddings", 16384},
                {"beta_fast", 32.0},
                {"beta_slow", 1.0},
                {"mscale", 1.0},
                {"mscale_all_dim", 1.0},
                {"llama_4_scaling_beta", 0.1}}}};
    const auto r = read_ok(json{{"model_type", "mistral3"}, {"text_config", text}});
    EXPECT_FALSE(has_warning(r, "llama_4_scaling_beta"));
    ASSERT_TRUE(r.query_scale);
    EXPECT_EQ(r.query_scale_layers, rs::query_scale_scope::all);
    EXPECT_TRUE(r.scales_queries(0));
    EXPECT_TRUE(r.scales_queries(1));
    const auto* q = std::get_if<rs::llama_4_scaling>(&*r.query_scale);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->beta, 0.1);
    EXPECT_EQ(q->original_max_position_embeddings, 16384);
    EXPECT_EQ(rs::query_scale(*r.query_scale, 16383), 1.0);
    EXPECT_TRUE(near_rel(rs::query_scale(*r.query_scale, 16384), l4s_16384));
    EXPECT_TRUE(near_rel(rs::query_scale(*r.query_scale, 32767), l4s_16384));
    EXPECT_TRUE(near_rel(rs::query_scale(*r.query_scale, 32768), l4s_32768));
    EXPECT_EQ(table(r.config).logit_scale, 1.0);
    // Another model type: transformers does not apply it; neither is it returned, with a warning.
    text["model_type"] = "mistral";
    const auto o = read_ok(text);
    EXPECT_FALSE(o.query_scale);
    EXPECT_TRUE(has_warning(o, "llama_4_scaling_beta", "not applied"));
}

// ---- multimodal sections -----------------------------------------------------------------------

TEST(hf_models, qwen2_vl_mrope_is_plain_rope_with_sections) {
    const auto r =
        read_ok(json{{"model_type", "qwen2_vl"},
                     {"hidden_size", 3584},
                     {"num_attention_heads", 28},
                     {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {16, 24, 24}}}}});
    EXPECT_EQ(r.model_type, "qwen2_vl_text");  // the flat layout of Qwen2VLConfig
    EXPECT_EQ(r.rope_type, "mrope");
    EXPECT_TRUE(std::holds_alternative<rs::plain>(r.config.scaling));
    EXPECT_EQ(r.config.rope_theta, 1e6);  // Qwen2VLTextConfig's default
    ASSERT_TRUE(r.mrope);
    EXPECT_EQ(r.mrope->section, (std::vector<int>{16, 24, 24}));
    EXPECT_FALSE(r.mrope->interleaved);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front().what();

    const auto q3 = read_ok(json{{"model_type", "qwen3_vl"},
                                 {"text_config",
                                  {{"model_type", "qwen3_vl_text"},
                                   {"head_dim", 128},
                                   {"rope_theta", 5e6},
                                   {"rope_scaling",
                                    {{"rope_type", "default"},
                                     {"mrope_section", {24, 20, 20}},
                                     {"mrope_interleaved", true}}}}}});
    ASSERT_TRUE(q3.mrope);
    EXPECT_TRUE(q3.mrope->interleaved);
    EXPECT_TRUE(q3.warnings.empty()) << q3.warnings.front().what();
}

// The position-id rules (mrope_positions.hpp) come with the sections: the layout of the model
// class (transformers' get_rope_index of Qwen2-VL, Qwen2.5-VL, Qwen3-VL), vision_config's
// spatial_merge_size and, for Qwen2.5-VL, tokens_per_second; absent keys take the vision
// configuration class's defaults (2; Qwen2_5_VLVisionConfig's tokens_per_second 4).
TEST(hf_models, mrope_position_rules_from_vision_config) {
    const std::string dir = ROPESCALE_EXAMPLE_CONFIGS_DIR;
    auto q25 = rs::load_hf_config(dir + "/Qwen2.5-VL-7B-Instruct.json");
    ASSERT_TRUE(q25) << q25.err().what();
    ASSERT_TRUE(q25->mrope_positions);
    EXPECT_EQ(q25->mrope_positions->model, rs::mrope_model::qwen2_5_vl);
    EXPECT_EQ(q25->mrope_positions->spatial_merge_size, 2);
    EXPECT_EQ(q25->mrope_positions->tokens_per_second, 2.0);  // the file's, not the default 4
    EXPECT_EQ(source_of(*q25, "mrope_positions.tokens_per_second"),
              "vision_config.tokens_per_second");
    auto q3 = rs::load_hf_config(dir + "/Qwen3-VL-8B-Instruct.json");
    ASSERT_TRUE(q3) << q3.err().what();
    ASSERT_TRUE(q3->mrope_positions);
    EXPECT_EQ(q3->mrope_positions->model, rs::mrope_model::qwen3_vl);
    EXPECT_EQ(q3->mrope_positions->spatial_merge_size, 2);
    EXPECT_FALSE(q3->mrope_positions->tokens_per_second);  // its layout does not read it

    json flat{{"model_type", "qwen2_5_vl"},
              {"hidden_size", 3584},
              {"num_attention_heads", 28},
              {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {16, 24, 24}}}}};
    auto r = read_ok(flat);
    ASSERT_TRUE(r.mrope_positions);
    EXPECT_EQ(r.mrope_positions->spatial_merge_size, 2);
    EXPECT_EQ(r.mrope_positions->tokens_per_second, 4.0);
    EXPECT_EQ(source_of(r, "mrope_positions.spatial_merge_size"),
              "default 2 (transformers Qwen2_5_VLVisionConfig)");
    EXPECT_EQ(source_of(r, "mrope_positions.tokens_per_second"),
              "default 4.0 (transformers Qwen2_5_VLVisionConfig)");
    flat["vision_config"] = {{"spatial_merge_size", 4}, {"tokens_per_second", 1}};
    r = read_ok(flat);
    ASSERT_TRUE(r.mrope_positions);
    EXPECT_EQ(r.mrope_positions->spatial_merge_size, 4);
    EXPECT_EQ(r.mrope_positions->tokens_per_second, 1.0);

    const auto refused = [&](json v, rs::errc code, const char* field) {
        json c = flat;
        c["vision_config"] = std::move(v);
        const auto e = rs::read_hf_config(c);
        ASSERT_FALSE(e) << field;
        EXPECT_EQ(e.err().code, code) << e.err().what();
        EXPECT_EQ(e.err().field, field);
    };
    refused({{"spatial_merge_size", 0}}, rs::errc::out_of_range,
            "vision_config.spatial_merge_size");
    refused({{"spatial_merge_size", 1.5}}, rs::errc::wrong_type,
            "vision_config.spatial_merge_size");
    refused({{"tokens_per_second", -2}}, rs::errc::out_of_range, "vision_config.tokens_per_second");
    refused({{"tokens_per_second", "2"}}, rs::errc::wrong_type, "vision_config.tokens_per_second");
    refused(json::array({2}), rs::errc::wrong_type, "vision_config");

    // No rules without a Qwen-VL class, nor without sections.
    json other{{"model_type", "llama"},
               {"hidden_size", 4096},
               {"num_attention_heads", 32},
               {"rope_scaling", {{"rope_type", "default"}, {"mrope_section", {16, 24, 24}}}}};
    EXPECT_FALSE(read_ok(other).mrope_positions);
}

// transformers picks the M-RoPE form by model class (Qwen2-VL / Qwen2.5-VL
// apply_multimodal_rotary_pos_emb: chunked; Qwen3-VL apply_interleaved_mrope: interleaved);
// Qwen3VLTextRotaryEmbedding defaults mrope_section to [24, 20, 20]. Other model types follow
// the keys (vLLM's rule).
TEST(hf_models, the_mrope_form_is_the_model_classes) {
    json q3{{"model_type", "qwen3_vl"},
            {"text_config",
             {{"model_type", "qwen3_vl_text"},
              {"head_dim", 128},
              {"rope_scaling", {{"rope_type", "default"}, {"mrope_section", {24, 20, 20}}}}}}};
    auto r = read_ok(q3);
    ASSERT_TRUE(r.mrope);
    EXPECT_TRUE(r.mrope->interleaved);  // no key: the class interleaves
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front().what();
    q3["text_config"]["rope_scaling"]["mrope_interleaved"] = false;
    r = read_ok(q3);
    ASSERT_TRUE(r.mrope);
    EXPECT_TRUE(r.mrope->interleaved);
    EXPECT_TRUE(has_warning(r, "mrope_interleaved", "ignored"));
    q3["text_config"]["rope_scaling"].erase("mrope_interleaved");
    q3["text_config"]["rope_scaling"].erase("mrope_section");
    r = read_ok(q3);
    ASSERT_TRUE(r.mrope);
    EXPECT_EQ(r.mrope->section, (std::vector<int>{24, 20, 20}));
    EXPECT_EQ(source_of(r, "mrope_section"),
              "default [24, 20, 20] (transformers "
              "Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope)");

    json q2{{"model_type", "qwen2_vl"},
            {"hidden_size", 3584},
            {"num_attention_heads", 28},
            {"rope_scaling",
             {{"type", "mrope"}, {"mrope_section", {16, 24, 24}}, {"mrope_interleaved", true}}}};
    r = read_ok(q2);
    ASSERT_TRUE(r.mrope);
    EXPECT_FALSE(r.mrope->interleaved);
    EXPECT_TRUE(has_warning(r, "mrope_interleaved", "chunked form"));

    json other{
        {"model_type", "some_vl_text"},
        {"head_dim", 128},
        {"rope_scaling",
         {{"rope_type", "default"}, {"mrope_section", {24, 20, 20}}, {"mrope_interleaved", true}}}};
    r = read_ok(other);
    ASSERT_TRUE(r.mrope);
    EXPECT_TRUE(r.mrope->interleaved);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front().what();
    other["rope_scaling"].erase("mrope_interleaved");
    r = read_ok(other);
    ASSERT_TRUE(r.mrope);
    EXPECT_FALSE(r.mrope->interleaved);
}

// ---- divergences and keys not read
// ---------------------------------------------------------------

TEST(hf_models, null_truncate_reads_as_false_as_transformers_does) {
    json c{{"head_dim", 64},
           {"max_position_embeddings", 131072},
           {"rope_theta", 150000.0},
           {"rope_scaling",
            {{"rope_type", "yarn"},
             {"factor", 32.0},
             {"original_max_position_embeddings", 4096},
             {"truncate", nullptr}}}};
    const auto null_truncate = read_ok(c);
    EXPECT_TRUE(has_warning(null_truncate, "truncate", "null read as false"));
    c["rope_scaling"]["truncate"] = false;
    const auto no_truncate = read_ok(c);
    EXPECT_EQ(table(null_truncate.config).inv_freq, table(no_truncate.config).inv_freq);
    c["rope_scaling"].erase("truncate");  // absent: true
    EXPECT_TRUE(std::get<rs::yarn>(read_ok(c).config.scaling).truncate);
}

TEST(hf_models, rope_looking_keys_that_are_not_read_are_warned_about) {
    const auto r = read_ok(json{{"model_type", "llama"},
                                {"head_dim", 128},
                                {"rotary_dim", 64},
                                {"rope_local_base_freq", 10000.0},
                                {"attn_temperature_tuning", true},
                                {"rope_interleave", true}});
    for (const char* k :
         {"rotary_dim", "rope_local_base_freq", "attn_temperature_tuning", "rope_interleave"})
        EXPECT_TRUE(has_warning(r, k, "not read")) << k;
    // A top-level llama_4_scaling_beta is not where transformers reads it.
    EXPECT_TRUE(has_warning(
        read_ok(
            json{{"model_type", "ministral3"}, {"head_dim", 128}, {"llama_4_scaling_beta", 0.1}}),
        "llama_4_scaling_beta", "not read"));
}

// ---- both sides of the section rules
// -------------------------------------------------------------

TEST(hf_models, rope_scaling_beside_per_layer_rope_parameters) {
    // A family that merges rope_scaling into full attention (Gemma3TextConfig).
    json g = gemma3_text();
    g["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}, {"rope_theta", 1e6}}},
                            {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 1e4}}}};
    const auto merged = read_ok(g);
    ASSERT_EQ(merged.layer_types.size(), 2u);
    EXPECT_EQ(merged.rope_type, "linear");  // rope_scaling's method on full attention
    EXPECT_EQ(merged.config.rope_theta, 1e6);
    EXPECT_EQ(merged.layer_types[1].rope_type, "default");
    EXPECT_NE(source_of(merged, "rope section").find("rope_scaling merged"), std::string::npos);

    // Any other model: transformers keeps `rope_scaling or rope_parameters`, one table.
    json o{{"head_dim", 64},
           {"layer_types", {"sliding_attention", "full_attention"}},
           {"rope_scaling", {{"rope_type", "linear"}, {"factor", 2.0}}},
           {"rope_parameters",
            {{"full_attention", {{"rope_type", "default"}}},
             {"sliding_attention", {{"rope_type", "default"}}}}}};
    const auto flat = read_ok(o);
    EXPECT_EQ(flat.rope_type, "linear");
    EXPECT_EQ(flat.layer_types.size(), 2u);  // one name each, the same rope
    EXPECT_EQ(flat.layer_types[1].rope_type, "linear");
    EXPECT_TRUE(has_warning(flat, "rope_parameters", "rope_scaling takes precedence"));
}

TEST(hf_models, olmo3_legacy_and_per_layer_type_forms_read_the_same) {
    const json yarn_section = {{"rope_type", "yarn"},
                               {"factor", 8.0},
                               {"original_max_position_embeddings", 8192},
                               {"rope_theta", 500000.0}};
    json legacy{{"model_type", "olmo3"},
                {"head_dim", 128},
                {"num_hidden_layers", 8},
                {"max_position_embeddings", 65536},
                {"rope_scaling", yarn_section}};
    json v5 = legacy;
    v5.erase("rope_scaling");
    v5["rope_parameters"] = {
        {"full_attention", yarn_section},
        {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 500000.0}}}};
    const auto a = read_ok(legacy);
    const auto b = read_ok(v5);
    ASSERT_EQ(a.layer_types.size(), 2u);
    ASSERT_EQ(b.layer_types.size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
        EXPECT_EQ(a.layer_types[k].layer_type, b.layer_types[k].layer_type);
        const auto ta = table(a.layer_types[k].config);
        const auto tb = table(b.layer_types[k].config);
        EXPECT_EQ(ta.inv_freq, tb.inv_freq);
        EXPECT_EQ(ta.attention_factor, tb.attention_factor);
    }
    EXPECT_EQ(a.layers, b.layers);
}

TEST(hf_models, gemma4_full_attention_layers_use_global_head_dim) {
    const json c{{"model_type", "gemma4_text"},
                 {"layer_types", {"sliding_attention", "full_attention"}},
                 {"rope_parameters",
                  {{"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 10000.0}}},
                   {"full_attention", {{"rope_type", "default"}, {"rope_theta", 1e6}}}}}};
    const auto r = read_ok(c);
    EXPECT_EQ(r.find_layer_type("sliding_attention")->config.head_dim, 256);  // head_dim default
    EXPECT_EQ(r.find_layer_type("full_attention")->config.head_dim, 512);     // global_head_dim
    EXPECT_EQ(source_of(r, "global_head_dim"), "default 512 (transformers Gemma4TextConfig)");
}

TEST(hf_models, mrope_sections_are_checked_against_the_rotary_dimension) {
    json c{{"head_dim", 128},
           {"rope_scaling", {{"type", "mrope"}, {"mrope_section", {16, 24, 16}}}}};
    // transformers' chunked split needs sections summing to head_dim / 2: an error here.
    EXPECT_TRUE(fails_with(c, rs::errc::inconsistent, "mrope_section"));
    {
        const auto r = rs::read_hf_config(c);
        ASSERT_FALSE(r);
        EXPECT_NE(r.err().message.find("rotary_dim / 2 = 64 (got 56)"), std::string::npos)
            << r.err().what();
    }
    c["rope_scaling"].erase("mrope_section");
    EXPECT_TRUE(has_warning(read_ok(c), "mrope_section", "absent"));
    c["rope_scaling"]["mrope_section"] = {16, -1, 49};
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "mrope_section[1]"));
    c["rope_scaling"]["mrope_section"] = {16, "24"};
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "mrope_section[1]"));
    c["rope_scaling"]["mrope_section"] = {32, 32};
    EXPECT_TRUE(fails_with(c, rs::errc::invalid_argument, "mrope_section"));
    // The sum is against the rotary dimension, not head_dim.
    c["rope_scaling"]["mrope_section"] = {11, 11, 10};
    c["partial_rotary_factor"] = 0.5;
    const auto partial = read_ok(c);
    ASSERT_TRUE(partial.mrope);
    EXPECT_EQ(partial.mrope->section, (std::vector<int>{11, 11, 10}));
    c.erase("partial_rotary_factor");
    EXPECT_TRUE(fails_with(c, rs::errc::inconsistent, "mrope_section"));
    // Nested: the key's path names the field.
    json nested{{"model_type", "qwen3_vl"},
                {"text_config",
                 {{"model_type", "qwen3_vl_text"},
                  {"head_dim", 128},
                  {"rope_scaling",
                   {{"rope_type", "default"},
                    {"mrope_section", {24, 20, 24}},
                    {"mrope_interleaved", true}}}}}};
    EXPECT_TRUE(fails_with(nested, rs::errc::inconsistent, "text_config.mrope_section"));
}

TEST(hf_models, exaone4_string_pattern_beside_layer_types_is_not_an_error) {
    const auto r = read_ok(
        json{{"model_type", "exaone4"},
             {"head_dim", 128},
             {"num_hidden_layers", 4},  // else Exaone4Config's 32
             {"sliding_window", 4096},
             {"sliding_window_pattern", "LLLG"},
             {"layer_types",
              {"sliding_attention", "sliding_attention", "sliding_attention", "full_attention"}}});
    EXPECT_EQ(r.layer(3), nullptr);
    EXPECT_NE(r.layer(0), nullptr);
    EXPECT_TRUE(r.warnings.empty()) << r.warnings.front().what();
}
