// SPDX-License-Identifier: MIT
//
// Internal: vectorised cos/sin of position * inv_freq in double, with the exact product and
// the range reduction of angle.hpp (detail::reduce_two_pi, the one reduction of the library,
// whose steps reduce_two_pi_batch performs with explicitly fused multiply-adds). Every
// multiply-add here goes through detail/fused.hpp, so the archs with a fused multiply-add
// (FMA3, AVX-512) compute the same operations and give the same bits.
//
// The exact product p * f = hi + lo:
//   - where the arch has a genuinely fused multiply-add (has_fused_fma, detail/fused.hpp):
//     hi = p*f, lo = fma(p, f, -hi) (as one fused multiply-subtract, mul_sub), exactly
//     reduce_angle's scalar formula (angle.hpp);
//   - elsewhere (SSE2: no fused multiply-add; xsimd's `fma` is x*y+z, which a compiler may or
//     may not contract) each inverse frequency is split once, by masking significand bits, into
//     f = f1 + f2 + f3 with at most 21 significant bits each; for an integer |p| < 2^32 the
//     products p*f1, p*f2, p*f3 are exact whatever the compiler contracts, and
//     hi = p*f1 + p*f2 with its Fast2Sum error plus p*f3 gives hi + lo = p*f to ~2^-100
//     relative (|lo| < 2^-40 |hi| here, so r below may exceed pi by ~2^-9 rad: harmless).
// reduce_two_pi_batch(hi, lo) gives r in about [-pi, pi], within ~1e-15 of p f mod 2 pi for
// |p f| <= 2^31 (angle.hpp). sincos_reduced evaluates sin and cos of r in one of two precisions:
//
//   sincos_precision::full (double outputs: f64 elements; the cache's anchors and steps):
//     a second reduction by pi/2: the nearest multiple n of pi/2 comes from the 1.5 * 2^52
//     shifter, whose low significand bits are n in two's complement, so the quadrant n mod 4 is
//     read with integer ops; x = r - n pi/2 with fdlibm's three-part pi/2 (33 bits each: n * part
//     exact) lies in [-pi/4, pi/4]; Cephes minimax polynomials of degree 13 (sin) and 14 (cos),
//     max error 1.4e-16 against long double (measured over 2e6 points). cos/sin within ~4e-16 of
//     the exact values: the same contract as rotation_sincos (angle.hpp), the scalar reference.
//
//   sincos_precision::float_output (values rounded once to float: f32/f16/bf16 elements on
//     the fly). Only the error before that rounding matters, so no second reduction at all: two
//     polynomials on the whole of |r| <= R = pi + 2^-9 (every r the kernels pass, file comment),
//       sin r = r P(r^2), P of degree 7: minimax for the absolute error, <= 2.2e-11;
//       cos r = Q(r^2),   Q of degree 8: minimax for the absolute error, <= 9.5e-13
//     (Remez exchange in mpmath at 50 digits; the errors are those of the coefficients rounded
//     to double, checked at 20001 points against mpmath). Evaluation in double adds a few
//     1e-16 (Horner sums stay below 2 in magnitude), the reduction ~1e-15 (angle.hpp). Fewer
//     operations than the quadrant reduction with degree 9/10 polynomials on [-pi/4, pi/4]
//     at the same accuracy, and no selects.
//     Outside R the error grows smoothly (1.4e-10 at pi + 0.1, 1e-6 at 4): beyond the exact
//     domain (|p f| > 2^31, where the reduction may overshoot pi) results degrade gracefully.
//     Before scaling, |value - exact| <= 2.3e-11; the scale (attention factor m, or 1/m)
//     multiplies it: delta <= 2.3e-11 m.
//     Why that keeps the cache's contract (cache.hpp; |entry - fl32(v)| <= 1e-7 + 2^-24 |v|,
//     for |v| < 2): the stored value is fl32(u) with |u - v| <= delta.
//       - |fl32(u) - v| <= 2^-24 |u| + delta <= 2^-24 |v| + 2 delta, inside the bound since
//         2 delta << 1e-7 (what tests/kernels/cache_test.cpp measures against v);
//       - against fl32(v): for 2^-2 <= |v| < 2 the float spacing there (>= 2^-25) is >> delta,
//         so u and v round to the same or to adjacent floats: |fl32(u) - fl32(v)| <= ulp(v),
//         which is 2^-23 <= 1e-7 + 2^-24 |v| for |v| >= 1 and <= 2^-24 < 1e-7 below; for
//         |v| < 2^-2, |fl32(u) - fl32(v)| <= 2^-24 (|u| + |v|) + delta < 3.1e-8.
//     It rounds differently from fl32(v) only when v is within delta of a rounding boundary:
//     a fraction ~delta / ulp(v) of the entries (< 1e-3 at |v| ~ 1). The cache build uses the
//     full precision (cache.hpp promises entries that are fl32(v) but for a handful).
//
// Why not xsimd::sincos: besides its own reduction (wasted on a reduced angle), it instantiates
// xsimd's non-template scalar fallback (__ieee754_rem_pio2) in every per-ISA translation unit,
// an ODR hazard across units built with different -m flags (dispatch.hpp).
#ifndef ROPESCALE_DETAIL_ANGLES_HPP
#define ROPESCALE_DETAIL_ANGLES_HPP

