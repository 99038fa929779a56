// SPDX-License-Identifier: MIT
//
// Internal: the rotation kernels and the cos/sin cache builder, templated on <Arch, T> over
// xsimd::batch<work, Arch>. Unchecked: callers (apply.hpp, cache.hpp) validate; preconditions
// are ROPESCALE_ASSERTs. noexcept, no allocation (a few KiB of stack per call).
//
// rope_run<Arch, T> and build_cache_rows<Arch> are the per-ISA entry points. They are
// deliberately not `inline`: a translation unit that sees `extern template` declarations for
// them (dispatch.hpp) never instantiates their bodies, so an SSE2 translation unit can call an
// AVX2 instantiation compiled elsewhere. Every helper they call is templated on Arch.
#ifndef ROPESCALE_DETAIL_KERNELS_HPP
#define ROPESCALE_DETAIL_KERNELS_HPP

#include "../config.hpp"
#include "../layout.hpp"
#include "angles.hpp"
#include "fused.hpp"
#include "simd_io.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Pairs handled per pass: rotary_dim <= 256 (every common model) is one pass per token; larger
// dimensions loop over chunks, so the stack buffers stay small and there is no size limit.
inline constexpr int chunk_pairs = 128;

// One tensor to rotate: input and output views of [tokens][heads][head_dim] (strides in
// elements). In place when in == out (same strides).
template <class T>
struct operand_job {
    const T* in = nullptr;
    T* out = nullptr;
    int heads = 0;
    std::ptrdiff_t in_token_stride = 0;
    std::ptrdiff_t in_head_stride = 0;
    std::ptrdiff_t out_token_stride = 0;
    std::ptrdiff_t out_head_stride = 0;
};

// A complete rotation call. The angle source is the cache when `cache` is set, else the
// inverse frequencies (on the fly). cos and sin are multiplied by cos_scale / sin_scale:
// forward (1, 1) or (m, m) with the attention factor; inverse (1, -1) or (1/m, -1/m).
// With the cache, a negative position p reads row |p| with sin negated (R(-p) = R(p)^T).
template <class T>
struct rope_job {
    operand_job<T> ops[2];
    std::int64_t tokens = 0;
    const std::int32_t* pos32 = nullptr;  // exactly one of pos32 / pos64 when tokens > 0
    const std::int64_t* pos64 = nullptr;
    int head_dim = 0;
    int rotary_dim = 0;
    rotary_layout layout = rotary_layout::half_split;
    const float* cache = nullptr;  // row r: cos at [r*rotary_dim, +d/2), sin at [+d/2, +d)
    std::int64_t cache_rows = 0;
    const double* inv_freq = nullptr;  // rotary_dim / 2 entries
    double cos_scale = 1.0;
    double sin_scale = 1.0;
    bool stream = false;  // output larger than the caches: streaming stores where aligned
};

// Outputs of more than this many bytes per call are written with streaming (non-temporal)
// stores where the arch, element type and alignment allow: like memcpy for large copies, this
// skips reading the destination lines first (a third of the memory traffic). Below it, regular
// stores keep the rotated q/k in cache for the attention that follows.
inline constexpr std::size_t stream_threshold_bytes = std::size_t{16} << 20;

template <class Arch, class T>
inline std::int64_t job_position(const rope_job<T>& job, std::int64_t t) noexcept {
    return job.pos64 ? job.pos64[t] : job.pos32[t];
}

// Swaps adjacent lanes (0 1 2 3 -> 1 0 3 2). The swap never crosses a 128-bit lane, so the
// x86 archs use the in-lane permutes (1-cycle vpermilps / shufps) rather than xsimd's generic
// cross-lane swizzle (vpermps); other archs use the swizzle (never zip_lo/zip_hi, which are
// per 128-bit lane in xsimd 8.1).
struct swap_pairs_pattern {
    static constexpr unsigned get(unsigned i, unsigned) noexcept { return i ^ 1u; }
};

