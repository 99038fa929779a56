// SPDX-License-Identifier: MIT
//
// NTK-aware scaling with a fixed alpha (YaRN paper Definition 1, Eq. 16):
// plain RoPE with base b' = b * alpha^(d / (d - 2)); attention factor 1. Pair 0 is unchanged
// and the last pair is divided by alpha exactly.
// Reference: the YaRN authors' `LlamaNTKScaledRotaryEmbedding` (jquesnelle/yarn). vLLM's "ntk"
// type is a different formula ((b s)^(-2i/d) s^(-2/d)) and is not this method.
// Precision: each entry within 4 ulp of the formula.
#ifndef ROPESCALE_SCALING_NTK_AWARE_HPP
#define ROPESCALE_SCALING_NTK_AWARE_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

inline check_result validate_method(const ntk_aware& m, int rotary_dim) {
    if (auto e = check_scale_factor("alpha", m.alpha, "ntk_aware")) return e;
    return check_ntk_dim(rotary_dim, "ntk_aware");
}

inline void build(const ntk_aware& m, int rotary_dim, double base, const table_options&,
                  frequency_table& out) {
    out.base = ntk_aware_base(base, m.alpha, rotary_dim);
    out.inv_freq = plain_table(out.base, rotary_dim);
    out.scale = m.alpha;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_NTK_AWARE_HPP
