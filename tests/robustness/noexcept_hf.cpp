// The config.json reader without exceptions: this unit of robustness_noexcept is compiled
// with -fno-exceptions -DJSON_NOEXCEPTION (only where nlohmann-json is found). Under
// JSON_NOEXCEPTION every nlohmann throw becomes std::abort(), so running it also proves that
// no path of the reader (including its error paths) reaches one.
#include "noexcept_checks.hpp"

#include <ropescale/hf_config.hpp>

#include <string>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "this translation unit must be compiled with -fno-exceptions"
#endif
#ifndef JSON_NOEXCEPTION
#error "this translation unit must be compiled with -DJSON_NOEXCEPTION"
#endif

namespace {

bool fails_with(const ropescale::expected<ropescale::model_rope_config>& r, ropescale::errc code,
                const char* field) {
    return !r && r.err().code == code && r.err().field == field;
}

}  // namespace

void noexcept_test::hf_reader_checks() {
    namespace rs = ropescale;
    const auto good = rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
        "max_position_embeddings": 65536, "rope_scaling": {"factor": 16.0,
        "original_max_position_embeddings": 4096, "type": "yarn", "finetuned": true}})");
    check(static_cast<bool>(good), "a yarn config reads");
    if (good) {
        check(good->config.head_dim == 128, "head_dim 128");
        check(good->warnings.size() == 1, "one warning (finetuned)");
        const auto t = rs::compute_frequencies(good->config);
        check(t && t->correction && t->correction->low == 20.0 && t->correction->high == 46.0,
              "correction range (20, 46)");
    }

    const auto file = rs::load_hf_config(std::string(ROPESCALE_EXAMPLE_CONFIGS_DIR) +
                                         "/Phi-3-mini-128k-instruct.json");
    check(static_cast<bool>(file), "the bundled Phi-3 config loads");

    // Error paths: each would abort if it reached a nlohmann throw.
    check(fails_with(rs::parse_hf_config("{\"a\": "), rs::errc::parse_error, ""), "parse error");
    check(fails_with(rs::parse_hf_config("{\"a\": \"\xff\"}"), rs::errc::parse_error, ""),
          "invalid UTF-8");
    check(fails_with(rs::parse_hf_config("[1]"), rs::errc::wrong_type, "config"), "root array");
    check(fails_with(rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
              "rope_scaling": {"type": "linear", "factor": "16"}})"),
                     rs::errc::wrong_type, "factor"),
          "string factor");
    check(fails_with(rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 32,
              "rope_scaling": {"type": "linear", "factor": true}})"),
                     rs::errc::wrong_type, "factor"),
          "boolean factor");
    check(fails_with(rs::parse_hf_config(R"({"hidden_size": 4096, "num_attention_heads": 0})"),
                     rs::errc::out_of_range, "num_attention_heads"),
          "zero heads");
    check(fails_with(rs::parse_hf_config(R"({"head_dim": 18446744073709551615})"),
                     rs::errc::out_of_range, "head_dim"),
          "head_dim beyond 64 bits");
    check(fails_with(rs::parse_hf_config(R"({"head_dim": 128, "rope_scaling": {"type": "llama3",
              "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0}})"),
                     rs::errc::missing_field, "original_max_position_embeddings"),
          "llama3 without its original length");
    check(fails_with(rs::parse_hf_config(R"({"head_dim": 96, "original_max_position_embeddings":
              4096, "rope_scaling": {"type": "su", "short_factor": [1, "x"], "long_factor": []}})"),
                     rs::errc::wrong_type, "short_factor[1]"),
          "non-number list entry");
    check(
        fails_with(rs::parse_hf_config(R"({"head_dim": 64, "rope_scaling": {"rope_type": "ntk"}})"),
                   rs::errc::unknown_rope_type, "rope_type"),
        "unknown rope_type");
    check(fails_with(rs::parse_hf_config(R"({"head_dim": 64, "rope_scaling": {"rope_type": "yarn",
              "factor": 4.0, "original_max_position_embeddings": 4096, "beta_fast": 0}})"),
                     rs::errc::out_of_range, "beta_fast"),
          "explicit beta_fast 0");
    check(fails_with(rs::parse_hf_config(R"({"model_type": "gemma3", "text_config":
              {"num_hidden_layers": 6, "layer_types": ["full_attention", 3]}})"),
                     rs::errc::wrong_type, "text_config.layer_types[1]"),
          "nested layer_types entry");
    check(fails_with(rs::parse_hf_config(R"({"model_type": "llama4_text", "head_dim": 64,
              "num_hidden_layers": 4, "no_rope_layers": [1, "0", 1, 1]})"),
                     rs::errc::wrong_type, "no_rope_layers[1]"),
          "no_rope_layers entry");
    {
        const auto g = rs::parse_hf_config(R"({"model_type": "gemma3", "text_config":
              {"head_dim": 128, "num_hidden_layers": 6}})");
        check(g && g->layer_types.size() == 2 && g->layer(5) != nullptr &&
                  g->layer(5)->layer_type == "full_attention",
              "a nested Gemma 3 config reads two layer types");
    }
    check(fails_with(rs::load_hf_config("/nonexistent/config.json"), rs::errc::io_error,
                     "/nonexistent/config.json"),
          "missing file");

    // A caller-built json with invalid UTF-8 in a value shown in a message.
    nlohmann::json j = {{"head_dim", std::string("\xff\xfe")}};
    check(fails_with(rs::read_hf_config(j), rs::errc::wrong_type, "head_dim"),
          "invalid UTF-8 in a caller-built json");
}
