// The config.json reader (hf_config.hpp), rule by rule: where each value is read from, the
// defaults transformers v5 applies, and every refusal with its error code and field. The model
// knowledge (nested configs, model defaults, per-layer tables) is tested in hf_models_test.cpp.
#include <gtest/gtest.h>

#include <ropescale/hf_config.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <variant>

namespace rs = ropescale;
using json = nlohmann::json;

namespace {

// A Llama-2-7B-like config.json without a rope section.
json llama_base() {
    return json{{"model_type", "llama"},
                {"hidden_size", 4096},
                {"num_attention_heads", 32},
                {"max_position_embeddings", 65536}};
}

json with_scaling(json section) {
    json c = llama_base();
    c["rope_scaling"] = std::move(section);
    return c;
}

// The rope section most cases start from: `method` with factor 16 and an original length of
// 4096 (the YaRN paper's Llama 2 64k setting), plus `keys` (added, or replacing those).
json section_16x(const char* method, const json& keys = json::object()) {
    json s = {{"rope_type", method}, {"factor", 16.0}, {"original_max_position_embeddings", 4096}};
    s.update(keys);
    return s;
}

::testing::AssertionResult fails_with(const rs::expected<rs::model_rope_config>& r, rs::errc code,
                                      const std::string& field) {
    if (r) return ::testing::AssertionFailure() << "accepted, expected " << rs::to_string(code);
    if (r.err().code != code || r.err().field != field)
        return ::testing::AssertionFailure()
               << "got " << rs::to_string(r.err().code) << " \"" << r.err().what()
               << "\", expected " << rs::to_string(code) << " on field \"" << field << "\"";
    return ::testing::AssertionSuccess();
}

::testing::AssertionResult fails_with(const json& config, rs::errc code, const std::string& field) {
    return fails_with(rs::read_hf_config(config), code, field);
}

bool has_warning(const rs::model_rope_config& c, const std::string& field,
                 const std::string& text = "") {
    for (const auto& w : c.warnings)
        if (w.field == field && w.message.find(text) != std::string::npos) return true;
    return false;
}

template <class M>
const M& method(const rs::model_rope_config& c) {
    const M* m = std::get_if<M>(&c.config.scaling);
    EXPECT_NE(m, nullptr) << "method is " << rs::method_name(c.config.scaling);
    static const M empty{};
    return m ? *m : empty;
}

rs::model_rope_config read_ok(const json& config) {
    auto r = rs::read_hf_config(config);
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::model_rope_config{};
}

}  // namespace

// ---- rope section, method key ------------------------------------------------------------

TEST(hf_reader, no_rope_section_is_plain_with_the_transformers_defaults) {
    const auto c = read_ok(llama_base());
    EXPECT_TRUE(std::holds_alternative<rs::plain>(c.config.scaling));
    EXPECT_EQ(c.rope_type, "default");
    EXPECT_EQ(c.config.rope_theta, 10000.0);  // transformers' default, silently
    EXPECT_EQ(c.config.head_dim, 128);        // 4096 / 32
    EXPECT_FALSE(c.config.partial_rotary_factor);
    EXPECT_EQ(c.max_position_embeddings, 65536);
    EXPECT_FALSE(c.original_max_position_embeddings);
    EXPECT_TRUE(c.warnings.empty());
}

TEST(hf_reader, null_rope_scaling_is_plain) {
    const auto c = read_ok(with_scaling(nullptr));
    EXPECT_TRUE(std::holds_alternative<rs::plain>(c.config.scaling));
    EXPECT_EQ(c.rope_type, "default");
}

TEST(hf_reader, absent_max_position_embeddings_reads_as_empty) {
    json c = llama_base();
    c.erase("max_position_embeddings");
    EXPECT_FALSE(read_ok(c).max_position_embeddings);
    c["max_position_embeddings"] = nullptr;
    EXPECT_FALSE(read_ok(c).max_position_embeddings);
    c["max_position_embeddings"] = 0;  // what the file says, told apart from absent
    EXPECT_EQ(read_ok(c).max_position_embeddings, 0);
}

