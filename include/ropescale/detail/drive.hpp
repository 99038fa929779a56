// SPDX-License-Identifier: MIT
//
// Internal: the driver of a rotation call, rope_run<Arch, T>, the per-ISA entry point: token
// by token, the cos/sin tables of the token's position (token_tables.hpp, from the cache row
// or from sincos_row, angles.hpp), then every head of both operands (rotate.hpp,
// rotate_bf16.hpp); streaming stores for large aligned outputs.
//
// rope_run is deliberately not `inline`: a translation unit that sees an `extern template`
// declaration of it (dispatch.hpp) never instantiates its body, so an SSE2 translation unit
// can call an AVX2 instantiation compiled elsewhere. Every helper it calls is templated on
// Arch. noexcept, no allocation (a few KiB of stack per call).
#ifndef ROPESCALE_DETAIL_DRIVE_HPP
#define ROPESCALE_DETAIL_DRIVE_HPP

#include "../config.hpp"
#include "../half.hpp"
#include "../layout.hpp"
#include "angles.hpp"
#include "arch/isa.hpp"
#include "job.hpp"
#include "rotate.hpp"
#include "rotate_bf16.hpp"
#include "simd_io.hpp"
#include "token_tables.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Pairs [c0, c0 + n) of token t from cache entries: cos_row / sin_row hold the n cos and sin
// of those pairs (a cache row from c0, or an M-RoPE composite of rows); `negative`: the row
// of a negative position (R(-p) = R(p)^T: sin negated). The tables in the form the rotation
// takes (scaled, expanded or even/odd as the layout and type need), then every head of both
// operands.
template <class Arch, class T, rotary_layout Layout, bool Stream, class Tables>
inline void cache_chunk(const rope_job<T>& job, std::int64_t t, const float* cos_row,
                        const float* sin_row, bool negative, int c0, int n, Tables& tab) noexcept {
    using W = work_t<T>;
    if constexpr (std::is_same<T, bf16>::value) {
        const float* c = tab.c;
        const float* s = tab.s;
        const float cs = static_cast<float>(job.cos_scale);
        const float ss = static_cast<float>(negative ? -job.sin_scale : job.sin_scale);
        if constexpr (Layout == rotary_layout::half_split) {
            prepare_bf16_half_split<Arch>(cos_row, sin_row, n, cs, ss, tab.c, tab.s);
        } else if (cs == 1.0f && ss == 1.0f) {
            c = cos_row;  // compact natural order: the cache row itself
            s = sin_row;
        } else {
            scale_row<Arch>(cos_row, sin_row, n, cs, ss, tab.c, tab.s);
        }
        rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, c, s);
    } else {
        const W* c = tab.c;
        const W* s = tab.s;
        const W cs = static_cast<W>(job.cos_scale);
        const W ss = static_cast<W>(negative ? -job.sin_scale : job.sin_scale);
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
        rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, c, s);
    }
}

// The cache row of position p from pair c0: cos at the returned pointer, sin `pairs` after.
template <class T>
inline const float* cache_row(const rope_job<T>& job, std::int64_t p, int c0) noexcept {
    ROPESCALE_ASSERT(p < job.cache_rows && -p < job.cache_rows);
    return job.cache + (p < 0 ? -p : p) * job.rotary_dim + c0;
}

// One chunk of one token for bf16 elements: tables in the even/odd form, then the rotation.
template <class Arch, rotary_layout Layout, bool Stream, class Tables, class Pack>
inline void bf16_token(const rope_job<bf16>& job, std::int64_t t, std::int64_t p, int c0, int n,
                       Tables& tab, Pack& pack) noexcept {
    const int pairs = job.rotary_dim / 2;
    if (job.cache != nullptr) {
        const float* cos_row = cache_row(job, p, c0);
        cache_chunk<Arch, bf16, Layout, Stream>(job, t, cos_row, cos_row + pairs, p < 0, c0, n,
                                                tab);
        return;
    }
    if (pairs > chunk_pairs) pack.load(job.inv_freq + c0, n);
    if constexpr (Layout == rotary_layout::half_split) {
        sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale, tab.compact_c,
                         tab.compact_s);
        prepare_bf16_half_split<Arch>(tab.compact_c, tab.compact_s, n, 1.0f, 1.0f, tab.c, tab.s);
    } else {
        sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale, tab.c, tab.s);
    }
    rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, tab.c, tab.s);
}

// Channels [rotary_dim, head_dim) of token t, every head of both operands: copied when out of
// place.
template <class Arch, class T>
inline void pass_through_token(const rope_job<T>& job, std::int64_t t) noexcept {
    const int pass = job.head_dim - job.rotary_dim;
    if (pass <= 0) return;
    for (const auto& op : job.ops) {
        if (op.heads == 0) continue;  // absent operand: null pointers
        const T* in = op.in + t * op.in_token_stride + job.rotary_dim;
        T* out = op.out + t * op.out_token_stride + job.rotary_dim;
        for (int h = 0; h < op.heads; ++h)
            copy_pass_through<Arch>(in + h * op.in_head_stride, out + h * op.out_head_stride, pass);
    }
}