template <class Arch, class W>
inline xsimd::batch<W, Arch> swap_pairs(const xsimd::batch<W, Arch>& x) noexcept {
    constexpr bool is_float = std::is_same<W, float>::value;
#if XSIMD_WITH_AVX512F
    if constexpr (is_avx512_family<Arch>) {
        if constexpr (is_float)
            return _mm512_permute_ps(x, 0xB1);
        else
            return _mm512_permute_pd(x, 0x55);
    }
#endif
#if XSIMD_WITH_AVX
    if constexpr (std::is_base_of<xsimd::avx, Arch>::value) {
        if constexpr (is_float)
            return _mm256_permute_ps(x, 0xB1);
        else
            return _mm256_permute_pd(x, 0x5);
    }
#endif
#if XSIMD_WITH_SSE2
    if constexpr (is_sse2_family<Arch>) {
        if constexpr (is_float)
            return _mm_shuffle_ps(x, x, 0xB1);
        else
            return _mm_shuffle_pd(x, x, 0x1);
    }
#endif
    using index = std::conditional_t<sizeof(W) == 4, std::uint32_t, std::uint64_t>;
    return xsimd::swizzle(
        x, xsimd::make_batch_constant<xsimd::batch<index, Arch>, swap_pairs_pattern>());
}

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
        io::store(out + j, mul_add<Arch>(swap_pairs<Arch>(x), vs, x * vc));
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
    // reloads; about 10 % faster for the interleaved decode call (1x32x128) in a scratch
    // timing on Zen 3, half-split unchanged.
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
                            put(hout + off, mul_add<Arch>(swap_pairs<Arch>(x), vs, x * vc));
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

// ---------------------------------------------------------------------------------------------
// bf16 in even/odd form. A bf16 is the top half of a float, so 2L consecutive bf16 loaded as one
// batch of L uint32 lanes give two float batches with two integer ops: `even` (elements 0, 2,
// 4 ...: u << 16) and `odd` (elements 1, 3, 5 ...: u & 0xffff0000); results go back the same way
// ((odd & 0xffff0000) | (even >> 16)) after rounding each to nearest even in integer arithmetic
// (u + 0x7fff + ((u >> 16) & 1)). That is half the vector work of converting lane by lane, and
// it is plain xsimd integer arithmetic on every arch.
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
    static ubatch round(const fbatch& v) noexcept {
        const ubatch u = xsimd::bitwise_cast<ubatch>(v);
        return u + ((u >> 16) & ubatch(1u)) + ubatch(0x7fffu);
    }
    // The bf16 of `even` in the low half of each 32-bit lane and of `odd` in the high half,
    // each rounded to nearest even. Generic: round each float in 32-bit lanes, then merge the
    // high halves (11 integer ops per batch). AVX2: merge first, then round in 16-bit lanes
    // (9 ops; BM_convert/bf16/1x32x128 went from 3.2 to 2.8 copies on Zen 3): H holds the two
    // high halves, L the two low halves, and the carry into H, bit 16 of L + 0x7fff + (H & 1),
    // is bit 15 of vpavgw(L, 0x7ffe | (H & 1)) = (L + 0x7fff + (H & 1)) >> 1, an unsigned
    // 17-bit sum. Same bits as the generic form (tests/kernels/half_test.cpp,
    // store_rounding_critical). AVX-512 keeps the generic form (the merged form is not written
    // for it yet).
    static ubatch pack_rounded(const fbatch& even, const fbatch& odd) noexcept {
#if XSIMD_WITH_AVX2
        if constexpr (is_avx2_family<Arch> && !is_avx512_family<Arch>) {
            const __m256i e = _mm256_castps_si256(even);
            const __m256i o = _mm256_castps_si256(odd);
            const __m256i high = _mm256_blend_epi16(o, _mm256_srli_epi32(e, 16), 0x55);
            const __m256i low = _mm256_blend_epi16(_mm256_slli_epi32(o, 16), e, 0x55);
            const __m256i half_minus = _mm256_or_si256(_mm256_and_si256(high, _mm256_set1_epi16(1)),
                                                       _mm256_set1_epi16(0x7ffe));
            const __m256i carry = _mm256_srli_epi16(_mm256_avg_epu16(low, half_minus), 15);
            return ubatch(_mm256_add_epi16(high, carry));
        }
#endif
        return (round(odd) & ubatch(0xffff0000u)) | (round(even) >> 16);
    }
    template <bool Stream>
    static void store(bf16* p, const fbatch& even, const fbatch& odd) noexcept {
        const ubatch r = pack_rounded(even, odd);
        auto* q = reinterpret_cast<std::uint32_t*>(p);
        if constexpr (Stream) {
#if XSIMD_WITH_AVX512F
            if constexpr (is_avx512_family<Arch>) {
                _mm512_stream_si512(reinterpret_cast<__m512i*>(q), r);
                return;
            }
#endif
#if XSIMD_WITH_AVX2
            if constexpr (is_avx2_family<Arch>) {
                _mm256_stream_si256(reinterpret_cast<__m256i*>(q), r);
                return;
            }
#endif
#if XSIMD_WITH_SSE2
            if constexpr (is_sse2_family<Arch>) {
                _mm_stream_si128(reinterpret_cast<__m128i*>(q), r);
                return;
            }
#endif
        }
        r.store_unaligned(q);
    }
};