TEST(hf_reader, rope_scaling_takes_precedence_over_rope_parameters) {
    // transformers v5 PreTrainedConfig.convert_rope_params_to_dict keeps
    // `rope_scaling or rope_parameters`.
    json c = llama_base();
    c["rope_parameters"] = {{"rope_type", "linear"}, {"factor", 4.0}, {"rope_theta", 500000.0}};
    c["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
    const auto r = read_ok(c);
    EXPECT_EQ(method<rs::linear>(r).factor, 2.0);
    EXPECT_EQ(r.config.rope_theta, 10000.0);
    EXPECT_TRUE(has_warning(r, "rope_parameters", "rope_scaling takes precedence"));

    // Identical copies are no news.
    c["rope_scaling"] = c["rope_parameters"];
    EXPECT_TRUE(read_ok(c).warnings.empty());
    // An empty rope_scaling is falsy: rope_parameters is read.
    c["rope_scaling"] = json::object();
    EXPECT_EQ(method<rs::linear>(read_ok(c)).factor, 4.0);
}

TEST(hf_reader, null_rope_parameters_fall_back_to_rope_scaling) {
    json c = with_scaling({{"type", "linear"}, {"factor", 2.0}});
    c["rope_parameters"] = nullptr;
    EXPECT_EQ(method<rs::linear>(read_ok(c)).factor, 2.0);
}

TEST(hf_reader, type_is_read_when_rope_type_is_absent) {
    const auto r = read_ok(with_scaling({{"type", "linear"}, {"factor", 2.0}}));
    EXPECT_EQ(r.rope_type, "linear");
    EXPECT_EQ(method<rs::linear>(r).factor, 2.0);
    EXPECT_TRUE(r.warnings.empty());
}

TEST(hf_reader, rope_type_wins_over_type_with_a_warning) {
    const auto r =
        read_ok(with_scaling({{"rope_type", "linear"}, {"type", "dynamic"}, {"factor", 2.0}}));
    EXPECT_EQ(r.rope_type, "linear");
    EXPECT_TRUE(std::holds_alternative<rs::linear>(r.config.scaling));
    EXPECT_TRUE(has_warning(r, "type", "rope_type"));
    // The same name twice is fine.
    EXPECT_TRUE(
        read_ok(with_scaling({{"rope_type", "linear"}, {"type", "linear"}, {"factor", 2.0}}))
            .warnings.empty());
}

TEST(hf_reader, unknown_rope_type_names_the_key_that_was_read) {
    auto r = rs::read_hf_config(with_scaling({{"rope_type", "ntk"}, {"factor", 2.0}}));
    EXPECT_TRUE(fails_with(r, rs::errc::unknown_rope_type, "rope_type"));
    EXPECT_NE(r.err().message.find("\"ntk\""), std::string::npos) << r.err().message;

    r = rs::read_hf_config(with_scaling({{"type", "xpos"}}));
    EXPECT_TRUE(fails_with(r, rs::errc::unknown_rope_type, "type"));
    EXPECT_NE(r.err().message.find("\"xpos\""), std::string::npos) << r.err().message;
}

TEST(hf_reader, method_name_must_be_a_string) {
    EXPECT_TRUE(fails_with(with_scaling({{"rope_type", 3}}), rs::errc::wrong_type, "rope_type"));
    EXPECT_TRUE(fails_with(with_scaling({{"type", true}}), rs::errc::wrong_type, "type"));
}

TEST(hf_reader, rope_section_must_be_an_object) {
    EXPECT_TRUE(fails_with(with_scaling("yarn"), rs::errc::wrong_type, "rope_scaling"));
    json c = llama_base();
    c["rope_parameters"] = json::array({1, 2});
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "rope_parameters"));
}

TEST(hf_reader, scaling_keys_without_a_method_name_are_refused) {
    EXPECT_TRUE(fails_with(with_scaling({{"factor", 4.0}}), rs::errc::missing_field, "rope_type"));
    // Only the keys every method shares: transformers v5's plain rope_parameters.
    json c = llama_base();
    c["rope_parameters"] = {{"rope_theta", 1e6}};
    const auto r = read_ok(c);
    EXPECT_TRUE(std::holds_alternative<rs::plain>(r.config.scaling));
    EXPECT_EQ(r.config.rope_theta, 1e6);
}

TEST(hf_reader, per_layer_type_tables_are_read_one_table_per_layer_type) {
    json c = llama_base();
    c["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}}},
                            {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 1e4}}}};
    const auto r = read_ok(c);
    ASSERT_EQ(r.layer_types.size(), 2u);
    EXPECT_EQ(r.layer_types[0].layer_type, "full_attention");
    EXPECT_TRUE(r.layers.empty());  // no layer_types: which layer uses which is unknown

    // Keys that are not the model's layer types: refused, with an explanation.
    c["layer_types"] = {"full_attention", "full_attention"};
    c["rope_parameters"] = {{"global", {{"rope_type", "default"}}},
                            {"local", {{"rope_type", "default"}}}};
    const auto e = rs::read_hf_config(c);
    EXPECT_TRUE(fails_with(e, rs::errc::missing_field, "rope_type"));
    EXPECT_NE(e.err().message.find("per-layer"), std::string::npos) << e.err().message;
}

TEST(hf_reader, config_must_be_an_object) {
    EXPECT_TRUE(fails_with(json::array(), rs::errc::wrong_type, "config"));
    EXPECT_TRUE(fails_with(rs::parse_hf_config("42"), rs::errc::wrong_type, "config"));
}

// ---- rope_theta, head_dim, partial_rotary_factor -------------------------------------------

TEST(hf_reader, rope_theta_from_the_top_level) {
    json c = llama_base();
    c["rope_theta"] = 500000.0;
    EXPECT_EQ(read_ok(c).config.rope_theta, 500000.0);
    c["rope_theta"] = 1000000;  // an integer is a number too
    EXPECT_EQ(read_ok(c).config.rope_theta, 1e6);
    c["rope_theta"] = nullptr;  // null = absent
    EXPECT_EQ(read_ok(c).config.rope_theta, 10000.0);
}

TEST(hf_reader, rope_theta_in_the_section_wins_with_a_warning_when_they_differ) {
    json c = with_scaling({{"rope_type", "default"}, {"rope_theta", 1e6}});
    c["rope_theta"] = 10000.0;
    const auto r = read_ok(c);
    EXPECT_EQ(r.config.rope_theta, 1e6);
    EXPECT_TRUE(has_warning(r, "rope_theta"));
    c["rope_theta"] = 1e6;
    EXPECT_TRUE(read_ok(c).warnings.empty());
}

TEST(hf_reader, rope_theta_must_be_a_number_and_valid) {
    json c = llama_base();
    c["rope_theta"] = "10000";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "rope_theta"));
    c["rope_theta"] = 1.0;  // validation: b > 1
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "rope_theta"));
    c["rope_theta"] = 0;  // transformers' `or` would replace a 0; here it is refused
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "rope_theta"));
}

TEST(hf_reader, explicit_head_dim_wins_over_hidden_size_over_heads) {
    json c = llama_base();
    c["hidden_size"] = 2880;  // gpt-oss: 2880 / 64 = 45, but head_dim is 64
    c["num_attention_heads"] = 64;
    c["head_dim"] = 64;
    EXPECT_EQ(read_ok(c).config.head_dim, 64);
    c["head_dim"] = nullptr;  // null: fall back to the quotient
    auto r = rs::read_hf_config(c);
    EXPECT_TRUE(fails_with(r, rs::errc::out_of_range, "head_dim"));  // 45 is odd
    EXPECT_NE(r.err().message.find("2880 / 64"), std::string::npos) << r.err().message;
}

