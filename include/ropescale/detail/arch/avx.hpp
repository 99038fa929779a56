// SPDX-License-Identifier: MIT
//
// Internal: the AVX family (avx, fma3<avx>, and the AVX2 archs, avx2.hpp, which build on it;
// 256-bit batches) of the instruction-set layer (generic.hpp): the in-lane swap, double ->
// float stores, streaming stores (also of cache rows) and the quadrant select.
#ifndef ROPESCALE_DETAIL_ARCH_AVX_HPP
#define ROPESCALE_DETAIL_ARCH_AVX_HPP

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

#if XSIMD_WITH_AVX

template <class Arch>
struct avx_ops : generic_ops<Arch> {
    template <class W>
    using batch = xsimd::batch<W, Arch>;

    // The swap never crosses a 128-bit lane: the in-lane permute (1-cycle vpermilps), not the
    // generic cross-lane swizzle (vpermps).
    template <class W>
    static batch<W> swap_pairs(const batch<W>& x) noexcept {
        if constexpr (std::is_same<W, float>::value)
            return _mm256_permute_ps(x, 0xB1);
        else
            return _mm256_permute_pd(x, 0x5);
    }
    static void store_float(float* out, const batch<double>& v) noexcept {
        _mm_storeu_ps(out, _mm256_cvtpd_ps(v));
    }
    static constexpr std::size_t stream_float_bytes = sizeof(batch<float>);
    using generic_ops<Arch>::stream;
    static void stream(float* p, const batch<float>& v) noexcept { _mm256_stream_ps(p, v); }
    // The cache rows are written 4 floats (16 bytes) at a time: streamed with movntps.
    static constexpr bool stream_float_rows = true;
    static void stream_float(float* out, const batch<double>& v) noexcept {
        _mm_stream_ps(out, _mm256_cvtpd_ps(v));
    }
    static void store_fence() noexcept { _mm_sfence(); }

    // blendv reads only the sign bit: n's lowest bit shifted there.
    static batch<double> select_odd(const batch<std::uint64_t>& ti, const batch<double>& a,
                                    const batch<double>& b) noexcept {
        return _mm256_blendv_pd(b, a, xsimd::bitwise_cast<batch<double>>(ti << 63));
    }
};

template <class Arch>
struct arch_ops<Arch, std::enable_if_t<is_avx_family<Arch> && !is_avx2_family<Arch>>>
    : avx_ops<Arch> {};

#endif  // XSIMD_WITH_AVX

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ARCH_AVX_HPP
