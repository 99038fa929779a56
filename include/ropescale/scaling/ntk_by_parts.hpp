// SPDX-License-Identifier: MIT
//
// NTK-by-parts as released by the YaRN authors (`LlamaPartNTKScaledRotaryEmbedding`; YaRN
// paper Definition 2, Eq. 17-20, with the code's ramp over pair index):
//   lin_i = theta_i / s,  ntk_i = plain with base b s^(d/(d-2))
//   a_i   = lin_i (1 - u_i) + ntk_i u_i,   u_i = (1 - ramp_beta(i)) * ntk_factor
//   inv_i = a_i (1 - v_i) + theta_i v_i,   v_i = (1 - ramp_gamma(i)) * extrapolation_factor
// where ramp_beta / ramp_gamma run over the (floored, ceiled) correction ranges of
// (beta_0, beta_1) and (gamma_0, gamma_1) rotations over L. Attention factor 1.
// The table reports the gamma range (where extrapolation ends) as its correction range.
// Precision: inv_freq within 12 ulp of the formula.
#ifndef ROPESCALE_SCALING_NTK_BY_PARTS_HPP
#define ROPESCALE_SCALING_NTK_BY_PARTS_HPP

#include "plain.hpp"

#include <cmath>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

inline check_result validate_method(const ntk_by_parts& m, int rotary_dim) {
    if (auto e = check_scale_factor("factor", m.factor, "ntk_by_parts")) return e;
    if (auto e = check_positive_length("original_max_position_embeddings",
                                       m.original_max_position_embeddings))
        return e;
    if (auto e = check_betas("beta_0", m.beta_0, "beta_1", m.beta_1)) return e;
    if (auto e = check_betas("gamma_0", m.gamma_0, "gamma_1", m.gamma_1)) return e;
    if (auto e = check_at_least("ntk_factor", m.ntk_factor, 0.0)) return e;
    if (auto e = check_at_least("extrapolation_factor", m.extrapolation_factor, 0.0)) return e;
    return check_ntk_dim(rotary_dim, "ntk_by_parts");
}

inline void build(const ntk_by_parts& m, int rotary_dim, double base, const table_options&,
                  frequency_table& out) {
    const std::int64_t big_l = m.original_max_position_embeddings;
    const correction_range beta =
        yarn_correction_range(m.beta_0, m.beta_1, rotary_dim, base, big_l, true);
    const correction_range gamma =
        yarn_correction_range(m.gamma_0, m.gamma_1, rotary_dim, base, big_l, true);
    const double ntk_base = ntk_aware_base(base, m.factor, rotary_dim);
    out.inv_freq.resize(static_cast<std::size_t>(rotary_dim / 2));
    for (int i = 0; i < rotary_dim / 2; ++i) {
        const double theta = plain_inv_freq(base, rotary_dim, i);
        const double lin = 1.0 / (m.factor * base_power(base, rotary_dim, i));
        const double ntk = plain_inv_freq(ntk_base, rotary_dim, i);
        const double a = blend(lin, ntk, (1.0 - linear_ramp(i, beta)) * m.ntk_factor);
        out.inv_freq[static_cast<std::size_t>(i)] =
            blend(a, theta, (1.0 - linear_ramp(i, gamma)) * m.extrapolation_factor);
    }
    out.scale = m.factor;
    out.correction = gamma;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_NTK_BY_PARTS_HPP
