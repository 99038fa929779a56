// SPDX-License-Identifier: MIT
//
// Internal: the cos/sin cache builder, build_cache_rows<Arch>, the other per-ISA entry point
// (not `inline`, for the reason given in drive.hpp).
#ifndef ROPESCALE_DETAIL_CACHE_ROWS_HPP
#define ROPESCALE_DETAIL_CACHE_ROWS_HPP

#include "../config.hpp"
#include "angles.hpp"
#include "arch/isa.hpp"
#include "fused.hpp"
#include "job.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Cache rows between anchors: one anchor row computed exactly every `cache_anchor_interval`
// positions, the rows after it by rotating (build_cache_rows). 64 keeps the anchors' cost at
// a few % of the build while the recurrence error stays below 7e-14 (bound below).
inline constexpr std::int64_t cache_anchor_interval = 64;

// Whether build_cache_rows writes rows of more than stream_threshold_bytes with streaming
// stores: a cache that large does not stay in the caches anyway, and skipping the reads of the
// destination lines saves a third of the memory traffic. On the archs whose arch_ops has a
// streaming form of the double -> float row store (stream_float_rows: the AVX family, whose
// rows are written 16 bytes at a time); the others keep regular stores (SSE2 writes 8 bytes at
// a time, too few for a streaming store).
template <class Arch>
inline constexpr bool cache_stream_stores = arch_ops<Arch>::stream_float_rows;

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
                    if constexpr (cache_stream_stores<Arch>) {
                        if (stream) {
                            arch_ops<Arch>::stream_float(cos_row + i, c);
                            arch_ops<Arch>::stream_float(sin_row + i, s);
                            continue;
                        }
                    }
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
    if constexpr (cache_stream_stores<Arch>) {
        if (stream) arch_ops<Arch>::store_fence();  // before the caller reads the rows
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_CACHE_ROWS_HPP