// Pairs [c0, c0 + n) of token t at position p: the tables from the cache row or the angles,
// then every head of both operands.
template <class Arch, class T, rotary_layout Layout, bool Stream, class Tables, class Pack>
inline void token_chunk(const rope_job<T>& job, std::int64_t t, std::int64_t p, int c0, int n,
                        Tables& tab, Pack& pack) noexcept {
    using W = work_t<T>;
    if constexpr (std::is_same<T, bf16>::value) {
        bf16_token<Arch, Layout, Stream>(job, t, p, c0, n, tab, pack);
    } else if (job.cache != nullptr) {
        const float* cos_row = cache_row(job, p, c0);
        cache_chunk<Arch, T, Layout, Stream>(job, t, cos_row, cos_row + job.rotary_dim / 2, p < 0,
                                             c0, n, tab);
    } else {
        if (job.rotary_dim / 2 > chunk_pairs) pack.load(job.inv_freq + c0, n);
        if constexpr (Layout == rotary_layout::half_split) {
            sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale, tab.c,
                             tab.s);
        } else if constexpr (std::is_same<W, float>::value && arch_ops<Arch>::has_expanded_store) {
            // Straight into the expanded tables: no compact row, no second pass.
            sincos_row<Arch, row_form::expanded>(static_cast<double>(p), pack, job.cos_scale,
                                                 job.sin_scale, tab.c, tab.s);
        } else {
            sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale,
                             tab.compact_c, tab.compact_s);
            expand_interleaved<Arch>(tab.compact_c, tab.compact_s, n, W(1), W(1), tab.c, tab.s);
        }
        rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, tab.c, tab.s);
    }
}

template <class Arch, class T, rotary_layout Layout, bool Stream>
void rope_run_tokens(const rope_job<T>& job) noexcept {
    using W = work_t<T>;
    const int pairs = job.rotary_dim / 2;
    token_tables<Arch, W> tab;
    frequency_pack<Arch, chunk_pairs> pack;
    if (job.cache == nullptr && pairs <= chunk_pairs) pack.load(job.inv_freq, pairs);

    for (std::int64_t t = 0; t < job.tokens; ++t) {
        const std::int64_t p = job_position<Arch>(job, t);
        pass_through_token<Arch>(job, t);
        for (int c0 = 0; c0 < pairs; c0 += chunk_pairs)
            token_chunk<Arch, T, Layout, Stream>(job, t, p, c0, std::min(chunk_pairs, pairs - c0),
                                                 tab, pack);
    }
}

// ---- M-RoPE (job.pair_stream): each pair follows the position of its stream (mrope.hpp).

// Entry i of out_c / out_s is entry i of cos[k] / sin[k], k = codes[i] (0, 1 or 2): a lane-wise
// selection, no arithmetic, so every value is bitwise the row's. V = float or double (the
// codes, float, are widened by the load).
template <class Arch, class V>
inline void select_rows(const V* const cos[3], const V* const sin[3], const float* codes, int n,
                        V* out_c, V* out_s) noexcept {
    using batch = xsimd::batch<V, Arch>;
    constexpr int lanes = static_cast<int>(batch::size);
    const batch one(V(1));
    const batch two(V(2));
    int i = 0;
    for (; i + lanes <= n; i += lanes) {
        const batch code = batch::load_unaligned(codes + i);
        const auto h = code == one;
        const auto w = code == two;
        xsimd::select(
            w, batch::load_unaligned(cos[2] + i),
            xsimd::select(h, batch::load_unaligned(cos[1] + i), batch::load_unaligned(cos[0] + i)))
            .store_unaligned(out_c + i);
        xsimd::select(
            w, batch::load_unaligned(sin[2] + i),
            xsimd::select(h, batch::load_unaligned(sin[1] + i), batch::load_unaligned(sin[0] + i)))
            .store_unaligned(out_s + i);
    }
    for (; i < n; ++i) {
        const int k = static_cast<int>(codes[i]);
        out_c[i] = cos[k][i];
        out_s[i] = sin[k][i];
    }
}

// Per-chunk scratch of an M-RoPE token: the composite cache entries (float), and on the fly
// the cos/sin rows of each stream's position (W).
template <class Arch, class W>
struct mrope_rows {
    alignas(64) float cache_c[chunk_pairs];
    alignas(64) float cache_s[chunk_pairs];
    alignas(64) W c[3][chunk_pairs];
    alignas(64) W s[3][chunk_pairs];
};

// Pairs [c0, c0 + n) of an M-RoPE token whose streams sit at p[0..2] (not all equal), on the
// fly: the 1-D angles of each distinct position (sincos_row, the 1-D path's operations), each
// pair's entry selected from its stream's row into tab.compact_c / tab.compact_s, then the
// 1-D path's remaining steps. Each pair's cos and sin are bitwise those of the 1-D call at its
// stream's position.
template <class Arch, class T, rotary_layout Layout, bool Stream, class Tables, class Rows,
          class Pack>
