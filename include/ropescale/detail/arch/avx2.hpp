// SPDX-License-Identifier: MIT
//
// Internal: the AVX2 archs (avx2, fma3<avx2>) of the instruction-set layer (generic.hpp), on
// top of the AVX family's operations (avx.hpp): fp16 through F16C's vcvtph2ps / vcvtps2ph,
// bf16 in integer SIMD, 32-bit streaming stores, the interleaved table expansion and the bf16
// pair pack in 16-bit lanes.
#ifndef ROPESCALE_DETAIL_ARCH_AVX2_HPP
#define ROPESCALE_DETAIL_ARCH_AVX2_HPP

#include "avx.hpp"
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

#if XSIMD_WITH_AVX2

template <class Arch>
struct half_simd<Arch, std::enable_if_t<is_avx2_family<Arch> && !is_avx512_family<Arch>>> {
    using batch = xsimd::batch<float, Arch>;
    static constexpr bool native_bf16 = true;
    static constexpr std::size_t stream_bytes = 16;
    static constexpr bool native_fp16 = true;
#if defined(__F16C__) || defined(_MSC_VER)
    static batch load_fp16(const std::uint16_t* p) noexcept {
        return batch(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    }
    static __m128i pack_fp16(batch v) noexcept {
        return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    }
#else
    // Compiled for AVX2 without -mf16c: the same two instructions, written as asm because the
    // compiler refuses their intrinsics without F16C enabled. Safe because every CPU with AVX2
    // has F16C (Intel from Ivy Bridge, AMD from Piledriver, both before AVX2), which the
    // run-time dispatch (dispatch.hpp) assumes as well. Immediate 0 rounds to nearest even,
    // whatever MXCSR says. Both assembler dialects are spelled out for -masm=intel users.
    static batch load_fp16(const std::uint16_t* p) noexcept {
        __m256 f;
        __asm__("vcvtph2ps {%1, %0|%0, %1}"
                : "=x"(f)
                : "m"(*reinterpret_cast<const __m128i_u*>(p)));
        return batch(f);
    }
    static __m128i pack_fp16(batch v) noexcept {
        const __m256 f = v;
        __m128i h;
        __asm__("vcvtps2ph {$0, %1, %0|%0, %1, 0}" : "=x"(h) : "x"(f));
        return h;
    }
#endif
    static void store_fp16(std::uint16_t* p, batch v) noexcept {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), pack_fp16(v));
    }
    static void stream_fp16(std::uint16_t* p, batch v) noexcept {
        _mm_stream_si128(reinterpret_cast<__m128i*>(p), pack_fp16(v));
    }

    static batch load_bf16(const std::uint16_t* p) noexcept {
        const __m256i w =
            _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return batch(_mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
    static __m128i pack_bf16(batch v) noexcept {
        const __m256i x = _mm256_castps_si256(v);
        const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
        const __m256i rounded =
            _mm256_add_epi32(x, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
        // NaN lanes keep their (quieted) top half instead of rounding (which could carry a
        // NaN into inf); the unordered compare stays in the float domain (one op).
        const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        const __m256i quiet = _mm256_or_si256(x, _mm256_set1_epi32(0x00400000));
        const __m256i r = _mm256_srli_epi32(_mm256_blendv_epi8(rounded, quiet, nan), 16);
        // 32 -> 16 bits without a cross-lane permute: pack the two 128-bit halves (SSE4.1).
        return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    }
    static void store_bf16(std::uint16_t* p, batch v) noexcept {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), pack_bf16(v));
    }
    static void stream_bf16(std::uint16_t* p, batch v) noexcept {
        _mm_stream_si128(reinterpret_cast<__m128i*>(p), pack_bf16(v));
    }
};

template <class Arch>
struct arch_ops<Arch, std::enable_if_t<is_avx2_family<Arch>>> : avx_ops<Arch> {
    template <class W>
    using batch = xsimd::batch<W, Arch>;

    static constexpr std::size_t stream_u32_bytes = sizeof(batch<std::uint32_t>);
    using avx_ops<Arch>::stream;
    static void stream(std::uint32_t* p, const batch<std::uint32_t>& v) noexcept {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v);
    }

    static constexpr bool has_expanded_store = true;
    static void store_expanded(float* c2, float* s2, const batch<double>& c,
                               const batch<double>& s) noexcept {
        const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
        const __m256 neg_even = _mm256_castsi256_ps(
            _mm256_setr_epi32(INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0, INT32_MIN, 0));
        _mm256_storeu_ps(c2,
                         _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(c)), dup));
        _mm256_storeu_ps(s2, _mm256_xor_ps(_mm256_permutevar8x32_ps(
                                               _mm256_castps128_ps256(_mm256_cvtpd_ps(s)), dup),
                                           neg_even));
    }

    // The generic pack rounds each float in 32-bit lanes, then merges the high halves (11
    // integer ops per batch); here the halves are merged first and rounded in 16-bit lanes
    // (9 ops): H holds the two high halves, L the two low halves, and the carry into H, bit 16
    // of L + 0x7fff + (H & 1), is bit 15 of vpavgw(L, 0x7ffe | (H & 1)) =
    // (L + 0x7fff + (H & 1)) >> 1, an unsigned 17-bit sum. Same bits as the generic form
    // (tests/kernels/half_test.cpp, store_rounding_critical).
    static batch<std::uint32_t> pack_bf16_pairs(const batch<float>& even,
                                                const batch<float>& odd) noexcept {
        const __m256i e = _mm256_castps_si256(even);
        const __m256i o = _mm256_castps_si256(odd);
        const __m256i high = _mm256_blend_epi16(o, _mm256_srli_epi32(e, 16), 0x55);
        const __m256i low = _mm256_blend_epi16(_mm256_slli_epi32(o, 16), e, 0x55);
        const __m256i half_minus = _mm256_or_si256(_mm256_and_si256(high, _mm256_set1_epi16(1)),
                                                   _mm256_set1_epi16(0x7ffe));
        const __m256i carry = _mm256_srli_epi16(_mm256_avg_epu16(low, half_minus), 15);
        return batch<std::uint32_t>(_mm256_add_epi16(high, carry));
    }
};

#endif  // XSIMD_WITH_AVX2

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ARCH_AVX2_HPP
