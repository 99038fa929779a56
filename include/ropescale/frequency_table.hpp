// SPDX-License-Identifier: MIT
//
// The result of building a frequency table: every factor the rotation needs, as values.
#ifndef ROPESCALE_FREQUENCY_TABLE_HPP
#define ROPESCALE_FREQUENCY_TABLE_HPP

#include "error.hpp"
#include "formulas.hpp"
#include "params.hpp"

#include <optional>
#include <string>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// A frequency table and the factors that go with it. Nothing is hidden in a kernel: a rotation
/// of pair i at position p is (cos, sin)(p * inv_freq[i]) * attention_factor, and DeepSeek-style
/// attention additionally multiplies its softmax scale by logit_scale.
struct frequency_table {
    std::vector<double> inv_freq;   ///< rotary_dim / 2 inverse frequencies, double precision
    double attention_factor = 1.0;  ///< multiplies both cos and sin (YaRN mscale, LongRoPE)
    double logit_scale = 1.0;       ///< multiplies the softmax scale (DeepSeek); 1 when unused
    int head_dim = 0;               ///< channels per head
    int rotary_dim = 0;             ///< rotated channels d; [d, head_dim) pass through
    double rope_theta = 0.0;        ///< the configured base b (plain RoPE reference)
    double base = 0.0;              ///< the base actually used (b' for NTK methods, else b)
    double scale = 1.0;             ///< the effective scale s (dynamic methods: at seq_len)
    std::optional<correction_range> correction;     ///< YaRN / NTK-by-parts blend range, pairs
    std::optional<longrope_factors> longrope_list;  ///< the list a LongRoPE table used
    const char* method = "default";                 ///< method_name() of the method that built it
    std::vector<warning> warnings;                  ///< what the references would only log

    /// Number of rotated pairs, rotary_dim / 2.
    int pairs() const noexcept { return rotary_dim / 2; }

    /// Multiplier of pair i against plain RoPE with the configured base: inv_freq[i] / theta_i.
    double multiplier(int pair) const noexcept {
        return inv_freq[static_cast<std::size_t>(pair)] /
               plain_inv_freq(rope_theta, rotary_dim, pair);
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_FREQUENCY_TABLE_HPP
