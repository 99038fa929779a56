// SPDX-License-Identifier: MIT
//
// Plain RoPE ("default").
#ifndef ROPESCALE_METHODS_PLAIN_HPP
#define ROPESCALE_METHODS_PLAIN_HPP

#include "method_traits.hpp"

#include <array>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Plain RoPE (Su et al. 2021, RoFormer): inv_freq[i] = theta_i = b^(-2i/d), attention factor 1.
/// Reference: transformers `_compute_default_rope_parameters` ("default"); Meta
/// `precompute_freqs_cis`.
/// Precision: each entry within 2 ulp of 1 / b^(2i/d) (one pow, one division).
/// config.json: no keys of its own.
struct plain {};

namespace detail {
/// The plain table theta_i for base b and rotary dim d.
inline std::vector<double> plain_table(double base, int rotary_dim) {
    std::vector<double> t(static_cast<std::size_t>(rotary_dim / 2));
    for (int i = 0; i < rotary_dim / 2; ++i)
        t[static_cast<std::size_t>(i)] = plain_inv_freq(base, rotary_dim, i);
    return t;
}
}  // namespace detail

template <>
struct method_traits<plain> : method_traits_base<plain> {
    static constexpr const char* name = "default";
    static constexpr std::array<const char*, 1> spellings{{"default"}};
    static constexpr std::array<config_key<plain>, 0> keys{};

    static std::optional<error> validate(const plain&, int) { return std::nullopt; }

    static void build(const plain&, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        out.inv_freq = detail::plain_table(base, rotary_dim);
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_PLAIN_HPP
