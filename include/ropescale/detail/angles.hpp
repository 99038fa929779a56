// SPDX-License-Identifier: MIT
//
// Internal: vectorised cos/sin of position * inv_freq in double, with the exact product and
// the range reduction of angle.hpp (detail::reduce_two_pi, the one reduction of the library).
//
// The exact product p * f = hi + lo:
//   - where the arch has a genuinely fused multiply-add (FMA3 archs through xsimd::fma;
//     AVX-512 through _mm512_fmadd_pd, since xsimd 8.1's avx512 `fma` is a plain x*y+z):
//     hi = p*f, lo = fma(p, f, -hi), exactly reduce_angle's scalar formula (angle.hpp);
//   - elsewhere (SSE2: xsimd's `fma` is x*y+z there too, and the compiler may or may not
//     contract it) each inverse frequency is split once, by masking significand bits, into
//     f = f1 + f2 + f3 with at most 21 significant bits each; for an integer |p| < 2^32 the
//     products p*f1, p*f2, p*f3 are exact whatever the compiler contracts, and
//     hi = p*f1 + p*f2 with its Fast2Sum error plus p*f3 gives hi + lo = p*f to ~2^-100
//     relative (|lo| < 2^-40 |hi| here, so r below may exceed pi by ~2^-9 rad: harmless).
// reduce_two_pi(hi, lo) gives r in about [-pi, pi]; sincos_reduced evaluates sin and cos of
// r: quadrant reduction by pi/2 (Cody-Waite, fdlibm's 33-bit split of pi/2; n is tiny so every
// n * part is exact) and the Cephes minimax polynomials on [-pi/4, pi/4] (max error 1.4e-16
// against long double, measured over 2e6 points). cos/sin are within ~4e-16 of the exact
// values: the same contract as rotation_sincos (angle.hpp), the scalar reference.
//
// Why not xsimd::sincos: besides its own reduction (wasted on a reduced angle), it instantiates
// xsimd's non-template scalar fallback (__ieee754_rem_pio2) in every per-ISA translation unit,
// an ODR hazard across units built with different -m flags (dispatch.hpp).
#ifndef ROPESCALE_DETAIL_ANGLES_HPP
#define ROPESCALE_DETAIL_ANGLES_HPP

#include "../angle.hpp"
#include "simd_io.hpp"

#include <xsimd/xsimd.hpp>

#include <cstdint>
#include <type_traits>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Whether p*f - hi can be formed exactly with one fused multiply-add on Arch.
template <class Arch>
inline constexpr bool has_fused_fma =
    std::is_base_of<xsimd::fma3<xsimd::sse4_2>, Arch>::value ||
    std::is_base_of<xsimd::fma3<xsimd::avx>, Arch>::value ||
    std::is_base_of<xsimd::fma3<xsimd::avx2>, Arch>::value || is_avx512_family<Arch>;

template <class Arch>
inline xsimd::batch<double, Arch> fused_fma(const xsimd::batch<double, Arch>& x,
                                            const xsimd::batch<double, Arch>& y,
                                            const xsimd::batch<double, Arch>& z) noexcept {
#if XSIMD_WITH_AVX512F
    if constexpr (is_avx512_family<Arch>) return _mm512_fmadd_pd(x, y, z);
    else
#endif
        return xsimd::fma(x, y, z);
}

// Stores a double batch as W (double, or float rounded to nearest).
template <class Arch, class W>
inline void store_as(W* out, const xsimd::batch<double, Arch>& v) noexcept {
    if constexpr (std::is_same<W, double>::value) {
        v.store_unaligned(out);
    } else {
#if XSIMD_WITH_AVX512F
        if constexpr (is_avx512_family<Arch>) {
            _mm256_storeu_ps(out, _mm512_cvtpd_ps(v));
            return;
        }
#endif
#if XSIMD_WITH_AVX
        if constexpr (std::is_base_of<xsimd::avx, Arch>::value) {
            _mm_storeu_ps(out, _mm256_cvtpd_ps(v));
            return;
        }
#endif
#if XSIMD_WITH_SSE2
        if constexpr (is_sse2_family<Arch>) {
            _mm_storel_pi(reinterpret_cast<__m64*>(out), _mm_cvtpd_ps(v));
            return;
        }
#endif
        alignas(64) double buf[xsimd::batch<double, Arch>::size];
        v.store_aligned(buf);
        for (std::size_t i = 0; i < xsimd::batch<double, Arch>::size; ++i) out[i] = static_cast<float>(buf[i]);
    }
}

// The inverse frequencies of one pass, zero-padded to a multiple of the double batch size,
// and (without a fused FMA) their three-way split. Sized for `Capacity` pairs.
template <class Arch, int Capacity>
struct frequency_pack {
    alignas(64) double f[Capacity];
    alignas(64) double f1[Capacity];
    alignas(64) double f2[Capacity];
    alignas(64) double f3[Capacity];
    int padded = 0;

