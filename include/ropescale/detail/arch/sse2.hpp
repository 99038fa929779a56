// SPDX-License-Identifier: MIT
//
// Internal: the SSE2 family (sse2 .. sse4_2, fma3<sse4_2>; 128-bit batches) of the instruction-set
// layer (generic.hpp): fp16 / bf16 conversions in integer and float SIMD (no F16C can be
// assumed), the lane swap, double -> float stores, streaming stores and the interleaved table
// expansion.
#ifndef ROPESCALE_DETAIL_ARCH_SSE2_HPP
#define ROPESCALE_DETAIL_ARCH_SSE2_HPP

#include "generic.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__SSE2__) || defined(__AVX2__) || defined(__AVX512F__) || defined(_M_X64)
#include <immintrin.h>
#endif

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

#if XSIMD_WITH_SSE2

// fp16 <-> f32 without F16C, in SIMD integer and float operations that SSE2 has, bit for bit
// as half.hpp's scalar conversions.
//
// Load, per lane, on the magnitude |h| (the sign ORed back at the end):
//  1. move exponent and fraction to their f32 places (|h| << 13) and add 112 to the exponent:
//     exact for normal numbers;
//  2. exponent 31 (inf, NaN): add 112 more (143 | 112 = 255), the fraction kept;
//  3. exponent 0 (zero, subnormal): step 1 gave o = 2^-15 (1 + f) where the value is 2^-14 f
//     = 2 o - 2^-14 (exact). min(o, 2 o - 2^-14) selects it without a compare: it is below o
//     exactly when o < 2^-14 (for o >= 2^-14 the rounded 2 o - 2^-14 is >= o). The float
//     operations also quiet a NaN, payload kept, as the scalar conversion does. No f32
//     subnormal enters them, so DAZ/FTZ do not change the result.
//
// Store, on a = |x| (the sign put back as bit 15):
//  1. clamp: c = min(a, 65520) (65520 and above round to inf); a NaN lane instead takes a
//     finite stand-in in [2^16, 2^17), 2^16 + (0x200 | top 10 payload bits) * 2^6, which the
//     next steps turn into exponent 31 with the quiet bit and the payload: the scalar NaN
//     result. Two minps do both (minps returns its second operand when either is NaN).
//  2. m = 2^(e + 13), e = max(exponent of c, -14): ulp(m) is the fp16 ulp of c's binade
//     (2^-24 for subnormal results), so the f32 addition c + m rounds c to nearest even at fp16
//     precision, and (c + m) - m in integers is the rounded c in fp16 ulps: 1024 + fraction
//     for a normal result (2048 when the rounding reaches the next binade), the fraction for a
//     subnormal one. Like the scalar subnormal case, this needs round-to-nearest.
//  3. add (e + 14) << 10 = (bits of 2^e >> 13) - (113 << 10): the fp16 bits.
//
// The constants (an enumeration: no symbol that per-ISA units could share).
enum fp16_simd_constant : int {
    fp16_sign_bit = static_cast<int>(0x80000000u),
    fp16_rebias = 112 << 23,                 // load step 1
    fp16_max_finite_magnitude = 0x0f7fffff,  // largest finite |h| << 13
    fp16_inf_nan_rebias = 0x38000000,        // load step 2: 112 << 23
    fp16_nan_payload = 0x007fe000,           // store step 1: f32 fraction bits 22..13
    fp16_nan_stand_in_base = 0x47c00000,     // 2^16 with the quiet bit
    // Store step 3 as computed: h = (r - bits(2^e)) + (bits(2^e) >> 13) + tail, where
    // r - bits(2^e) = (13 << 23) + the rounded c in ulps; the tail removes 13 << 23 and
    // 113 << 10 and, for a negative x, also 0x8000: the 16-bit result sign-extended to 32 bits,
    // so that the signed 32 -> 16-bit pack keeps it.
    fp16_positive_tail = -((13 << 23) + (113 << 10)),
    fp16_negative_tail = -((13 << 23) + (113 << 10)) - 0x8000
};

template <class Arch>
struct half_simd<Arch, std::enable_if_t<is_sse2_family<Arch>>> {
    using batch = xsimd::batch<float, Arch>;
    static constexpr bool native_bf16 = true;
    static constexpr bool native_fp16 = true;
    static constexpr std::size_t stream_bytes = 0;  // 8-byte results: no SSE2 streaming store

