// SPDX-License-Identifier: MIT
//
// Llama 3.1 ("llama3"). With w_i = 2 pi / theta_i, lw = L / low_freq_factor and
// hw = L / high_freq_factor:  w < hw: theta_i;  w > lw: theta_i / s;  otherwise
// (1 - a) theta_i / s + a theta_i with a = (L / w - low_freq_factor) / (high - low).
// Attention factor 1. References: Meta llama-models `apply_scaling`; transformers
// `_compute_llama3_parameters`; FlashInfer `apply_llama31_rope` (closed form, same values).
// Precision: within 6 ulp of the formula.
#ifndef ROPESCALE_SCALING_LLAMA3_HPP
#define ROPESCALE_SCALING_LLAMA3_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

inline check_result validate_method(const llama3& m, int) {
    if (auto e = check_scale_factor("factor", m.factor, "llama3")) return e;
    if (auto e = check_above("low_freq_factor", m.low_freq_factor, 0.0)) return e;
    if (auto e = check_finite("high_freq_factor", m.high_freq_factor)) return e;
    if (!(m.high_freq_factor > m.low_freq_factor))
        return error{errc::inconsistent, "high_freq_factor",
                     "must be > low_freq_factor (got " + format_value(m.high_freq_factor) +
                         " <= " + format_value(m.low_freq_factor) + ")"};
    return check_positive_length("original_max_position_embeddings",
                                 m.original_max_position_embeddings);
}

inline void build(const llama3& m, int rotary_dim, double base, const table_options&,
                  frequency_table& out) {
    out.inv_freq = plain_table(base, rotary_dim);
    for (double& f : out.inv_freq)
        f = llama3_inv_freq(f, m.factor, m.low_freq_factor, m.high_freq_factor,
                            m.original_max_position_embeddings);
    out.scale = m.factor;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_LLAMA3_HPP
