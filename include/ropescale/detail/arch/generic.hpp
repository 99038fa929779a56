// SPDX-License-Identifier: MIT
//
// Internal: the instruction-set layer of the kernels, after xsimd's own arch/ directory. The
// kernels reach everything an instruction set does differently through two traits, defined
// here for any arch in plain xsimd (NEON and the rest) and specialised by one header per x86
// family (sse2.hpp, avx.hpp, avx2.hpp, avx512.hpp; isa.hpp includes them all):
//   half_simd<Arch>  fp16 / bf16 <-> f32 conversions of one batch<float, Arch>;
//   arch_ops<Arch>   the operations whose best form is arch-specific: multiply-adds, the lane
//                    swap of the interleaved layout, double -> float stores, streaming stores
//                    and their fence, the interleaved table expansion, the quadrant select of
//                    the sincos polynomials, and the bf16 pair pack.
// Everything is templated on Arch so that per-ISA translation units never share a symbol
// (dispatch.hpp).
#ifndef ROPESCALE_DETAIL_ARCH_GENERIC_HPP
#define ROPESCALE_DETAIL_ARCH_GENERIC_HPP

#include "../../config.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// The x86 families (disjoint in xsimd: avx512f and avx derive from generic, not from sse).
template <class Arch>
inline constexpr bool is_avx512_family = std::is_base_of<xsimd::avx512f, Arch>::value;
template <class Arch>
inline constexpr bool is_avx_family = std::is_base_of<xsimd::avx, Arch>::value;
template <class Arch>
inline constexpr bool is_avx2_family = std::is_base_of<xsimd::avx2, Arch>::value;
template <class Arch>
inline constexpr bool is_sse2_family = std::is_base_of<xsimd::sse2, Arch>::value;

// Whether Arch has a genuinely fused multiply-add (one rounding).
template <class Arch>
inline constexpr bool has_fused_fma =
    std::is_base_of<xsimd::fma3<xsimd::sse4_2>, Arch>::value ||
    std::is_base_of<xsimd::fma3<xsimd::avx>, Arch>::value ||
    std::is_base_of<xsimd::fma3<xsimd::avx2>, Arch>::value || is_avx512_family<Arch>;

// Vector 16-bit <-> float conversions for one batch<float, Arch>. native_bf16 / native_fp16
// tell whether a specialisation has them; this generic one has none (callers convert lane by
// lane with half.hpp's scalar conversions).
template <class Arch, class Enable = void>
struct half_simd {
    static constexpr bool native_bf16 = false;
    static constexpr bool native_fp16 = false;
    static constexpr std::size_t stream_bytes = 0;  // streaming stores of packed 16-bit lanes
};

// Swaps adjacent lanes (0 1 2 3 -> 1 0 3 2) through xsimd's swizzle (never zip_lo/zip_hi,
// which are per 128-bit lane in xsimd 8.1).
struct swap_pairs_pattern {
    static constexpr unsigned get(unsigned i, unsigned) noexcept { return i ^ 1u; }
};

// arch_ops in plain xsimd; the family headers derive from it and replace what they do better.
template <class Arch>
struct generic_ops {
    template <class W>
    using batch = xsimd::batch<W, Arch>;

    // x * y + z, x * y - z and z - x * y: one rounding where has_fused_fma<Arch> (xsimd maps
    // fma / fms / fnma to the vfmadd family on the FMA3 archs), else as written (two roundings,
    // unless a compiler given FMA flags for such a unit contracts them).
    template <class W>
    static batch<W> mul_add(const batch<W>& x, const batch<W>& y, const batch<W>& z) noexcept {
        return xsimd::fma(x, y, z);
    }
    template <class W>
    static batch<W> mul_sub(const batch<W>& x, const batch<W>& y, const batch<W>& z) noexcept {
        return xsimd::fms(x, y, z);
    }
    template <class W>
    static batch<W> neg_mul_add(const batch<W>& x, const batch<W>& y, const batch<W>& z) noexcept {
        if constexpr (has_fused_fma<Arch>)
            return xsimd::fnma(x, y, z);  // vfnmadd on the FMA3 archs
        else
            return z - x * y;
    }

