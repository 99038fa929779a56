// SPDX-License-Identifier: MIT
//
// Llama 3.1 frequency scaling ("llama3").
#ifndef ROPESCALE_METHODS_LLAMA3_HPP
#define ROPESCALE_METHODS_LLAMA3_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// Llama 3.1 ("llama3"). With wavelength w_i = 2 pi / theta_i, lw = L / low_freq_factor and
/// hw = L / high_freq_factor:
///   w > lw: theta_i / s;  else w < hw: theta_i;
///   otherwise (1 - a) theta_i / s + a theta_i, a = (L / w - low_freq_factor) / (high - low).
/// Attention factor 1.
/// high_freq_factor <= low_freq_factor (Llama 4 Scout ships low == high == 1): transformers
/// warns and computes, and so does this, with a warning on the table. The blend band is then
/// empty: every pair is theta_i or theta_i / s (tests in transformers' order, llama3_inv_freq),
/// except a pair whose wavelength equals L / low_freq_factor exactly when low == high, which
/// transformers turns into NaN (0/0) and compute_frequencies refuses (table.inv_freq[i]).
/// References: Meta llama-models `apply_scaling`; transformers `_compute_llama3_parameters`
/// and its validation's warning; FlashInfer `apply_llama31_rope` (closed form, same values).
/// Precision: within 6 ulp of the formula.
/// config.json: `factor`, `low_freq_factor`, `high_freq_factor`,
/// `original_max_position_embeddings` (all required, in the rope section).
struct llama3 {
    double factor = 1.0;                                ///< s >= 1
    double low_freq_factor = 1.0;                       ///< > 0
    double high_freq_factor = 4.0;                      ///< > 0; > low_freq_factor, else a warning
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
        if (auto e = detail::check_above("high_freq_factor", m.high_freq_factor, 0.0)) return e;
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
        if (!(m.high_freq_factor > m.low_freq_factor))
            out.warnings.push_back(
                {"high_freq_factor",
                 "should be > low_freq_factor (got " + detail::format_value(m.high_freq_factor) +
                     " <= " + detail::format_value(m.low_freq_factor) +
                     "): no blended pairs, each is theta_i or theta_i / factor (as transformers "
                     "computes it, with the same warning)"});
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_LLAMA3_HPP