inline void mrope_chunk_on_the_fly(const rope_job<T>& job, std::int64_t t, const std::int64_t* p,
                                   int c0, int n, Tables& tab, Rows& rows, Pack& pack) noexcept {
    using W = work_t<T>;
    if (job.rotary_dim / 2 > chunk_pairs) pack.load(job.inv_freq + c0, n);
    // Stream k's row: its own, or that of an earlier stream at the same position.
    int row_of[3] = {0, 1, 2};
    if (p[1] == p[0]) row_of[1] = 0;
    if (p[2] == p[0])
        row_of[2] = 0;
    else if (p[2] == p[1])
        row_of[2] = row_of[1];
    for (int k = 0; k < 3; ++k)
        if (row_of[k] == k)
            sincos_row<Arch>(static_cast<double>(p[k]), pack, job.cos_scale, job.sin_scale,
                             rows.c[k], rows.s[k]);
    const W* const cos[3] = {rows.c[row_of[0]], rows.c[row_of[1]], rows.c[row_of[2]]};
    const W* const sin[3] = {rows.s[row_of[0]], rows.s[row_of[1]], rows.s[row_of[2]]};
    select_rows<Arch>(cos, sin, job.pair_code + c0, n, tab.compact_c, tab.compact_s);
    if constexpr (std::is_same<T, bf16>::value) {
        if constexpr (Layout == rotary_layout::half_split) {
            prepare_bf16_half_split<Arch>(tab.compact_c, tab.compact_s, n, 1.0f, 1.0f, tab.c,
                                          tab.s);
            rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, tab.c, tab.s);
        } else {
            rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, tab.compact_c, tab.compact_s);
        }
    } else if constexpr (Layout == rotary_layout::half_split) {
        rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, tab.compact_c, tab.compact_s);
    } else {
        expand_interleaved<Arch>(tab.compact_c, tab.compact_s, n, W(1), W(1), tab.c, tab.s);
        rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, tab.c, tab.s);
    }
}

template <class Arch, class T, rotary_layout Layout, bool Stream>
void rope_run_tokens_mrope(const rope_job<T>& job) noexcept {
    using W = work_t<T>;
    const int pairs = job.rotary_dim / 2;
    token_tables<Arch, W> tab;
    mrope_rows<Arch, W> rows;
    frequency_pack<Arch, chunk_pairs> pack;
    if (job.cache == nullptr && pairs <= chunk_pairs) pack.load(job.inv_freq, pairs);

    for (std::int64_t t = 0; t < job.tokens; ++t) {
        const std::int64_t p[3] = {stream_position<Arch>(job, 0, t),
                                   stream_position<Arch>(job, 1, t),
                                   stream_position<Arch>(job, 2, t)};
        pass_through_token<Arch>(job, t);
        const bool text = p[0] == p[1] && p[1] == p[2];
        for (int c0 = 0; c0 < pairs; c0 += chunk_pairs) {
            const int n = std::min(chunk_pairs, pairs - c0);
            if (text) {  // the 1-D rotation
                token_chunk<Arch, T, Layout, Stream>(job, t, p[0], c0, n, tab, pack);
            } else if (job.cache != nullptr) {
                // One composite row of cache entries (positions >= 0: the calls' domain), then
                // exactly the 1-D path from a cache row.
                const float* row[3];
                for (int k = 0; k < 3; ++k) {
                    ROPESCALE_ASSERT(p[k] >= 0);
                    row[k] = cache_row(job, p[k], c0);
                }
                const float* const cos[3] = {row[0], row[1], row[2]};
                const float* const sin[3] = {row[0] + pairs, row[1] + pairs, row[2] + pairs};
                select_rows<Arch>(cos, sin, job.pair_code + c0, n, rows.cache_c, rows.cache_s);
                cache_chunk<Arch, T, Layout, Stream>(job, t, rows.cache_c, rows.cache_s, false, c0,
                                                     n, tab);
            } else {
                mrope_chunk_on_the_fly<Arch, T, Layout, Stream>(job, t, p, c0, n, tab, rows, pack);
            }
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
    std::is_same<T, bf16>::value ? arch_ops<Arch>::stream_u32_bytes
                                 : element_io<Arch, T>::stream_bytes;

template <class Arch, class T, rotary_layout Layout>
void rope_run_layout(const rope_job<T>& job) noexcept {
    constexpr std::size_t bytes = stream_granule<Arch, T>;
    if constexpr (bytes != 0) {
        if (job.stream && stream_aligned<Arch>(job, bytes)) {
            if (job.pair_stream != nullptr)
                rope_run_tokens_mrope<Arch, T, Layout, true>(job);
            else
                rope_run_tokens<Arch, T, Layout, true>(job);
            arch_ops<Arch>::store_fence();  // the streaming stores before the caller's next ones
            return;
        }
    }
    if (job.pair_stream != nullptr)
        rope_run_tokens_mrope<Arch, T, Layout, false>(job);
    else
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

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_DRIVE_HPP
