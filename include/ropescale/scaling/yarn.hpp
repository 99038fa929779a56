// SPDX-License-Identifier: MIT
//
// YaRN (Peng, Quesnelle, Fan, Shippole 2023, arXiv 2309.00071, Definition 3), with the
// released code's ramp over pair index (not the paper's ramp in r; see PAPERS.md):
//   range  = [low, high] = correction range of (beta_fast, beta_slow) rotations over the
//            original context L (floored/ceiled when `truncate`, clamped to [0, d - 1]);
//   w_i    = (1 - ramp(i)) * extrapolation_factor            (extrapolation weight)
//   inv[i] = (theta_i / s) (1 - w_i) + theta_i w_i           (pairs below low extrapolate)
// Attention factor (multiplies cos and sin) and logit scale: see ropescale::yarn in params.hpp.
// References: transformers `_compute_yarn_parameters` (G3: `factor` as configured, `truncate`,
// `attention_factor` replaces, `mscale`/`mscale_all_dim` ratio); the YaRN authors'
// `LlamaYaRNScaledRotaryEmbedding` (`extrapolation_factor`, `attn_factor` multiplies);
// DeepSeek-V2/V3 attention (softmax scale times get_mscale(s, mscale_all_dim)^2).
// Precision: inv_freq within 8 ulp of the formula; the factors within 4 ulp.
#ifndef ROPESCALE_SCALING_YARN_HPP
#define ROPESCALE_SCALING_YARN_HPP

#include "plain.hpp"

#include <cmath>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// The YaRN frequency blend, shared by static and dynamic YaRN. Returns the correction range.
inline correction_range yarn_frequencies(std::vector<double>& inv, int rotary_dim, double base,
                                         double scale, std::int64_t original, double beta_fast,
                                         double beta_slow, bool truncate,
                                         double extrapolation_factor) {
    const correction_range range =
        yarn_correction_range(beta_fast, beta_slow, rotary_dim, base, original, truncate);
    inv.resize(static_cast<std::size_t>(rotary_dim / 2));
    for (int i = 0; i < rotary_dim / 2; ++i) {
        const double pos_freq = base_power(base, rotary_dim, i);
        const double w = (1.0 - linear_ramp(i, range)) * extrapolation_factor;
        inv[static_cast<std::size_t>(i)] = blend(1.0 / (scale * pos_freq), 1.0 / pos_freq, w);
    }
    return range;
}

inline check_result validate_method(const yarn& m, int) {
    if (auto e = check_scale_factor("factor", m.factor, "yarn")) return e;
    if (auto e = check_positive_length("original_max_position_embeddings",
                                       m.original_max_position_embeddings))
        return e;
    if (auto e = check_betas("beta_fast", m.beta_fast, "beta_slow", m.beta_slow)) return e;
    if (m.attention_factor)
        if (auto e = check_above("attention_factor", *m.attention_factor, 0.0)) return e;
    if (m.mscale)
        if (auto e = check_at_least("mscale", *m.mscale, 0.0)) return e;
    if (m.mscale_all_dim)
        if (auto e = check_at_least("mscale_all_dim", *m.mscale_all_dim, 0.0)) return e;
    if (auto e = check_at_least("extrapolation_factor", m.extrapolation_factor, 0.0)) return e;
    return check_above("attn_factor", m.attn_factor, 0.0);
}

inline void build(const yarn& m, int rotary_dim, double base, const table_options&,
                  frequency_table& out) {
    out.correction = yarn_frequencies(out.inv_freq, rotary_dim, base, m.factor,
                                      m.original_max_position_embeddings, m.beta_fast, m.beta_slow,
                                      m.truncate, m.extrapolation_factor);
    out.scale = m.factor;
    const double ms = m.mscale.value_or(0.0);
    const double ms_all = m.mscale_all_dim.value_or(0.0);
    double af = 1.0;
    if (m.attention_factor)
        af = *m.attention_factor;
    else if (ms != 0.0 && ms_all != 0.0)
        af = yarn_get_mscale(m.factor, ms) / yarn_get_mscale(m.factor, ms_all);
    else
        af = yarn_get_mscale(m.factor);
    out.attention_factor = af * m.attn_factor;
    if (ms_all != 0.0) {
        const double g = yarn_get_mscale(m.factor, ms_all);
        out.logit_scale = g * g;
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_YARN_HPP