#include "../angle.hpp"
#include "arch/isa.hpp"
#include "fused.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Stores a double batch as W (double, or float rounded to nearest).
template <class Arch, class W>
inline void store_as(W* out, const xsimd::batch<double, Arch>& v) noexcept {
    if constexpr (std::is_same<W, double>::value)
        v.store_unaligned(out);
    else
        arch_ops<Arch>::store_float(out, v);
}

// The inverse frequencies of one pass, as sincos_row reads them, for `Capacity` pairs at most.
// With a fused FMA the caller's array is read in place (whole batches) and only the last
// partial batch is copied, zero-padded: loading a pack costs nothing per call. Without, each
// frequency is split into three parts (file comment), zero-padded to whole batches.
template <class Arch, int Capacity>
struct frequency_pack {
    using batch = xsimd::batch<double, Arch>;
    static constexpr int lanes = static_cast<int>(batch::size);
    static constexpr bool split = !has_fused_fma<Arch>;

    const double* src = nullptr;  // fused: whole batches [0, full) read from here
    int full = 0;
    int padded = 0;                  // entries written by sincos_row: n rounded up to whole batches
    alignas(64) double tail[lanes];  // fused: entries [full, n), zero-padded
    alignas(64) double f1[split ? Capacity : 1];
    alignas(64) double f2[split ? Capacity : 1];
    alignas(64) double f3[split ? Capacity : 1];

    void load(const double* inv_freq, int n) noexcept {
        using ubatch = xsimd::batch<std::uint64_t, Arch>;
        padded = (n + lanes - 1) / lanes * lanes;
        full = n / lanes * lanes;
        src = inv_freq;
        if constexpr (!split) {
            for (int l = 0; l < lanes; ++l) tail[l] = full + l < n ? inv_freq[full + l] : 0.0;
        } else {
            // Keeps sign, exponent and the top 20 fraction bits: 21 significant bits.
            const batch mask = xsimd::bitwise_cast<batch>(ubatch(0xFFFFFFFF00000000ull));
            for (int i = 0; i < padded; i += lanes) {
                batch v;
                if (i + lanes <= n) {
                    v = batch::load_unaligned(inv_freq + i);
                } else {
                    for (int l = 0; l < lanes; ++l) tail[l] = i + l < n ? inv_freq[i + l] : 0.0;
                    v = batch::load_aligned(tail);
                }
                const batch a = v & mask;
                const batch rest = v - a;  // exact: the dropped low bits
                const batch b = rest & mask;
                a.store_aligned(f1 + i);
                b.store_aligned(f2 + i);
                (rest - b).store_aligned(f3 + i);  // exact: <= 11 bits remain
            }
        }
    }

    // The exact product position * f = hi + lo of batch i (file comment).
    void product(const batch& p, int i, batch& hi, batch& lo) const noexcept {
        if constexpr (!split) {
            const batch f = i < full ? batch::load_unaligned(src + i) : batch::load_aligned(tail);
            hi = p * f;
            lo = mul_sub<Arch>(p, f, hi);  // exact error of the product (fused)
        } else {
            const batch a1 = p * batch::load_aligned(f1 + i);  // exact
            const batch a2 = p * batch::load_aligned(f2 + i);  // exact
            const batch a3 = p * batch::load_aligned(f3 + i);  // exact
            hi = a1 + a2;
            lo = (a2 - (hi - a1)) + a3;  // Fast2Sum error of hi, then the small part
        }
    }
};

// How accurately sincos_reduced evaluates (file comment).
enum class sincos_precision { full, float_output };

