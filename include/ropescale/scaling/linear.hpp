// SPDX-License-Identifier: MIT
//
// Linear scaling / Position Interpolation (Chen et al. 2023, arXiv 2306.15595, Eq. 4):
// inv_freq[i] = theta_i / s, attention factor 1.
// Reference: transformers `_compute_linear_scaling_rope_parameters` (divides inv_freq); the
// YaRN authors' `LlamaLinearScaledRotaryEmbedding` and vLLM divide positions instead: the
// same angle (p / s) theta_i up to one rounding.
// Precision: each entry within 3 ulp of theta_i / s.
#ifndef ROPESCALE_SCALING_LINEAR_HPP
#define ROPESCALE_SCALING_LINEAR_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

inline check_result validate_method(const linear& m, int) {
    return check_scale_factor("factor", m.factor, "linear");
}

inline void build(const linear& m, int rotary_dim, double base, const table_options&,
                  frequency_table& out) {
    out.inv_freq = plain_table(base, rotary_dim);
    for (double& f : out.inv_freq) f /= m.factor;
    out.scale = m.factor;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_LINEAR_HPP
