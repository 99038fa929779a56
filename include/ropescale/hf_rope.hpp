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
#include <utility>

ROPESCALE_BEGIN_NAMESPACE

/// The rope of a parsed config (read_hf_config / parse_hf_config / load_hf_config): its table
/// at options.table, with the reader's warnings first in table().warnings; a cached rope
/// without options.positions gets the config's max_position_embeddings rows (absent ->
/// errc::missing_field "max_position_embeddings"). Errors: compute_frequencies' and
/// basic_rope::make's.
template <class Arch = xsimd::default_arch>
expected<basic_rope<Arch>> make_rope(const hf_rope_config& hf,
                                     rope_options options = rope_options::cached()) {
    if (options.source == angle_source::cached && !options.positions) {
        if (!hf.max_position_embeddings)
            return error{errc::missing_field, "max_position_embeddings",
                         "is absent from the config: give the cache size with "
                         "rope_options::cached(n)"};
        options.positions = *hf.max_position_embeddings;
    }
    auto table = compute_frequencies(hf.config, options.table);
    if (!table) return table.err();
    table->warnings.insert(table->warnings.begin(), hf.warnings.begin(), hf.warnings.end());
    return basic_rope<Arch>::make(std::move(*table), options);
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
