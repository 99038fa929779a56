// SPDX-License-Identifier: MIT
//
// Internal: the per-token cos/sin tables the rotation reads, made from a cache row or from
// sincos_row (angles.hpp): scaled compact rows, expanded interleaved rows, and the stack
// buffers that hold them.
#ifndef ROPESCALE_DETAIL_TOKEN_TABLES_HPP
#define ROPESCALE_DETAIL_TOKEN_TABLES_HPP

#include "../config.hpp"
#include "fused.hpp"
#include "job.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Lane patterns for expanding compact per-pair tables to the interleaved layout.
struct dup_low_pattern {  // 0 0 1 1 2 2 ...: pairs of the low half
    static constexpr unsigned get(unsigned i, unsigned) noexcept { return i / 2; }
};
struct dup_high_pattern {  // n/2 n/2 n/2+1 ...: pairs of the high half
    static constexpr unsigned get(unsigned i, unsigned n) noexcept { return i / 2 + n / 2; }
};
struct even_lanes_pattern {
    static constexpr bool get(unsigned i, unsigned) noexcept { return (i & 1u) == 0; }
};

// Compact tables, scaled: c[i] = W(cos[i]) * cs, s[i] = W(sin[i]) * ss (S = float or W).
template <class Arch, class W, class S>
inline void scale_row(const S* cos_row, const S* sin_row, int n, W cs, W ss, W* c, W* s) noexcept {
    using batch = xsimd::batch<W, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    const batch vcs(cs);
    const batch vss(ss);
    int i = 0;
    for (; i + lanes <= n; i += lanes) {
        (batch::load_unaligned(cos_row + i) * vcs).store_unaligned(c + i);
        (batch::load_unaligned(sin_row + i) * vss).store_unaligned(s + i);
    }
    for (; i < n; ++i) {
        c[i] = static_cast<W>(cos_row[i]) * cs;
        s[i] = static_cast<W>(sin_row[i]) * ss;
    }
}

// Expanded interleaved tables c2 = [c0 c0 c1 c1 ...] * cs, s2 = [-s0 s0 -s1 s1 ...] * ss from
// compact ones (S = float or W). Reads exactly n entries of c and s.
template <class Arch, class W, class S>
inline void expand_interleaved(const S* c, const S* s, int n, W cs, W ss, W* c2, W* s2) noexcept {
    using batch = xsimd::batch<W, Arch>;
    using index = std::conditional_t<sizeof(W) == 4, std::uint32_t, std::uint64_t>;
    using ibatch = xsimd::batch<index, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    constexpr auto lo = xsimd::make_batch_constant<ibatch, dup_low_pattern>();
    constexpr auto hi = xsimd::make_batch_constant<ibatch, dup_high_pattern>();
    constexpr auto even = xsimd::make_batch_bool_constant<batch, even_lanes_pattern>();
    const batch vcs(cs);
    const batch vss(ss);
    int i = 0;
    for (; i + lanes <= n; i += lanes) {
        const batch vc = batch::load_unaligned(c + i) * vcs;
        const batch vs = batch::load_unaligned(s + i) * vss;
        xsimd::swizzle(vc, lo).store_aligned(c2 + 2 * i);
        xsimd::swizzle(vc, hi).store_aligned(c2 + 2 * i + lanes);
        const batch slo = xsimd::swizzle(vs, lo);
        const batch shi = xsimd::swizzle(vs, hi);
        // negate, not unary minus: xsimd 8.1's avx512f minus is 0 - x, +0 for +-0 (fused.hpp).
        xsimd::select(even, negate<Arch>(slo), slo).store_aligned(s2 + 2 * i);
        xsimd::select(even, negate<Arch>(shi), shi).store_aligned(s2 + 2 * i + lanes);
    }
    for (; i < n; ++i) {
        const W ci = static_cast<W>(c[i]) * cs;
        const W si = static_cast<W>(s[i]) * ss;
        c2[2 * i] = ci;
        c2[2 * i + 1] = ci;
        s2[2 * i] = -si;
        s2[2 * i + 1] = si;
    }
}

template <class Arch, class T>
inline void copy_pass_through(const T* in, T* out, int count) noexcept {
    if (count > 0 && in != out) std::memcpy(out, in, static_cast<std::size_t>(count) * sizeof(T));
}

// Stack buffers of one rotation call: the per-token tables (expanded for the interleaved
// layout, so twice the pairs, plus compact ones for the on-the-fly interleaved case): 3 KiB
// for float, 6 KiB for double (the on-the-fly frequency pack is separate, angles.hpp).
template <class Arch, class W>
struct token_tables {
    alignas(64) W c[2 * chunk_pairs];
    alignas(64) W s[2 * chunk_pairs];
    alignas(64) W compact_c[chunk_pairs];
    alignas(64) W compact_s[chunk_pairs];
};

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_TOKEN_TABLES_HPP
