// SPDX-License-Identifier: MIT
//
// Linear scaling / Position Interpolation ("linear").
#ifndef ROPESCALE_METHODS_LINEAR_HPP
#define ROPESCALE_METHODS_LINEAR_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// Linear scaling / Position Interpolation (Chen et al. 2023, arXiv 2306.15595, Eq. 4):
/// inv_freq[i] = theta_i / s, attention factor 1.
/// Reference: transformers `_compute_linear_scaling_rope_parameters` (divides inv_freq); the
/// YaRN authors' `LlamaLinearScaledRotaryEmbedding` and vLLM divide positions instead: the
/// same angle (p / s) theta_i up to one rounding.
/// Precision: each entry within 3 ulp of theta_i / s.
/// config.json: `factor` (required).
struct linear {
    double factor = 1.0;  ///< s >= 1
};

template <>
struct method_traits<linear> : method_traits_base<linear> {
    static constexpr const char* name = "linear";
    static constexpr std::array<const char*, 1> spellings{{"linear"}};
    static constexpr std::array<config_key<linear>, 1> keys{{
        {"factor", &linear::factor, key_place::section, key_need::required},
    }};

    static std::optional<error> validate(const linear& m, int) {
        return detail::check_scale_factor("factor", m.factor, "linear");
    }

    static void build(const linear& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        out.inv_freq = detail::plain_table(base, rotary_dim);
        for (double& f : out.inv_freq) f /= m.factor;
        out.scale = m.factor;
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_LINEAR_HPP