TEST(hf_reader, head_dim_is_the_integer_quotient_with_a_warning_when_inexact) {
    json c = llama_base();
    c["hidden_size"] = 4100;
    c["num_attention_heads"] = 32;  // 128.125 -> 128, as Python's //
    const auto r = read_ok(c);
    EXPECT_EQ(r.config.head_dim, 128);
    EXPECT_TRUE(has_warning(r, "head_dim"));
}

TEST(hf_reader, head_dim_inputs_are_required_and_checked) {
    json c = llama_base();
    c.erase("hidden_size");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "hidden_size"));
    c = llama_base();
    c.erase("num_attention_heads");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "num_attention_heads"));
    c = llama_base();
    c["num_attention_heads"] = 0;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "num_attention_heads"));
    c["num_attention_heads"] = -4;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "num_attention_heads"));
    c = llama_base();
    c["hidden_size"] = 0;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "hidden_size"));
    c = llama_base();
    c["head_dim"] = "128";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "head_dim"));
    c["head_dim"] = 127.5;
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "head_dim"));
    c["head_dim"] = 128.0;  // integral float: fine
    EXPECT_EQ(read_ok(c).config.head_dim, 128);
    c["head_dim"] = 0;  // not replaced by the quotient (transformers' `or` would)
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "head_dim"));
    c["head_dim"] = 4294967296LL;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "head_dim"));
    c["head_dim"] = 130;
    c["num_attention_heads"] = "32";  // not read when head_dim is given
    EXPECT_EQ(read_ok(c).config.head_dim, 130);
}

TEST(hf_reader, qk_rope_head_dim_is_the_rotary_head_dim) {
    json c = llama_base();
    c["hidden_size"] = 2048;
    c["num_attention_heads"] = 16;  // 128 = qk_nope_head_dim, not the rope part
    c["qk_rope_head_dim"] = 64;
    c["qk_nope_head_dim"] = 128;
    auto r = read_ok(c);
    EXPECT_EQ(r.config.head_dim, 64);
    EXPECT_TRUE(r.warnings.empty());
    auto t = rs::compute_frequencies(r.config);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->rotary_dim, 64);

    c["head_dim"] = 192;  // a full q/k head: ignored for the rope, with a warning
    r = read_ok(c);
    EXPECT_EQ(r.config.head_dim, 64);
    EXPECT_TRUE(has_warning(r, "head_dim", "qk_rope_head_dim"));

    c["qk_rope_head_dim"] = 63;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "qk_rope_head_dim"));
    c["qk_rope_head_dim"] = "64";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "qk_rope_head_dim"));
}

TEST(hf_reader, partial_rotary_factor_from_the_section_or_the_top_level) {
    json c = llama_base();
    c["partial_rotary_factor"] = 0.5;
    auto r = read_ok(c);
    ASSERT_TRUE(r.config.partial_rotary_factor);
    EXPECT_EQ(*r.config.partial_rotary_factor, 0.5);
    EXPECT_EQ(*rs::resolve_rotary_dim(r.config), 64);

    c["rope_parameters"] = {{"rope_type", "default"}, {"partial_rotary_factor", 0.25}};
    r = read_ok(c);
    EXPECT_EQ(*r.config.partial_rotary_factor, 0.25);
    EXPECT_EQ(*rs::resolve_rotary_dim(r.config), 32);
    // A shared key, recognized for every method; the top-level value it overrides is news.
    EXPECT_FALSE(has_warning(r, "partial_rotary_factor", "unrecognized"));
    EXPECT_TRUE(has_warning(r, "partial_rotary_factor", "top-level value 0.5 ignored"));
    c.erase("partial_rotary_factor");
    EXPECT_TRUE(read_ok(c).warnings.empty());

    c["rope_parameters"]["partial_rotary_factor"] = "0.25";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "partial_rotary_factor"));
    c["rope_parameters"]["partial_rotary_factor"] = 1.5;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "partial_rotary_factor"));
}

// ---- linear, dynamic ---------------------------------------------------------------------

TEST(hf_reader, linear_reads_factor) {
    const auto r = read_ok(with_scaling({{"rope_type", "linear"}, {"factor", 8.0}}));
    EXPECT_EQ(method<rs::linear>(r).factor, 8.0);
    EXPECT_FALSE(r.original_max_position_embeddings);
}

TEST(hf_reader, factor_is_required_and_must_be_a_json_number) {
    for (const char* type : {"linear", "dynamic"}) {
        SCOPED_TRACE(type);
        EXPECT_TRUE(
            fails_with(with_scaling({{"rope_type", type}}), rs::errc::missing_field, "factor"));
        EXPECT_TRUE(fails_with(with_scaling({{"rope_type", type}, {"factor", nullptr}}),
                               rs::errc::missing_field, "factor"));
        auto r = rs::read_hf_config(with_scaling({{"rope_type", type}, {"factor", "16"}}));
        EXPECT_TRUE(fails_with(r, rs::errc::wrong_type, "factor"));
        EXPECT_NE(r.err().message.find("\"16\""), std::string::npos) << r.err().message;
        // A boolean is not a number (Python's True would pass as 1).
        EXPECT_TRUE(fails_with(with_scaling({{"rope_type", type}, {"factor", true}}),
                               rs::errc::wrong_type, "factor"));
        EXPECT_TRUE(fails_with(with_scaling({{"rope_type", type}, {"factor", json::array({2.0})}}),
                               rs::errc::wrong_type, "factor"));
        // Validation runs on the result: a factor below 1 is refused, not warned about.
        EXPECT_TRUE(fails_with(with_scaling({{"rope_type", type}, {"factor", 0.5}}),
                               rs::errc::out_of_range, "factor"));
    }
}