// Half-split bf16 tables: for each full block of 2L pairs, [c of even pairs | c of odd pairs]
// (and the same for s), scaled; the tail (n mod 2L pairs) in natural order for the
// lane-by-lane path. S = float (cache row) or float (on-the-fly compact).
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

// Stack buffers of one rotation call: per-token tables (expanded for the interleaved layout,
// so twice the pairs, plus compact ones for the on-the-fly interleaved case) and the
// frequency pack of the on-the-fly mode. About 7 KiB for float, 10 KiB for double.
template <class Arch, class W>
struct token_tables {
    alignas(64) W c[2 * chunk_pairs];
    alignas(64) W s[2 * chunk_pairs];
    alignas(64) W compact_c[chunk_pairs];
    alignas(64) W compact_s[chunk_pairs];
};

// One chunk of one token for bf16 elements: tables in the even/odd form, then the rotation.
template <class Arch, rotary_layout Layout, bool Stream, class Tables, class Pack>
inline void bf16_token(const rope_job<bf16>& job, std::int64_t t, std::int64_t p, int c0, int n,
                       Tables& tab, Pack& pack) noexcept {
    const int pairs = job.rotary_dim / 2;
    const float* c = tab.c;
    const float* s = tab.s;
    if (job.cache != nullptr) {
        ROPESCALE_ASSERT(p < job.cache_rows && -p < job.cache_rows);
        const std::int64_t row = p < 0 ? -p : p;
        const float* cos_row = job.cache + row * job.rotary_dim + c0;
        const float* sin_row = cos_row + pairs;
        const float cs = static_cast<float>(job.cos_scale);
        const float ss = static_cast<float>(p < 0 ? -job.sin_scale : job.sin_scale);
        if constexpr (Layout == rotary_layout::half_split) {
            prepare_bf16_half_split<Arch>(cos_row, sin_row, n, cs, ss, tab.c, tab.s);
        } else if (cs == 1.0f && ss == 1.0f) {
            c = cos_row;  // compact natural order: the cache row itself
            s = sin_row;
        } else {
            scale_row<Arch>(cos_row, sin_row, n, cs, ss, tab.c, tab.s);
        }
    } else {
        if (pairs > chunk_pairs) pack.load(job.inv_freq + c0, n);
        if constexpr (Layout == rotary_layout::half_split) {
            sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale,
                             tab.compact_c, tab.compact_s);
            prepare_bf16_half_split<Arch>(tab.compact_c, tab.compact_s, n, 1.0f, 1.0f, tab.c,
                                          tab.s);
        } else {
            sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale, tab.c,
                             tab.s);
        }
    }
    rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, c, s);
}

