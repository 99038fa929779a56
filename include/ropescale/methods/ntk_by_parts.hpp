// SPDX-License-Identifier: MIT
//
// NTK-by-parts as released by the YaRN authors ("ntk_by_parts").
#ifndef ROPESCALE_METHODS_NTK_BY_PARTS_HPP
#define ROPESCALE_METHODS_NTK_BY_PARTS_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// NTK-by-parts as released by the YaRN authors (`LlamaPartNTKScaledRotaryEmbedding`; YaRN
/// paper Definition 2, Eq. 17-20, with the code's ramp over pair index):
///   lin_i = theta_i / s,  ntk_i = plain with base b s^(d/(d-2))
///   a_i   = lin_i (1 - u_i) + ntk_i u_i,   u_i = (1 - ramp_beta(i)) * ntk_factor
///   inv_i = a_i (1 - v_i) + theta_i v_i,   v_i = (1 - ramp_gamma(i)) * extrapolation_factor
/// where ramp_beta / ramp_gamma run over the (floored, ceiled) correction ranges of
/// (beta_0, beta_1) and (gamma_0, gamma_1) rotations over L. Attention factor 1. The four
/// constants default to the authors' hard-coded LLaMA values. The table reports the gamma
/// range (where extrapolation ends) as its correction range.
/// With `ramp = ramp_form::wavelength_ratio` both weights take the paper's form instead:
/// 1 - ramp_beta(i) becomes gamma(r_i) with (alpha, beta) = (beta_1, beta_0), and
/// 1 - ramp_gamma(i) becomes gamma(r_i) with (gamma_1, gamma_0), r_i = L theta_i / (2 pi)
/// (wavelength_ratio_ramp); the reported range is then unrounded. The paper's Definition 2
/// itself is `ntk_factor = 0, gamma_0 = 32, gamma_1 = 1, ramp = wavelength_ratio`
/// (inv_i = (1 - gamma(r_i)) theta_i / s + gamma(r_i) theta_i, Eq. 20).
/// Precision: inv_freq within 12 ulp of the formula (either ramp).
/// config.json: `factor` (required); `original_max_position_embeddings` (section, else top
/// level; required); `ntk_factor`, `extrapolation_factor`, `beta_0`, `beta_1`, `gamma_0`,
/// `gamma_1` optional.
struct ntk_by_parts {
    double factor = 1.0;                                ///< s >= 1
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
    double ntk_factor = 1.0;
    double extrapolation_factor = 1.0;
    double beta_0 = 1.25;
    double beta_1 = 0.75;
    double gamma_0 = 16.0;
    double gamma_1 = 2.0;
    /// The ramps' form (above): the released code's (default) or the paper's. A C++ option,
    /// not a config.json key.
    ramp_form ramp = ramp_form::pair_index;
};

template <>
struct method_traits<ntk_by_parts> : method_traits_base<ntk_by_parts> {
    static constexpr const char* name = "ntk_by_parts";
    static constexpr std::array<const char*, 1> spellings{{"ntk_by_parts"}};
    static constexpr std::array<config_key<ntk_by_parts>, 8> keys{{
        {"factor", &ntk_by_parts::factor, key_place::section, key_need::required},
        {"original_max_position_embeddings", &ntk_by_parts::original_max_position_embeddings,
         key_place::section_or_top, key_need::required},
        {"ntk_factor", &ntk_by_parts::ntk_factor},
        {"extrapolation_factor", &ntk_by_parts::extrapolation_factor},
        {"beta_0", &ntk_by_parts::beta_0},
        {"beta_1", &ntk_by_parts::beta_1},
        {"gamma_0", &ntk_by_parts::gamma_0},
        {"gamma_1", &ntk_by_parts::gamma_1},
    }};

    static std::optional<error> validate(const ntk_by_parts& m, int rotary_dim) {
        if (auto e = detail::check_scale_factor("factor", m.factor, "ntk_by_parts")) return e;
        if (auto e = detail::check_positive_length("original_max_position_embeddings",
                                                   m.original_max_position_embeddings))
            return e;
        if (auto e = detail::check_betas("beta_0", m.beta_0, "beta_1", m.beta_1)) return e;
        if (auto e = detail::check_betas("gamma_0", m.gamma_0, "gamma_1", m.gamma_1)) return e;
        if (auto e = detail::check_at_least("ntk_factor", m.ntk_factor, 0.0)) return e;
        if (auto e = detail::check_at_least("extrapolation_factor", m.extrapolation_factor, 0.0))
            return e;
        return detail::check_ntk_dim(rotary_dim, "ntk_by_parts");
    }

    static void build(const ntk_by_parts& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        const std::int64_t big_l = m.original_max_position_embeddings;
        const bool paper = m.ramp == ramp_form::wavelength_ratio;
        const correction_range beta =
            yarn_correction_range(m.beta_0, m.beta_1, rotary_dim, base, big_l, !paper);
        const correction_range gamma =
            yarn_correction_range(m.gamma_0, m.gamma_1, rotary_dim, base, big_l, !paper);
        const double ntk_base = ntk_aware_base(base, m.factor, rotary_dim);
        out.inv_freq.resize(static_cast<std::size_t>(rotary_dim / 2));
        for (int i = 0; i < rotary_dim / 2; ++i) {
            const double theta = plain_inv_freq(base, rotary_dim, i);
            const double lin = 1.0 / (m.factor * base_power(base, rotary_dim, i));
            const double ntk = plain_inv_freq(ntk_base, rotary_dim, i);
            const double u = paper ? wavelength_ratio_ramp(theta, big_l, m.beta_1, m.beta_0)
                                   : 1.0 - linear_ramp(i, beta);
            const double v = paper ? wavelength_ratio_ramp(theta, big_l, m.gamma_1, m.gamma_0)
                                   : 1.0 - linear_ramp(i, gamma);
            const double a = blend(lin, ntk, u * m.ntk_factor);
            out.inv_freq[static_cast<std::size_t>(i)] = blend(a, theta, v * m.extrapolation_factor);
        }
        out.scale = m.factor;
        out.correction = gamma;
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_NTK_BY_PARTS_HPP
