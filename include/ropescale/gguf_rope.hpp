// SPDX-License-Identifier: MIT
//
// GGUF metadata -> rope tables per layer type, with transformers' semantics. Optional: needs
// only gguf.hpp and the core headers (no JSON library), and is never included by the umbrella
// ropescale.hpp.
//
// A GGUF file written by llama.cpp's converter (convert_hf_to_gguf.py) from a Hugging Face
// config.json reads here to the frequency table the config.json reader (hf_config.hpp) gives
// for that config.json: the keys are read as llama.cpp reads them (which keys, their types,
// their defaults), and the values are turned into the parameters of the method transformers
// would run. Where llama.cpp computes something else from the same keys, this reader still
// gives transformers' table, with a warning on each layer type whose table differs from
// llama.cpp's for that file by more than float32 storage (2^-20 relative; read_gguf_rope); the
// differences are listed below, and gguf_semantics::llama_cpp reads llama.cpp's tables.
//
// Rules, each with the llama.cpp function it follows (llama-model.cpp `load_hparams` unless
// said otherwise; `A` is `general.architecture`; every key is optional unless marked):
//
//   general.architecture (string, required)        A; model_rope_config::model_type
//   A.block_count (uint32, required)               the layer count (hparams.n_layer), at most
//                                                  max_layer_count (model_rope_config.hpp),
//                                                  less A.nextn_predict_layers (uint32): the
//                                                  converters' multi-token-prediction blocks
//                                                  (Glm4MoeModel), outside transformers'
//                                                  num_hidden_layers (load_hparams:
//                                                  n_layer_kv_from_start)
//   A.context_length (uint32, required)            max_position_embeddings (n_ctx_train)
//   A.attention.key_length (uint32)                head_dim; else A.embedding_length /
//                                                  A.attention.head_count (integer division,
//                                                  n_embd_head_k); A.attention.head_count may
//                                                  be a per-layer array (its first entry)
//   A.rope.dimension_count (uint32)                the rotary dimension d (n_rot), else head_dim;
//                                                  rotary_dim is set when it differs from head_dim
//   A.rope.freq_base (float32)                     rope_theta, else 10000 (rope_freq_base_train)
//   A.rope.scaling.type (string)                   "none" | "linear" | "yarn" | "longrope", else
//                                                  "linear" (llama_rope_scaling_type_from_string;
//                                                  any other string is an error, as llama.cpp's
//                                                  assertion)
//   A.rope.scaling.factor (float32)                s, else A.rope.scale_linear (float32), else
//                                                  1; 0 reads as 1 (rope_freq_scale_train =
//                                                  1 / s); type "none" ignores it
//                                                  (llama_context's constructor)
//   A.rope.scaling.original_context_length (uint32)  L, else A.context_length (n_ctx_orig_yarn)
//   A.rope.scaling.attn_factor (float32)           multiplies the attention factor
//                                                  (hparams.rope_attn_factor; llama_context's
//                                                  constructor: yarn_attn_factor *= it):
//                                                  yarn::attn_factor for YaRN; LongRoPE's
//                                                  attention factor (see below); for plain and
//                                                  linear RoPE ignored with a warning (no
//                                                  transformers equivalent)
//   A.rope.scaling.yarn_ext_factor (float32)       yarn::extrapolation_factor when >= 0 (a
//                                                  negative value is llama.cpp's "not set": 1)
//   A.rope.scaling.yarn_attn_factor (float32)      yarn::attention_factor, replacing the
//                                                  computed one: the converter
//                                                  (TextModel.set_gguf_parameters) writes
//                                                  transformers' `attention_factor` there (else
//                                                  the YaRN authors' `attn_factor`, which
//                                                  multiplies instead: not distinguishable in
//                                                  the file). llama.cpp (llama_context's
//                                                  constructor) replaces it by get_mscale when
//                                                  ext_factor != 0; older versions multiplied
//                                                  it by the kernel's magnitude (below)
//   A.rope.scaling.yarn_beta_fast / _slow (float32)  yarn::beta_fast / beta_slow, else 32 / 1
//                                                  (llama_hparams' defaults)
//   A.rope.scaling.yarn_log_multiplier (float32)   DeepSeek's mscale_all_dim. Architecture
//                                                  "deepseek2" stores 0.1 * mscale_all_dim (the
//                                                  converter's DeepseekV2Model), divided back
//                                                  here as there, and llama_context takes
//                                                  mscale = mscale_all_dim (so the attention
//                                                  factor is 1 and the logit scale
//                                                  get_mscale(s, mscale_all_dim)^2); any other
//                                                  architecture: mscale_all_dim = the value,
//                                                  mscale = 1 (llama_context's constructor)
//   A.rope.scaling.finetuned (bool)                recorded in `finetuned` (no effect on a table,
//                                                  as in llama.cpp)
//   A.rope.dimension_sections (array of int32 or uint32)  multimodal sections (t, h, w, e) in
//                                                  pairs: mrope (t, h, w), e must be 0 (the
//                                                  vision encoder's); interleaved for qwen3vl
//                                                  and qwen3vlmoe (llama.cpp's rope type
//                                                  LLAMA_ROPE_TYPE_IMROPE), chunked otherwise
//   A.rope.freq_base_swa (float32), A.rope.dimension_count_swa (uint32)  the sliding-window
//                                                  layers' base and rotary dimension: a second
//                                                  layer type "sliding_attention" (see layers)
//   rope_freqs.weight (f32 tensor, d/2 entries)    per-pair factors f_i dividing theta_i
//                                                  (llama_model::get_rope_factors; Llama 3.1's
//                                                  converter writes 1 / its multiplier):
//                                                  inv_freq[i] = theta_i / f_i, represented as
//                                                  longrope with both lists = f and
//                                                  attention_factor 1 (rope_type "rope_freqs")
//   rope_factors_long.weight / rope_factors_short.weight (f32, d/2 entries each)  LongRoPE
//                                                  (Phi-3): longrope's lists, L as above,
//                                                  max_position_embeddings = A.context_length.
//                                                  The converter stores transformers' attention
//                                                  factor sqrt(1 + ln(s) / ln(L)) as
//                                                  A.rope.scaling.attn_factor in float32: when it
//                                                  is that value rounded to float32 the factor is
//                                                  computed (transformers' double), otherwise the
//                                                  stored value is used, with a warning.
//
// Method: the factor tensors decide first (rope_freqs -> per-pair factors, ahead of the
// LongRoPE lists, which are then ignored with a warning, as llama_model::get_rope_factors
// prefers it; else long/short -> longrope; either with a YaRN type or a linear factor other
// than 1 is an error: transformers has no such combination); else type
// "none", or "linear" with s = 1 -> plain; "linear" -> linear{s}; "yarn" -> yarn; "longrope"
// without the tensors -> an error naming rope_factors_long.weight.
//
// Layers (model_rope_config::layers, one entry per A.block_count). The sliding-window layers
// are A.attention.sliding_window_pattern where the architecture reads it (a bool per layer, as
// the converters write it, or a uint32 period n), else the architecture's period n
// (llama_hparams::set_swa_pattern(n): layer i slides iff i % n < n - 1):
//   gemma3       period 6 (load_hparams); sliding layers: plain RoPE, base A.rope.freq_base_swa
//                else 10000 (load_hparams' LLM_ARCH_GEMMA3 case: rope_freq_scale_train_swa = 1)
//   gemma4       A.attention.sliding_window_pattern (required); sliding layers: plain RoPE,
//                head_dim A.attention.key_length_swa, rotary A.rope.dimension_count_swa, base
//                A.rope.freq_base_swa else A.rope.freq_base. Full layers: rope_freqs.weight of 1
//                for the first r pairs and 1e30 for the rest (Gemma4Model.generate_extra_tensors)
//                is transformers' proportional RoPE with 2r rotated channels, its other pairs
//                exactly unrotated (llama.cpp: an angle below 1e-24 rad per position)
//   gpt-oss, gemma2  period 2 (load_hparams); sliding layers share the full layers' scaling,
//                base A.rope.freq_base_swa else A.rope.freq_base
//   olmo2        with A.attention.sliding_window > 0 (Olmo 3): the pattern key, else period 4
//                (load_hparams); sliding layers: plain RoPE, base A.rope.freq_base_swa else
//                A.rope.freq_base (llm_build_olmo2: freq_scale 1, ext_factor 0, attn_factor 1
//                there), as transformers' Olmo3 sliding layers
//   exaone4      the pattern key, else period 4 for 64 layers (load_hparams); with sliding
//                layers only they rotate (llm_build_exaone4: use_rope = is_swa(il)), the others
//                have no RoPE, as transformers' Exaone4Attention; A.attention.sliding_window
//                without a pattern for another layer count: transformers' default period 4,
//                with a warning (llama.cpp then rotates every layer)
//   cohere2      period 4 (load_hparams); only the sliding layers rotate
//                (llm_build_cohere2_iswa), as transformers' Cohere2Attention
//   smollm3      no RoPE where (i + 1) % 4 == 0 (load_hparams: n_no_rope_layer_step = 4), as
//                the published no_rope_layers
//   other        one layer type, every layer; A.rope.freq_base_swa / dimension_count_swa there
//                give a warning (the layer pattern is the architecture's, not read here)
// A.rope.dimension_count_swa sets the sliding layers' rotary dimension where they exist.
//
// Architecture-specific rules:
//   deepseek2    head_dim = A.rope.dimension_count (the rotary slice; A.attention.key_length is
//                kv_lora_rank + the slice there), as transformers' qk_rope_head_dim; the
//                attention scales its logits (yarn::attention_scales_logits)
//   gpt-oss      YaRN without flooring the correction range (truncate = false), as
//                transformers' GptOssConfig; llama.cpp floors it (below)
//   mistral3     A.attention.temperature_scale (float32, Ministral3Model writes
//                llama_4_scaling_beta there): the query scale 1 + beta ln(1 + floor(p / L)) on
//                every layer (transformers Ministral3Attention), L =
//                A.rope.scaling.original_context_length else A.context_length (load_hparams'
//                LLM_ARCH_MISTRAL3: n_attn_temp_floor_scale = n_ctx_orig_yarn)
//
// Representation limits (the numbers differ from the config.json reader's by what the file
// stores): rope_freqs and the LongRoPE lists are float32, so a factor that is not a float32 is
// rounded (2^-24 relative); Llama 3.1's converter moreover computes its blend band from float32
// frequencies, which moves those pairs by up to about 1e-6 relative from transformers' (the
// pairs outside the band, 1 and the factor, are exact); float32 keys (freq_base, factor,
// yarn_log_multiplier) are rounded likewise when their value is not a float32.
//
// Where llama.cpp computes something else from the same keys (for a llama.cpp-semantics
// table): the YaRN correction range in float32, always floored and ceiled (gpt-oss too), the
// ramp mixed by ext_factor, the YaRN magnitude 1 + 0.1 ln(s) multiplied in by the kernel and
// divided back out by llama_context for DeepSeek's ratio; the per-pair factors divide theta in
// float32; LongRoPE's list chosen by the context size (n_ctx_per_seq > L), its attention
// factor the stored float32; A.rope.scaling.yarn_attn_factor (transformers' replacing
// `attention_factor`) ignored when ext_factor != 0 (llama_context's constructor sets the
// magnitude from get_mscale; older versions multiplied the value by the kernel's 1 + 0.1 ln(s)
// instead), and read at all only
// by the architectures whose load_hparams asks for it (like the other yarn_* keys, whose
// llama_hparams defaults are ext_factor -1 (from the scaling type), attn_factor 1, betas 32 / 1);
// the Gemma 3 sliding base fixed at 10000 by older llama.cpp.
//
// With gguf_read_options::semantics = gguf_semantics::llama_cpp, every layer type's
// configuration is the llama_cpp method (methods/llama_cpp.hpp) with the arguments
// llama_cpp_layer_params builds from the keys and tensors above (llama_context's constructor,
// llama_model::get_rope_factors, llm_build_deepseek2) for a context of n_ctx_per_seq positions
// per sequence (default A.context_length, llama.cpp's default context): the table llama.cpp
// computes, with rope_type "llama.cpp". The combinations transformers has no equivalent for
// (factor tensors beside a YaRN or linear scaling, type "longrope" without the tensors) are
// then read as llama.cpp runs them. Every yarn_* key present is read (llama.cpp reads them only
// for the architectures whose load_hparams asks for them). Sliding-window layers (gemma3,
// gpt-oss, as above) take llama.cpp's sliding scale: 1 for gemma3
// (rope_freq_scale_train_swa), the full layers' for gpt-oss; the rest of their arguments is
// the context's, as llama.cpp passes it to every layer.
//
// Errors never throw: expected<model_rope_config>, each naming the key ("llama.block_count",
// "rope_freqs.weight") with what was expected.
#ifndef ROPESCALE_GGUF_ROPE_HPP
#define ROPESCALE_GGUF_ROPE_HPP