    // fp16 <-> f32: the method above (load steps 1-3, store steps 1-3).
    static batch load_fp16(const std::uint16_t* p) noexcept {
        const __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        const __m128i w = _mm_unpacklo_epi16(_mm_setzero_si128(), h);  // h << 16
        const __m128i sign = _mm_and_si128(w, _mm_set1_epi32(fp16_sign_bit));
        // Exponent and fraction moved to their f32 places (bits 27..13).
        const __m128i magnitude = _mm_srli_epi32(_mm_slli_epi32(w, 1), 4);
        __m128i o = _mm_add_epi32(magnitude, _mm_set1_epi32(fp16_rebias));
        const __m128i inf_nan =
            _mm_cmpgt_epi32(magnitude, _mm_set1_epi32(fp16_max_finite_magnitude));
        o = _mm_or_si128(o, _mm_and_si128(inf_nan, _mm_set1_epi32(fp16_inf_nan_rebias)));
        const __m128 f = _mm_castsi128_ps(o);
        const __m128 d = _mm_sub_ps(f, _mm_set1_ps(0x1p-15f));
        const __m128 r = _mm_min_ps(f, _mm_add_ps(d, d));
        return batch(_mm_or_ps(r, _mm_castsi128_ps(sign)));
    }
    static void store_fp16(std::uint16_t* p, batch v) noexcept {
        const __m128i x = _mm_castps_si128(v);
        const __m128 a = _mm_and_ps(v, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)));
        const __m128 nan_stand_in =
            _mm_castsi128_ps(_mm_or_si128(_mm_and_si128(x, _mm_set1_epi32(fp16_nan_payload)),
                                          _mm_set1_epi32(fp16_nan_stand_in_base)));
        // Operand order matters: minps returns its second operand when either is NaN.
        const __m128 c = _mm_min_ps(_mm_min_ps(_mm_set1_ps(65520.0f), a), nan_stand_in);
        const __m128 e = _mm_max_ps(_mm_and_ps(c, _mm_castsi128_ps(_mm_set1_epi32(0x7f800000))),
                                    _mm_set1_ps(0x1p-14f));
        const __m128i ei = _mm_castps_si128(e);
        const __m128i m = _mm_add_epi32(ei, _mm_set1_epi32(13 << 23));
        const __m128i r = _mm_castps_si128(_mm_add_ps(c, _mm_castsi128_ps(m)));
        // The tail (see fp16_positive_tail): x's sign bit selects it.
        const __m128i tail =
            _mm_xor_si128(_mm_set1_epi32(fp16_positive_tail),
                          _mm_and_si128(_mm_srai_epi32(x, 31),
                                        _mm_set1_epi32(fp16_positive_tail ^ fp16_negative_tail)));
        const __m128i h =
            _mm_add_epi32(_mm_sub_epi32(r, ei), _mm_add_epi32(_mm_srli_epi32(ei, 13), tail));
        const __m128i packed = _mm_packs_epi32(h, _mm_setzero_si128());
        _mm_storel_epi64(reinterpret_cast<__m128i*>(p), packed);
    }

    static batch load_bf16(const std::uint16_t* p) noexcept {
        const __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        return batch(_mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), h)));
    }
    static void store_bf16(std::uint16_t* p, batch v) noexcept {
        const __m128i x = _mm_castps_si128(v);
        const __m128i lsb = _mm_and_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(1));
        const __m128i rounded = _mm_add_epi32(x, _mm_add_epi32(lsb, _mm_set1_epi32(0x7fff)));
        const __m128i magnitude = _mm_and_si128(x, _mm_set1_epi32(0x7fffffff));
        const __m128i nan = _mm_cmpgt_epi32(magnitude, _mm_set1_epi32(0x7f800000));
        const __m128i quiet = _mm_or_si128(x, _mm_set1_epi32(0x00400000));
        const __m128i r = _mm_or_si128(_mm_and_si128(nan, quiet), _mm_andnot_si128(nan, rounded));
        // Arithmetic shift: the 16-bit result sign-extended, so the signed pack never saturates.
        const __m128i packed = _mm_packs_epi32(_mm_srai_epi32(r, 16), _mm_setzero_si128());
        _mm_storel_epi64(reinterpret_cast<__m128i*>(p), packed);
    }
};

template <class Arch>
struct arch_ops<Arch, std::enable_if_t<is_sse2_family<Arch>>> : generic_ops<Arch> {
    template <class W>
    using batch = xsimd::batch<W, Arch>;

    template <class W>
    static batch<W> swap_pairs(const batch<W>& x) noexcept {
        if constexpr (std::is_same<W, float>::value)
            return _mm_shuffle_ps(x, x, 0xB1);
        else
            return _mm_shuffle_pd(x, x, 0x1);
    }
    static void store_float(float* out, const batch<double>& v) noexcept {
        _mm_storel_pi(reinterpret_cast<__m64*>(out), _mm_cvtpd_ps(v));
    }
    static constexpr std::size_t stream_float_bytes = sizeof(batch<float>);
    static constexpr std::size_t stream_u32_bytes = sizeof(batch<std::uint32_t>);
    static void stream(float* p, const batch<float>& v) noexcept { _mm_stream_ps(p, v); }
    static void stream(std::uint32_t* p, const batch<std::uint32_t>& v) noexcept {
        _mm_stream_si128(reinterpret_cast<__m128i*>(p), v);
    }
    static void store_fence() noexcept { _mm_sfence(); }

    static constexpr bool has_expanded_store = true;
    static void store_expanded(float* c2, float* s2, const batch<double>& c,
                               const batch<double>& s) noexcept {
        const __m128 neg_even = _mm_castsi128_ps(_mm_setr_epi32(INT32_MIN, 0, INT32_MIN, 0));
        const __m128 cf = _mm_cvtpd_ps(c);  // c0 c1 0 0
        const __m128 sf = _mm_cvtpd_ps(s);
        _mm_storeu_ps(c2, _mm_unpacklo_ps(cf, cf));
        _mm_storeu_ps(s2, _mm_xor_ps(_mm_unpacklo_ps(sf, sf), neg_even));
    }
};

#endif  // XSIMD_WITH_SSE2

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ARCH_SSE2_HPP
