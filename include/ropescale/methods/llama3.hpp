// SPDX-License-Identifier: MIT
//
// Llama 3.1 frequency scaling ("llama3").
#ifndef ROPESCALE_METHODS_LLAMA3_HPP
#define ROPESCALE_METHODS_LLAMA3_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// Llama 3.1 ("llama3"). With wavelength w_i = 2 pi / theta_i, lw = L / low_freq_factor and
/// hw = L / high_freq_factor:
///   w < hw: theta_i;  w > lw: theta_i / s;
///   otherwise (1 - a) theta_i / s + a theta_i, a = (L / w - low_freq_factor) / (high - low).
/// Attention factor 1.
/// References: Meta llama-models `apply_scaling`; transformers `_compute_llama3_parameters`;
/// FlashInfer `apply_llama31_rope` (closed form, same values).
/// Precision: within 6 ulp of the formula.
/// config.json: `factor`, `low_freq_factor`, `high_freq_factor`,
/// `original_max_position_embeddings` (all required, in the rope section).
struct llama3 {
    double factor = 1.0;                                ///< s >= 1
    double low_freq_factor = 1.0;                       ///< > 0
    double high_freq_factor = 4.0;                      ///< > low_freq_factor
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
};

template <>
struct method_traits<llama3> : method_traits_base<llama3> {
    static constexpr const char* name = "llama3";
    static constexpr std::array<const char*, 1> spellings{{"llama3"}};
    static constexpr std::array<config_key<llama3>, 4> keys{{
        {"factor", &llama3::factor, key_place::section, key_need::required},
        {"low_freq_factor", &llama3::low_freq_factor, key_place::section, key_need::required},
        {"high_freq_factor", &llama3::high_freq_factor, key_place::section, key_need::required},
        {"original_max_position_embeddings", &llama3::original_max_position_embeddings,
         key_place::section, key_need::required},
    }};

    static std::optional<error> validate(const llama3& m, int) {
        if (auto e = detail::check_scale_factor("factor", m.factor, "llama3")) return e;
        if (auto e = detail::check_above("low_freq_factor", m.low_freq_factor, 0.0)) return e;
        if (auto e = detail::check_finite("high_freq_factor", m.high_freq_factor)) return e;
        if (!(m.high_freq_factor > m.low_freq_factor))
            return error{errc::inconsistent, "high_freq_factor",
                         "must be > low_freq_factor (got " +
                             detail::format_value(m.high_freq_factor) +
                             " <= " + detail::format_value(m.low_freq_factor) + ")"};
        return detail::check_positive_length("original_max_position_embeddings",
                                             m.original_max_position_embeddings);
    }

    static void build(const llama3& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        out.inv_freq = detail::plain_table(base, rotary_dim);
        for (double& f : out.inv_freq)
            f = llama3_inv_freq(f, m.factor, m.low_freq_factor, m.high_freq_factor,
                                m.original_max_position_embeddings);
        out.scale = m.factor;
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_LLAMA3_HPP