template <class Arch, class T, rotary_layout Layout, bool Stream>
void rope_run_tokens(const rope_job<T>& job) noexcept {
    using W = work_t<T>;
    const int pairs = job.rotary_dim / 2;
    const int pass = job.head_dim - job.rotary_dim;
    const bool on_the_fly = job.cache == nullptr;
    const bool one_chunk = pairs <= chunk_pairs;

    token_tables<Arch, W> tab;
    frequency_pack<Arch, chunk_pairs> pack;
    if (on_the_fly && one_chunk) pack.load(job.inv_freq, pairs);

    for (std::int64_t t = 0; t < job.tokens; ++t) {
        const std::int64_t p = job_position<Arch>(job, t);
        if (pass > 0) {
            for (const auto& op : job.ops) {
                if (op.heads == 0) continue;  // absent operand: null pointers
                const T* in = op.in + t * op.in_token_stride + job.rotary_dim;
                T* out = op.out + t * op.out_token_stride + job.rotary_dim;
                for (int h = 0; h < op.heads; ++h)
                    copy_pass_through<Arch>(in + h * op.in_head_stride,
                                            out + h * op.out_head_stride, pass);
            }
        }
        for (int c0 = 0; c0 < pairs; c0 += chunk_pairs) {
            const int n = std::min(chunk_pairs, pairs - c0);
            if constexpr (std::is_same<T, bf16>::value) {
                bf16_token<Arch, Layout, Stream>(job, t, p, c0, n, tab, pack);
                continue;
            }
            const W* c = tab.c;
            const W* s = tab.s;
            if (!on_the_fly) {
                ROPESCALE_ASSERT(p < job.cache_rows && -p < job.cache_rows);
                const std::int64_t row = p < 0 ? -p : p;
                const float* cos_row = job.cache + row * job.rotary_dim + c0;
                const float* sin_row = cos_row + pairs;
                const W cs = static_cast<W>(job.cos_scale);
                const W ss = static_cast<W>(p < 0 ? -job.sin_scale : job.sin_scale);
                if constexpr (Layout == rotary_layout::half_split) {
                    bool direct = false;
                    if constexpr (std::is_same<W, float>::value) {
                        if (cs == 1.0f && ss == 1.0f) {  // the cache row itself: no copy
                            c = cos_row;
                            s = sin_row;
                            direct = true;
                        }
                    }
                    if (!direct) scale_row<Arch>(cos_row, sin_row, n, cs, ss, tab.c, tab.s);
                } else {
                    expand_interleaved<Arch>(cos_row, sin_row, n, cs, ss, tab.c, tab.s);
                }
            } else {
                if (!one_chunk) pack.load(job.inv_freq + c0, n);
                if constexpr (Layout == rotary_layout::half_split) {
                    sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale,
                                     tab.c, tab.s);
                } else if constexpr (std::is_same<W, float>::value && has_expanded_store<Arch>) {
                    // Straight into the expanded tables: no compact row, no second pass.
                    sincos_row<Arch, row_form::expanded>(
                        static_cast<double>(p), pack, job.cos_scale, job.sin_scale, tab.c, tab.s);
                } else {
                    sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale,
                                     tab.compact_c, tab.compact_s);
                    expand_interleaved<Arch>(tab.compact_c, tab.compact_s, n, W(1), W(1), tab.c,
                                             tab.s);
                }
            }
            rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, c, s);
        }
    }
}

// Whether every vector store of the grouped path lands on a stream_bytes boundary: output
// pointers and strides, and the offset of the second half (half-split).
template <class Arch, class T>
bool stream_aligned(const rope_job<T>& job, std::size_t bytes) noexcept {
    const auto fits = [bytes](std::ptrdiff_t elements) {
        const std::size_t b =
            static_cast<std::size_t>(elements < 0 ? -elements : elements) * sizeof(T);
        return b % bytes == 0;
    };
    if (job.layout == rotary_layout::half_split && !fits(job.rotary_dim / 2)) return false;
    for (const auto& op : job.ops) {
        if (op.heads == 0) continue;
        if (reinterpret_cast<std::uintptr_t>(op.out) % bytes != 0 || !fits(op.out_token_stride) ||
            !fits(op.out_head_stride))
            return false;
    }
    return true;
}

// Streaming-store granule: bf16 stores whole uint32 batches (even/odd form).
template <class Arch, class T>
inline constexpr std::size_t stream_granule =
    std::is_same<T, bf16>::value
        ? ((is_sse2_family<Arch> || is_avx2_family<Arch> || is_avx512_family<Arch>)
               ? sizeof(std::uint32_t) * xsimd::batch<float, Arch>::size
               : 0)
        : element_io<Arch, T>::stream_bytes;

template <class Arch, class T, rotary_layout Layout>
void rope_run_layout(const rope_job<T>& job) noexcept {
    constexpr std::size_t bytes = stream_granule<Arch, T>;
    if constexpr (bytes != 0) {
        if (job.stream && stream_aligned<Arch>(job, bytes)) {
            rope_run_tokens<Arch, T, Layout, true>(job);
#if XSIMD_WITH_SSE2
            _mm_sfence();  // order the streaming stores before anything the caller does next
#endif
            return;
        }
    }
    rope_run_tokens<Arch, T, Layout, false>(job);
}