TEST(hf_reader, dynamic_uses_the_top_level_max_position_embeddings) {
    json c = with_scaling({{"type", "dynamic"}, {"factor", 2.0}});
    c["max_position_embeddings"] = 4096;
    const auto r = read_ok(c);
    const auto& m = method<rs::dynamic_ntk>(r);
    EXPECT_EQ(m.factor, 2.0);
    EXPECT_EQ(m.max_position_embeddings, 4096);
    EXPECT_TRUE(r.warnings.empty());

    c.erase("max_position_embeddings");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "max_position_embeddings"));
}

TEST(hf_reader, dynamic_accepts_but_does_not_use_a_section_original_length) {
    json c = with_scaling(
        {{"rope_type", "dynamic"}, {"factor", 2.0}, {"original_max_position_embeddings", 2048}});
    c["max_position_embeddings"] = 4096;
    const auto r = read_ok(c);
    EXPECT_EQ(method<rs::dynamic_ntk>(r).max_position_embeddings, 4096);
    EXPECT_TRUE(has_warning(r, "original_max_position_embeddings", "ignored"));
}

// ---- yarn --------------------------------------------------------------------------------

TEST(hf_reader, yarn_reads_every_key) {
    const auto r = read_ok(with_scaling(section_16x("yarn", {{"beta_fast", 64},
                                                             {"beta_slow", 2},
                                                             {"truncate", false},
                                                             {"attention_factor", 1.25},
                                                             {"mscale", 0.707},
                                                             {"mscale_all_dim", 0.707},
                                                             {"extrapolation_factor", 0.5},
                                                             {"attn_factor", 1.5}})));
    const auto& m = method<rs::yarn>(r);
    EXPECT_EQ(m.factor, 16.0);
    EXPECT_EQ(m.original_max_position_embeddings, 4096);
    EXPECT_EQ(m.beta_fast, 64.0);
    EXPECT_EQ(m.beta_slow, 2.0);
    EXPECT_FALSE(m.truncate);
    EXPECT_EQ(m.attention_factor, 1.25);
    EXPECT_EQ(m.mscale, 0.707);
    EXPECT_EQ(m.mscale_all_dim, 0.707);
    EXPECT_EQ(m.extrapolation_factor, 0.5);
    EXPECT_EQ(m.attn_factor, 1.5);
    EXPECT_EQ(r.original_max_position_embeddings, 4096);
    EXPECT_TRUE(r.warnings.empty());
}

TEST(hf_reader, yarn_defaults) {
    const auto r = read_ok(with_scaling(section_16x("yarn")));
    const auto& m = method<rs::yarn>(r);
    EXPECT_EQ(m.beta_fast, 32.0);
    EXPECT_EQ(m.beta_slow, 1.0);
    EXPECT_TRUE(m.truncate);
    EXPECT_FALSE(m.attention_factor);
    EXPECT_FALSE(m.mscale);
    EXPECT_FALSE(m.mscale_all_dim);
    EXPECT_EQ(m.extrapolation_factor, 1.0);
    EXPECT_EQ(m.attn_factor, 1.0);
}

TEST(hf_reader, yarn_null_betas_take_the_defaults_but_an_explicit_zero_is_refused) {
    auto r = read_ok(
        with_scaling(section_16x("yarn", {{"beta_fast", nullptr}, {"beta_slow", nullptr}})));
    EXPECT_EQ(method<rs::yarn>(r).beta_fast, 32.0);
    EXPECT_EQ(method<rs::yarn>(r).beta_slow, 1.0);
    // transformers' `get("beta_fast") or 32` would silently turn these into the defaults.
    EXPECT_TRUE(fails_with(with_scaling(section_16x("yarn", {{"beta_fast", 0}})),
                           rs::errc::out_of_range, "beta_fast"));
    EXPECT_TRUE(fails_with(with_scaling(section_16x("yarn", {{"beta_slow", 0.0}})),
                           rs::errc::out_of_range, "beta_slow"));
    EXPECT_TRUE(fails_with(with_scaling(section_16x("yarn", {{"beta_fast", "32"}})),
                           rs::errc::wrong_type, "beta_fast"));
}

TEST(hf_reader, yarn_factor_defaults_to_the_length_ratio_without_a_warning) {
    const auto r =
        read_ok(with_scaling({{"rope_type", "yarn"}, {"original_max_position_embeddings", 4096}}));
    EXPECT_EQ(method<rs::yarn>(r).factor, 16.0);  // 65536 / 4096
    EXPECT_TRUE(r.warnings.empty());

    json c = with_scaling({{"rope_type", "yarn"}, {"original_max_position_embeddings", 4096}});
    c.erase("max_position_embeddings");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "factor"));
}

TEST(hf_reader, yarn_factor_mismatch_is_a_warning_and_the_factor_is_used) {
    // Yarn-Llama-2-70b-32k: max 8192, original 4096, factor 8.
    json c = with_scaling({{"type", "yarn"},
                           {"factor", 8.0},
                           {"original_max_position_embeddings", 4096},
                           {"finetuned", true}});
    c["max_position_embeddings"] = 8192;
    const auto r = read_ok(c);
    EXPECT_EQ(method<rs::yarn>(r).factor, 8.0);
    ASSERT_TRUE(has_warning(r, "factor", "disagrees"));
    for (const auto& w : r.warnings)
        if (w.field == "factor") {
            EXPECT_NE(w.message.find("factor 8 "), std::string::npos) << w.message;
            EXPECT_NE(w.message.find("= 2"), std::string::npos) << w.message;
        }

    // A ratio of exactly 1 (original defaulted to max) is not a disagreement.
    const auto same = read_ok(with_scaling({{"rope_type", "yarn"}, {"factor", 4.0}}));
    EXPECT_EQ(method<rs::yarn>(same).original_max_position_embeddings, 65536);
    EXPECT_FALSE(has_warning(same, "factor"));
}

