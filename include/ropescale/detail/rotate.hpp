// SPDX-License-Identifier: MIT
//
// Internal: the rotation of one token's heads with per-token cos/sin tables in registers, for
// float, double and fp16 elements (bf16: rotate_bf16.hpp), in both layouts (layout.hpp):
//   half-split:  y1 = x1 c - fl(x2 s),  y2 = x2 c + fl(x1 s);
//   interleaved: y = swap_pairs(x) * s2 + fl(x * c2) with expanded tables (token_tables.hpp).
#ifndef ROPESCALE_DETAIL_ROTATE_HPP
#define ROPESCALE_DETAIL_ROTATE_HPP

#include "../config.hpp"
#include "../layout.hpp"
#include "arch/isa.hpp"
#include "fused.hpp"
#include "job.hpp"
#include "simd_io.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Batches of cos/sin held in registers while every head of a token is rotated: each table
// load then serves all heads of q and k, leaving two loads and two stores per output batch
// pair (the memcpy ratio) instead of four loads.
inline constexpr int group_batches = 4;

// Half-split: pairs [i, i + n) of one head, x1 = in1[i], x2 = in2[i] (in2 = in1 + d/2):
//   y1 = x1 c - fl(x2 s),  y2 = x2 c + fl(x1 s)
// with mul_sub / mul_add (detail/fused.hpp: one rounding where the arch has a fused
// multiply-add), batch and tail alike, so every element gets the same bits on every arch with
// one. (rotate_token's half-split batches and the bf16 even/odd form, in both layouts,
// compute the same.)
template <class Arch, class T, class W>
inline void rotate_half_split(const T* in1, const T* in2, T* out1, T* out2, const W* c, const W* s,
                              int i, int n) noexcept {
    using io = element_io<Arch, T>;
    using batch = xsimd::batch<W, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    for (; i + lanes <= n; i += lanes) {
        const batch vc = batch::load_unaligned(c + i);
        const batch vs = batch::load_unaligned(s + i);
        const batch x1 = io::load(in1 + i);
        const batch x2 = io::load(in2 + i);
        io::store(out1 + i, mul_sub<Arch>(x1, vc, x2 * vs));
        io::store(out2 + i, mul_add<Arch>(x2, vc, x1 * vs));
    }
    for (; i < n; ++i) {
        const W x1 = io::to_work(in1[i]);
        const W x2 = io::to_work(in2[i]);
        out1[i] = io::from_work(mul_sub<Arch>(x1, c[i], x2 * s[i]));
        out2[i] = io::from_work(mul_add<Arch>(x2, c[i], x1 * s[i]));
    }
}

// Interleaved: channels [j, m) of one head with expanded tables c2 = [c0 c0 c1 c1 ...] and
// s2 = [-s0 s0 -s1 s1 ...]: y = swap_pairs(x) * s2 + fl(x * c2) with mul_add (one rounding
// where the arch has a fused multiply-add), i.e. per pair
//   y1 = x2 (-s) + fl(x1 c),  y2 = x1 s + fl(x2 c),
// batch and tail alike. (In signed zeros and rounding, x2 (-s) + p is p - x2 s: IEEE negation
// is exact.)
template <class Arch, class T, class W>
inline void rotate_interleaved(const T* in, T* out, const W* c2, const W* s2, int j,
                               int m) noexcept {
    using io = element_io<Arch, T>;
    using batch = xsimd::batch<W, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    for (; j + lanes <= m; j += lanes) {
        const batch x = io::load(in + j);
        const batch vc = batch::load_unaligned(c2 + j);
        const batch vs = batch::load_unaligned(s2 + j);
        io::store(out + j, mul_add<Arch>(arch_ops<Arch>::swap_pairs(x), vs, x * vc));
    }
    for (; j < m; j += 2) {
        const W x1 = io::to_work(in[j]);
        const W x2 = io::to_work(in[j + 1]);
        out[j] = io::from_work(mul_add<Arch>(x2, s2[j], x1 * c2[j]));
        out[j + 1] = io::from_work(mul_add<Arch>(x1, s2[j + 1], x2 * c2[j + 1]));
    }
}

