// SPDX-License-Identifier: MIT
//
// Hugging Face config.json -> rope tables per layer type. Optional: needs nlohmann-json
// (>= 3.11) and is never included by the core headers nor by the umbrella ropescale.hpp.
//
// Semantics: transformers v5 (PreTrainedConfig.get_text_config, convert_rope_params_to_dict,
// standardize_rope_params, the models' configuration classes and `_compute_*_parameters`),
// which reads:
//
//   language model  the config itself, or the one nested config transformers'
//                   get_text_config(decoder=True) returns: `text_config`, `decoder` or
//                   `generator` (more than one is an error, as there), and for the Qwen omni
//                   models `thinker_config.text_config`. Every key below is read there;
//                   model_rope_config::config_path says where, errors name the full path
//                   ("text_config.hidden_size").
//   model_type      the language model's `model_type`; for a composite model without one,
//                   the text configuration class of the outer model type (hf_models.hpp:
//                   "gemma3" -> "gemma3_text"); OpenAI's gpt-oss schema without one is read
//                   as "gpt_oss" (below). Model-type defaults (hf_models.hpp, one row
//                   per key and configuration class) fill absent keys; `sources` says which.
//   rope section    `rope_scaling` if it is a non-empty object, else `rope_parameters`
//                   (transformers v5 keeps `rope_scaling or rope_parameters`), else the
//                   model's default section (gpt_oss), else plain RoPE. A `rope_parameters`
//                   whose keys are layer types ({"full_attention": {...}, ...}) holds one
//                   section per layer type; the families with a sliding-window table of
//                   their own in the older flat files (Gemma 3: `rope_local_base_freq`,
//                   OLMo 3) are read into the same per-layer-type form, `rope_scaling` going
//                   to the full-attention layers, as their configuration classes do.
//   method          section key `rope_type`, else `type`; none -> "default". Any spelling of
//                   the registry (methods.hpp, rope_type_spellings()). "mrope" (Qwen2-VL) is
//                   plain RoPE with `mrope_section`, as Qwen2VLTextConfig converts it.
//   rope_theta      the section's, else top-level, else the model-type default, else 10000.
//   head_dim        top-level `qk_rope_head_dim` if present (DeepSeek MLA, see below), else
//                   `head_dim` (explicit or model default), else hidden_size /
//                   num_attention_heads (integer division, as transformers). Gemma 4's
//                   full-attention layers use `global_head_dim`.
//   partial_rotary_factor   the section's, else top-level.
//   method keys     the keys the method's header lists (method_traits<M>::keys), read
//                   generically; then the method's resolve hook.
//   layers          `layer_types` (else the family's rule, hf_models.hpp) and the layers
//                   without RoPE (Llama 4 and SmolLM3 `no_rope_layers`, EXAONE 4 and Cohere 2
//                   global layers): model_rope_config::layers maps each layer to its table.
//   query scale     Llama 4 `attn_temperature_tuning` (NoPE layers), Ministral 3's
//                   `llama_4_scaling_beta` in the rope section (every layer).
//   multimodal      `mrope_section` and `mrope_interleaved` of the primary layer type's
//                   section (Qwen2-VL, Qwen2.5-VL, Qwen3-VL): model_rope_config::mrope, three
//                   entries summing to rotary_dim / 2 (mrope.hpp; an error names the key).
//                   Where transformers' model class fixes the form (hf_models.hpp: Qwen2-VL
//                   and Qwen2.5-VL chunked, Qwen3-VL interleaved with a default section),
//                   the class decides and a contrary `mrope_interleaved` is ignored with a
//                   warning; for other model types the key decides, as in vLLM.
//   logit scale     DeepSeek's get_mscale(s, mscale_all_dim)^2 only for the model types and
//                   architectures whose attention applies it (hf_models.hpp); 1 elsewhere,
//                   with a `sources` entry saying why.
//
// A returned configuration has passed validate() for every layer type: ready for
// compute_frequencies.
//
// Deliberate divergences from transformers (each warns at the config that triggers it, or is
// an error; the method-specific ones are in the method's header):
//   * `qk_rope_head_dim` (DeepSeek-V2/V3 multi-head latent attention): the rotary part of each
//     query/key head is a separate slice of qk_rope_head_dim channels, so config.head_dim =
//     qk_rope_head_dim (as transformers' DeepSeek configs do); a top-level `head_dim` is then
//     ignored with a warning.
//   * What transformers only warns about is an error when validation refuses it (factor < 1,
//     list lengths, beta_fast < beta_slow, ...), and a section with scaling keys but no
//     `rope_type`/`type` is an error (transformers would use "default" and ignore the keys).
//     Remaining transformers warnings are returned in model_rope_config::warnings.
//   * `mrope_section` must have three entries summing to rotary_dim / 2, else an error:
//     transformers' chunked form (`apply_multimodal_rotary_pos_emb`) fails at its first
//     forward on any other sum; its interleaved form (`apply_interleaved_mrope`) would run,
//     leaving the uncovered pairs on the temporal stream.
//   * JSON null counts as "absent" for every optional key, except `truncate`, which
//     transformers' `get("truncate", True)` reads as None, i.e. false (a warning says so).
//   * Keys the YaRN authors' classes read (`extrapolation_factor`, `attn_factor` for yarn)
//     are honoured where transformers ignores them with an "unrecognized keys" warning.
//   * An explicit `head_dim` of 0 is refused (transformers' `head_dim or hidden // heads`
//     would fall back to the quotient).
//   * Top-level keys that look like RoPE settings and are not read (`rotary_dim`,
//     `rope_scaling_factor`, `initial_context_length`, ...) give a warning, unless they agree
//     with what was read (OpenAI's gpt-oss schema beside its transformers keys).
//   * OpenAI's gpt-oss schema alone (no model_type; `initial_context_length`,
//     `rope_scaling_factor`, no rope section), which transformers does not load, is read as
//     transformers' GptOssConfig (its default YaRN), with a warning.
//
// Errors never throw: nlohmann's non-throwing parse and type checks before every `get`. The
// header also compiles with -fno-exceptions (nlohmann's JSON_NOEXCEPTION). Every translation
// unit of a program must agree on JSON_NOEXCEPTION (nlohmann's own ODR rule).
#ifndef ROPESCALE_HF_CONFIG_HPP
#define ROPESCALE_HF_CONFIG_HPP