// The polynomial c[0] z^(N-1) + c[1] z^(N-2) + ... + c[N-1] by Horner's rule with mul_add
// (fused where the arch has a fused multiply-add: detail/fused.hpp).
template <class Arch, std::size_t N>
inline xsimd::batch<double, Arch> horner(const xsimd::batch<double, Arch>& z,
                                         const double (&c)[N]) noexcept {
    xsimd::batch<double, Arch> acc(c[0]);
    for (std::size_t i = 1; i < N; ++i)
        acc = mul_add<Arch>(acc, z, xsimd::batch<double, Arch>(c[i]));
    return acc;
}

// angle.hpp's reduce_two_pi(hi, lo) for batches, step by step the same operations, with each
// `a - k * part` written as neg_mul_add (detail/fused.hpp) instead of left to the compiler's
// contraction: k * two_pi_1 and k * two_pi_2 are exact (angle.hpp), so fusing those two steps
// changes nothing; lo - k * two_pi_3 is rounded once where the arch has a fused multiply-add
// (as a contracting compiler would also give it), twice elsewhere. Either way within
// angle.hpp's bound, and the same bits on every arch with a fused multiply-add whatever the
// compiler contracts.
template <class Arch>
inline xsimd::batch<double, Arch> reduce_two_pi_batch(
    const xsimd::batch<double, Arch>& hi, const xsimd::batch<double, Arch>& lo) noexcept {
    using batch = xsimd::batch<double, Arch>;
    const batch k = xsimd::nearbyint(hi * batch(inv_two_pi));
    batch r = neg_mul_add<Arch>(k, batch(two_pi_1), hi);
    r = neg_mul_add<Arch>(k, batch(two_pi_2), r);
    return r + neg_mul_add<Arch>(k, batch(two_pi_3), lo);
}

// sin and cos of a reduced angle r with the precision P (file comment): full for |r| <= ~4 pi,
// float_output for |r| <= pi + 2^-9 (the kernels pass nothing larger in the exact domain).
template <class Arch, sincos_precision P = sincos_precision::full>
inline void sincos_reduced(const xsimd::batch<double, Arch>& r, xsimd::batch<double, Arch>& sin_out,
                           xsimd::batch<double, Arch>& cos_out) noexcept {
    using batch = xsimd::batch<double, Arch>;
    using ubatch = xsimd::batch<std::uint64_t, Arch>;
    if constexpr (P == sincos_precision::float_output) {
        // Minimax on |r| <= pi + 2^-9 (file comment): sin r = r P(r^2), cos r = Q(r^2).
        static constexpr double p_coeffs[] = {
            -0x1.6d3c45d5fc104p-41,  // -6.487884729205766e-13
            0x1.5c9266c2d93e9p-33,   //  1.5851213925560233e-10
            -0x1.ae0bcdaf7e732p-26,  // -2.503197798866383e-08
            0x1.71da5e8cb4649p-19,   //  2.7556196243526274e-06
            -0x1.a019d04f4060dp-13,  // -1.9841233959287698e-04
            0x1.11110fbf7cbd1p-7,    //  8.33333271927997e-03
            -0x1.55555544f0bbep-3,   // -1.6666666618956855e-01
            0x1.ffffffff0f0f6p-1,    //  9.999999998904332e-01
        };
        static constexpr double q_coeffs[] = {
            0x1.7411bd6da5fc8p-45,   //  4.130798999487493e-14
            -0x1.8f75fccdf3e7ep-37,  // -1.1353361308595841e-11
            0x1.1ec4ca20f757cp-29,   //  2.086516973506719e-09
            -0x1.27e324382b5c0p-22,  // -2.7556649540957226e-07
            0x1.a019e8924dba9p-16,   //  2.480156451519956e-05
            -0x1.6c16c0ac4fcc9p-10,  // -1.388888845283808e-03
            0x1.5555554f95a1ap-5,    //  4.166666662483838e-02
            -0x1.ffffffffbc095p-2,   // -4.9999999998454686e-01
            0x1.fffffffffdeeep-1,    //  9.999999999990601e-01
        };
        const batch z = r * r;
        sin_out = r * horner<Arch>(z, p_coeffs);
        cos_out = horner<Arch>(z, q_coeffs);
        return;
    }
    constexpr double two_over_pi = 6.36619772367581382433e-01;
    // n = nearest integer to r * 2/pi through the 1.5 * 2^52 shifter: the low bits of t's
    // significand are n in two's complement (|n| << 2^51), read below for the quadrant.
    const batch shifter(0x1.8p52);
    const batch t = mul_add<Arch>(r, batch(two_over_pi), shifter);
    const batch n = t - shifter;  // exact
    // fdlibm: pi/2 = pio2_1 + pio2_2 + pio2_3 (+ ~1e-32), 33 bits each: n * pio2_k exact.
    constexpr double pio2_1 = 1.57079632673412561417e+00;
    constexpr double pio2_2 = 6.07710050630396597660e-11;
    constexpr double pio2_3 = 2.02226624871116645580e-21;
    // n * pio2_k is exact, so a compiler contracting these steps changes no bit.
    const batch x = ((r - n * batch(pio2_1)) - n * batch(pio2_2)) - n * batch(pio2_3);
    const batch z = x * x;
    // Cephes: sin x = x + x z S(z), cos x = 1 - z/2 + z^2 C(z).
    static constexpr double s_coeffs[] = {
        1.58962301576546568060E-10, -2.50507477628578072866E-8, 2.75573136213857245213E-6,
        -1.98412698295895385996E-4, 8.33333333332211858878E-3,  -1.66666666666666307295E-1,
    };
    static constexpr double c_coeffs[] = {
        -1.13585365213876817300E-11, 2.08757008419747316778E-9,  -2.75573141792967388112E-7,
        2.48015872888517045348E-5,   -1.38888888888730564116E-3, 4.16666666666665929218E-2,
    };
    const batch ps = horner<Arch>(z, s_coeffs);
    const batch pc = horner<Arch>(z, c_coeffs);
    const batch s = mul_add<Arch>(x * z, ps, x);
    const batch c = mul_add<Arch>(z * z, pc, batch(1.0) - batch(0.5) * z);  // 0.5 z: exact
    // Quadrant q = n mod 4 (t's two lowest bits): sin r = (s, c, -s, -c)[q] and
    // cos r = (c, -s, -c, s)[q]: swap on odd q; sin negated for q in {2, 3} (bit 1 of q),
    // cos for q in {1, 2} (bit 1 xor bit 0).
    const ubatch ti = xsimd::bitwise_cast<ubatch>(t);
    const batch sign_bit(-0.0);
    const batch sin_sign = xsimd::bitwise_cast<batch>(ti << 62) & sign_bit;
    const batch cos_sign = sin_sign ^ xsimd::bitwise_cast<batch>(ti << 63);
    sin_out = arch_ops<Arch>::select_odd(ti, c, s) ^ sin_sign;
    cos_out = arch_ops<Arch>::select_odd(ti, s, c) ^ cos_sign;
}

