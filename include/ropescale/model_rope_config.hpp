// SPDX-License-Identifier: MIT
//
// What a model file says about its RoPE, whichever file it came from: the one result type of
// the config.json reader (hf_config.hpp: read_hf_config, parse_hf_config, load_hf_config) and
// of the GGUF reader (gguf_rope.hpp: read_gguf_rope, load_gguf_rope). A validated
// rope_config per layer type, which layers use which, and where each value came from; the
// rope object of a layer type is model_rope.hpp's make_rope. Core headers only: no JSON
// library, no kernels.
#ifndef ROPESCALE_MODEL_ROPE_CONFIG_HPP
#define ROPESCALE_MODEL_ROPE_CONFIG_HPP

#include "config.hpp"
#include "error.hpp"
#include "mrope.hpp"
#include "mrope_positions.hpp"
#include "params.hpp"
#include "query_scale.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// The largest layer count either reader accepts (config.json `num_hidden_layers` or the length
/// of `layer_types`, GGUF `A.block_count`); a larger one is refused as out_of_range, naming the
/// key. Published models have at most a few hundred layers; the bound keeps the per-layer lists
/// a hostile file makes the reader build (several entries per layer) to a few megabytes.
inline constexpr std::size_t max_layer_count = std::size_t{1} << 16;

/// Where one value of a model_rope_config came from: `key`, as transformers names it
/// (prefixed by the layer type for a per-layer-type value: "sliding_attention.rope_theta"),
/// and `origin`: the config.json path ("text_config.rope_theta") or GGUF key or tensor
/// ("llama.rope.freq_base") it was read at, or the default or rule that gave it ("default
/// 1000000.0 (transformers Gemma3TextConfig)").
struct value_source {
    std::string key;
    std::string origin;
};

/// The rope of one layer type.
struct layer_rope {
    std::string layer_type;  ///< "full_attention", "sliding_attention", "chunked_attention"...
    rope_config config;      ///< validated, ready for compute_frequencies
    /// The method as the file names it: config.json's rope_type as written ("su", "yarn",
    /// "mrope"...), "default" if none; for GGUF "default", "linear", "yarn", "longrope", or
    /// "rope_freqs" (per-pair factors, represented as longrope with attention factor 1).
    std::string rope_type;
    /// The original context length L the method uses, as resolved; empty for methods without
    /// one (plain, linear, ntk_aware, dynamic).
    std::optional<std::int64_t> original_max_position_embeddings;
};

/// Which layers a query scale applies to.
enum class query_scale_scope {
    all,   ///< every layer (Ministral 3 `llama_4_scaling_beta`)
    nope,  ///< the layers without RoPE only (Llama 4 attention temperature)
};

/// A model's RoPE as read from its config.json or GGUF file. `config`, `rope_type` and
/// `original_max_position_embeddings` are those of the primary layer type (layer_types[0]:
/// full attention when it rotates, else the first rotating one).
struct model_rope_config {
    rope_config config;     ///< validated, ready for compute_frequencies
    std::string rope_type;  ///< layer_types[0].rope_type
    /// The context the model was trained for: config.json `max_position_embeddings`, GGUF
    /// `A.context_length`; empty when the file has none.
    std::optional<std::int64_t> max_position_embeddings;
    std::optional<std::int64_t> original_max_position_embeddings;  ///< of layer_types[0]
    std::vector<warning> warnings;  ///< what the references only warn about, and divergences

    /// One entry per layer type that rotates, primary first; one entry for a model whose
    /// layers share one table.
    std::vector<layer_rope> layer_types;
    /// Per layer: index into layer_types, or empty for a layer without RoPE. Empty when the
    /// layer count is unknown (a config.json without `num_hidden_layers`, `layer_types` or
    /// model default).
    std::vector<std::optional<std::size_t>> layers;
    /// The factor q is multiplied by after the rotation, as a function of the position
    /// (query_scale.hpp), and the layers it applies to.
    std::optional<query_scaling> query_scale;
    query_scale_scope query_scale_layers = query_scale_scope::all;
    /// Multimodal sections of the primary layer type (mrope.hpp), checked against its rotary
    /// dimension: config.json `mrope_section` / `mrope_interleaved`, GGUF
    /// `A.rope.dimension_sections`.
    std::optional<mrope_sections> mrope;
    /// The multimodal position-id rules (mrope_positions.hpp: build_mrope_positions) of a
    /// model whose class config.json names (Qwen2-VL, Qwen2.5-VL, Qwen3-VL): its layout, and
    /// `vision_config`'s spatial_merge_size and tokens_per_second (else the vision
    /// configuration class's defaults; `sources` says which). Empty otherwise, and from GGUF
    /// (llama.cpp keeps them in the vision projector's file).
    std::optional<mrope_position_rules> mrope_positions;
    /// The language model's config.json `model_type` ("" when the file names none), or the
    /// GGUF `general.architecture` ("llama", "deepseek2", ...).
    std::string model_type;
    /// config.json: where the language model's keys were read ("" for the top level,
    /// "text_config", ...); "" for GGUF.
    std::string config_path;
    /// GGUF `A.rope.scaling.finetuned` (no effect on a table, as in llama.cpp); false from
    /// config.json, where a dynamic YaRN section carries its own (dynamic_yarn::finetuned).
    bool finetuned = false;
    std::vector<value_source> sources;  ///< where each value was read or defaulted

    /// The rope of layer `i`: nullptr for a layer without RoPE and for i >= layers.size()
    /// when the layer count is known; the primary layer type for every i when it is not.
    const layer_rope* layer(std::size_t i) const noexcept {
        if (layers.empty()) return layer_types.empty() ? nullptr : &layer_types.front();
        if (i >= layers.size() || !layers[i]) return nullptr;
        return &layer_types[*layers[i]];
    }
    /// The entry of layer type `name`, or nullptr.
    const layer_rope* find_layer_type(std::string_view name) const noexcept {
        for (const layer_rope& l : layer_types)
            if (l.layer_type == name) return &l;
        return nullptr;
    }
    /// Whether query_scale applies to layer `i` (false without a query scale).
    bool scales_queries(std::size_t i) const noexcept {
        if (!query_scale) return false;
        if (query_scale_layers == query_scale_scope::all) return true;
        return !layers.empty() && i < layers.size() && !layers[i];
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_MODEL_ROPE_CONFIG_HPP