    // Swaps adjacent lanes: 0 1 2 3 -> 1 0 3 2.
    template <class W>
    static batch<W> swap_pairs(const batch<W>& x) noexcept {
        using index = std::conditional_t<sizeof(W) == 4, std::uint32_t, std::uint64_t>;
        return xsimd::swizzle(
            x, xsimd::make_batch_constant<xsimd::batch<index, Arch>, swap_pairs_pattern>());
    }

    // Stores a double batch as floats, rounded to nearest.
    static void store_float(float* out, const batch<double>& v) noexcept {
        alignas(64) double buf[batch<double>::size];
        v.store_aligned(buf);
        for (std::size_t i = 0; i < batch<double>::size; ++i) out[i] = static_cast<float>(buf[i]);
    }

    // Streaming (non-temporal) stores of a float batch and of a 32-bit integer batch to an
    // address aligned to the batch's bytes; 0 where the arch has none (then never called).
    static constexpr std::size_t stream_float_bytes = 0;
    static constexpr std::size_t stream_u32_bytes = 0;
    static void stream(float* p, const batch<float>& v) noexcept { v.store_unaligned(p); }
    static void stream(std::uint32_t* p, const batch<std::uint32_t>& v) noexcept {
        v.store_unaligned(p);
    }
    // Whether store_float has a streaming form (stream_float), for the cache build.
    static constexpr bool stream_float_rows = false;
    static void stream_float(float* out, const batch<double>& v) noexcept { store_float(out, v); }
    // Orders streaming stores before later stores.
    static void store_fence() noexcept {}

    // Whether store_expanded exists: cos c and sin s of L consecutive pairs (one double batch)
    // stored as the interleaved tables c2 = [c0 c0 c1 c1 ...], s2 = [-s0 s0 -s1 s1 ...] (2L
    // floats each, rounded to float). Else callers expand compact rows.
    static constexpr bool has_expanded_store = false;

    // Lanes of t (the shifter sum of sincos_reduced, detail/angles.hpp) whose quadrant count
    // n (t's lowest significand bit) is odd take a, the others b. The bit is moved to the top
    // exponent bit (2.0 or +0.0: no subnormal, safe under DAZ).
    static batch<double> select_odd(const batch<std::uint64_t>& ti, const batch<double>& a,
                                    const batch<double>& b) noexcept {
        using ubatch = batch<std::uint64_t>;
        const auto odd = xsimd::bitwise_cast<batch<double>>(
                             (ti << 62) & ubatch(std::uint64_t{1} << 62)) != batch<double>(0.0);
        return xsimd::select(odd, a, b);
    }

    // bf16 of `even` in the low half of each 32-bit lane and of `odd` in the high half, each
    // rounded to nearest even (u + 0x7fff + ((u >> 16) & 1), in 32-bit lanes; NaN needs no
    // special case for the values the kernels store: detail/rotate_bf16.hpp).
    static batch<std::uint32_t> round_bf16(const batch<float>& v) noexcept {
        using ubatch = batch<std::uint32_t>;
        const ubatch u = xsimd::bitwise_cast<ubatch>(v);
        return u + ((u >> 16) & ubatch(1u)) + ubatch(0x7fffu);
    }
    static batch<std::uint32_t> pack_bf16_pairs(const batch<float>& even,
                                                const batch<float>& odd) noexcept {
        using ubatch = batch<std::uint32_t>;
        return (round_bf16(odd) & ubatch(0xffff0000u)) | (round_bf16(even) >> 16);
    }
};

template <class Arch, class Enable = void>
struct arch_ops : generic_ops<Arch> {};

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ARCH_GENERIC_HPP
