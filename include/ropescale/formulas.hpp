// SPDX-License-Identifier: MIT
//
// The scalar formulas of RoPE scaling, each written once. Table builders, kernels, the CLI
// and the tests call these; nothing re-derives them.
//
// All functions are pure, noexcept, double precision, and assume validated inputs (see
// validate() in frequencies.hpp); each states its reference. Precision: each is a handful of IEEE
// operations and libm calls (pow, log), so its relative error is a few ulp (< 1e-15) of the exact
// value of the formula at the given double inputs.
#ifndef ROPESCALE_FORMULAS_HPP
#define ROPESCALE_FORMULAS_HPP

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE

/// 2 pi in double (the nearest double; 6.283185307179586).
inline constexpr double two_pi = 6.283185307179586476925286766559;

/// b^(2i / d), the reciprocal of the plain inverse frequency of pair i (transformers'
/// `pos_freqs = base ** (arange(0, d, 2) / d)`).
inline double base_power(double base, int rotary_dim, int pair) noexcept {
    return std::pow(base, static_cast<double>(2 * pair) / static_cast<double>(rotary_dim));
}

/// Plain inverse frequency of pair i: theta_i = 1 / b^(2i / d).
/// Evaluated as transformers does (`1.0 / base ** (arange(0, d, 2) / d)`), in double.
inline double plain_inv_freq(double base, int rotary_dim, int pair) noexcept {
    return 1.0 / base_power(base, rotary_dim, pair);
}

/// Wavelength in tokens of an inverse frequency: lambda = 2 pi / inv_freq (YaRN Eq. 13).
inline double wavelength(double inv_freq) noexcept { return two_pi / inv_freq; }

/// NTK-aware base (YaRN Eq. 16): b' = b * alpha^(d / (d - 2)). Requires d > 2.
inline double ntk_aware_base(double base, double alpha, int rotary_dim) noexcept {
    const double d = static_cast<double>(rotary_dim);
    return base * std::pow(alpha, d / (d - 2.0));
}

/// Dynamic NTK's effective alpha at sequence length l (transformers
/// `_compute_dynamic_ntk_parameters`): (s * l' / L) - (s - 1), l' = max(l, L). Equals 1 for
/// l <= L and grows linearly past it; the table is the NTK-aware one with this alpha.
inline double dynamic_ntk_alpha(double factor, std::int64_t seq_len,
                                std::int64_t max_position_embeddings) noexcept {
    const double l = static_cast<double>(std::max(seq_len, max_position_embeddings));
    const double big_l = static_cast<double>(max_position_embeddings);
    return (factor * l / big_l) - (factor - 1.0);
}

/// Dynamic NTK base at sequence length l: b' = b * dynamic_ntk_alpha(s, l, L)^(d / (d - 2)).
/// Equals b for l <= L.
inline double dynamic_ntk_base(double base, double factor, std::int64_t seq_len,
                               std::int64_t max_position_embeddings, int rotary_dim) noexcept {
    return ntk_aware_base(base, dynamic_ntk_alpha(factor, seq_len, max_position_embeddings),
                          rotary_dim);
}

/// YaRN magnitude (YaRN Eq. 22 with the DeepSeek generalisation):
/// get_mscale(s, m) = 1 for s <= 1, else 0.1 * m * ln(s) + 1.
inline double yarn_get_mscale(double scale, double mscale = 1.0) noexcept {
    if (scale <= 1.0) return 1.0;
    return 0.1 * mscale * std::log(scale) + 1.0;
}

/// Correction dimension: the fractional pair index whose wavelength fits `num_rotations`
/// times into the original context L (YaRN code `find_correction_dim`; the same formula in
/// transformers, vLLM and ggml): d * ln(L / (2 pi n)) / (2 ln b).
inline double correction_dim(double num_rotations, int rotary_dim, double base,
                             std::int64_t original_max_position_embeddings) noexcept {
    return static_cast<double>(rotary_dim) *
           std::log(static_cast<double>(original_max_position_embeddings) /
                    (num_rotations * two_pi)) /
           (2.0 * std::log(base));
}

/// A correction range [low, high] in pair-index units.
struct correction_range {
    double low = 0.0;
    double high = 0.0;
};