// Where sincos_row writes each batch of (cos, sin): the compact rows cos_out[i], sin_out[i]
// (as W), or the expanded interleaved tables (arch_ops::store_expanded: 2 floats per pair).
enum class row_form { compact, expanded };

// cos and sin of position * f for the pack's pairs, each multiplied by cos_scale / sin_scale
// in double, stored as W: double at full precision, or float from the float_output precision
// (file comment), rounded once. Writes pack.padded entries (expanded: 2 * pack.padded).
// Exact product and reduction for |position| < 2^32 (file comment).
template <class Arch, row_form Form = row_form::compact, int Capacity, class W>
inline void sincos_row(double position, const frequency_pack<Arch, Capacity>& pack,
                       double cos_scale, double sin_scale, W* cos_out, W* sin_out) noexcept {
    using batch = xsimd::batch<double, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    constexpr sincos_precision precision =
        std::is_same<W, double>::value ? sincos_precision::full : sincos_precision::float_output;
    static_assert(Form == row_form::compact ||
                      (std::is_same<W, float>::value && arch_ops<Arch>::has_expanded_store),
                  "expanded rows are float, on archs with store_expanded");
    const batch p(position);
    const batch cs(cos_scale);
    const batch ss(sin_scale);
    // One batch per step: two per step spill registers with the float_output polynomials.
    for (int i = 0; i < pack.padded; i += lanes) {
        batch hi;
        batch lo;
        pack.product(p, i, hi, lo);
        const batch r = reduce_two_pi_batch<Arch>(hi, lo);
        batch sn;
        batch cn;
        sincos_reduced<Arch, precision>(r, sn, cn);
        if constexpr (Form == row_form::expanded) {
            arch_ops<Arch>::store_expanded(cos_out + 2 * i, sin_out + 2 * i, cn * cs, sn * ss);
        } else {
            store_as<Arch>(cos_out + i, cn * cs);
            store_as<Arch>(sin_out + i, sn * ss);
        }
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ANGLES_HPP