// Rotates the rotary channels [c0, c0 + n pairs) of every head of both operands of token t.
template <class Arch, class T, rotary_layout Layout, bool Stream, class W>
inline void rotate_token(const rope_job<T>& job, std::int64_t t, int c0, int n, const W* c,
                         const W* s) noexcept {
    using io = element_io<Arch, T>;
    const auto put = [](T* p, const xsimd::batch<W, Arch>& v) {
        if constexpr (Stream)
            io::store_stream(p, v);
        else
            io::store(p, v);
    };
    using batch = xsimd::batch<W, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    constexpr int group = group_batches * lanes;
    const int pairs = job.rotary_dim / 2;
    // Work items along the head: pairs (half-split) or channels (interleaved).
    const int items = Layout == rotary_layout::half_split ? n : 2 * n;
    const int base = Layout == rotary_layout::half_split ? c0 : 2 * c0;
    // Heads are taken in blocks of `head_block`: for each block, every group of four table
    // batches is loaded once into registers and applied to the block's heads, so a block's
    // rows (8 heads: 4 KiB in, 4 KiB out for f32 at head_dim 128) stay in L1 across the
    // groups and memory is still walked head after head. (Four named batches: arrays of
    // batches end up in memory with GCC 12.) 8 rather than 4 heads: half as many table
    // reloads.
    static_assert(group_batches == 4, "rotate_token unrolls four batches");
    constexpr int head_block = 8;
    const int grouped = items / group * group;
    for (const auto& op : job.ops) {
        if (op.heads == 0) continue;  // absent operand: null pointers, no arithmetic on them
        // Strides and pointers in locals, heads walked by pointer increments: read through
        // `op`, GCC 12 reloaded both strides and redid two multiplies per head (a quarter of
        // the instructions of an interleaved group).
        const std::ptrdiff_t in_hs = op.in_head_stride;
        const std::ptrdiff_t out_hs = op.out_head_stride;
        const int heads = op.heads;
        const T* in = op.in + t * op.in_token_stride + base;
        T* out = op.out + t * op.out_token_stride + base;
        for (int h0 = 0; h0 < heads; h0 += head_block) {
            const int block_heads = std::min(heads - h0, head_block);
            const T* block_in = in + h0 * in_hs;
            T* block_out = out + h0 * out_hs;
            for (int g = 0; g < grouped; g += group) {
                const batch c0v = batch::load_unaligned(c + g);
                const batch c1v = batch::load_unaligned(c + g + lanes);
                const batch c2v = batch::load_unaligned(c + g + 2 * lanes);
                const batch c3v = batch::load_unaligned(c + g + 3 * lanes);
                const batch s0v = batch::load_unaligned(s + g);
                const batch s1v = batch::load_unaligned(s + g + lanes);
                const batch s2v = batch::load_unaligned(s + g + 2 * lanes);
                const batch s3v = batch::load_unaligned(s + g + 3 * lanes);
                const T* hin = block_in + g;
                T* hout = block_out + g;
                for (int h = 0; h < block_heads; ++h, hin += in_hs, hout += out_hs) {
                    if constexpr (Layout == rotary_layout::half_split) {
                        // Both inputs of a batch are loaded before either store (in place).
                        const auto one = [&](int off, const batch& vc, const batch& vs) {
                            const batch x1 = io::load(hin + off);
                            const batch x2 = io::load(hin + pairs + off);
                            put(hout + off, mul_sub<Arch>(x1, vc, x2 * vs));
                            put(hout + pairs + off, mul_add<Arch>(x2, vc, x1 * vs));
                        };
                        one(0, c0v, s0v);
                        one(lanes, c1v, s1v);
                        one(2 * lanes, c2v, s2v);
                        one(3 * lanes, c3v, s3v);
                    } else {
                        const auto one = [&](int off, const batch& vc, const batch& vs) {
                            const batch x = io::load(hin + off);
                            put(hout + off,
                                mul_add<Arch>(arch_ops<Arch>::swap_pairs(x), vs, x * vc));
                        };
                        one(0, c0v, s0v);
                        one(lanes, c1v, s1v);
                        one(2 * lanes, c2v, s2v);
                        one(3 * lanes, c3v, s3v);
                    }
                }
            }
            if (grouped == items) continue;
            const T* hin = block_in;
            T* hout = block_out;
            for (int h = 0; h < block_heads; ++h, hin += in_hs, hout += out_hs) {
                if constexpr (Layout == rotary_layout::half_split)
                    rotate_half_split<Arch>(hin, hin + pairs, hout, hout + pairs, c, s, grouped, n);
                else
                    rotate_interleaved<Arch>(hin, hout, c, s, grouped, 2 * n);
            }
        }
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_ROTATE_HPP