#include "error.hpp"
#include "frequencies.hpp"
#include "gguf.hpp"
#include "methods.hpp"
#include "model_rope_config.hpp"
#include "mrope.hpp"
#include "params.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Whose table a GGUF file is read to.
enum class gguf_semantics {
    transformers,  ///< the table transformers computes from the source config.json
    llama_cpp,     ///< the table llama.cpp computes from the file (the llama_cpp method)
};

/// How read_gguf_rope / load_gguf_rope read a file.
struct gguf_read_options {
    gguf_semantics semantics = gguf_semantics::transformers;
    /// llama.cpp semantics: the context per sequence (n_ctx / n_seq_max) that picks the
    /// LongRoPE list (long iff n_ctx_per_seq > L); A.context_length when empty, llama.cpp's
    /// default context. > 0. Unused with transformers' semantics.
    std::optional<std::int64_t> n_ctx_per_seq;
};

namespace detail {
namespace gguf_rope {

// An optional key of type T (float, uint32 or bool): empty when absent, the key's error when
// it has another type.
template <class T>
expected<std::optional<T>> optional_key(const gguf_file& f, const std::string& key) {
    if (f.find(key) == nullptr) return std::optional<T>{};
    expected<T> v = [&]() -> expected<T> {
        if constexpr (std::is_same_v<T, float>)
            return f.get_f32(key);
        else if constexpr (std::is_same_v<T, std::uint32_t>)
            return f.get_u32(key);
        else
            return f.get_bool(key);
    }();
    if (!v) return v.err();
    return std::optional<T>{*v};
}

inline expected<std::optional<std::string>> optional_string(const gguf_file& f,
                                                            const std::string& key) {
    if (f.find(key) == nullptr) return std::optional<std::string>{};
    auto v = f.get_string(key);
    if (!v) return v.err();
    return std::optional<std::string>{std::string(*v)};
}

// A finite float32 key (NaN and infinities refused, naming the key).
inline expected<std::optional<double>> optional_f32(const gguf_file& f, const std::string& key) {
    auto v = optional_key<float>(f, key);
    if (!v) return v.err();
    if (!*v) return std::optional<double>{};
    if (!std::isfinite(**v))
        return make_error(errc::not_finite, key, "must be a finite number",
                          static_cast<double>(**v));
    return std::optional<double>{static_cast<double>(**v)};
}

// A uint32 scalar, or the first entry of a uint32/int32 array (per-layer values, llama.cpp's
// get_key_or_arr).
inline expected<std::optional<std::uint32_t>> optional_u32_or_first(const gguf_file& f,
                                                                    const std::string& key) {
    const gguf_kv* kv = key.empty() ? nullptr : f.find(key);
    if (kv == nullptr) return std::optional<std::uint32_t>{};
    if (kv->value.type() != gguf_type::array) {
        auto v = f.get_u32(key);
        if (!v) return v.err();
        return std::optional<std::uint32_t>{*v};
    }
    auto a = f.get_array(key);
    if (!a) return a.err();
    if (auto u = (*a)->get_if<std::uint32_t>(); u && !u->empty())
        return std::optional<std::uint32_t>{(*u)[0]};
    if (auto s = (*a)->get_if<std::int32_t>(); s && !s->empty() && (*s)[0] >= 0)
        return std::optional<std::uint32_t>{static_cast<std::uint32_t>((*s)[0])};
    return error{errc::wrong_type, key,
                 "expected a uint32 or a non-empty array of non-negative integers"};
}

// The pairs of a factor tensor, as doubles (each float32 exactly).
template <class TensorReader>
expected<std::vector<double>> factor_list(TensorReader& read, const char* name, int rotary_dim) {
    auto v = read(name, static_cast<std::uint64_t>(rotary_dim / 2));
    if (!v) return v.err();
    return std::vector<double>(v->begin(), v->end());
}

inline bool is_deepseek2(std::string_view arch) { return arch == "deepseek2"; }

// The sliding-window layers, as llama.cpp's load_hparams sets hparams.swa_layers: `key` as a
// per-layer bool array (llama_model_loader::get_key_or_arr; the converters write
// add_sliding_window_pattern(layer_types == "sliding_attention")), or as a uint32 period n, else
// `period` n (an empty `key`: no key read); a period n is llama_hparams::set_swa_pattern(n):
// layer i slides iff n == 0 or i % n < n - 1. Returns the pattern and, when it came from the
// key, where.
inline expected<std::pair<std::vector<bool>, std::string>> swa_layers(const gguf_file& f,
                                                                      const std::string& key,
                                                                      std::size_t layers,
                                                                      std::uint32_t period) {
    std::vector<bool> out(layers, false);
    std::string origin;
    // An empty key: the architecture has no pattern key (a file may hold a key "").
    const gguf_kv* kv = key.empty() ? nullptr : f.find(key);
    if (kv != nullptr && kv->value.type() == gguf_type::array) {
        auto a = f.get_array(key);
        if (!a) return a.err();
        const std::vector<bool>* b = (*a)->get_if<bool>();
        if (b == nullptr)
            return error{errc::wrong_type, key,
                         std::string("expected an array of bool (one per layer), got an array "
                                     "of ") +
                             to_string((*a)->element_type())};
        if (b->size() != layers)
            return error{errc::inconsistent, key,
                         "has " + std::to_string(b->size()) + " entries for " +
                             std::to_string(layers) + " layers"};
        return std::make_pair(*b, key + " (per layer)");
    }
    if (kv != nullptr) {
        auto n = f.get_u32(key);
        if (!n) return n.err();
        period = *n;
        origin = key + " = " + std::to_string(period) + " (llama_hparams::set_swa_pattern)";
    }
    for (std::size_t i = 0; i < layers; ++i) out[i] = period == 0 || i % period < period - 1;
    return std::make_pair(std::move(out), std::move(origin));
}

// Gemma 4's full-attention layers: rope_freqs.weight holding 1 for the first r pairs and 1e30
// (as float32) for the others (Gemma4Model.generate_extra_tensors, over the whole head) is
// transformers' proportional RoPE with 2r rotated channels: inv_freq b^(-2i/D) for i < r and 0
// beyond (llama.cpp divides by 1e30 instead, leaving those pairs an angle below 1e-24 rad per
// position). Empty when the factors have another form, or the rotary dimension is not the head.
inline std::optional<rope_config> proportional_from_rope_freqs(const rope_config& c) {
    const auto* m = std::get_if<longrope>(&c.scaling);
    if (m == nullptr || c.rotary_dim || c.partial_rotary_factor) return std::nullopt;
    const std::vector<double>& fr = m->short_factor;
    std::size_t r = 0;
    while (r < fr.size() && fr[r] == 1.0) ++r;
    if (r == 0 || r == fr.size()) return std::nullopt;
    for (std::size_t i = r; i < fr.size(); ++i)
        if (!(fr[i] >= static_cast<double>(1e30f))) return std::nullopt;
    rope_config out = c;
    out.scaling = proportional{};
    out.rotary_dim = static_cast<int>(2 * r);
    return out;
}

template <class TensorReader>
expected<model_rope_config> read(const gguf_file& f, TensorReader read_tensor,
                                 const gguf_read_options& options) {
    model_rope_config out;
    const bool llama_semantics = options.semantics == gguf_semantics::llama_cpp;
    if (options.n_ctx_per_seq && *options.n_ctx_per_seq <= 0)
        return make_error(errc::out_of_range, "n_ctx_per_seq", "must be > 0",
                          static_cast<double>(*options.n_ctx_per_seq));
    auto note = [&](std::string key, std::string origin) {
        out.sources.push_back({std::move(key), std::move(origin)});
    };

    auto arch_v = f.get_string("general.architecture");
    if (!arch_v) return arch_v.err();
    const std::string arch(*arch_v);
    out.model_type = arch;
    const std::string p = arch + ".";

    // Layer count and context length (required by llama.cpp's load_hparams).
    auto n_layer = f.get_u32(p + "block_count");
    if (!n_layer) return n_layer.err();
    if (*n_layer > max_layer_count)
        return make_error(errc::out_of_range, p + "block_count",
                          "must be <= " + std::to_string(max_layer_count) + " (max_layer_count)",
                          static_cast<double>(*n_layer));
    auto n_ctx = f.get_u32(p + "context_length");
    if (!n_ctx) return n_ctx.err();
    if (*n_ctx == 0)
        return make_error(errc::out_of_range, p + "context_length", "must be > 0", 0.0);
    out.max_position_embeddings = *n_ctx;
    note("max_position_embeddings", p + "context_length");

    // head_dim (n_embd_head_k) and the rotary dimension (n_rot).
    auto key_length = optional_key<std::uint32_t>(f, p + "attention.key_length");
    if (!key_length) return key_length.err();
    auto n_rot = optional_key<std::uint32_t>(f, p + "rope.dimension_count");
    if (!n_rot) return n_rot.err();
    std::int64_t head_dim = 0;
    if (is_deepseek2(arch)) {
        if (!*n_rot)
            return error{errc::missing_field, p + "rope.dimension_count",
                         "required for " + arch + " (the rotary slice of each head)"};
        head_dim = **n_rot;
        note("head_dim", p + "rope.dimension_count (" + arch +
                             ": the rotary slice, as transformers' qk_rope_head_dim)");
    } else if (*key_length) {
        head_dim = **key_length;
        note("head_dim", p + "attention.key_length");
    } else {
        auto n_embd = optional_key<std::uint32_t>(f, p + "embedding_length");
        if (!n_embd) return n_embd.err();
        auto n_head = optional_u32_or_first(f, p + "attention.head_count");
        if (!n_head) return n_head.err();
        if (!*n_embd || !*n_head || **n_head == 0)
            return error{errc::missing_field, p + "attention.key_length",
                         "absent, and no " + p + "embedding_length / " + p +
                             "attention.head_count to derive it from"};
        head_dim = **n_embd / **n_head;
        note("head_dim", p + "embedding_length / " + p + "attention.head_count");
    }
    const std::int64_t rotary = *n_rot ? static_cast<std::int64_t>(**n_rot) : head_dim;
    if (*n_rot) note("rotary_dim", p + "rope.dimension_count");
    if (head_dim <= 0 || head_dim > (1 << 24) || rotary <= 0 || rotary > head_dim)
        return make_error(errc::out_of_range, *n_rot ? p + "rope.dimension_count" : "head_dim",
                          "must be in (0, head_dim] with head_dim in (0, 2^24]",
                          static_cast<double>(rotary));

    rope_config base;
    base.head_dim = static_cast<int>(head_dim);
    if (rotary != head_dim) base.rotary_dim = static_cast<int>(rotary);

    auto freq_base = optional_f32(f, p + "rope.freq_base");
    if (!freq_base) return freq_base.err();
    base.rope_theta = freq_base->value_or(10000.0);
    note("rope_theta",
         *freq_base ? p + "rope.freq_base" : "default 10000 (llama.cpp load_hparams)");

    // Scaling keys.
    auto type_v = optional_string(f, p + "rope.scaling.type");
    if (!type_v) return type_v.err();
    const std::string type = type_v->value_or("linear");
    if (type != "none" && type != "linear" && type != "yarn" && type != "longrope")
        return error{errc::unknown_rope_type, p + "rope.scaling.type",
                     "'" + type + "' is not one of none, linear, yarn, longrope"};
    auto factor_v = optional_f32(f, p + "rope.scaling.factor");
    if (!factor_v) return factor_v.err();
    std::string factor_key = p + "rope.scaling.factor";
    if (!*factor_v) {
        factor_v = optional_f32(f, p + "rope.scale_linear");
        if (!factor_v) return factor_v.err();
        factor_key = p + "rope.scale_linear";
    }
    double factor = factor_v->value_or(0.0);
    if (factor == 0.0) factor = 1.0;
    auto orig_v = optional_key<std::uint32_t>(f, p + "rope.scaling.original_context_length");
    if (!orig_v) return orig_v.err();
    const std::int64_t original = orig_v->value_or(*n_ctx);
    if (original == 0)
        return make_error(errc::out_of_range, p + "rope.scaling.original_context_length",
                          "must be > 0", 0.0);
    const std::string original_origin =
        *orig_v ? p + "rope.scaling.original_context_length"
                : p + "context_length (no " + p + "rope.scaling.original_context_length)";
    auto attn_v = optional_f32(f, p + "rope.scaling.attn_factor");
    if (!attn_v) return attn_v.err();
    auto ext_v = optional_f32(f, p + "rope.scaling.yarn_ext_factor");
    if (!ext_v) return ext_v.err();
    auto yarn_attn_v = optional_f32(f, p + "rope.scaling.yarn_attn_factor");
    if (!yarn_attn_v) return yarn_attn_v.err();
    auto beta_fast_v = optional_f32(f, p + "rope.scaling.yarn_beta_fast");
    if (!beta_fast_v) return beta_fast_v.err();
    auto beta_slow_v = optional_f32(f, p + "rope.scaling.yarn_beta_slow");
    if (!beta_slow_v) return beta_slow_v.err();
    auto log_mul_v = optional_f32(f, p + "rope.scaling.yarn_log_multiplier");
    if (!log_mul_v) return log_mul_v.err();
    auto finetuned_v = optional_key<bool>(f, p + "rope.scaling.finetuned");
    if (!finetuned_v) return finetuned_v.err();
    out.finetuned = finetuned_v->value_or(false);

    const bool has_long = f.find_tensor(gguf_rope_factors_long) != nullptr;
    const bool has_short = f.find_tensor(gguf_rope_factors_short) != nullptr;
    const bool has_freqs = f.find_tensor(gguf_rope_freqs) != nullptr;
    const int d = static_cast<int>(rotary);

    layer_rope full;
    full.layer_type = "full_attention";
    full.config = base;
    llama_cpp_rope_hparams h;  // llama.cpp semantics: the hyperparameters as llama.cpp has them
    const std::int64_t n_ctx_per_seq = options.n_ctx_per_seq.value_or(*n_ctx);
    if (llama_semantics) {
        h.architecture = arch;
        h.scaling_type = type == "none"       ? llama_cpp_scaling_type::none
                         : type == "yarn"     ? llama_cpp_scaling_type::yarn
                         : type == "longrope" ? llama_cpp_scaling_type::longrope
                                              : llama_cpp_scaling_type::linear;
        h.factor = factor;
        h.context_length = *n_ctx;
        h.original_context_length = original;
        h.rope_attn_factor = attn_v->value_or(1.0);
        h.yarn_ext_factor = ext_v->value_or(-1.0);
        h.yarn_attn_factor = yarn_attn_v->value_or(1.0);
        h.yarn_beta_fast = beta_fast_v->value_or(32.0);
        h.yarn_beta_slow = beta_slow_v->value_or(1.0);
        h.yarn_log_multiplier = log_mul_v->value_or(0.0);
        // gpt-oss's sliding layers share the full layers' scale; gemma3's do not scale.
        h.sliding_freq_scale = arch == "gpt-oss" && type != "none" ? 1.0 / factor : 1.0;
        const auto tensor = [&](const char* name, bool present,
                                std::vector<double>& to) -> std::optional<error> {
            if (!present) return std::nullopt;
            auto v = factor_list(read_tensor, name, d);
            if (!v) return v.err();
            to = std::move(*v);
            note(std::string("freq_factors"), name);
            return std::nullopt;
        };
        if (has_freqs) {
            if (auto e = tensor(gguf_rope_freqs, true, h.rope_freqs)) return *e;
        } else {
            if (auto e = tensor(gguf_rope_factors_long, has_long, h.rope_factors_long)) return *e;
            if (auto e = tensor(gguf_rope_factors_short, has_short, h.rope_factors_short))
                return *e;
        }
        const llama_cpp_layer l = llama_cpp_layer_params(h, n_ctx_per_seq);
        full.config.scaling = l.params;
        full.rope_type = method_traits<llama_cpp>::name;
        full.original_max_position_embeddings = l.params.n_ctx_orig;
        note("rope_type", "llama.cpp semantics (llama_cpp_layer_params: " + type +
                              " scaling, ext_factor " + format_value(l.params.ext_factor) +
                              ", n_ctx_per_seq " + std::to_string(n_ctx_per_seq) + ")");
        note("original_max_position_embeddings", original_origin);
    } else if (has_long || has_short || has_freqs || type == "longrope") {
        if (type == "yarn" || (type == "linear" && factor != 1.0))
            return error{errc::inconsistent, factor_key,
                         "a linear or YaRN scaling beside RoPE factor tensors has no "
                         "transformers equivalent"};
        longrope m;
        m.original_max_position_embeddings = original;
        m.max_position_embeddings = *n_ctx;
        if (!has_freqs) {
            auto l = factor_list(read_tensor, gguf_rope_factors_long, d);
            if (!l) return l.err();
            auto s = factor_list(read_tensor, gguf_rope_factors_short, d);
            if (!s) return s.err();
            m.long_factor = std::move(*l);
            m.short_factor = std::move(*s);
            note("long_factor", gguf_rope_factors_long);
            note("short_factor", gguf_rope_factors_short);
            note("max_position_embeddings", p + "context_length");
            // transformers' attention factor, f = max_position_embeddings / L.
            const double ratio = static_cast<double>(*n_ctx) / static_cast<double>(original);
            const double computed =
                ratio > 1.0 ? std::sqrt(1.0 + std::log(ratio) / std::log(double(original))) : 1.0;
            if (*attn_v && **attn_v != static_cast<double>(static_cast<float>(computed))) {
                m.attention_factor = **attn_v;
                note("attention_factor", p + "rope.scaling.attn_factor");
                out.warnings.push_back(
                    {p + "rope.scaling.attn_factor",
                     "is not transformers' sqrt(1 + ln(s) / ln(L)) = " + format_value(computed) +
                         " rounded to float32: the stored value is used"});
            } else {
                note("attention_factor",
                     "sqrt(1 + ln(context_length / L) / ln(L)) (transformers "
                     "_compute_longrope_parameters)" +
                         (*attn_v ? std::string(", agreeing with ") + p +
                                        "rope.scaling.attn_factor in float32"
                                  : std::string()));
            }
            full.rope_type = "longrope";
        } else {
            auto fr = factor_list(read_tensor, gguf_rope_freqs, d);
            if (!fr) return fr.err();
            m.long_factor = *fr;
            m.short_factor = std::move(*fr);
            m.attention_factor = 1.0;
            if (has_long || has_short)
                out.warnings.push_back({gguf_rope_freqs,
                                        "used; the LongRoPE factor tensors beside it are ignored "
                                        "(llama.cpp llama_model::get_rope_factors)"});
            if (*attn_v && **attn_v != 1.0)
                out.warnings.push_back({p + "rope.scaling.attn_factor",
                                        "ignored beside rope_freqs.weight (attention factor 1)"});
            note("short_factor", std::string(gguf_rope_freqs) +
                                     " (per-pair divisors of theta_i, "
                                     "llama_model::get_rope_factors)");
            note("long_factor", gguf_rope_freqs);
            note("attention_factor", "1 (per-pair factors only)");
            full.rope_type = "rope_freqs";
        }
        note("original_max_position_embeddings", original_origin);
        full.original_max_position_embeddings = original;
        full.config.scaling = std::move(m);
    } else if (type == "none" || (type == "linear" && factor == 1.0)) {
        full.rope_type = "default";
        if (type == "none" && factor != 1.0)
            out.warnings.push_back({factor_key,
                                    "ignored: scaling type \"none\" never scales "
                                    "(llama.cpp llama_context)"});
        note("rope_type", *type_v ? p + "rope.scaling.type" : "default \"linear\" with s = 1");
    } else if (type == "linear") {
        full.config.scaling = linear{factor};
        full.rope_type = "linear";
        note("rope_type", p + "rope.scaling.type");
        note("factor", factor_key);
    } else {  // yarn
        yarn m;
        m.factor = factor;
        m.original_max_position_embeddings = original;
        m.beta_fast = beta_fast_v->value_or(32.0);
        m.beta_slow = beta_slow_v->value_or(1.0);
        m.truncate = arch != "gpt-oss";
        if (*ext_v && **ext_v >= 0.0) m.extrapolation_factor = **ext_v;
        m.attn_factor = attn_v->value_or(1.0);
        if (*yarn_attn_v) {
            m.attention_factor = **yarn_attn_v;
            note("attention_factor", p + "rope.scaling.yarn_attn_factor (transformers' "
                                         "attention_factor, as the converter writes it)");
        }
        m.attention_scales_logits = is_deepseek2(arch);
        if (*log_mul_v) {
            if (is_deepseek2(arch)) {
                const double all = **log_mul_v / 0.1;
                m.mscale = all;
                m.mscale_all_dim = all;
                note("mscale_all_dim", p + "rope.scaling.yarn_log_multiplier / 0.1 (" + arch +
                                           " stores 0.1 * mscale_all_dim)");
                note("mscale", "mscale_all_dim (llama.cpp llama_context, " + arch + ")");
            } else {
                m.mscale = 1.0;
                m.mscale_all_dim = **log_mul_v;
                note("mscale_all_dim", p + "rope.scaling.yarn_log_multiplier");
                note("mscale", "1 (llama.cpp llama_context)");
            }
        }
        full.rope_type = "yarn";
        full.original_max_position_embeddings = original;
        note("rope_type", p + "rope.scaling.type");
        note("factor", factor_key);
        note("original_max_position_embeddings", original_origin);
        note("beta_fast", *beta_fast_v ? p + "rope.scaling.yarn_beta_fast" : "default 32");
        note("beta_slow", *beta_slow_v ? p + "rope.scaling.yarn_beta_slow" : "default 1");
        note("truncate", m.truncate ? "true (llama.cpp always floors the correction range)"
                                    : "false for " + arch + " (transformers GptOssConfig)");
        if (*attn_v)
            note("attn_factor", p + "rope.scaling.attn_factor (multiplies, llama_context)");
        full.config.scaling = std::move(m);
    }
    if ((full.rope_type == "default" || full.rope_type == "linear") && *attn_v && **attn_v != 1.0)
        out.warnings.push_back(
            {p + "rope.scaling.attn_factor", "ignored: transformers has no attention factor for " +
                                                 full.rope_type +
                                                 " RoPE (llama.cpp multiplies cos and sin by it, "
                                                 "llama_context)"});
    if (auto e = validate(full.config); !e) return e.err();

    // Layers: the sliding-window layers' table, the layers without RoPE, the query scale.
    auto base_swa = optional_f32(f, p + "rope.freq_base_swa");
    if (!base_swa) return base_swa.err();
    auto n_rot_swa = optional_key<std::uint32_t>(f, p + "rope.dimension_count_swa");
    if (!n_rot_swa) return n_rot_swa.err();
    // A.nextn_predict_layers: the last blocks are multi-token-prediction layers (GLM-4.5's
    // Glm4MoeModel writes num_hidden_layers + num_nextn_predict_layers blocks; load_hparams:
    // n_layer_kv_from_start = n_layer - nextn_predict_layers), outside transformers'
    // num_hidden_layers.
    auto nextn = optional_key<std::uint32_t>(f, p + "nextn_predict_layers");
    if (!nextn) return nextn.err();
    if (nextn->value_or(0) > *n_layer)
        return make_error(errc::out_of_range, p + "nextn_predict_layers",
                          "must be <= " + p + "block_count", static_cast<double>(**nextn));
    const std::size_t layers = *n_layer - nextn->value_or(0);
    if (nextn->value_or(0) > 0)
        note("num_hidden_layers", p + "block_count - " + p + "nextn_predict_layers");
    out.layers.assign(layers, std::size_t{0});
    std::optional<layer_rope> sliding;
    std::vector<bool> swa;  // per layer: uses `sliding` (empty: no sliding-window layers)
    std::vector<bool> nope(layers, false);
    std::string swa_origin;
    // The sliding-window layers: the pattern key where the architecture's load_hparams reads
    // it (`read_key`), else `period`.
    auto pattern = [&](std::uint32_t period, std::string origin,
                       bool read_key) -> std::optional<error> {
        auto s = swa_layers(f, read_key ? p + "attention.sliding_window_pattern" : std::string(),
                            layers, period);
        if (!s) return s.err();
        swa = std::move(s->first);
        swa_origin = s->second.empty() ? std::move(origin) : std::move(s->second);
        return std::nullopt;
    };
    if (arch == "gemma4") {
        // Gemma4Model writes the per-layer pattern, key_length_swa, dimension_count_swa,
        // freq_base_swa, and rope_freqs.weight (1 for the rotated pairs, 1e30 for the others)
        // for the full-attention layers only.
        if (f.find(p + "attention.sliding_window_pattern") == nullptr)
            return error{errc::missing_field, p + "attention.sliding_window_pattern",
                         "required for gemma4 (the per-layer sliding-window pattern)"};
        if (auto e = pattern(0, "", true)) return *e;
        if (full.rope_type == "rope_freqs")
            if (auto pr = proportional_from_rope_freqs(full.config)) {
                note("full_attention.rope_type",
                     std::string(gguf_rope_freqs) + " (1 for the rotated pairs, >= 1e30 for the " +
                         "unrotated ones: transformers' proportional RoPE, Gemma4Model)");
                full.config = *pr;
                full.rope_type = "proportional";
                full.original_max_position_embeddings.reset();
            }
        auto hd_swa = optional_key<std::uint32_t>(f, p + "attention.key_length_swa");
        if (!hd_swa) return hd_swa.err();
        layer_rope s;
        s.layer_type = "sliding_attention";
        s.config.head_dim =
            static_cast<int>(hd_swa->value_or(static_cast<std::uint32_t>(head_dim)));
        s.config.rope_theta = base_swa->value_or(base.rope_theta);
        s.config.scaling = plain{};
        s.rope_type = "default";
        note("sliding_attention.head_dim", *hd_swa ? p + "attention.key_length_swa" : "head_dim");
        note("sliding_attention.rope_theta",
             *base_swa ? p + "rope.freq_base_swa" : p + "rope.freq_base (no freq_base_swa)");
        sliding = std::move(s);
    } else if (arch == "gemma3") {
        if (auto e =
                pattern(6, "i % 6 < 5 (llama_hparams::set_swa_pattern(6), load_hparams)", false))
            return *e;
        layer_rope s;
        s.layer_type = "sliding_attention";
        s.config = base;
        if (llama_semantics)
            s.config.scaling = llama_cpp_layer_params(h, n_ctx_per_seq, true).params;
        else
            s.config.scaling = plain{};
        s.config.rope_theta = base_swa->value_or(10000.0);
        s.rope_type = llama_semantics ? method_traits<llama_cpp>::name : "default";
        note("sliding_attention.rope_theta",
             *base_swa ? p + "rope.freq_base_swa"
                       : "default 10000 (llama.cpp load_hparams, LLM_ARCH_GEMMA3)");
        sliding = std::move(s);
    } else if (arch == "gpt-oss" || arch == "gemma2") {
        if (auto e =
                pattern(2, "i % 2 == 0 (llama_hparams::set_swa_pattern(2), load_hparams)", false))
            return *e;
        layer_rope s = full;
        s.layer_type = "sliding_attention";
        if (*base_swa) {
            s.config.rope_theta = **base_swa;
            note("sliding_attention.rope_theta", p + "rope.freq_base_swa");
        }
        sliding = std::move(s);
    } else if (arch == "olmo2") {
        // Olmo 3: sliding-window layers when A.attention.sliding_window > 0, with plain RoPE
        // (llm_build_olmo2: freq_scale 1, ext_factor 0, attn_factor 1 there), as transformers'
        // Olmo3 sliding layers.
        auto window = optional_key<std::uint32_t>(f, p + "attention.sliding_window");
        if (!window) return window.err();
        if (window->value_or(0) > 0) {
            if (auto e =
                    pattern(4, "i % 4 < 3 (llama_hparams::set_swa_pattern(4), load_hparams)", true))
                return *e;
            layer_rope s;
            s.layer_type = "sliding_attention";
            s.config = base;
            s.config.scaling = plain{};
            s.config.rope_theta = base_swa->value_or(base.rope_theta);
            s.rope_type = "default";
            note("sliding_attention.rope_theta",
                 *base_swa ? p + "rope.freq_base_swa" : p + "rope.freq_base (no freq_base_swa)");
            sliding = std::move(s);
        }
    } else if (arch == "exaone4" || arch == "cohere2") {
        // EXAONE 4 and Cohere 2: with sliding-window layers, only those rotate
        // (llm_build_exaone4: use_rope = is_swa(il) || no sliding window; llm_build_cohere2_iswa:
        // RoPE if is_swa(il)), as transformers' Exaone4Attention and Cohere2Attention. Cohere 2:
        // period 4 (load_hparams). EXAONE 4: the pattern key, else period 4 for 64 layers
        // (load_hparams).
        auto window = optional_key<std::uint32_t>(f, p + "attention.sliding_window");
        if (!window) return window.err();
        const bool listed = f.find(p + "attention.sliding_window_pattern") != nullptr;
        if (arch == "cohere2") {
            if (auto e = pattern(4, "i % 4 < 3 (llama_hparams::set_swa_pattern(4), load_hparams)",
                                 false))
                return *e;
        } else if (listed || layers == 64) {
            if (auto e = pattern(4,
                                 "i % 4 < 3 (llama_hparams::set_swa_pattern(4), load_hparams "
                                 "for 64 layers)",
                                 true))
                return *e;
        } else if (window->value_or(0) > 0) {
            if (auto e =
                    pattern(4, "i % 4 < 3 (transformers Exaone4Config's default pattern)", false))
                return *e;
            out.warnings.push_back(
                {p + "attention.sliding_window",
                 "without " + p +
                     "attention.sliding_window_pattern: read with transformers' default pattern "
                     "(every 4th layer global, without RoPE); llama.cpp applies a pattern to 64 "
                     "layers only and otherwise rotates every layer"});
        }
        if (std::find(swa.begin(), swa.end(), true) != swa.end()) {
            full.layer_type = "sliding_attention";
            for (std::size_t i = 0; i < layers; ++i) nope[i] = !swa[i];
            note("layers",
                 "RoPE on the sliding-window layers only, " + swa_origin +
                     (arch == "cohere2" ? " (llm_build_cohere2_iswa)" : " (llm_build_exaone4)"));
            swa.clear();
        }
    } else if (arch == "smollm3") {
        for (std::size_t i = 0; i < layers; ++i) nope[i] = (i + 1) % 4 == 0;
        note("layers", "no RoPE where (i + 1) % 4 == 0 (load_hparams: n_no_rope_layer_step = 4)");
    }
    if (!sliding && (*base_swa || *n_rot_swa))
        out.warnings.push_back(
            {*base_swa ? p + "rope.freq_base_swa" : p + "rope.dimension_count_swa",
             "ignored: the sliding-window layer pattern of '" + arch +
                 "' is not known to this reader (every layer uses the "
                 "full-attention table)"});
    if (sliding && *n_rot_swa) {
        if (**n_rot_swa == 0 || **n_rot_swa > static_cast<std::uint32_t>(sliding->config.head_dim))
            return make_error(errc::out_of_range, p + "rope.dimension_count_swa",
                              "must be in (0, head_dim]", static_cast<double>(**n_rot_swa));
        sliding->config.rotary_dim = static_cast<int>(**n_rot_swa);
        if (*sliding->config.rotary_dim == sliding->config.head_dim)
            sliding->config.rotary_dim.reset();
        note("sliding_attention.rotary_dim", p + "rope.dimension_count_swa");
    }
    if (auto e = validate(full.config); !e) return e.err();
    out.layer_types.push_back(full);
    if (sliding) {
        if (auto e = validate(sliding->config); !e) return e.err();
        out.layer_types.push_back(std::move(*sliding));
        for (std::size_t i = 0; i < layers; ++i)
            if (swa[i]) out.layers[i] = std::size_t{1};
        note("layers", "sliding-window layers: " + swa_origin);
    }
    for (std::size_t i = 0; i < layers; ++i)
        if (nope[i]) out.layers[i].reset();

    // Ministral 3: llama_4_scaling_beta, written as A.attention.temperature_scale (Mistral3Model);
    // llama.cpp's load_hparams (LLM_ARCH_MISTRAL3) takes its length from n_ctx_orig_yarn.
    if (arch == "mistral3") {
        auto temp = optional_f32(f, p + "attention.temperature_scale");
        if (!temp) return temp.err();
        if (*temp && **temp != 0.0) {
            llama_4_scaling q;
            q.beta = **temp;
            q.original_max_position_embeddings = original;
            out.query_scale = q;
            out.query_scale_layers = query_scale_scope::all;
            note("query_scale", p + "attention.temperature_scale over " + original_origin +
                                    " (transformers Ministral3Attention)");
        }
    }

    // Multimodal sections.
    if (f.find(p + "rope.dimension_sections") != nullptr) {
        auto a = f.get_array(p + "rope.dimension_sections");
        if (!a) return a.err();
        std::vector<int> sec;
        if (auto s = (*a)->get_if<std::int32_t>()) {
            for (std::int32_t x : *s) sec.push_back(x);
        } else if (auto u = (*a)->get_if<std::uint32_t>()) {
            for (std::uint32_t x : *u) sec.push_back(x > (1u << 24) ? -1 : static_cast<int>(x));
        } else {
            return error{errc::wrong_type, p + "rope.dimension_sections",
                         std::string("expected an array of int32, got an array of ") +
                             to_string((*a)->element_type())};
        }
        // llama.cpp keeps four sections (t, h, w, e); the fourth is the vision encoder's and
        // zero for the text models, whose three are transformers' mrope_section.
        for (int x : sec)
            if (x < 0)
                return error{errc::out_of_range, p + "rope.dimension_sections",
                             "every section must be >= 0 (and below 2^24)"};
        if (sec.size() > 3 && std::any_of(sec.begin() + 3, sec.end(), [](int x) { return x != 0; }))
            return error{errc::invalid_argument, p + "rope.dimension_sections",
                         "has a non-zero section after the third: a text model has three (t, "
                         "h, w)"};
        sec.resize(3, 0);
        mrope_sections m{std::move(sec), arch == "qwen3vl" || arch == "qwen3vlmoe"};
        // rotary fits an int: the full-attention config holding it passed validate() above.
        if (auto st =
                check_mrope_sections(m, static_cast<int>(rotary), p + "rope.dimension_sections");
            !st)
            return st.err();
        out.mrope = std::move(m);
        note("mrope_section", p + "rope.dimension_sections");
    }

    // llama.cpp semantics: a layer type the rules above left as plain RoPE (sliding-window
    // layers whose graph passes freq_scale 1, ext_factor 0 and attn_factor 1, as llm_build_olmo2
    // and the gemma4 sliding layers do) is that llama_cpp call: the same table, named as such.
    if (llama_semantics)
        for (layer_rope& l : out.layer_types)
            if (std::holds_alternative<plain>(l.config.scaling)) {
                l.config.scaling = llama_cpp{};
                l.rope_type = method_traits<llama_cpp>::name;
            }

    const layer_rope& primary = out.layer_types.front();
    out.config = primary.config;
    out.rope_type = primary.rope_type;
    out.original_max_position_embeddings = primary.original_max_position_embeddings;
    return out;
}

// Whether two tables hold the same numbers but for float32 storage: every inv_freq, the
// attention factor and the logit scale within 2^-20 relative (against a zero: within 2^-60 of
// the largest frequency, since llama.cpp's unrotated pairs are divided by 1e30, not zero).
// Otherwise the largest difference: which value and its size (relative; against a zero,
// relative to the largest frequency).
struct table_difference {
    std::string what;
    double size = 0.0;
};
inline std::optional<table_difference> differs(const frequency_table& a, const frequency_table& b) {
    constexpr double rel = 0x1p-20;
    std::optional<table_difference> worst;
    const auto consider = [&](const std::string& what, double x, double y, double zero_scale) {
        const bool zero = x == 0.0 || y == 0.0;
        const double d = zero ? std::fabs(x - y) / zero_scale : std::fabs(x / y - 1.0);
        const bool over = zero ? !(d <= 0x1p-60) : !(d <= rel);
        if (over && (!worst || !(d <= worst->size))) worst = table_difference{what, d};
    };
    if (a.inv_freq.size() != b.inv_freq.size()) return table_difference{"the number of pairs", 1.0};
    double largest = 0.0;
    for (double f : b.inv_freq) largest = std::max(largest, f);
    for (std::size_t i = 0; i < a.inv_freq.size(); ++i)
        consider("inv_freq[" + std::to_string(i) + "]", a.inv_freq[i], b.inv_freq[i], largest);
    consider("the attention factor", a.attention_factor, b.attention_factor, 1.0);
    consider("the logit scale", a.logit_scale, b.logit_scale, 1.0);
    return worst;
}

// Transformers' reading (`options` default) with, for each layer type whose table differs
// from the one llama.cpp computes from the same file (differs above), a warning naming the
// layer type, the value, its relative difference, and how to get llama.cpp's table: so that a
// GGUF user comparing against llama.cpp is never surprised. LongRoPE is compared list by list
// (llama.cpp's short list at a context per sequence of L, its long one at L + 1). The warning's
// field is A.rope.scaling.type when the file has it, else general.architecture.
template <class TensorReader>
expected<model_rope_config> read_compared(const gguf_file& f, TensorReader read_tensor,
                                          const gguf_read_options& options) {
    auto out = read(f, read_tensor, options);
    if (!out || options.semantics == gguf_semantics::llama_cpp) return out;
    const std::string type_key = out->model_type + ".rope.scaling.type";
    const std::string field = f.find(type_key) != nullptr ? type_key : "general.architecture";
    for (const layer_rope& l : out->layer_types) {
        std::vector<std::pair<table_options, std::optional<std::int64_t>>> runs{{{}, std::nullopt}};
        if (std::holds_alternative<longrope>(l.config.scaling)) {
            const std::int64_t L =
                std::get<longrope>(l.config.scaling).original_max_position_embeddings;
            table_options s, lo;
            s.longrope = longrope_factors::short_factors;
            lo.longrope = longrope_factors::long_factors;
            runs = {{s, L}, {lo, L + 1}};
        }
        for (const auto& [topt, n_ctx] : runs) {
            gguf_read_options lo;
            lo.semantics = gguf_semantics::llama_cpp;
            lo.n_ctx_per_seq = n_ctx;
            auto ll = read(f, read_tensor, lo);
            if (!ll) break;  // nothing to compare against (the reading above succeeded)
            const layer_rope* m = ll->find_layer_type(l.layer_type);
            if (m == nullptr) break;
            auto a = compute_frequencies(l.config, topt);
            auto b = compute_frequencies(m->config);
            if (!a || !b) break;
            if (auto d = differs(*a, *b)) {
                char size[32];
                std::snprintf(size, sizeof size, "%.3g", d->size);
                out->warnings.push_back(
                    {field, "layer type " + l.layer_type + ": transformers' table, read here, " +
                                "differs from llama.cpp's for this file in " + d->what + " by " +
                                size + " relative" +
                                (topt.longrope ? (*topt.longrope == longrope_factors::long_factors
                                                      ? " (long list)"
                                                      : " (short list)")
                                               : "") +
                                " (gguf_semantics::llama_cpp reads llama.cpp's table)"});
                break;
            }
        }
    }
    return out;
}

}  // namespace gguf_rope
}  // namespace detail

