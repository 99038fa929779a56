// SPDX-License-Identifier: MIT
//
// Internal: the arithmetic the kernels build on (negation and multiply-adds), for batches and
// for the scalars of the tails, with one behaviour per arch that does not depend on xsimd's
// per-arch implementation or on what the compiler contracts. Everything is templated on the
// xsimd arch so that per-ISA translation units never share a symbol (see dispatch.hpp).
//
// Why not xsimd's operators (xsimd 8.1, arch/xsimd_avx512f.hpp and
// arch/generic/xsimd_generic_arithmetic.hpp):
//   - unary minus (`neg`) on avx512f is `0 - x`, which gives +0 for both +0 and -0 (IEEE
//     negation swaps them); SSE2 and AVX flip the sign bit. negate() flips the sign bit on
//     every arch.
//   - fma / fms / fnma / fnms on avx512f are the generic `x * y + z` and friends: one rounding
//     or two depending on whether the compiler contracts the expression, and when it does, it
//     may fuse the other product (fms(a, b, c * d) may become fnmadd(c, d, a * b)); the FMA3
//     archs map them to the vfmadd family. mul_add / mul_sub / neg_mul_add below are one
//     rounding wherever the arch has a fused multiply-add (arch_ops, detail/arch/: FMA3
//     through xsimd, AVX-512 through its intrinsics), so AVX2 and AVX-512 compute the same
//     operations bit for bit. Elsewhere (SSE2) they are x * y + z as written: two roundings
//     (unless a compiler given FMA flags for such a unit contracts them).
//   - the scalar forms (tails) fuse exactly where the batch forms of the same arch do, with
//     the products written out, so a tail element gets the bits a batch lane would get for the
//     same inputs: GCC and clang otherwise contract `x1 * c - x2 * s` on FMA targets, fusing a
//     product of their choosing (and only where -mfma / -mavx512f allow).
// The products that are not fused (the `x2 * s` handed to mul_sub) are single multiplies: the
// compilers cannot fuse a product into an explicit fused multiply-add's addend.
#ifndef ROPESCALE_DETAIL_FUSED_HPP
#define ROPESCALE_DETAIL_FUSED_HPP

#include "arch/isa.hpp"

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// -x by flipping the sign bit (IEEE negation: -(+0) = -0, NaN payload kept).
template <class Arch, class W>
inline xsimd::batch<W, Arch> negate(const xsimd::batch<W, Arch>& x) noexcept {
    static_assert(std::is_floating_point<W>::value, "negate flips the sign bit of floats");
    return x ^ xsimd::batch<W, Arch>(W(-0.0));
}

// x * y + z, one rounding where has_fused_fma<Arch>.
template <class Arch, class W>
inline xsimd::batch<W, Arch> mul_add(const xsimd::batch<W, Arch>& x, const xsimd::batch<W, Arch>& y,
                                     const xsimd::batch<W, Arch>& z) noexcept {
    return arch_ops<Arch>::mul_add(x, y, z);
}

// x * y - z, one rounding where has_fused_fma<Arch>.
template <class Arch, class W>
inline xsimd::batch<W, Arch> mul_sub(const xsimd::batch<W, Arch>& x, const xsimd::batch<W, Arch>& y,
                                     const xsimd::batch<W, Arch>& z) noexcept {
    return arch_ops<Arch>::mul_sub(x, y, z);
}

// z - x * y, one rounding where has_fused_fma<Arch>.
template <class Arch, class W>
inline xsimd::batch<W, Arch> neg_mul_add(const xsimd::batch<W, Arch>& x,
                                         const xsimd::batch<W, Arch>& y,
                                         const xsimd::batch<W, Arch>& z) noexcept {
    return arch_ops<Arch>::neg_mul_add(x, y, z);
}

// One rounding of x * y + z for the scalar forms (has_fused_fma archs only).
template <class Arch, class W>
inline W fused_scalar(W x, W y, W z) noexcept {
    static_assert(has_fused_fma<Arch>, "scalar fused multiply-add on an arch without one");
#if defined(__GNUC__) || defined(__clang__)
    // A builtin, not std::fma: that is a non-template inline function, which would be a symbol
    // shared by the per-ISA units if emitted out of line.
    if constexpr (std::is_same<W, float>::value)
        return __builtin_fmaf(x, y, z);
    else
        return __builtin_fma(x, y, z);
#else
    return std::fma(x, y, z);
#endif
}

// Scalar x * y + z, fused exactly where the batch mul_add of Arch is.
template <class Arch, class W, std::enable_if_t<std::is_floating_point<W>::value, int> = 0>
inline W mul_add(W x, W y, W z) noexcept {
    if constexpr (has_fused_fma<Arch>) {
        return fused_scalar<Arch>(x, y, z);
    } else {
        const W p = x * y;
        return p + z;
    }
}

// Scalar x * y - z, fused exactly where the batch mul_sub of Arch is.
template <class Arch, class W, std::enable_if_t<std::is_floating_point<W>::value, int> = 0>
inline W mul_sub(W x, W y, W z) noexcept {
    if constexpr (has_fused_fma<Arch>) {
        return fused_scalar<Arch>(x, y, -z);
    } else {
        const W p = x * y;
        return p - z;
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_FUSED_HPP