/// Runs one validated rotation call on instruction set Arch. Not inline on purpose (file
/// comment). noexcept; no allocation.
template <class Arch, class T>
void rope_run(const rope_job<T>& job) noexcept {
    static_assert(is_element_type<T>, "element type must be float, double, fp16 or bf16");
    if (job.layout == rotary_layout::half_split)
        rope_run_layout<Arch, T, rotary_layout::half_split>(job);
    else
        rope_run_layout<Arch, T, rotary_layout::interleaved>(job);
}

// Cache rows between anchors: one anchor row computed exactly every `cache_anchor_interval`
// positions, the rows after it by rotating (build_cache_rows). 64 keeps the anchors' cost at
// a few % of the build while the recurrence error stays below 7e-14 (bound below).
inline constexpr std::int64_t cache_anchor_interval = 64;

// Whether build_cache_rows writes rows of more than stream_threshold_bytes with streaming
// stores: a cache that large does not stay in the caches anyway, and skipping the reads of the
// destination lines saves a third of the memory traffic (~20% of the build with AVX2). On the
// AVX/AVX2 archs, whose float rows are written 16 bytes at a time (store_as); AVX-512 and SSE2
// keep regular stores (AVX-512: not written yet, so not measured; SSE2 stores 8 bytes at a
// time).
template <class Arch>
inline constexpr bool cache_stream_stores =
    std::is_base_of<xsimd::avx, Arch>::value && !is_avx512_family<Arch>;