TEST(hf_reader, yarn_original_length_from_section_top_level_or_max) {
    // Section.
    json c = with_scaling(section_16x("yarn"));
    c["original_max_position_embeddings"] = 2048;
    EXPECT_EQ(method<rs::yarn>(read_ok(c)).original_max_position_embeddings, 4096);
    // Top level (the Phi-3 layout).
    c["rope_scaling"].erase("original_max_position_embeddings");
    auto r = read_ok(c);
    EXPECT_EQ(method<rs::yarn>(r).original_max_position_embeddings, 2048);
    EXPECT_EQ(r.original_max_position_embeddings, 2048);
    // Neither: max_position_embeddings (transformers v5 standardize_rope_params' default).
    c.erase("original_max_position_embeddings");
    r = read_ok(c);
    EXPECT_EQ(method<rs::yarn>(r).original_max_position_embeddings, 65536);
    EXPECT_EQ(r.original_max_position_embeddings, 65536);
    // Nothing at all.
    c.erase("max_position_embeddings");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "original_max_position_embeddings"));
}

TEST(hf_reader, lengths_must_be_integral_numbers) {
    json s = {
        {"rope_type", "yarn"}, {"factor", 16.0}, {"original_max_position_embeddings", 4096.0}};
    EXPECT_EQ(method<rs::yarn>(read_ok(with_scaling(s))).original_max_position_embeddings, 4096);
    s["original_max_position_embeddings"] = 4096.5;
    EXPECT_TRUE(
        fails_with(with_scaling(s), rs::errc::wrong_type, "original_max_position_embeddings"));
    s["original_max_position_embeddings"] = "4096";
    EXPECT_TRUE(
        fails_with(with_scaling(s), rs::errc::wrong_type, "original_max_position_embeddings"));
    s["original_max_position_embeddings"] = false;
    EXPECT_TRUE(
        fails_with(with_scaling(s), rs::errc::wrong_type, "original_max_position_embeddings"));
    s["original_max_position_embeddings"] = 0;
    EXPECT_TRUE(
        fails_with(with_scaling(s), rs::errc::out_of_range, "original_max_position_embeddings"));
    s["original_max_position_embeddings"] = 1e30;
    EXPECT_TRUE(
        fails_with(with_scaling(s), rs::errc::out_of_range, "original_max_position_embeddings"));
    EXPECT_TRUE(fails_with(rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
                                "max_position_embeddings": 18446744073709551615})"),
                           rs::errc::out_of_range, "max_position_embeddings"));
    json c = llama_base();
    c["max_position_embeddings"] = "65536";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "max_position_embeddings"));
}

TEST(hf_reader, yarn_truncate_must_be_a_boolean) {
    EXPECT_TRUE(fails_with(with_scaling({{"rope_type", "yarn"}, {"factor", 16.0}, {"truncate", 0}}),
                           rs::errc::wrong_type, "truncate"));
    EXPECT_TRUE(
        fails_with(with_scaling({{"rope_type", "yarn"}, {"factor", 16.0}, {"truncate", "false"}}),
                   rs::errc::wrong_type, "truncate"));
}

TEST(hf_reader, yarn_finetuned_and_unknown_keys_are_warnings) {
    const auto r = read_ok(with_scaling({{"type", "yarn"},
                                         {"factor", 16.0},
                                         {"original_max_position_embeddings", 4096},
                                         {"finetuned", true},
                                         {"short_mscale", 1.0}}));
    EXPECT_TRUE(std::holds_alternative<rs::yarn>(r.config.scaling));  // stays static YaRN
    EXPECT_TRUE(has_warning(r, "finetuned", "unrecognized key"));
    EXPECT_TRUE(has_warning(r, "short_mscale", "unrecognized key"));
}

TEST(hf_reader, deepseek_yarn_attention_goes_to_the_logits) {
    json c = llama_base();
    c["model_type"] = "deepseek_v2";
    c["hidden_size"] = 2048;
    c["num_attention_heads"] = 16;
    c["qk_rope_head_dim"] = 64;
    c["max_position_embeddings"] = 163840;
    c["rope_scaling"] = {
        {"beta_fast", 32}, {"beta_slow", 1},          {"factor", 40},
        {"mscale", 0.707}, {"mscale_all_dim", 0.707}, {"original_max_position_embeddings", 4096},
        {"type", "yarn"}};
    const auto r = read_ok(c);
    EXPECT_TRUE(r.warnings.empty());
    const auto t = rs::compute_frequencies(r.config);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->attention_factor, 1.0);
    // get_mscale(40, 0.707)^2 (tests/hf/reader_reference.py), the factors within 4 ulp.
    EXPECT_NEAR(t->logit_scale, 1.5896261651208734, 1.5896261651208734 * 4 * 0x1p-52);

    // The same section for a model whose attention does not scale logits: 1.
    c["model_type"] = "llama";
    const auto l = rs::compute_frequencies(read_ok(c).config);
    ASSERT_TRUE(l);
    EXPECT_EQ(l->logit_scale, 1.0);
}

// ---- llama3 ------------------------------------------------------------------------------