/// Correction range of (beta_fast, beta_slow) rotations (YaRN code `find_correction_range`,
/// transformers v5): low = corr(beta_fast), high = corr(beta_slow), floored/ceiled when
/// `truncate`, then clamped to [0, d - 1]. The upper clamp is in dimension units although the
/// ramp runs over pair indices: the references do this and so do we.
inline correction_range yarn_correction_range(double beta_fast, double beta_slow, int rotary_dim,
                                              double base,
                                              std::int64_t original_max_position_embeddings,
                                              bool truncate) noexcept {
    double low = correction_dim(beta_fast, rotary_dim, base, original_max_position_embeddings);
    double high = correction_dim(beta_slow, rotary_dim, base, original_max_position_embeddings);
    if (truncate) {
        low = std::floor(low);
        high = std::ceil(high);
    }
    return {std::max(low, 0.0), std::min(high, static_cast<double>(rotary_dim - 1))};
}

/// Linear ramp over pair index i: clamp((i - low) / (high - low), 0, 1), with the references'
/// singularity guard (high += 0.001 when low == high). 0 below the range, 1 above it.
inline double linear_ramp(int pair, correction_range range) noexcept {
    const double high = range.low == range.high ? range.high + 0.001 : range.high;
    const double r = (static_cast<double>(pair) - range.low) / (high - range.low);
    return std::min(1.0, std::max(0.0, r));
}

/// Blend of an interpolated and an extrapolated inverse frequency with extrapolation weight w
/// (the YaRN code's `inv_freq_interpolation * (1 - mask) + inv_freq_extrapolation * mask`).
inline double blend(double interpolated, double extrapolated,
                    double extrapolation_weight) noexcept {
    return interpolated * (1.0 - extrapolation_weight) + extrapolated * extrapolation_weight;
}

/// Llama 3.1 inverse frequency of one pair (Meta llama-models `apply_scaling`, transformers
/// `_compute_llama3_parameters`), from the plain theta_i, with transformers' order of tests
/// (its two `torch.where`): w > L / low_freq_factor gives theta / s; else w < L /
/// high_freq_factor gives theta; else the smooth blend. For low_freq_factor < high_freq_factor
/// the tests are disjoint and the order does not matter. For low_freq_factor >=
/// high_freq_factor (transformers warns and computes) the blend band is empty except where w
/// equals both bounds exactly (low == high), where transformers' smooth factor is 0/0 or
/// +-inf / 0 and the result NaN, as here.
inline double llama3_inv_freq(double theta, double factor, double low_freq_factor,
                              double high_freq_factor,
                              std::int64_t original_max_position_embeddings) noexcept {
    const double big_l = static_cast<double>(original_max_position_embeddings);
    const double w = wavelength(theta);
    const double low_freq_wavelen = big_l / low_freq_factor;
    const double high_freq_wavelen = big_l / high_freq_factor;
    if (w > low_freq_wavelen) return theta / factor;
    if (w < high_freq_wavelen) return theta;
    const double smooth = (big_l / w - low_freq_factor) / (high_freq_factor - low_freq_factor);
    return (1.0 - smooth) * theta / factor + smooth * theta;
}

/// LongRoPE default attention factor (transformers `_compute_longrope_parameters`; Phi-3):
/// sqrt(1 + ln f / ln L) for f > 1, else 1.
inline double longrope_attention_factor(double factor,
                                        std::int64_t original_max_position_embeddings) noexcept {
    if (factor <= 1.0) return 1.0;
    return std::sqrt(1.0 + std::log(factor) /
                               std::log(static_cast<double>(original_max_position_embeddings)));
}

/// Where a pair sits relative to plain RoPE, judged from its frequency multiplier
/// m = inv_freq / theta_i and the method's scale s: m == 1 extrapolated (unchanged),
/// m == 1/s interpolated (fully scaled), anything else blended. "==" is relative 1e-9.
/// Meaningful for methods that blend between theta_i and theta_i / s (linear, NTK, YaRN,
/// NTK-by-parts, Llama 3.1); LongRoPE's searched per-pair factors make almost every pair
/// "blended" against its single `factor`. m == 0 exactly: a pair the method leaves unrotated
/// (proportional RoPE's pairs past its rotated part).
enum class pair_region { extrapolated, blended, interpolated, not_rotated };

inline pair_region classify_pair(double multiplier, double scale) noexcept {
    auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-9 * std::fabs(b); };
    if (multiplier == 0.0) return pair_region::not_rotated;
    if (near(multiplier, 1.0)) return pair_region::extrapolated;
    if (scale != 1.0 && near(multiplier, 1.0 / scale)) return pair_region::interpolated;
    return pair_region::blended;
}

inline const char* to_string(pair_region r) noexcept {
    switch (r) {
        case pair_region::extrapolated: return "extrapolated";
        case pair_region::blended: return "blended";
        case pair_region::interpolated: return "interpolated";
        case pair_region::not_rotated: return "not_rotated";
    }
    return "unknown";
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_FORMULAS_HPP