/// Fills cache rows [row_begin, row_end): row p = cat(cos, sin)(p * inv_freq[i]) * scale in
/// double, rounded once to float. `rows` points at row 0. Not inline on purpose (file comment).
///
/// Anchored rotation recurrence: positions are consecutive, so (c, s) of row p + 1 is that of
/// row p rotated by the pair's step angle f = inv_freq[i]:
///   c' = c cos f - s sin f,  s' = s cos f + c sin f
/// (double; mul_sub / mul_add, fused where the arch has a fused multiply-add: fused.hpp),
/// vectorised across pairs. Every row a with a % cache_anchor_interval == 0 is an anchor,
/// computed directly (exact product and reduction, full-precision sincos, detail/angles.hpp)
/// and pre-multiplied by scale (the recurrence is linear, so rows stay scaled); (cos f, sin f)
/// comes from the same path at position 1. Anchors are at absolute multiples of the interval,
/// not at row_begin: a range that starts inside a block first advances, without storing, from
/// the anchor below it, so the rows do not depend on how callers split [0, n) (bitwise).
///
/// Error before the rounding to float, for a row k <= 63 steps after its anchor a, with
/// z = c + i s and u = 2^-53: the anchor is within 1.5e-15 scale of the exact value (reduction
/// <= 1e-15, angle.hpp, plus ~4e-16 per component, angles.hpp), the step within 4e-16 per
/// component (position 1: no reduction error), so |step - e^{i f}| <= 5.7e-16; each step
/// rounds each component at most three times (<= 3 sqrt(2) u |z| <= 4.8e-16 |z|, unfused
/// multiply-adds included). To first order
///   |z_k - scale e^{i (a + k) f}| <= scale (1.5e-15 + k (5.7e-16 + 4.8e-16)) <= 6.7e-14 scale
/// (worst case, linear in k; the rounding errors mostly cancel: ~1e-15 typically), far inside
/// the cache contract |entry - fl32(v)| <= 1e-7 + 2^-24 |v| (cache.hpp), and entries are
/// fl32(v) except where v lies within that distance of a rounding boundary (none of the 8.4 M
/// entries of the 128-dim YaRN table's first 65536 rows; 288 with a single anchor).
template <class Arch>
void build_cache_rows(const double* inv_freq, int pairs, double scale, std::int64_t row_begin,
                      std::int64_t row_end, float* rows) noexcept {
    using batch = xsimd::batch<double, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    constexpr std::int64_t interval = cache_anchor_interval;
    if (row_begin >= row_end) return;
    frequency_pack<Arch, chunk_pairs> pack;
    alignas(64) double step_c[chunk_pairs];
    alignas(64) double step_s[chunk_pairs];
    alignas(64) double state_c[chunk_pairs];
    alignas(64) double state_s[chunk_pairs];
    const std::ptrdiff_t stride = 2 * static_cast<std::ptrdiff_t>(pairs);
    const bool one_chunk = pairs <= chunk_pairs;
    // Large builds stream (cache_stream_stores): every 4-float store is 16-byte aligned when
    // the rows are and pairs % 4 == 0 (cos and sin halves start on 16-byte boundaries).
    const std::size_t bytes = static_cast<std::size_t>(row_end - row_begin) *
                              static_cast<std::size_t>(stride) * sizeof(float);
    [[maybe_unused]] const bool stream = cache_stream_stores<Arch> &&
                                         bytes > stream_threshold_bytes && pairs % 4 == 0 &&
                                         reinterpret_cast<std::uintptr_t>(rows) % 16 == 0;
    const auto load_chunk = [&](int c0, int n) {
        pack.load(inv_freq + c0, n);
        sincos_row<Arch>(1.0, pack, 1.0, 1.0, step_c, step_s);  // double: full precision
    };
    if (one_chunk) load_chunk(0, pairs);
    // Rotates the state of chunk [c0, c0 + n) by one step and, if Store, writes it as row p.
    // Whole batches go straight into the row; the last partial batch through a buffer (the
    // padded lanes must not be written past the row's n entries).
    const auto advance = [&](auto rotate, auto store, std::int64_t p, int c0, int n) {
        for (int i = 0; i < pack.padded; i += lanes) {
            batch c = batch::load_aligned(state_c + i);
            batch s = batch::load_aligned(state_s + i);
            if constexpr (decltype(rotate)::value) {
                const batch cf = batch::load_aligned(step_c + i);
                const batch sf = batch::load_aligned(step_s + i);
                const batch c_next = mul_sub<Arch>(c, cf, s * sf);
                s = mul_add<Arch>(s, cf, c * sf);
                c = c_next;
                c.store_aligned(state_c + i);
                s.store_aligned(state_s + i);
            }
            if constexpr (decltype(store)::value) {
                float* cos_row = rows + p * stride + c0;
                float* sin_row = cos_row + pairs;
                if (i + lanes <= n) {
#if XSIMD_WITH_AVX
                    if constexpr (cache_stream_stores<Arch>) {
                        if (stream) {
                            _mm_stream_ps(cos_row + i, _mm256_cvtpd_ps(c));
                            _mm_stream_ps(sin_row + i, _mm256_cvtpd_ps(s));
                            continue;
                        }
                    }
#endif
                    store_as<Arch>(cos_row + i, c);
                    store_as<Arch>(sin_row + i, s);
                } else {
                    alignas(64) float tail_c[lanes];
                    alignas(64) float tail_s[lanes];
                    store_as<Arch>(tail_c, c);
                    store_as<Arch>(tail_s, s);
                    for (int l = 0; l < n - i; ++l) {
                        cos_row[i + l] = tail_c[l];
                        sin_row[i + l] = tail_s[l];
                    }
                }
            }
        }
    };
    // Blocks outer, chunks inner: a block of rows is finished while it is in the caches
    // (rotary_dim > 256 reloads the pack and recomputes the steps per block and chunk: one more
    // row's worth of sincos per block).
    for (std::int64_t a = row_begin / interval * interval; a < row_end; a += interval) {
        const std::int64_t block_end = std::min(a + interval, row_end);
        for (int c0 = 0; c0 < pairs; c0 += chunk_pairs) {
            const int n = std::min(chunk_pairs, pairs - c0);
            if (!one_chunk) load_chunk(c0, n);
            sincos_row<Arch>(static_cast<double>(a), pack, scale, scale, state_c, state_s);
            if (a >= row_begin) advance(std::false_type{}, std::true_type{}, a, c0, n);
            for (std::int64_t p = a + 1; p < block_end; ++p) {
                if (p < row_begin)
                    advance(std::true_type{}, std::false_type{}, p, c0, n);
                else
                    advance(std::true_type{}, std::true_type{}, p, c0, n);
            }
        }
    }
#if XSIMD_WITH_AVX
    if constexpr (cache_stream_stores<Arch>) {
        if (stream) _mm_sfence();  // order the streaming stores before the caller reads the rows
    }
#endif
}

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_KERNELS_HPP
