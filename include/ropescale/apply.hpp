// SPDX-License-Identifier: MIT
//
// The engine-facing rotation API: rotate q and k, laid out as strided [tokens][heads][head_dim]
// views, at one position per token, from a cos/sin cache (cache.hpp) or on the fly from a
// frequency_table; plus the inverse rotation and the KV-cache shift.
//
//   view of one tensor, strides in elements:
//     element (t, h, c) = data[t * token_stride + h * head_stride + c],  c < head_dim
//   inside one head (layout.hpp), d = rotary_dim:
//     half_split  [ccss0000]  pair i = (x[i], x[i + d/2])
//     interleaved [cscs0000]  pair i = (x[2i], x[2i + 1])
//   channels [d, head_dim) pass through (copied when out of place).
//
// Entry points (each returns ropescale::status naming the bad argument and touches nothing
// when it fails; q, k and keys are rope_operands, or heads_views to rotate in place; each has
// an _unchecked twin taking rope_operands, noexcept, returning void, the checks only
// ROPESCALE_ASSERTed):
//   apply_rope(cache, layout, positions, q, k, direction)      cached cos/sin
//   apply_rope(table, layout, positions, q, k, direction, mode) on the fly
//   apply_rope(cache | table, layout, mrope_map, mrope_streams, q, k, ...)
//                                                               M-RoPE (mrope.hpp)
//   shift_rope(cache | table, layout, deltas, keys)             pure rotation by a delta
//
// Aliasing: an operand is rotated in place (`in` and `out` the same view) or out of place
// into memory that nothing else of the call touches: an out-of-place input may not share a
// byte with any output (its own or the other operand's), and q's output may not share a byte
// with k's. The entry points refuse any other sharing (errc::invalid_argument, the
// field the output that would be overwritten, "q.out" or "k.out"), which the kernels would
// otherwise turn into silently wrong values, since they write token t before reading token
// t + 1. The check is O(1) per call: address ranges, and for ranges that interleave, whether
// both views repeat with one token stride and keep to disjoint slots of it (q and k inside a
// fused qkv buffer are accepted); other interleavings are refused even when no element is
// actually shared.
//
// The `Arch` template argument picks the kernel: an xsimd arch (default xsimd::default_arch,
// the best instruction set of the -m flags of this translation unit: static dispatch),
// scalar_reference, or dynamic_dispatch<...> (dispatch.hpp, run-time choice among per-ISA
// translation units). Element types: float, double, fp16, bf16 (half.hpp).
//
// Domain. Angles are exact (angle.hpp) wherever a call is accepted: a cache holds only rows
// inside the exact-angle domain of its table (cache.hpp), and on the fly a table must pass
// check_usable (frequency_table.hpp, the library's one rule for tables) and every |position|
// be <= position_limit(table), |position| * (largest inv_freq) <= 2^31.
//
// Precision. fp32/fp16/bf16 elements: cos/sin are f32 (cache entries, or on the fly double
// values within 2.3e-11 m of the exact ones, rounded once: the cache's contract, cache.hpp),
// the rotation is computed in f32 (x1 c - x2 s with possibly fused multiply-adds) and 16-bit
// stores round to nearest even: per output, |error| <= 2^-22 (|x1| + |x2|) m plus the final
// 16-bit rounding. double elements: on the fly, everything is double (angles exact as in
// angle.hpp, full-precision double polynomials within ~4e-16, double math: ~1e-15 relative);
// with a cache the f32 entries are widened exactly and the math is double.
//
// Threads: nothing here starts a thread or keeps state; calls on disjoint outputs may run
// concurrently, and a rope_cache or frequency_table may be shared read-only. To split one call
// across an engine's own threads, give each thread a token range [b, b + n) of every view and
// of the positions:
//     apply_rope(cache, layout, positions.subspan(b, n),
//                in_place(q.token_range(b, n)), in_place(k.token_range(b, n)));
// The result is bitwise identical to the single call (each token is computed independently,
// with the same instructions). tests/kernels/apply_test.cpp checks this with std::thread.
//
// Memory: the kernels read each input and write each output element once, one token at a
// time (cos/sin row read once per token for all heads of q and k). Calls whose outputs exceed
// 16 MiB (detail::stream_threshold_bytes) use streaming stores where the arch, element type and
// output alignment allow (x86: f32, and f16/bf16 on AVX2/AVX-512), like memcpy does for large
// copies; smaller outputs stay in cache for the attention that follows.
//
// Checks: every checked call checks all of the above (detail/call_checks.hpp: comparisons and
// a few multiplies per call, one min / max pass over the positions; no allocation and no
// message on the success path). Their cost shows only on the smallest calls (bench/RESULTS.md,
// BM_apply/cached_unchecked).
//
// Allocation and exceptions: the kernels never allocate and never throw; the entry points
// allocate only to build an error message (std::bad_alloc is their only exception).
#ifndef ROPESCALE_APPLY_HPP
#define ROPESCALE_APPLY_HPP

