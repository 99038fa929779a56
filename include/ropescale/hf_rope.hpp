// SPDX-License-Identifier: MIT
//
// From a Hugging Face config.json to a ready rope object in one call:
//
//   auto rope = ropescale::load_rope("config.json");
//   if (!rope) return fail(rope.err());
//   if (auto s = rope->apply(positions, q, k); !s) return fail(s.err());
//
// Needs nlohmann-json, like hf_config.hpp. The rope of a configuration already read (from
// config.json or GGUF) is model_rope.hpp's make_rope.
#ifndef ROPESCALE_HF_ROPE_HPP
#define ROPESCALE_HF_ROPE_HPP

#include "error.hpp"
#include "hf_config.hpp"
#include "model_rope.hpp"

#include <string>
#include <string_view>
#include <utility>

ROPESCALE_BEGIN_NAMESPACE

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