TEST(hf_reader, llama3_reads_its_four_keys) {
    const json s = {{"rope_type", "llama3"},
                    {"factor", 8.0},
                    {"low_freq_factor", 1.0},
                    {"high_freq_factor", 4.0},
                    {"original_max_position_embeddings", 8192}};
    const auto r = read_ok(with_scaling(s));
    const auto& m = method<rs::llama3>(r);
    EXPECT_EQ(m.factor, 8.0);
    EXPECT_EQ(m.low_freq_factor, 1.0);
    EXPECT_EQ(m.high_freq_factor, 4.0);
    EXPECT_EQ(m.original_max_position_embeddings, 8192);
    EXPECT_EQ(r.original_max_position_embeddings, 8192);
    EXPECT_TRUE(r.warnings.empty());

    for (const char* key :
         {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
        SCOPED_TRACE(key);
        json missing = s;
        missing.erase(key);
        EXPECT_TRUE(fails_with(with_scaling(missing), rs::errc::missing_field, key));
        json wrong = s;
        wrong[key] = "1";
        EXPECT_TRUE(fails_with(with_scaling(wrong), rs::errc::wrong_type, key));
    }
    // low == high (Llama 4 Scout): transformers warns and computes; so does the table.
    json low_is_high = s;
    low_is_high["high_freq_factor"] = 1.0;
    const auto flat = read_ok(with_scaling(low_is_high));
    EXPECT_EQ(method<rs::llama3>(flat).high_freq_factor, 1.0);
    const auto t = rs::compute_frequencies(flat.config);
    ASSERT_TRUE(t) << t.err().what();
    ASSERT_EQ(t->warnings.size(), 1u);
    EXPECT_EQ(t->warnings[0].field, "high_freq_factor");
}

// ---- longrope / su -----------------------------------------------------------------------

namespace {
json phi3_like(const char* type, int entries = 48) {
    json c{{"hidden_size", 3072},
           {"num_attention_heads", 32},
           {"max_position_embeddings", 131072},
           {"original_max_position_embeddings", 4096},
           {"rope_theta", 10000.0}};
    json shorts = json::array(), longs = json::array();
    for (int i = 0; i < entries; ++i) {
        shorts.push_back(1.0 + 0.01 * i);
        longs.push_back(2.0 + i);
    }
    c["rope_scaling"] = {{"type", type}, {"short_factor", shorts}, {"long_factor", longs}};
    return c;
}
}  // namespace

TEST(hf_reader, longrope_with_the_phi3_top_level_original_length) {
    for (const char* type : {"longrope", "su"}) {
        SCOPED_TRACE(type);
        const auto r = read_ok(phi3_like(type));
        EXPECT_EQ(r.rope_type, type);
        const auto& m = method<rs::longrope>(r);
        EXPECT_EQ(m.short_factor.size(), 48u);
        EXPECT_EQ(m.long_factor.size(), 48u);
        EXPECT_EQ(m.short_factor[1], 1.01);
        EXPECT_EQ(m.long_factor[47], 49.0);
        EXPECT_EQ(m.original_max_position_embeddings, 4096);
        EXPECT_EQ(m.max_position_embeddings, 131072);
        EXPECT_FALSE(m.factor);
        EXPECT_FALSE(m.attention_factor);
        EXPECT_EQ(r.config.head_dim, 96);
        EXPECT_EQ(r.original_max_position_embeddings, 4096);
        EXPECT_TRUE(r.warnings.empty());
    }
}

TEST(hf_reader, longrope_optional_keys_and_section_original_length) {
    json c = phi3_like("longrope");
    c["rope_scaling"]["factor"] = 16.0;
    c["rope_scaling"]["attention_factor"] = 1.1;
    c["rope_scaling"]["original_max_position_embeddings"] = 8192;
    const auto r = read_ok(c);
    const auto& m = method<rs::longrope>(r);
    EXPECT_EQ(m.factor, 16.0);
    EXPECT_EQ(m.attention_factor, 1.1);
    EXPECT_EQ(m.original_max_position_embeddings, 8192);  // the section wins
}

TEST(hf_reader, longrope_refusals) {
    json c = phi3_like("longrope");
    c["rope_scaling"].erase("short_factor");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "short_factor"));
    c = phi3_like("longrope");
    c["rope_scaling"].erase("long_factor");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "long_factor"));
    c = phi3_like("longrope");
    c["rope_scaling"]["short_factor"][3] = "1.0";
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "short_factor[3]"));
    c = phi3_like("longrope");
    c["rope_scaling"]["long_factor"][0] = nullptr;
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "long_factor[0]"));
    c = phi3_like("longrope");
    c["rope_scaling"]["long_factor"] = 1.0;
    EXPECT_TRUE(fails_with(c, rs::errc::wrong_type, "long_factor"));
    c = phi3_like("longrope");
    c.erase("original_max_position_embeddings");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "original_max_position_embeddings"));
    // Validation: one list entry per rotated pair.
    EXPECT_TRUE(fails_with(phi3_like("longrope", 47), rs::errc::inconsistent, "short_factor"));
    c = phi3_like("longrope");
    c["rope_scaling"]["long_factor"][5] = -1.0;
    EXPECT_TRUE(fails_with(c, rs::errc::out_of_range, "long_factor[5]"));
}

// ---- the methods transformers lacks --------------------------------------------------------

TEST(hf_reader, ntk_aware_reads_alpha_or_factor) {
    EXPECT_EQ(
        method<rs::ntk_aware>(read_ok(with_scaling({{"rope_type", "ntk_aware"}, {"alpha", 2.0}})))
            .alpha,
        2.0);
    EXPECT_EQ(
        method<rs::ntk_aware>(read_ok(with_scaling({{"rope_type", "ntk_aware"}, {"factor", 4.0}})))
            .alpha,
        4.0);
    const auto both =
        read_ok(with_scaling({{"rope_type", "ntk_aware"}, {"alpha", 2.0}, {"factor", 4.0}}));
    EXPECT_EQ(method<rs::ntk_aware>(both).alpha, 2.0);
    EXPECT_TRUE(has_warning(both, "factor"));
    EXPECT_TRUE(
        fails_with(with_scaling({{"rope_type", "ntk_aware"}}), rs::errc::missing_field, "alpha"));
    EXPECT_TRUE(fails_with(with_scaling({{"rope_type", "ntk_aware"}, {"alpha", "2"}}),
                           rs::errc::wrong_type, "alpha"));
}

