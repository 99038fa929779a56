// SPDX-License-Identifier: MIT
//
// Internal: the AVX-512 archs (avx512f .. avx512bw; 512-bit batches) of the instruction-set
// layer (generic.hpp): fp16 through vcvtph2ps / vcvtps2ph, bf16 in integer SIMD, fused
// multiply-adds through the intrinsics, the in-lane swap, double -> float stores and
// streaming stores.
#ifndef ROPESCALE_DETAIL_ARCH_AVX512_HPP
#define ROPESCALE_DETAIL_ARCH_AVX512_HPP

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

#if XSIMD_WITH_AVX512F

template <class Arch>
struct half_simd<Arch, std::enable_if_t<is_avx512_family<Arch>>> {
    using batch = xsimd::batch<float, Arch>;
    static constexpr bool native_bf16 = true;
    static constexpr bool native_fp16 = true;
    static constexpr std::size_t stream_bytes = 32;

    static batch load_fp16(const std::uint16_t* p) noexcept {
        return batch(_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
    }
    static __m256i pack_fp16(batch v) noexcept {
        return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
    static void store_fp16(std::uint16_t* p, batch v) noexcept {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), pack_fp16(v));
    }
    static void stream_fp16(std::uint16_t* p, batch v) noexcept {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), pack_fp16(v));
    }
    static batch load_bf16(const std::uint16_t* p) noexcept {
        const __m512i w =
            _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return batch(_mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
    }
    static __m256i pack_bf16(batch v) noexcept {
        const __m512i x = _mm512_castps_si512(v);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
        const __m512i rounded =
            _mm512_add_epi32(x, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
        const __m512i magnitude = _mm512_and_si512(x, _mm512_set1_epi32(0x7fffffff));
        const __mmask16 nan = _mm512_cmpgt_epi32_mask(magnitude, _mm512_set1_epi32(0x7f800000));
        const __m512i quiet = _mm512_or_si512(x, _mm512_set1_epi32(0x00400000));
        const __m512i r = _mm512_mask_blend_epi32(nan, rounded, quiet);
        return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
    }
    static void store_bf16(std::uint16_t* p, batch v) noexcept {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), pack_bf16(v));
    }
    static void stream_bf16(std::uint16_t* p, batch v) noexcept {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), pack_bf16(v));
    }
};

template <class Arch>
struct arch_ops<Arch, std::enable_if_t<is_avx512_family<Arch>>> : generic_ops<Arch> {
    template <class W>
    using batch = xsimd::batch<W, Arch>;

    // xsimd 8.1's fma / fms / fnma on avx512f are the generic `x * y + z` and friends: one
    // rounding or two depending on whether the compiler contracts the expression (and which
    // product it fuses). The intrinsics are one rounding, as the FMA3 archs' vfmadd family, so
    // AVX2 and AVX-512 compute the same operations bit for bit.
    template <class W>
    static batch<W> mul_add(const batch<W>& x, const batch<W>& y, const batch<W>& z) noexcept {
        if constexpr (std::is_same<W, float>::value)
            return _mm512_fmadd_ps(x, y, z);
        else
            return _mm512_fmadd_pd(x, y, z);
    }
    template <class W>
    static batch<W> mul_sub(const batch<W>& x, const batch<W>& y, const batch<W>& z) noexcept {
        if constexpr (std::is_same<W, float>::value)
            return _mm512_fmsub_ps(x, y, z);
        else
            return _mm512_fmsub_pd(x, y, z);
    }
    template <class W>
    static batch<W> neg_mul_add(const batch<W>& x, const batch<W>& y, const batch<W>& z) noexcept {
        if constexpr (std::is_same<W, float>::value)
            return _mm512_fnmadd_ps(x, y, z);
        else
            return _mm512_fnmadd_pd(x, y, z);
    }

    // In-lane permute: the swap never crosses a 128-bit lane.
    template <class W>
    static batch<W> swap_pairs(const batch<W>& x) noexcept {
        if constexpr (std::is_same<W, float>::value)
            return _mm512_permute_ps(x, 0xB1);
        else
            return _mm512_permute_pd(x, 0x55);
    }
    static void store_float(float* out, const batch<double>& v) noexcept {
        _mm256_storeu_ps(out, _mm512_cvtpd_ps(v));
    }
    static constexpr std::size_t stream_float_bytes = sizeof(batch<float>);
    static constexpr std::size_t stream_u32_bytes = sizeof(batch<std::uint32_t>);
    static void stream(float* p, const batch<float>& v) noexcept { _mm512_stream_ps(p, v); }
    static void stream(std::uint32_t* p, const batch<std::uint32_t>& v) noexcept {
        _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v);
    }
    static void store_fence() noexcept { _mm_sfence(); }
};

#endif  // XSIMD_WITH_AVX512F

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ARCH_AVX512_HPP
