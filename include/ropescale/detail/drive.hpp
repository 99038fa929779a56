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
    } else {
        const int pairs = job.rotary_dim / 2;
        const W* c = tab.c;
        const W* s = tab.s;
        if (job.cache != nullptr) {
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
            if (pairs > chunk_pairs) pack.load(job.inv_freq + c0, n);
            if constexpr (Layout == rotary_layout::half_split) {
                sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale, tab.c,
                                 tab.s);
            } else if constexpr (std::is_same<W, float>::value &&
                                 arch_ops<Arch>::has_expanded_store) {
                // Straight into the expanded tables: no compact row, no second pass.
                sincos_row<Arch, row_form::expanded>(static_cast<double>(p), pack, job.cos_scale,
                                                     job.sin_scale, tab.c, tab.s);
            } else {
                sincos_row<Arch>(static_cast<double>(p), pack, job.cos_scale, job.sin_scale,
                                 tab.compact_c, tab.compact_s);
                expand_interleaved<Arch>(tab.compact_c, tab.compact_s, n, W(1), W(1), tab.c, tab.s);
            }
        }
        rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, c, s);
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

// The per-stream compact rows of one chunk, on the fly: cos/sin of each stream's position.
template <class Arch, class W>
struct stream_rows {
    alignas(64) W c[3][chunk_pairs];
    alignas(64) W s[3][chunk_pairs];
};

// Compact tables of pairs [c0, c0 + n) of an M-RoPE token whose streams sit at p[0..2], scaled
// as the 1-D path scales them: entry i is the 1-D table entry of pair c0 + i at the position
// of its stream, computed by the same operations (so a pair's cos and sin are bitwise those of
// the 1-D call at that position).
template <class Arch, class T, class W, class Pack>
inline void mrope_tables(const rope_job<T>& job, const std::int64_t* p, int c0, int n, W* c, W* s,
                         stream_rows<Arch, W>& rows, Pack& pack) noexcept {
    const std::uint8_t* stream = job.pair_stream + c0;
    if (job.cache != nullptr) {
        const int pairs = job.rotary_dim / 2;
        const float* cos_rows[3];
        W cs = static_cast<W>(job.cos_scale);
        W ss[3];
        for (int k = 0; k < 3; ++k) {
            ROPESCALE_ASSERT(p[k] < job.cache_rows && -p[k] < job.cache_rows);
            cos_rows[k] = job.cache + (p[k] < 0 ? -p[k] : p[k]) * job.rotary_dim + c0;
            ss[k] = static_cast<W>(p[k] < 0 ? -job.sin_scale : job.sin_scale);
        }
        for (int i = 0; i < n; ++i) {
            const int k = stream[i];
            c[i] = static_cast<W>(cos_rows[k][i]) * cs;
            s[i] = static_cast<W>(cos_rows[k][pairs + i]) * ss[k];
        }
        return;
    }
    if (job.rotary_dim / 2 > chunk_pairs) pack.load(job.inv_freq + c0, n);
    for (int k = 0; k < 3; ++k) {
        if (k > 0 && p[k] == p[0]) continue;
        if (k == 2 && p[2] == p[1]) continue;
        sincos_row<Arch>(static_cast<double>(p[k]), pack, job.cos_scale, job.sin_scale, rows.c[k],
                         rows.s[k]);
    }
    for (int i = 0; i < n; ++i) {
        int k = stream[i];
        if (k == 2 && p[2] == p[1]) k = 1;  // the row computed for an equal position
        if (k > 0 && p[k] == p[0]) k = 0;
        c[i] = rows.c[k][i];
        s[i] = rows.s[k][i];
    }
}

template <class Arch, class T, rotary_layout Layout, bool Stream>
void rope_run_tokens_mrope(const rope_job<T>& job) noexcept {
    using W = work_t<T>;
    const int pairs = job.rotary_dim / 2;
    token_tables<Arch, W> tab;
    stream_rows<Arch, W> rows;
    frequency_pack<Arch, chunk_pairs> pack;
    if (job.cache == nullptr && pairs <= chunk_pairs) pack.load(job.inv_freq, pairs);

    for (std::int64_t t = 0; t < job.tokens; ++t) {
        const std::int64_t p[3] = {stream_position<Arch>(job, 0, t),
                                   stream_position<Arch>(job, 1, t),
                                   stream_position<Arch>(job, 2, t)};
        pass_through_token<Arch>(job, t);
        for (int c0 = 0; c0 < pairs; c0 += chunk_pairs) {
            const int n = std::min(chunk_pairs, pairs - c0);
            if (p[0] == p[1] && p[1] == p[2]) {  // a text token: the 1-D rotation
                token_chunk<Arch, T, Layout, Stream>(job, t, p[0], c0, n, tab, pack);
                continue;
            }
            mrope_tables<Arch>(job, p, c0, n, tab.compact_c, tab.compact_s, rows, pack);
            if constexpr (std::is_same<T, bf16>::value) {
                if constexpr (Layout == rotary_layout::half_split) {
                    prepare_bf16_half_split<Arch>(tab.compact_c, tab.compact_s, n, 1.0f, 1.0f,
                                                  tab.c, tab.s);
                    rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, tab.c, tab.s);
                } else {
                    rotate_token_bf16<Arch, Layout, Stream>(job, t, c0, n, tab.compact_c,
                                                            tab.compact_s);
                }
            } else if constexpr (Layout == rotary_layout::half_split) {
                rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, tab.compact_c, tab.compact_s);
            } else {
                expand_interleaved<Arch>(tab.compact_c, tab.compact_s, n, W(1), W(1), tab.c, tab.s);
                rotate_token<Arch, T, Layout, Stream>(job, t, c0, n, tab.c, tab.s);
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
