// SPDX-License-Identifier: MIT
//
// The scalar formulas of RoPE scaling, each written once. Table builders, kernels, the CLI
// and the tests call these; nothing re-derives them.
//
// All functions are pure, noexcept, double precision, and assume validated inputs (see
// validate() in frequencies.hpp); each states its reference. Precision: each is a handful of IEEE
// operations and libm calls (pow, log), so its relative error is a few ulp (< 1e-15) of the exact
// value of the formula at the given double inputs; the YaRN correction range, whose rounding the
// ramp amplifies, is evaluated in double-double and states its own bound.
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

namespace detail {

// Double-double arithmetic for the few YaRN quantities whose rounding errors the ramp
// amplifies. A value is hi + lo with hi the double nearest to it (|lo| <= ulp(hi) / 2); the
// operations are the error-free transformations two_sum and fma-based two_prod with the usual
// renormalisation, relative error about 2^-104 per operation (Dekker 1971; Hida, Li, Bailey
// 2001). Finite inputs only. Products enter sums only through two_prod or in low parts, so
// floating-point contraction (a * b + c as one fma, which some compilers do by default) changes
// no error-free step.
struct dd {
    double hi = 0.0;
    double lo = 0.0;
};

inline dd dd_two_sum(double a, double b) noexcept {
    const double s = a + b;
    const double bb = s - a;
    return {s, (a - (s - bb)) + (b - bb)};
}

// Requires |a| >= |b| (or a == 0).
inline dd dd_fast_two_sum(double a, double b) noexcept {
    const double s = a + b;
    return {s, b - (s - a)};
}

inline dd dd_two_prod(double a, double b) noexcept {
    const double p = a * b;
    return {p, std::fma(a, b, -p)};
}

inline dd dd_add(dd a, dd b) noexcept {
    dd s = dd_two_sum(a.hi, b.hi);
    const dd t = dd_two_sum(a.lo, b.lo);
    s = dd_fast_two_sum(s.hi, s.lo + t.hi);
    return dd_fast_two_sum(s.hi, s.lo + t.lo);
}

inline dd dd_neg(dd a) noexcept { return {-a.hi, -a.lo}; }

inline dd dd_sub(dd a, dd b) noexcept { return dd_add(a, dd_neg(b)); }

inline dd dd_mul(dd a, dd b) noexcept {
    const dd p = dd_two_prod(a.hi, b.hi);
    return dd_fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

// Long division: three quotient digits.
inline dd dd_div(dd a, dd b) noexcept {
    const double q1 = a.hi / b.hi;
    dd r = dd_sub(a, dd_mul(b, dd{q1, 0.0}));
    const double q2 = r.hi / b.hi;
    r = dd_sub(r, dd_mul(b, dd{q2, 0.0}));
    const double q3 = r.hi / b.hi;
    return dd_add(dd_fast_two_sum(q1, q2), dd{q3, 0.0});
}

// a / b rounded to double: q1 = a.hi / b.hi plus the quotient of the remainder
// (a - q1 b, whose leading part a.hi - q1 b.hi is exact), added with one rounding.
inline double dd_div_to_double(dd a, dd b) noexcept {
    const double q1 = a.hi / b.hi;
    const dd p = dd_two_prod(q1, b.hi);
    const double r = ((a.hi - p.hi) - p.lo) + (a.lo - q1 * b.lo);
    return q1 + r / b.hi;
}

inline bool dd_less(dd a, dd b) noexcept { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); }

inline bool dd_equal(dd a, dd b) noexcept { return a.hi == b.hi && a.lo == b.lo; }

inline dd dd_floor(dd a) noexcept {
    const double f = std::floor(a.hi);
    // hi not an integer: hi + lo has its floor (an integer between them would be nearer).
    if (f != a.hi) return {f, 0.0};
    return dd_fast_two_sum(f, std::floor(a.lo));
}

inline dd dd_ceil(dd a) noexcept { return dd_neg(dd_floor(dd_neg(a))); }

// ln 2 and ln(2 pi) as double-doubles.
inline constexpr dd dd_ln2{0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};
inline constexpr dd dd_ln_two_pi{0x1.d67f1c864beb5p+0, -0x1.65b5a1b7ff5dfp-54};

// 1 / (2j + 1) as double-doubles, j = 0 .. 21: the coefficients of the atanh series.
inline constexpr dd dd_atanh_coefficients[] = {
    {0x1.0000000000000p+0, 0.0},
    {0x1.5555555555555p-2, 0x1.5555555555555p-56},
    {0x1.999999999999ap-3, -0x1.999999999999ap-57},
    {0x1.2492492492492p-3, 0x1.2492492492492p-57},
    {0x1.c71c71c71c71cp-4, 0x1.c71c71c71c71cp-58},
    {0x1.745d1745d1746p-4, -0x1.745d1745d1746p-59},
    {0x1.3b13b13b13b14p-4, -0x1.3b13b13b13b14p-58},
    {0x1.1111111111111p-4, 0x1.1111111111111p-60},
    {0x1.e1e1e1e1e1e1ep-5, 0x1.e1e1e1e1e1e1ep-61},
    {0x1.af286bca1af28p-5, 0x1.af286bca1af28p-59},
    {0x1.8618618618618p-5, 0x1.8618618618618p-59},
    {0x1.642c8590b2164p-5, 0x1.642c8590b2164p-60},
    {0x1.47ae147ae147bp-5, -0x1.eb851eb851eb8p-61},
    {0x1.2f684bda12f68p-5, 0x1.2f684bda12f68p-59},
    {0x1.1a7b9611a7b96p-5, 0x1.1a7b9611a7b96p-61},
    {0x1.0842108421084p-5, 0x1.0842108421084p-60},
    {0x1.f07c1f07c1f08p-6, -0x1.f07c1f07c1f08p-61},
    {0x1.d41d41d41d41dp-6, 0x1.0750750750750p-60},
    {0x1.bacf914c1bad0p-6, -0x1.bacf914c1bad0p-60},
    {0x1.a41a41a41a41ap-6, 0x1.0690690690690p-60},
    {0x1.8f9c18f9c18fap-6, -0x1.f3831f3831f38p-61},
    {0x1.7d05f417d05f4p-6, 0x1.7d05f417d05f4p-62},
};

// ln x for finite x > 0, relative error about 2^-103: x = m 2^k with m in [sqrt(1/2), sqrt(2)),
// ln m = 2 atanh(t) = 2 (t + t^3/3 + t^5/5 + ...), t = (m - 1) / (m + 1), |t| <= 0.172; the 22
// terms bring the truncation below 2^-110.
inline dd dd_log(double x) noexcept {
    int k = 0;
    double m = std::frexp(x, &k);
    if (m < 0x1.6a09e667f3bcdp-1) {
        m *= 2.0;
        --k;
    }
    const dd t = dd_div(dd{m - 1.0, 0.0}, dd_two_sum(m, 1.0));  // m - 1 is exact
    const dd t2 = dd_mul(t, t);
    constexpr int terms = static_cast<int>(sizeof(dd_atanh_coefficients) / sizeof(dd));
    dd sum = dd_atanh_coefficients[terms - 1];
    for (int j = terms - 2; j >= 0; --j) sum = dd_add(dd_mul(sum, t2), dd_atanh_coefficients[j]);
    const dd ln_m = dd_mul(dd{2.0 * t.hi, 2.0 * t.lo}, sum);
    // k ln 2 = k ln2.hi (exact product, split) + k ln2.lo (added into the low part only, so
    // that a compiler contracting products into fma cannot alter an error-free sum).
    const double kd = static_cast<double>(k);
    const dd p = dd_two_prod(kd, dd_ln2.hi);
    const dd k_ln2 = dd_fast_two_sum(p.hi, p.lo + kd * dd_ln2.lo);
    return dd_add(k_ln2, ln_m);
}

// An int64 as a double-double (exact).
inline dd dd_from_int(std::int64_t n) noexcept {
    const std::int64_t high = n / (std::int64_t{1} << 32);
    const std::int64_t low = n - high * (std::int64_t{1} << 32);
    return dd_two_sum(static_cast<double>(high) * 0x1p32, static_cast<double>(low));
}

// ln n for an integer n > 0: ln(hi) + lo / hi (the next term, (lo / hi)^2 / 2, is below 2^-107).
inline dd dd_log_int(std::int64_t n) noexcept {
    const dd v = dd_from_int(n);
    return dd_add(dd_log(v.hi), dd{v.lo / v.hi, 0.0});
}

// b^(2i / d) with the exact rational exponent: p = pow(b, e), e = 2i / d rounded, times
// exp(delta) ~ 1 + delta, delta = (2i / d - e) ln b (|delta| < 2^-44, so the dropped
// delta^2 / 2 is below 2^-89). The rounding of the exponent, which a plain pow(b, 2i / d) carries
// into the result amplified by the exponent times ln b, drops out; pow's own error remains.
inline dd dd_base_power(double ln_base, double base, int rotary_dim, int pair) noexcept {
    const double two_i = static_cast<double>(2 * pair);
    const double d = static_cast<double>(rotary_dim);
    const double e = two_i / d;
    const double p = std::pow(base, e);
    const double delta = std::fma(-e, d, two_i) / d * ln_base;  // fma: the exact residual
    return dd_fast_two_sum(p, p * delta);
}

// The correction dimension d ln(L / (2 pi n)) / (2 ln b) with the logarithm of the quotient
// split into ln L - ln n - ln(2 pi), every term a double-double (pi the real pi).
inline dd dd_correction_dim(double num_rotations, int rotary_dim, dd ln_base,
                            std::int64_t original_max_position_embeddings) noexcept {
    const dd ln_ratio = dd_sub(
        dd_sub(dd_log_int(original_max_position_embeddings), dd_log(num_rotations)), dd_ln_two_pi);
    const dd num = dd_mul(ln_ratio, dd{static_cast<double>(rotary_dim), 0.0});
    return dd_div(num, dd{2.0 * ln_base.hi, 2.0 * ln_base.lo});
}

struct dd_range {
    dd low;
    dd high;
};

// yarn_correction_range in double-double.
inline dd_range dd_yarn_correction_range(double beta_fast, double beta_slow, int rotary_dim,
                                         dd ln_base, std::int64_t original_max_position_embeddings,
                                         bool truncate) noexcept {
    dd low = dd_correction_dim(beta_fast, rotary_dim, ln_base, original_max_position_embeddings);
    dd high = dd_correction_dim(beta_slow, rotary_dim, ln_base, original_max_position_embeddings);
    if (truncate) {
        low = dd_floor(low);
        high = dd_ceil(high);
    }
    const dd zero{0.0, 0.0};
    const dd top{static_cast<double>(rotary_dim - 1), 0.0};
    return {dd_less(low, zero) ? zero : low, dd_less(top, high) ? top : high};
}

// 1 - linear_ramp(pair, range) in double-double, evaluated as (high - i) / (high - low) inside
// the ramp so that no cancellation against 1 occurs; the same guard (high += 0.001 when
// low == high) and clamp, decided by exact comparisons.
inline dd dd_one_minus_ramp(int pair, dd_range range) noexcept {
    const dd i{static_cast<double>(pair), 0.0};
    const dd high =
        dd_equal(range.low, range.high) ? dd_add(range.high, dd{0.001, 0.0}) : range.high;
    // ramp = (i - low) / (high - low): <= 0 when i is on low's side of low, >= 1 when i is on
    // high's side of high (or at them).
    const bool rising = dd_less(range.low, high);
    if (rising ? !dd_less(range.low, i) : !dd_less(i, range.low)) return {1.0, 0.0};
    if (rising ? !dd_less(i, high) : !dd_less(high, i)) return {0.0, 0.0};
    return dd_div(dd_sub(high, i), dd_sub(high, range.low));
}

}  // namespace detail