#include "cache.hpp"
#include "detail/call_checks.hpp"
#include "detail/job.hpp"
#include "detail/plan.hpp"
#include "detail/runner.hpp"
#include "error.hpp"
#include "frequency_table.hpp"
#include "half.hpp"
#include "layout.hpp"
#include "mrope.hpp"
#include "views.hpp"

#include <xsimd/xsimd.hpp>

#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {

// The job and the kernel of a call that keeps the rule (asserted in debug builds).
template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE void rotate_unchecked(const angle_plan& plan, rotary_layout layout,
                                              const position_span& positions,
                                              const rope_operand<T>& q,
                                              const rope_operand<T>& k) noexcept {
    static_assert(is_element_type<T>, "element type must be float, double, fp16 or bf16");
    ROPESCALE_ASSERT(find_fault<Arch>(plan, layout, positions, q, k).what == fault::none);
    if (positions.size() == 0) return;
    rope_job<T> job;
    fill_job<Arch>(job, plan, layout, positions, q, k);
    if (job.ops[0].heads == 0 && job.ops[1].heads == 0) return;
    kernel_runner<Arch>::rotate(job);
}

// Every checked entry point: the rule (find_fault), then the kernel; the message only on
// failure.
template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE status rotate_checked(const angle_plan& plan, rotary_layout layout,
                                              const position_span& positions,
                                              const rope_operand<T>& q, const rope_operand<T>& k) {
    const call_fault f = find_fault<Arch>(plan, layout, positions, q, k);
    if (f.what != fault::none)  // describe_fault is cold: the branch is laid out as unlikely
        return describe_fault<Arch>(f, plan, layout, positions, q, k);
    rotate_unchecked<Arch>(plan, layout, positions, q, k);
    return {};
}

// The job and the kernel of an M-RoPE call that keeps the rule (asserted in debug builds):
// the 1-D job with the t stream as its positions, and every pair's stream.
template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE void rotate_mrope_unchecked(const angle_plan& plan, rotary_layout layout,
                                                    const mrope_map& map,
                                                    const mrope_streams& positions,
                                                    const rope_operand<T>& q,
                                                    const rope_operand<T>& k) noexcept {
    static_assert(is_element_type<T>, "element type must be float, double, fp16 or bf16");
    ROPESCALE_ASSERT(find_fault<Arch>(plan, layout, positions.t, q, k).what == fault::none);
    ROPESCALE_ASSERT(find_mrope_fault<Arch>(plan, map, positions).what == mrope_fault::none);
    if (positions.size() == 0) return;
    rope_job<T> job;
    fill_job<Arch>(job, plan, layout, positions.t, q, k);
    if (job.ops[0].heads == 0 && job.ops[1].heads == 0) return;
    job.pair_stream = map.streams().data();
    job.pair_code = map.stream_codes().data();
    for (int s = 0; s < 3; ++s) {
        job.stream32[s] = positions.stream(s).data32();
        job.stream64[s] = positions.stream(s).data64();
    }
    kernel_runner<Arch>::rotate(job);
}

