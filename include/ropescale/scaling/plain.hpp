// SPDX-License-Identifier: MIT
//
// Plain RoPE (Su et al. 2021, RoFormer): inv_freq[i] = theta_i = b^(-2i/d), attention factor 1.
// Reference: transformers `_compute_default_rope_parameters`; Meta `precompute_freqs_cis`.
// Precision: each entry within 2 ulp of 1 / b^(2i/d) (one pow, one division).
#ifndef ROPESCALE_SCALING_PLAIN_HPP
#define ROPESCALE_SCALING_PLAIN_HPP

#include "../detail/checks.hpp"
#include "../formulas.hpp"
#include "../frequency_table.hpp"
#include "../params.hpp"

#include <vector>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

/// The plain table theta_i for base b and rotary dim d.
inline std::vector<double> plain_table(double base, int rotary_dim) {
    std::vector<double> t(static_cast<std::size_t>(rotary_dim / 2));
    for (int i = 0; i < rotary_dim / 2; ++i)
        t[static_cast<std::size_t>(i)] = plain_inv_freq(base, rotary_dim, i);
    return t;
}

inline check_result validate_method(const plain&, int) { return std::nullopt; }

inline void build(const plain&, int rotary_dim, double base, const table_options&,
                  frequency_table& out) {
    out.inv_freq = plain_table(base, rotary_dim);
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_PLAIN_HPP
