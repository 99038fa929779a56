// SPDX-License-Identifier: MIT
//
// Internal: the rotation of one token's heads for bf16 elements, in the even/odd form below.
#ifndef ROPESCALE_DETAIL_ROTATE_BF16_HPP
#define ROPESCALE_DETAIL_ROTATE_BF16_HPP

#include "../config.hpp"
#include "../half.hpp"
#include "../layout.hpp"
#include "arch/isa.hpp"
#include "fused.hpp"
#include "job.hpp"
#include "rotate.hpp"
#include "simd_io.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// bf16 in even/odd form. A bf16 is the top half of a float, so 2L consecutive bf16 loaded as one
// batch of L uint32 lanes give two float batches with two integer ops: `even` (elements 0, 2,
// 4 ...: u << 16) and `odd` (elements 1, 3, 5 ...: u & 0xffff0000); results go back the same way
// ((odd & 0xffff0000) | (even >> 16)) after rounding each to nearest even in integer arithmetic
// (u + 0x7fff + ((u >> 16) & 1); arch_ops::pack_bf16_pairs, detail/arch/). That is half the
// vector work of converting lane by lane.
//   interleaved: even/odd are exactly the (x1, x2) of L consecutive pairs, so the rotation needs
//     only the compact cos/sin of those pairs (no lane swap, no expanded tables);
//   half-split: x1 and x2 of 2L consecutive pairs each split into even/odd pairs, so the tables
//     are prepared per block of 2L pairs as [c even | c odd] (see prepare_bf16_half_split).
// NaN: no special case is needed in the rounding here. Every value stored is the result of
// IEEE arithmetic on bf16 inputs (low 16 bits zero) and finite tables, so a NaN result is either
// a propagated input NaN (payload low bits zero) or the default NaN (0x7fc00000 / 0xffc00000):
// adding at most 0x8000 to a zero low half never carries into the exponent, NaN stays NaN.
// (The lane-by-lane path and half.hpp keep the explicit check, for arbitrary floats.)
template <class Arch>
struct bf16_even_odd {
    using fbatch = xsimd::batch<float, Arch>;
    using ubatch = xsimd::batch<std::uint32_t, Arch>;
    static constexpr int lanes = static_cast<int>(fbatch::size);  // 2 * lanes bf16 per batch

    static void load(const bf16* p, fbatch& even, fbatch& odd) noexcept {
        const ubatch u = ubatch::load_unaligned(reinterpret_cast<const std::uint32_t*>(p));
        even = xsimd::bitwise_cast<fbatch>(u << 16);
        odd = xsimd::bitwise_cast<fbatch>(u & ubatch(0xffff0000u));
    }
    template <bool Stream>
    static void store(bf16* p, const fbatch& even, const fbatch& odd) noexcept {
        const ubatch r = arch_ops<Arch>::pack_bf16_pairs(even, odd);
        auto* q = reinterpret_cast<std::uint32_t*>(p);
        if constexpr (Stream) {
            static_assert(arch_ops<Arch>::stream_u32_bytes != 0, "no streaming store on Arch");
            arch_ops<Arch>::stream(q, r);
            return;
        }
        r.store_unaligned(q);
    }
};

// Half-split bf16 tables: for each full block of 2L pairs, [c of even pairs | c of odd pairs]
// (and the same for s), scaled; the tail (n mod 2L pairs) in natural order for the
// lane-by-lane path. c, s: a cache row, or the on-the-fly compact row.
template <class Arch>
inline void prepare_bf16_half_split(const float* c, const float* s, int n, float cs, float ss,
                                    float* tc, float* ts) noexcept {
    constexpr int lanes = bf16_even_odd<Arch>::lanes;
    const int full = n / (2 * lanes) * (2 * lanes);
    for (int b = 0; b < full; b += 2 * lanes) {
        for (int j = 0; j < lanes; ++j) {
            tc[b + j] = c[b + 2 * j] * cs;
            tc[b + lanes + j] = c[b + 2 * j + 1] * cs;
            ts[b + j] = s[b + 2 * j] * ss;
            ts[b + lanes + j] = s[b + 2 * j + 1] * ss;
        }
    }
    for (int i = full; i < n; ++i) {
        tc[i] = c[i] * cs;
        ts[i] = s[i] * ss;
    }
}

