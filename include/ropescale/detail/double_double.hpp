// SPDX-License-Identifier: MIT
//
// Double-double arithmetic: the few table quantities whose rounding errors a formula amplifies
// (the YaRN correction range, ramp and blend; b^(num/den) with an inexact quotient) are
// evaluated with it and rounded once (formulas.hpp).
#ifndef ROPESCALE_DETAIL_DOUBLE_DOUBLE_HPP
#define ROPESCALE_DETAIL_DOUBLE_DOUBLE_HPP

#include "../config.hpp"

#include <cmath>
#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {

// A value is hi + lo with hi the double nearest to it (|lo| <= ulp(hi) / 2); the
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

// b^(num / den) for a quotient that need not be a double (2i / 96, 64 / 62): p = pow(b, e),
// e = num / den rounded, times exp(delta) ~ 1 + delta, delta = (num / den - e) ln b, the
// residual's numerator num - e den exact through fma (|delta| < 2^-44 for the exponents of
// RoPE tables, so the dropped delta^2 / 2 is below 2^-89). The rounding of the exponent, which a
// plain pow(b, num / den) carries into the result amplified by the exponent times ln b, drops
// out; pow's own error remains. num and den exact doubles, den != 0, b > 0.
inline dd dd_power_of_quotient(double base, double ln_base, double num, double den) noexcept {
    const double e = num / den;
    const double p = std::pow(base, e);
    const double delta = std::fma(-e, den, num) / den * ln_base;
    return dd_fast_two_sum(p, p * delta);
}

}  // namespace detail

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_DOUBLE_DOUBLE_HPP