#include "detail/file_input.hpp"
#include "detail/hf_json.hpp"
#include "detail/hf_reader.hpp"
#include "error.hpp"
#include "model_rope_config.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

ROPESCALE_BEGIN_NAMESPACE

/// Reads the rope configuration of a parsed Hugging Face config.json object: one table per
/// layer type, the per-layer map, the query scale, and where every value came from.
///
/// Where each value comes from is described at the top of this header (transformers v5
/// semantics); the method's keys ("required" means an error if absent or null) in its header.
/// Other section keys give an "unrecognized key" warning.
///
/// Errors: errc::wrong_type (a value of the wrong JSON type: strings or booleans for
/// numbers, non-integral lengths; the message shows the JSON value), errc::missing_field,
/// errc::unknown_rope_type (field "rope_type" or "type", whichever was read),
/// errc::out_of_range (num_attention_heads <= 0, integers beyond 64 bits), errc::inconsistent
/// (two nested text configs, layer_types against num_hidden_layers), and every error of
/// validate(). The field is the key name ("factor", "short_factor[3]"), prefixed by the
/// nested config's path ("text_config.hidden_size"); an error in a per-layer-type section
/// names the layer type in its message. Never throws (except std::bad_alloc).
inline expected<model_rope_config> read_hf_config(const nlohmann::json& config) {
    return detail::hf::config_reader(config).run();
}

/// Parses config.json text and reads it with read_hf_config. Text that is not JSON gives
/// errc::parse_error with nlohmann's line and column. Strict RFC 8259: no comments, no NaN or
/// Infinity literals. Never throws (except std::bad_alloc).
inline expected<model_rope_config> parse_hf_config(std::string_view json_text) {
    using detail::hf::json;
    json j = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        detail::hf::parse_error_recorder rec;
        (void)json::sax_parse(json_text.begin(), json_text.end(), &rec);
        return error{errc::parse_error, "", rec.message};
    }
    return read_hf_config(j);
}

/// Reads a config.json file and parses it with parse_hf_config. A file that cannot be opened
/// or read gives errc::io_error; parse errors name the path as their field. Never throws
/// (except std::bad_alloc).
inline expected<model_rope_config> load_hf_config(const std::string& path) {
    std::ifstream in;
    if (auto s = detail::open_input(in, path, "a config.json file"); !s) return s.err();
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return error{errc::io_error, path, "cannot be read"};
    auto r = parse_hf_config(text);
    if (!r && r.err().code == errc::parse_error) {
        error e = r.err();
        e.field = path;
        return e;
    }
    return r;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_HF_CONFIG_HPP