TEST(hf_reader, ntk_by_parts_reads_its_keys) {
    const auto r = read_ok(with_scaling(section_16x("ntk_by_parts", {{"ntk_factor", 0.5},
                                                                     {"extrapolation_factor", 0.75},
                                                                     {"beta_0", 2.0},
                                                                     {"beta_1", 1.0},
                                                                     {"gamma_0", 20.0},
                                                                     {"gamma_1", 3.0}})));
    const auto& m = method<rs::ntk_by_parts>(r);
    EXPECT_EQ(m.factor, 16.0);
    EXPECT_EQ(m.original_max_position_embeddings, 4096);
    EXPECT_EQ(m.ntk_factor, 0.5);
    EXPECT_EQ(m.extrapolation_factor, 0.75);
    EXPECT_EQ(m.beta_0, 2.0);
    EXPECT_EQ(m.beta_1, 1.0);
    EXPECT_EQ(m.gamma_0, 20.0);
    EXPECT_EQ(m.gamma_1, 3.0);
    EXPECT_TRUE(r.warnings.empty());

    const auto d = read_ok(with_scaling(section_16x("ntk_by_parts")));
    const rs::ntk_by_parts defaults;
    EXPECT_EQ(method<rs::ntk_by_parts>(d).beta_0, defaults.beta_0);
    EXPECT_EQ(method<rs::ntk_by_parts>(d).gamma_0, defaults.gamma_0);

    EXPECT_TRUE(fails_with(
        with_scaling({{"rope_type", "ntk_by_parts"}, {"original_max_position_embeddings", 4096}}),
        rs::errc::missing_field, "factor"));
    EXPECT_TRUE(fails_with(with_scaling({{"rope_type", "ntk_by_parts"}, {"factor", 16.0}}),
                           rs::errc::missing_field, "original_max_position_embeddings"));
}

TEST(hf_reader, dynamic_yarn_in_both_spellings) {
    for (const char* type : {"dynamic_yarn", "dynamic-yarn"}) {
        SCOPED_TRACE(type);
        const auto r = read_ok(with_scaling({{"type", type},
                                             {"factor", 16.0},
                                             {"original_max_position_embeddings", 4096},
                                             {"finetuned", true},
                                             {"beta_fast", 128},
                                             {"beta_slow", 2},
                                             {"extrapolation_factor", 1.0},
                                             {"attn_factor", 1.0}}));
        EXPECT_EQ(r.rope_type, type);
        const auto& m = method<rs::dynamic_yarn>(r);
        EXPECT_EQ(m.original_max_position_embeddings, 4096);
        EXPECT_EQ(m.max_position_embeddings, 65536);
        EXPECT_TRUE(m.finetuned);
        EXPECT_EQ(m.beta_fast, 128.0);
        EXPECT_EQ(m.beta_slow, 2.0);
        EXPECT_TRUE(r.warnings.empty());  // factor 16 = 65536 / 4096
    }
    const auto r = read_ok(with_scaling(
        {{"type", "dynamic-yarn"}, {"factor", 8.0}, {"original_max_position_embeddings", 4096}}));
    EXPECT_FALSE(method<rs::dynamic_yarn>(r).finetuned);
    EXPECT_TRUE(has_warning(r, "factor", "ignored"));

    json c = with_scaling({{"type", "dynamic-yarn"}, {"original_max_position_embeddings", 4096}});
    c.erase("max_position_embeddings");
    EXPECT_TRUE(fails_with(c, rs::errc::missing_field, "max_position_embeddings"));
    EXPECT_TRUE(fails_with(with_scaling({{"type", "dynamic-yarn"}}), rs::errc::missing_field,
                           "original_max_position_embeddings"));
    EXPECT_TRUE(fails_with(with_scaling({{"type", "dynamic-yarn"},
                                         {"original_max_position_embeddings", 4096},
                                         {"finetuned", 1}}),
                           rs::errc::wrong_type, "finetuned"));
}

TEST(hf_reader, unknown_keys_warn_for_every_method) {
    const auto r = read_ok(with_scaling({{"rope_type", "linear"}, {"factor", 2.0}, {"foo", 1}}));
    EXPECT_TRUE(has_warning(r, "foo", "unrecognized key"));
    const auto d = read_ok(with_scaling({{"rope_type", "default"}, {"factor", 2.0}}));
    EXPECT_TRUE(has_warning(d, "factor", "unrecognized key"));
}

// ---- numbers at the edges ------------------------------------------------------------------

TEST(hf_reader, huge_and_tiny_numbers) {
    // A literal beyond double range is refused by the parser ...
    auto r = rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
        "rope_scaling": {"type": "linear", "factor": 1e400}})");
    EXPECT_TRUE(fails_with(r, rs::errc::parse_error, ""));
    // ... but a caller-built json can hold an infinity: validation catches it.
    r = rs::read_hf_config(with_scaling({{"type", "linear"}, {"factor", HUGE_VAL}}));
    EXPECT_TRUE(fails_with(r, rs::errc::not_finite, "factor"));
    r = rs::read_hf_config(with_scaling({{"type", "linear"}, {"factor", 1e300}}));
    EXPECT_TRUE(r);  // huge but valid
    // Subnormals reach validation, whose messages print them without trouble.
    r = rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
        "rope_scaling": {"type": "linear", "factor": 1e-310}})");
    EXPECT_TRUE(fails_with(r, rs::errc::out_of_range, "factor"));
    r = rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
        "partial_rotary_factor": -4e-320})");
    EXPECT_TRUE(fails_with(r, rs::errc::out_of_range, "partial_rotary_factor"));
}