// An M-RoPE call: the rule of a 1-D call with the t stream as its positions (a position error
// names "positions.t[i]"), then the map and the h and w streams; then the kernel.
template <class Arch, class T>
status rotate_mrope_checked(const angle_plan& plan, rotary_layout layout, const mrope_map& map,
                            const mrope_streams& positions, const rope_operand<T>& q,
                            const rope_operand<T>& k) {
    if (const call_fault f = find_fault<Arch>(plan, layout, positions.t, q, k);
        f.what != fault::none) {
        error e = describe_fault<Arch>(f, plan, layout, positions.t, q, k);
        if (e.field.rfind("positions", 0) == 0) e.field.insert(9, ".t");
        return e;
    }
    if (const mrope_call_fault f = find_mrope_fault<Arch>(plan, map, positions);
        f.what != mrope_fault::none)
        return describe_mrope_fault<Arch>(f, plan, map, positions);
    rotate_mrope_unchecked<Arch>(plan, layout, map, positions, q, k);
    return {};
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Cached rotation

/// Rotates q and k (either may be absent: a default rope_operand) at `positions` (one per
/// token) with the cos/sin of `cache`:
///   forward: pair (x1, x2) of token t -> (x1 c - x2 s, x2 c + x1 s), (c, s) = cache row
///            positions[t] (which includes the attention factor iff the cache folded it in);
///   inverse: (c, -s) / m^2 with m = cache.folded_factor(), the exact inverse of forward.
/// q and k may have different head counts (GQA/MQA) and strides; one pass per token reads the
/// cos/sin row once for every head of both.
///
/// Errors (nothing is written): positions outside [0, cache.size()) -> position_out_of_range,
/// field "positions[i]" with the value; view shape/stride problems -> inconsistent or
/// invalid_argument naming the view field ("q.out.head_dim", "k.in.data", ...); views that
/// share memory other than exactly in place -> invalid_argument, field "q.out" or "k.out" (the
/// output that would be overwritten), message "overlaps q.in (bytes [..) and [..)): ..."
/// naming the other view ("q.in", "k.in" or "q.out"); an empty cache -> invalid_argument
/// "cache". Zero tokens or zero heads: a no-op (an empty view overlaps nothing).
/// Precision: see the file comment. No allocation, no exceptions beyond std::bad_alloc while
/// building an error message.
template <class Arch = xsimd::default_arch, class T>
status apply_rope(const rope_cache& cache, rotary_layout layout, const position_span& positions,
                  const rope_operand<T>& q, const rope_operand<T>& k = {},
                  rotation_direction direction = rotation_direction::forward) {
    return detail::rotate_checked<Arch>(detail::cache_plan<Arch>(cache, direction), layout,
                                        positions, q, k);
}

/// apply_rope without argument checks, for callers whose arguments are valid by construction:
/// the same preconditions (the checked overload's errors), ROPESCALE_ASSERTed in debug builds
/// only, including the aliasing rule (in place, or disjoint memory: see rope_operand); an
/// invalid call writes wrong values or out of bounds. noexcept; no allocation.
template <class Arch = xsimd::default_arch, class T>
void apply_rope_unchecked(const rope_cache& cache, rotary_layout layout,
                          const position_span& positions, const rope_operand<T>& q,
                          const rope_operand<T>& k = {},
                          rotation_direction direction = rotation_direction::forward) noexcept {
    detail::rotate_unchecked<Arch>(detail::cache_plan<Arch>(cache, direction), layout, positions, q,
                                   k);
}

/// apply_rope with q and k rotated in place (either may be an empty view).
template <class Arch = xsimd::default_arch, class T>
status apply_rope(const rope_cache& cache, rotary_layout layout, position_span positions,
                  heads_view<T> q, heads_view<T> k = {},
                  rotation_direction direction = rotation_direction::forward) {
    return apply_rope<Arch>(cache, layout, positions, in_place(q), in_place(k), direction);
}

// ---------------------------------------------------------------------------------------------
// On-the-fly rotation

/// Rotates q and k at `positions` with cos/sin computed per token from `table` (no cache):
/// angles position * inv_freq formed exactly and reduced modulo 2 pi in double, cos/sin in
/// double (xsimd double batches), once per token and reused for every head of q and k; then
///   forward: (m c, m s) with m = table.attention_factor if `mode` is folded, else 1;
///   inverse: (c, -s) / m.
/// float/fp16/bf16 elements: cos/sin rounded once to f32 (same contract as the cache), math
/// in f32. double elements: the double-precision path: cos/sin and the rotation stay double
/// (about 1e-15 relative to the exact rotation).
/// Accepts a table that check_usable accepts (else its error, field "table.inv_freq[i]",
/// "table.attention_factor", ...; frequency_table.hpp) and the positions of its exact-angle
/// domain, |p| <= position_limit(table): |p| * (largest inv_freq) <= 2^31, and |p| <= 2^31
/// (angle.hpp); another position -> position_out_of_range, field "positions[i]", the message
/// giving the limit and the largest inv_freq. Other errors as the cached overload.
template <class Arch = xsimd::default_arch, class T>
status apply_rope(const frequency_table& table, rotary_layout layout,
                  const position_span& positions, const rope_operand<T>& q,
                  const rope_operand<T>& k = {},
                  rotation_direction direction = rotation_direction::forward,
                  attention_factor_mode mode = attention_factor_mode::folded) {
    return detail::rotate_checked<Arch>(detail::table_plan<Arch>(table, direction, mode), layout,
                                        positions, q, k);
}

/// On-the-fly apply_rope without argument checks (see the cached apply_rope_unchecked).
template <class Arch = xsimd::default_arch, class T>
void apply_rope_unchecked(const frequency_table& table, rotary_layout layout,
                          const position_span& positions, const rope_operand<T>& q,
                          const rope_operand<T>& k = {},
                          rotation_direction direction = rotation_direction::forward,
                          attention_factor_mode mode = attention_factor_mode::folded) noexcept {
    detail::rotate_unchecked<Arch>(detail::table_plan<Arch>(table, direction, mode), layout,
                                   positions, q, k);
}

/// On-the-fly apply_rope with q and k rotated in place (either may be an empty view).
template <class Arch = xsimd::default_arch, class T>
status apply_rope(const frequency_table& table, rotary_layout layout, position_span positions,
                  heads_view<T> q, heads_view<T> k = {},
                  rotation_direction direction = rotation_direction::forward,
                  attention_factor_mode mode = attention_factor_mode::folded) {
    return apply_rope<Arch>(table, layout, positions, in_place(q), in_place(k), direction, mode);
}

// ---------------------------------------------------------------------------------------------
// Multimodal (M-RoPE) rotation

/// Rotates q and k with M-RoPE (mrope.hpp): pair i of token n by the position of its stream,
///   p = positions.stream(map.streams()[i])[n],  (x1, x2) <- (x1 c - x2 s, x2 c + x1 s),
///   c, s = the cache's cos and sin of pair i at row p,
/// as transformers' `apply_multimodal_rotary_pos_emb` (Qwen2-VL, Qwen2.5-VL: chunked
/// sections) and Qwen3-VL's `apply_interleaved_mrope` (interleaved) rotate, with the cos/sin
/// of `cache` (same scales, direction
/// and precision as the cached 1-D apply_rope: each pair's cos and sin are bitwise those of
/// the 1-D call at its stream's position, so a token whose three positions are equal is
/// rotated exactly as the 1-D call rotates it). The cache row of each stream is read once per
/// token for every head of q and k.
/// Errors: the cached apply_rope's, with the t stream as the positions ("positions.t[i]");
/// errc::inconsistent "mrope_map" (empty, or made for another rotary_dim than the cache's);
/// "positions.h" / "positions.w": errc::inconsistent (not one position per token),
/// errc::invalid_argument (null data), errc::position_out_of_range "positions.h[i]" (outside
/// [0, cache.size())).
template <class Arch = xsimd::default_arch, class T>
status apply_rope(const rope_cache& cache, rotary_layout layout, const mrope_map& map,
                  const mrope_streams& positions, const rope_operand<T>& q,
                  const rope_operand<T>& k = {},
                  rotation_direction direction = rotation_direction::forward) {
    return detail::rotate_mrope_checked<Arch>(detail::cache_plan<Arch>(cache, direction), layout,
                                              map, positions, q, k);
}

/// The cached M-RoPE apply_rope without argument checks (see the cached apply_rope_unchecked):
/// the checked overload's preconditions, ROPESCALE_ASSERTed in debug builds only; same
/// results, bitwise.
template <class Arch = xsimd::default_arch, class T>
void apply_rope_unchecked(const rope_cache& cache, rotary_layout layout, const mrope_map& map,
                          const mrope_streams& positions, const rope_operand<T>& q,
                          const rope_operand<T>& k = {},
                          rotation_direction direction = rotation_direction::forward) noexcept {
    detail::rotate_mrope_unchecked<Arch>(detail::cache_plan<Arch>(cache, direction), layout, map,
                                         positions, q, k);
}

/// M-RoPE rotation on the fly from `table`: pair i of token n by angle p * inv_freq[i] with p
/// its stream's position (formula and references of the cached overload above), with the
/// on-the-fly apply_rope's angles, scales and precision (each pair's cos and sin bitwise those
/// of the 1-D on-the-fly call at p); at most three cos/sin rows per token, one per distinct
/// position. Errors: the on-the-fly apply_rope's and the cached M-RoPE overload's (positions
/// outside the table's exact-angle domain).
template <class Arch = xsimd::default_arch, class T>
status apply_rope(const frequency_table& table, rotary_layout layout, const mrope_map& map,
                  const mrope_streams& positions, const rope_operand<T>& q,
                  const rope_operand<T>& k = {},
                  rotation_direction direction = rotation_direction::forward,
                  attention_factor_mode mode = attention_factor_mode::folded) {
    return detail::rotate_mrope_checked<Arch>(detail::table_plan<Arch>(table, direction, mode),
                                              layout, map, positions, q, k);
}

/// The on-the-fly M-RoPE apply_rope without argument checks (see the cached
/// apply_rope_unchecked): the checked overload's preconditions, ROPESCALE_ASSERTed in debug
/// builds only; same results, bitwise.
template <class Arch = xsimd::default_arch, class T>
void apply_rope_unchecked(const frequency_table& table, rotary_layout layout, const mrope_map& map,
                          const mrope_streams& positions, const rope_operand<T>& q,
                          const rope_operand<T>& k = {},
                          rotation_direction direction = rotation_direction::forward,
                          attention_factor_mode mode = attention_factor_mode::folded) noexcept {
    detail::rotate_mrope_unchecked<Arch>(detail::table_plan<Arch>(table, direction, mode), layout,
                                         map, positions, q, k);
}

// ---------------------------------------------------------------------------------------------
// KV-cache shift

/// Rotates already-rotated keys by a per-token position delta: k <- R(delta) k, the pure
/// rotation (cos delta f, sin delta f). The attention factor is never applied: a key rotated
/// at position p (with its factor m) becomes exactly the key rotated at p + delta (with m
/// once), however many shifts are applied. (Re-running the forward rotation with m folded in,
/// as llama.cpp's context shift does, would multiply the rotated channels by m again on every
/// shift.) Deltas may be negative; |delta| < cache.size(). shift(a) then shift(b) equals
/// shift(a + b) up to rounding.
/// Any cache: a `separate` one gives its entries as they are; a `folded` one (factor m) its
/// entries times fl32(1/m), each product rounded to f32: (c, s) within one more rounding, about
/// 2^-23 relative, of the pure entries (the per-output bound of the file comment holds against
/// the scalar reference, which scales the same way). The keys operand may be in place or out of
/// place into disjoint memory; its errors are apply_rope's with the operand named "q" ("q.out"
/// overlapping "q.in", "q.in.data", ...).
template <class Arch = xsimd::default_arch, class T>
status shift_rope(const rope_cache& cache, rotary_layout layout, position_span deltas,
                  rope_operand<T> keys) {
    return detail::rotate_checked<Arch>(
        detail::cache_plan<Arch>(cache, rotation_direction::forward, true), layout, deltas, keys,
        rope_operand<T>{});
}

/// shift_rope from a cache without argument checks (see apply_rope_unchecked).
template <class Arch = xsimd::default_arch, class T>
void shift_rope_unchecked(const rope_cache& cache, rotary_layout layout,
                          const position_span& deltas, const rope_operand<T>& keys) noexcept {
    detail::rotate_unchecked<Arch>(
        detail::cache_plan<Arch>(cache, rotation_direction::forward, true), layout, deltas, keys,
        rope_operand<T>{});
}

/// shift_rope from a cache with the keys shifted in place.
template <class Arch = xsimd::default_arch, class T>
status shift_rope(const rope_cache& cache, rotary_layout layout, position_span deltas,
                  heads_view<T> keys) {
    return shift_rope<Arch>(cache, layout, deltas, in_place(keys));
}

/// Rotates already-rotated keys by a per-token delta with cos/sin computed on the fly from
/// `table` (exact double angles; never the attention factor). The table and the deltas are
/// checked as the on-the-fly apply_rope's table and positions: check_usable's errors, and
/// |delta| <= position_limit(table), else position_out_of_range "positions[i]". Other errors
/// as the cached shift_rope.
template <class Arch = xsimd::default_arch, class T>
status shift_rope(const frequency_table& table, rotary_layout layout, position_span deltas,
                  rope_operand<T> keys) {
    return detail::rotate_checked<Arch>(detail::table_plan<Arch>(table, rotation_direction::forward,
                                                                 attention_factor_mode::separate),
                                        layout, deltas, keys, rope_operand<T>{});
}

/// On-the-fly shift_rope without argument checks (see apply_rope_unchecked).
template <class Arch = xsimd::default_arch, class T>
void shift_rope_unchecked(const frequency_table& table, rotary_layout layout,
                          const position_span& deltas, const rope_operand<T>& keys) noexcept {
    detail::rotate_unchecked<Arch>(detail::table_plan<Arch>(table, rotation_direction::forward,
                                                            attention_factor_mode::separate),
                                   layout, deltas, keys, rope_operand<T>{});
}

/// On-the-fly shift_rope with the keys shifted in place.
template <class Arch = xsimd::default_arch, class T>
status shift_rope(const frequency_table& table, rotary_layout layout, position_span deltas,
                  heads_view<T> keys) {
    return shift_rope<Arch>(table, layout, deltas, in_place(keys));
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_APPLY_HPP
