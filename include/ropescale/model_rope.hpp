// SPDX-License-Identifier: MIT
//
// The rope object of a model configuration read from a file (model_rope_config: config.json
// or GGUF), per layer type:
//
//   auto m = ropescale::load_gguf_rope("model.gguf");        // or load_hf_config
//   if (!m) return fail(m.err());
//   auto rope = ropescale::make_rope(*m);                    // the primary layer type
//   if (!rope) return fail(rope.err());
//
// No JSON library: a GGUF-only engine includes this, gguf_rope.hpp and nothing of nlohmann.
#ifndef ROPESCALE_MODEL_ROPE_HPP
#define ROPESCALE_MODEL_ROPE_HPP

#include "error.hpp"
#include "frequencies.hpp"
#include "model_rope_config.hpp"
#include "rope.hpp"

#include <string>
#include <string_view>
#include <utility>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {
template <class Arch>
expected<basic_rope<Arch>> make_model_rope(const model_rope_config& m, const rope_config& config,
                                           rope_options options, bool primary) {
    if (primary && m.mrope && !options.mrope) options.mrope = *m.mrope;
    if (options.source == angle_source::cached && !options.positions) {
        if (!m.max_position_embeddings)
            return error{errc::missing_field, "max_position_embeddings",
                         "is absent from the model file: give the cache size with "
                         "rope_options::cached(n)"};
        options.positions = *m.max_position_embeddings;
    }
    auto table = compute_frequencies(config, options.table);
    if (!table) return table.err();
    table->warnings.insert(table->warnings.begin(), m.warnings.begin(), m.warnings.end());
    return basic_rope<Arch>::make(std::move(*table), options);
}
}  // namespace detail

/// The rope of a parsed config (hf_config.hpp's load_hf_config, gguf_rope.hpp's load_gguf_rope,
/// ...), for its primary layer type (m.config): its table at options.table, with the reader's
/// warnings first in table().warnings; a cached rope without options.positions gets the config's
/// max_position_embeddings rows (absent -> errc::missing_field "max_position_embeddings").
/// A config with multimodal sections (m.mrope: Qwen2-VL, Qwen2.5-VL, Qwen3-VL) gives an
/// M-RoPE rope (rope_options::with_mrope; sections given in `options` win), which applies
/// to mrope_streams as transformers' `apply_multimodal_rotary_pos_emb` /
/// `apply_interleaved_mrope` do, and to 1-D positions as to text-only input.
/// Errors: compute_frequencies' and basic_rope::make's.
template <class Arch = xsimd::default_arch>
expected<basic_rope<Arch>> make_rope(const model_rope_config& m,
                                     rope_options options = rope_options::cached()) {
    return detail::make_model_rope<Arch>(m, m.config, std::move(options), true);
}

/// The rope of one layer type of a parsed config ("sliding_attention", ...: an entry of
/// m.layer_types; m.layer(i)->layer_type for layer i), as make_rope above. Layers without
/// RoPE have no entry: they are not rotated. The multimodal sections apply to the primary
/// layer type only (the one the config's rope section describes). A query scale (m.query_scale) is
/// not part of the rope: the engine multiplies q by it where m.scales_queries(i). Errors:
/// errc::invalid_argument on field "layer_type" when m has no such layer type (the message lists
/// those it has), then make_rope's.
template <class Arch = xsimd::default_arch>
expected<basic_rope<Arch>> make_rope(const model_rope_config& m, std::string_view layer_type,
                                     rope_options options = rope_options::cached()) {
    const layer_rope* l = m.find_layer_type(layer_type);
    if (l == nullptr) {
        std::string known;
        for (const layer_rope& x : m.layer_types)
            known += (known.empty() ? "" : ", ") + x.layer_type;
        return error{errc::invalid_argument, "layer_type",
                     "\"" + std::string(layer_type) + "\" is not a layer type of this config (" +
                         known + ")"};
    }
    return detail::make_model_rope<Arch>(m, l->config, std::move(options),
                                         l == &m.layer_types.front());
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_MODEL_ROPE_HPP