TEST(hf_reader, messages_show_long_values_shortened_at_a_character_boundary) {
    json c = llama_base();
    std::string long_text;
    for (int i = 0; i < 60; ++i) long_text += "\xe2\x82\xac";  // "€" x 60: 180 bytes
    c["head_dim"] = long_text;
    const auto r = rs::read_hf_config(c);
    ASSERT_TRUE(fails_with(r, rs::errc::wrong_type, "head_dim"));
    EXPECT_NE(r.err().message.find("..."), std::string::npos) << r.err().message;
    // Valid UTF-8: the strict serializer accepts it.
    EXPECT_NO_THROW((void)json(r.err().message).dump());
}

// ---- text and files ------------------------------------------------------------------------

TEST(hf_reader, parse_errors) {
    auto r = rs::parse_hf_config("{\"hidden_size\": 4096,\n \"num_attention_heads\": }");
    EXPECT_TRUE(fails_with(r, rs::errc::parse_error, ""));
    EXPECT_NE(r.err().message.find("line 2"), std::string::npos) << r.err().message;
    EXPECT_TRUE(fails_with(rs::parse_hf_config(""), rs::errc::parse_error, ""));
    EXPECT_TRUE(fails_with(rs::parse_hf_config("{\"a\": NaN}"), rs::errc::parse_error, ""));
    EXPECT_TRUE(fails_with(rs::parse_hf_config("{} trailing"), rs::errc::parse_error, ""));
    EXPECT_TRUE(fails_with(rs::parse_hf_config("{\"a\": \"\xff\"}"), rs::errc::parse_error, ""));
}

TEST(hf_reader, parse_reads_text) {
    const auto r = rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
        "max_position_embeddings": 65536,
        "rope_scaling": {"factor": 16.0, "original_max_position_embeddings": 4096, "type": "yarn"}})");
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(method<rs::yarn>(*r).factor, 16.0);
}

TEST(hf_reader, load_errors) {
    auto r = rs::load_hf_config("/nonexistent/ropescale/config.json");
    EXPECT_TRUE(fails_with(r, rs::errc::io_error, "/nonexistent/ropescale/config.json"));
    r = rs::load_hf_config(".");
    EXPECT_TRUE(fails_with(r, rs::errc::io_error, "."));

    const std::string path = ::testing::TempDir() + "ropescale_hf_bad.json";
    {
        std::ofstream f(path);
        f << "{\"hidden_size\": 4096,";
    }
    r = rs::load_hf_config(path);
    EXPECT_TRUE(fails_with(r, rs::errc::parse_error, path));  // the path names the culprit
    {
        std::ofstream f(path);
        f << R"({"hidden_size": 4096, "num_attention_heads": 32, "rope_theta": 500000.0})";
    }
    r = rs::load_hf_config(path);
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(r->config.rope_theta, 500000.0);
    std::remove(path.c_str());
}

// ---- the reader's result is always valid -----------------------------------------------------

TEST(hf_reader, returned_configs_build_tables) {
    const json sections[] = {
        nullptr,
        {{"rope_type", "linear"}, {"factor", 4.0}},
        {{"rope_type", "dynamic"}, {"factor", 2.0}},
        {{"rope_type", "yarn"}, {"factor", 16.0}, {"original_max_position_embeddings", 4096}},
        {{"rope_type", "llama3"},
         {"factor", 8.0},
         {"low_freq_factor", 1.0},
         {"high_freq_factor", 4.0},
         {"original_max_position_embeddings", 8192}},
        {{"rope_type", "ntk_aware"}, {"alpha", 2.0}},
        {{"rope_type", "ntk_by_parts"},
         {"factor", 16.0},
         {"original_max_position_embeddings", 4096}},
        {{"rope_type", "dynamic_yarn"}, {"original_max_position_embeddings", 4096}},
        {{"rope_type", "dynamic"}, {"alpha", 1000.0}},  // HunYuan: no factor needed
        {{"rope_type", "proportional"}, {"partial_rotary_factor", 0.25}},  // 64 pairs, 48 at 0
    };
    for (const auto& s : sections) {
        SCOPED_TRACE(s.dump());
        const auto r = read_ok(with_scaling(s));
        const auto t = rs::compute_frequencies(r.config, rs::table_options{8192, std::nullopt});
        ASSERT_TRUE(t) << t.err().what();
        EXPECT_EQ(t->pairs(), 64);
    }
}

// The config fuzzer's dictionary (fuzz/fuzz_config.dict) seeds it with the reader's
// vocabulary: it holds every rope_type spelling and every key of the registry.
TEST(hf_reader, fuzz_dictionary_holds_every_spelling_and_key) {
    std::ifstream in(ROPESCALE_FUZZ_CONFIG_DICT);
    ASSERT_TRUE(in.is_open()) << ROPESCALE_FUZZ_CONFIG_DICT;
    const std::string dict{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    rs::for_each_method([&](auto tag) {
        using traits = rs::method_traits<typename decltype(tag)::type>;
        for (const char* s : traits::spellings)
            EXPECT_NE(dict.find("\"\\\"" + std::string(s) + "\\\"\""), std::string::npos) << s;
        for (const auto& key : traits::keys)
            EXPECT_NE(dict.find("\"" + std::string(key.name) + "\""), std::string::npos)
                << key.name;
    });
}
