// SPDX-License-Identifier: MIT
//
// From a Hugging Face config.json to a ready rope object in one call:
//
//   auto rope = ropescale::load_rope("config.json");
//   if (!rope) return fail(rope.err());
//   if (auto s = rope->apply(positions, q, k); !s) return fail(s.err());
//
// Needs nlohmann-json, like hf_config.hpp.
#ifndef ROPESCALE_HF_ROPE_HPP
#define ROPESCALE_HF_ROPE_HPP

#include "error.hpp"
#include "hf_config.hpp"
#include "rope.hpp"

#include <string>
#include <string_view>
#include <utility>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {
template <class Arch>
expected<basic_rope<Arch>> make_hf_rope(const hf_rope_config& hf, const rope_config& config,
                                        rope_options options, bool primary) {
    if (primary && hf.mrope && !options.mrope) options.mrope = *hf.mrope;
    if (options.source == angle_source::cached && !options.positions) {
        if (!hf.max_position_embeddings)
            return error{errc::missing_field, "max_position_embeddings",
                         "is absent from the config: give the cache size with "
                         "rope_options::cached(n)"};
        options.positions = *hf.max_position_embeddings;
    }
    auto table = compute_frequencies(config, options.table);
    if (!table) return table.err();
    table->warnings.insert(table->warnings.begin(), hf.warnings.begin(), hf.warnings.end());
    return basic_rope<Arch>::make(std::move(*table), options);
}
}  // namespace detail

/// The rope of a parsed config (read_hf_config / parse_hf_config / load_hf_config), for its
/// primary layer type (hf.config): its table at options.table, with the reader's warnings
/// first in table().warnings; a cached rope without options.positions gets the config's
/// max_position_embeddings rows (absent -> errc::missing_field "max_position_embeddings").
/// A config with multimodal sections (hf.mrope: Qwen2-VL, Qwen2.5-VL, Qwen3-VL) gives an
/// M-RoPE rope (rope_options::with_mrope; sections given in `options` win), which applies
/// to mrope_streams as transformers' `apply_multimodal_rotary_pos_emb` /
/// `apply_interleaved_mrope` do, and to 1-D positions as to text-only input.
/// Errors: compute_frequencies' and basic_rope::make's.
template <class Arch = xsimd::default_arch>
expected<basic_rope<Arch>> make_rope(const hf_rope_config& hf,
                                     rope_options options = rope_options::cached()) {
    return detail::make_hf_rope<Arch>(hf, hf.config, std::move(options), true);
}

/// The rope of one layer type of a parsed config ("sliding_attention", ...: an entry of
/// hf.layer_types; hf.layer(i)->layer_type for layer i), as make_rope above. Layers without
/// RoPE have no entry: they are not rotated. The multimodal sections apply to the primary
/// layer type only (the one the config's rope section describes). A query scale (hf.query_scale) is
/// not part of the rope: the engine multiplies q by it where hf.scales_queries(i). Errors:
/// errc::invalid_argument on field "layer_type" when hf has no such layer type (the message lists
/// those it has), then make_rope's.
template <class Arch = xsimd::default_arch>
expected<basic_rope<Arch>> make_rope(const hf_rope_config& hf, std::string_view layer_type,
                                     rope_options options = rope_options::cached()) {
    const hf_layer_rope* l = hf.find_layer_type(layer_type);
    if (l == nullptr) {
        std::string known;
        for (const hf_layer_rope& x : hf.layer_types)
            known += (known.empty() ? "" : ", ") + x.layer_type;
        return error{errc::invalid_argument, "layer_type",
                     "\"" + std::string(layer_type) + "\" is not a layer type of this config (" +
                         known + ")"};
    }
    return detail::make_hf_rope<Arch>(hf, l->config, std::move(options),
                                      l == &hf.layer_types.front());
}

/// Reads config.json at `path` (load_hf_config: its errors) and builds its rope (make_rope).
template <class Arch = xsimd::default_arch>
expected<basic_rope<Arch>> load_rope(const std::string& path,
                                     const rope_options& options = rope_options::cached()) {
    auto hf = load_hf_config(path);
    if (!hf) return hf.err();
    return make_rope<Arch>(*hf, options);
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_HF_ROPE_HPP