/// Reads the rope configuration of a GGUF file held in memory: `file` parsed (parse_gguf) from
/// `bytes`, the whole file, whose RoPE tensors are read from there. The rules, the llama.cpp
/// function each follows, and where llama.cpp computes something else are in the header
/// comment; `options` selects transformers' semantics (default) or llama.cpp's (every layer
/// type the llama_cpp method; error field "n_ctx_per_seq" for a value <= 0). With transformers'
/// semantics, each layer type whose table differs from llama.cpp's for the same file by more
/// than float32 storage (2^-20 relative) gets a warning saying where and by how much. Every layer
/// type's configuration has passed validate(). Precision: each parameter is the stored value
/// converted exactly to double (float32 keys and tensors), except the divisions the rules name
/// (yarn_log_multiplier / 0.1, embedding_length / head_count). Errors name the key or tensor. Never
/// throws (except std::bad_alloc).
inline expected<model_rope_config> read_gguf_rope(const gguf_file& file, std::string_view bytes,
                                                  const gguf_read_options& options = {}) {
    return detail::gguf_rope::read_compared(
        file,
        [&](const char* name, std::uint64_t n) { return read_f32_tensor(file, bytes, name, n); },
        options);
}

/// As read_gguf_rope, from the file at `path`: load_gguf, then only the RoPE tensors' bytes
/// (load_f32_tensor). Never throws (except std::bad_alloc).
inline expected<model_rope_config> load_gguf_rope(const std::filesystem::path& path,
                                                  const gguf_read_options& options = {}) {
    auto file = load_gguf(path);
    if (!file) return file.err();
    return detail::gguf_rope::read_compared(
        *file,
        [&](const char* name, std::uint64_t n) { return load_f32_tensor(*file, path, name, n); },
        options);
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_GGUF_ROPE_HPP