/// Correction dimension: the fractional pair index whose wavelength fits `num_rotations`
/// times into the original context L (YaRN code `find_correction_dim`; the same formula in
/// transformers, vLLM and ggml): d * ln(L / (2 pi n)) / (2 ln b), pi the real pi (the
/// references' math.pi is its nearest double).
/// Precision: within 1 ulp of the formula (evaluated in double-double as
/// d (ln L - ln n - ln 2 pi) / (2 ln b), then rounded once), except for results below about
/// 1e-13 in magnitude (L / (2 pi n) within about 1e-15 of 1), whose error is about 1e-30.
inline double correction_dim(double num_rotations, int rotary_dim, double base,
                             std::int64_t original_max_position_embeddings) noexcept {
    return detail::dd_correction_dim(num_rotations, rotary_dim, detail::dd_log(base),
                                     original_max_position_embeddings)
        .hi;
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
/// Precision: as correction_dim; floor and ceil are taken of the double-double value,
/// so they are those of the formula's exact value unless it lies within about 1e-29 of an
/// integer.
inline correction_range yarn_correction_range(double beta_fast, double beta_slow, int rotary_dim,
                                              double base,
                                              std::int64_t original_max_position_embeddings,
                                              bool truncate) noexcept {
    const detail::dd_range r =
        detail::dd_yarn_correction_range(beta_fast, beta_slow, rotary_dim, detail::dd_log(base),
                                         original_max_position_embeddings, truncate);
    return {r.low.hi, r.high.hi};
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