    void load(const double* inv_freq, int n) noexcept {
        using batch = xsimd::batch<double, Arch>;
        using ubatch = xsimd::batch<std::uint64_t, Arch>;
        constexpr int lanes = static_cast<int>(batch::size);
        padded = (n + lanes - 1) / lanes * lanes;
        // Keeps sign, exponent and the top 20 fraction bits: 21 significant bits.
        const batch mask = xsimd::bitwise_cast<batch>(ubatch(0xFFFFFFFF00000000ull));
        for (int i = 0; i < padded; i += lanes) {
            batch v;
            if (i + lanes <= n) {
                v = batch::load_unaligned(inv_freq + i);
            } else {
                alignas(64) double tail[lanes];
                for (int l = 0; l < lanes; ++l) tail[l] = i + l < n ? inv_freq[i + l] : 0.0;
                v = batch::load_aligned(tail);
            }
            v.store_aligned(f + i);
            if constexpr (!has_fused_fma<Arch>) {
                const batch a = v & mask;
                const batch rest = v - a;  // exact: the dropped low bits
                const batch b = rest & mask;
                a.store_aligned(f1 + i);
                b.store_aligned(f2 + i);
                (rest - b).store_aligned(f3 + i);  // exact: <= 11 bits remain
            }
        }
    }
};

// sin and cos of a reduced angle r (|r| <= ~4 pi; the kernels pass |r| <= pi + 2^-9).
template <class Arch>
inline void sincos_reduced(const xsimd::batch<double, Arch>& r, xsimd::batch<double, Arch>& sin_out,
                           xsimd::batch<double, Arch>& cos_out) noexcept {
    using batch = xsimd::batch<double, Arch>;
    // fdlibm: pi/2 = pio2_1 + pio2_2 + pio2_3 (+ ~1e-32), 33 bits each: n * pio2_k exact.
    constexpr double two_over_pi = 6.36619772367581382433e-01;
    constexpr double pio2_1 = 1.57079632673412561417e+00;
    constexpr double pio2_2 = 6.07710050630396597660e-11;
    constexpr double pio2_3 = 2.02226624871116645580e-21;
    // n = nearest integer to r * 2/pi through the 1.5 * 2^52 shifter: the low bits of t's
    // significand are n in two's complement (|n| << 2^51), read below for the quadrant.
    const batch shifter(0x1.8p52);
    const batch t = r * batch(two_over_pi) + shifter;
    const batch n = t - shifter;  // exact
    const batch x = ((r - n * batch(pio2_1)) - n * batch(pio2_2)) - n * batch(pio2_3);
    const batch z = x * x;
    batch ps(1.58962301576546568060E-10);
    ps = xsimd::fma(ps, z, batch(-2.50507477628578072866E-8));
    ps = xsimd::fma(ps, z, batch(2.75573136213857245213E-6));
    ps = xsimd::fma(ps, z, batch(-1.98412698295895385996E-4));
    ps = xsimd::fma(ps, z, batch(8.33333333332211858878E-3));
    ps = xsimd::fma(ps, z, batch(-1.66666666666666307295E-1));
    batch pc(-1.13585365213876817300E-11);
    pc = xsimd::fma(pc, z, batch(2.08757008419747316778E-9));
    pc = xsimd::fma(pc, z, batch(-2.75573141792967388112E-7));
    pc = xsimd::fma(pc, z, batch(2.48015872888517045348E-5));
    pc = xsimd::fma(pc, z, batch(-1.38888888888730564116E-3));
    pc = xsimd::fma(pc, z, batch(4.16666666666665929218E-2));
    const batch s = xsimd::fma(x * z, ps, x);
    const batch c = xsimd::fma(z * z, pc, batch(1.0) - batch(0.5) * z);
    // Quadrant q = n mod 4: sin r = (s, c, -s, -c)[q], cos r = (c, -s, -c, s)[q].
    const batch q = n - batch(4.0) * xsimd::floor(n * batch(0.25));
    const auto odd = (q == batch(1.0)) | (q == batch(3.0));
    const batch sign = batch(-0.0);
    const batch sin_sign = xsimd::select(q >= batch(2.0), sign, batch(0.0));
    const batch cos_sign = xsimd::select((q == batch(1.0)) | (q == batch(2.0)), sign, batch(0.0));
    sin_out = xsimd::select(odd, c, s) ^ sin_sign;
    cos_out = xsimd::select(odd, s, c) ^ cos_sign;
}

// cos and sin of position * f for the pack's pairs, each multiplied by cos_scale / sin_scale
// in double, stored as W (double, or float rounded once). Writes pack.padded entries.
// Exact product and reduction for |position| < 2^32 (file comment).
template <class Arch, int Capacity, class W>
inline void sincos_row(double position, const frequency_pack<Arch, Capacity>& pack,
                       double cos_scale, double sin_scale, W* cos_out, W* sin_out) noexcept {
    using batch = xsimd::batch<double, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    const batch p(position);
    const batch cs(cos_scale);
    const batch ss(sin_scale);
    const auto one = [&](int i) {
        batch hi;
        batch lo;
        if constexpr (has_fused_fma<Arch>) {
            const batch f = batch::load_aligned(pack.f + i);
            hi = p * f;
            lo = fused_fma<Arch>(p, f, -hi);  // exact error of the product
        } else {
            const batch a1 = p * batch::load_aligned(pack.f1 + i);  // exact
            const batch a2 = p * batch::load_aligned(pack.f2 + i);  // exact
            const batch a3 = p * batch::load_aligned(pack.f3 + i);  // exact
            hi = a1 + a2;
            lo = (a2 - (hi - a1)) + a3;  // Fast2Sum error of hi, then the small part
        }
        const batch r = reduce_two_pi(hi, lo);
        batch sn;
        batch cn;
        sincos_reduced<Arch>(r, sn, cn);
        store_as<Arch>(cos_out + i, cn * cs);
        store_as<Arch>(sin_out + i, sn * ss);
    };
    // (Unrolling two batches per step measured slower on Zen 3 with AVX2: register spills.)
    for (int i = 0; i < pack.padded; i += lanes) one(i);
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_ANGLES_HPP
