// SPDX-License-Identifier: MIT
//
// Where the two channels of each rotated pair sit inside a head vector.
#ifndef ROPESCALE_LAYOUT_HPP
#define ROPESCALE_LAYOUT_HPP

#include "config.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// Channel layout of the rotary pairs inside one head of head_dim channels, with rotary
/// dimension d (pairs i = 0 .. d/2 - 1). Channels [d, head_dim) pass through unchanged in both
/// layouts (partial rotary). Pictured for head_dim 8, d 4 (c = first channel of a pair,
/// s = second, 0 = pass-through), the notation of ggml's ggml.h:
///
///   half_split   [ccss0000]  pair i = (x[i], x[i + d/2])
///                NeoX, transformers `rotate_half`, vLLM is_neox_style, llama.cpp NEOX,
///                FlashInfer interleave=False.
///   interleaved  [cscs0000]  pair i = (x[2i], x[2i + 1])
///                GPT-J, Meta `apply_rotary_emb` (complex pairs), vLLM "gptj", llama.cpp
///                NORMAL, FlashInfer interleave=True.
///
/// Rotating pair (x1, x2) by angle a with attention factor m:
///   x1' = m (x1 cos a - x2 sin a),  x2' = m (x2 cos a + x1 sin a).
enum class rotary_layout {
    half_split,   ///< [ccss0000]: pair i = (x[i], x[i + d/2])
    interleaved,  ///< [cscs0000]: pair i = (x[2i], x[2i + 1])
};

/// "half_split" or "interleaved".
inline const char* to_string(rotary_layout layout) noexcept {
    switch (layout) {
        case rotary_layout::half_split: return "half_split";
        case rotary_layout::interleaved: return "interleaved";
    }
    return "unknown";
}

/// Which way a rotation turns.
///   forward: y = m R(p) x, the rotation at position p, with the attention factor m when the
///            angle source carries one (see cache.hpp / apply.hpp).
///   inverse: x = R(-p) y / m, the exact inverse of forward with the same arguments
///            (sin negated; the attention factor divided out).
enum class rotation_direction { forward, inverse };

/// "forward" or "inverse".
inline const char* to_string(rotation_direction direction) noexcept {
    return direction == rotation_direction::forward ? "forward" : "inverse";
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_LAYOUT_HPP