// Rotates token t's channels of pairs [c0, c0 + n) for every head, bf16 even/odd form. Tables:
// half-split as prepare_bf16_half_split; interleaved compact (c[i], s[i] of pair i).
template <class Arch, rotary_layout Layout, bool Stream>
inline void rotate_token_bf16(const rope_job<bf16>& job, std::int64_t t, int c0, int n,
                              const float* c, const float* s) noexcept {
    using eo = bf16_even_odd<Arch>;
    using io = element_io<Arch, bf16>;
    using batch = typename eo::fbatch;
    constexpr int lanes = eo::lanes;
    constexpr int head_block = 8;  // as rotate_token
    const int pairs = job.rotary_dim / 2;
    // Pairs per group of eight table registers: 4L either way (2 half-split blocks of 2L
    // pairs with 4 registers each, or 4 interleaved blocks of L pairs with 2 registers each).
    constexpr int group = 4 * lanes;
    const int grouped = n / group * group;
    for (const auto& op : job.ops) {
        if (op.heads == 0) continue;  // absent operand: null pointers, no arithmetic on them
        // Strides in locals and heads walked by pointer increments, as in rotate_token.
        const std::ptrdiff_t in_hs = op.in_head_stride;
        const std::ptrdiff_t out_hs = op.out_head_stride;
        const int heads = op.heads;
        const bf16* token_in = op.in + t * op.in_token_stride;
        bf16* token_out = op.out + t * op.out_token_stride;
        for (int h0 = 0; h0 < heads; h0 += head_block) {
            const int block_heads = std::min(heads - h0, head_block);
            for (int g = 0; g < grouped; g += group) {
                const batch t0 = batch::load_unaligned(c + g);
                const batch t1 = batch::load_unaligned(c + g + lanes);
                const batch t2 = batch::load_unaligned(c + g + 2 * lanes);
                const batch t3 = batch::load_unaligned(c + g + 3 * lanes);
                const batch u0 = batch::load_unaligned(s + g);
                const batch u1 = batch::load_unaligned(s + g + lanes);
                const batch u2 = batch::load_unaligned(s + g + 2 * lanes);
                const batch u3 = batch::load_unaligned(s + g + 3 * lanes);
                const bf16* in = token_in + h0 * in_hs;
                bf16* out = token_out + h0 * out_hs;
                for (int h = 0; h < block_heads; ++h, in += in_hs, out += out_hs) {
                    if constexpr (Layout == rotary_layout::half_split) {
                        // Block of 2L pairs at p: x1 = in[p ..], x2 = in[pairs + p ..], tables
                        // (ce, co, se, so) for its even and odd pairs.
                        const auto block = [&](int p, const batch& ce, const batch& co,
                                               const batch& se, const batch& so) {
                            batch x1e, x1o, x2e, x2o;
                            eo::load(in + c0 + p, x1e, x1o);
                            eo::load(in + pairs + c0 + p, x2e, x2o);
                            eo::template store<Stream>(out + c0 + p,
                                                       mul_sub<Arch>(x1e, ce, x2e * se),
                                                       mul_sub<Arch>(x1o, co, x2o * so));
                            eo::template store<Stream>(out + pairs + c0 + p,
                                                       mul_add<Arch>(x2e, ce, x1e * se),
                                                       mul_add<Arch>(x2o, co, x1o * so));
                        };
                        block(g, t0, t1, u0, u1);
                        block(g + 2 * lanes, t2, t3, u2, u3);
                    } else {
                        // Block of L pairs at p: channels [2p, 2p + 2L) hold (x1, x2) as even/odd.
                        const auto block = [&](int p, const batch& vc, const batch& vs) {
                            batch x1, x2;
                            eo::load(in + 2 * (c0 + p), x1, x2);
                            eo::template store<Stream>(out + 2 * (c0 + p),
                                                       mul_sub<Arch>(x1, vc, x2 * vs),
                                                       mul_add<Arch>(x2, vc, x1 * vs));
                        };
                        block(g, t0, u0);
                        block(g + lanes, t1, u1);
                        block(g + 2 * lanes, t2, u2);
                        block(g + 3 * lanes, t3, u3);
                    }
                }
            }
            if (grouped == n) continue;
            const bf16* in = token_in + h0 * in_hs;
            bf16* out = token_out + h0 * out_hs;
            for (int h = 0; h < block_heads; ++h, in += in_hs, out += out_hs) {
                if constexpr (Layout == rotary_layout::half_split) {
                    // Whole 2L blocks left over, then the natural-order tail lane by lane.
                    const int full = n / (2 * lanes) * (2 * lanes);
                    for (int p = grouped; p < full; p += 2 * lanes) {
                        const batch ce = batch::load_unaligned(c + p);
                        const batch co = batch::load_unaligned(c + p + lanes);
                        const batch se = batch::load_unaligned(s + p);
                        const batch so = batch::load_unaligned(s + p + lanes);
                        batch x1e, x1o, x2e, x2o;
                        eo::load(in + c0 + p, x1e, x1o);
                        eo::load(in + pairs + c0 + p, x2e, x2o);
                        eo::template store<false>(out + c0 + p, mul_sub<Arch>(x1e, ce, x2e * se),
                                                  mul_sub<Arch>(x1o, co, x2o * so));
                        eo::template store<false>(out + pairs + c0 + p,
                                                  mul_add<Arch>(x2e, ce, x1e * se),
                                                  mul_add<Arch>(x2o, co, x1o * so));
                    }
                    rotate_half_split<Arch>(in + c0, in + pairs + c0, out + c0, out + pairs + c0, c,
                                            s, full, n);
                } else {
                    int p = grouped;
                    for (; p + lanes <= n; p += lanes) {
                        const batch vc = batch::load_unaligned(c + p);
                        const batch vs = batch::load_unaligned(s + p);
                        batch x1, x2;
                        eo::load(in + 2 * (c0 + p), x1, x2);
                        eo::template store<false>(out + 2 * (c0 + p),
                                                  mul_sub<Arch>(x1, vc, x2 * vs),
                                                  mul_add<Arch>(x2, vc, x1 * vs));
                    }
                    for (; p < n; ++p) {
                        const float x1 = io::to_work(in[2 * (c0 + p)]);
                        const float x2 = io::to_work(in[2 * (c0 + p) + 1]);
                        out[2 * (c0 + p)] = io::from_work(mul_sub<Arch>(x1, c[p], x2 * s[p]));
                        out[2 * (c0 + p) + 1] = io::from_work(mul_add<Arch>(x2, c[p], x1 * s[p]));
                    }
                }
            }
        }
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ROTATE_BF16_HPP
