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
// Entry points (each has an _unchecked twin with the same arguments, noexcept, returning void,
// with ROPESCALE_ASSERT preconditions; the checked ones return ropescale::status naming the bad
// argument and touch nothing when they fail):
//   apply_rope(cache, layout, positions, q, k, direction)      cached cos/sin
//   apply_rope(table, layout, positions, q, k, direction, mode) on the fly
//   shift_rope(cache | table, layout, deltas, keys)             pure rotation by a delta
//
// Aliasing: an operand is rotated in place (`in` and `out` the same view) or out of place
// into memory that nothing else of the call touches: an out-of-place input may not share a
// byte with any output (its own or the other operand's), and q's output may not share a byte
// with k's. The checked entry points refuse any other sharing (errc::invalid_argument, the
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
// Allocation and exceptions: the kernels never allocate and never throw; the checked entry
// points allocate only to build an error message (std::bad_alloc is their only exception).
#ifndef ROPESCALE_APPLY_HPP
#define ROPESCALE_APPLY_HPP

#include "cache.hpp"
#include "detail/job.hpp"
#include "detail/runner.hpp"
#include "error.hpp"
#include "frequency_table.hpp"
#include "half.hpp"
#include "layout.hpp"
#include "views.hpp"

#include <xsimd/xsimd.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {

// Where cos/sin come from and how they are scaled, as the entry points resolved it.
struct angle_plan {
    const rope_cache* cache = nullptr;
    const frequency_table* table = nullptr;
    double cos_scale = 1.0;
    double sin_scale = 1.0;
    bool shift = false;  // positions are deltas (cache: |delta| < size)
};

template <class Arch>
std::string field_name(const char* op, const char* part, const char* what) {
    return std::string(op) + "." + part + "." + what;
}

// Rows of an output view must not overlap (else in-place results would depend on order).
template <class Arch>
ROPESCALE_ALWAYS_INLINE bool rows_disjoint(std::int64_t tokens, int heads, int head_dim,
                                           std::ptrdiff_t ts, std::ptrdiff_t hs) noexcept {
    const std::ptrdiff_t a_ts = ts < 0 ? -ts : ts;
    const std::ptrdiff_t a_hs = hs < 0 ? -hs : hs;
    if (tokens == 0 || heads == 0) return true;  // no rows at all
    const bool many_tokens = tokens > 1;
    const bool many_heads = heads > 1;
    if (!many_tokens && !many_heads) return true;
    if (!many_tokens) return a_hs >= head_dim;
    if (!many_heads) return a_ts >= head_dim;
    // Two strides: the smaller must clear a row, the larger must clear all rows of the smaller.
    const std::ptrdiff_t small = a_ts < a_hs ? a_ts : a_hs;
    const std::ptrdiff_t large = a_ts < a_hs ? a_hs : a_ts;
    const std::int64_t count_small = a_ts < a_hs ? tokens : heads;
    return small >= head_dim && large >= small * count_small;
}

template <class Arch, class V>
status check_view(const V& v, const char* op, const char* part, int head_dim, bool is_output) {
    if (v.tokens < 0)
        return make_error(errc::out_of_range, field_name<Arch>(op, part, "tokens"), "must be >= 0",
                          static_cast<long long>(v.tokens));
    if (v.heads < 0)
        return make_error(errc::out_of_range, field_name<Arch>(op, part, "heads"), "must be >= 0",
                          v.heads);
    if (v.head_dim != head_dim)
        return error{errc::inconsistent, field_name<Arch>(op, part, "head_dim"),
                     "must equal the table's head_dim = " + std::to_string(head_dim) + " (got " +
                         std::to_string(v.head_dim) + ")"};
    if (v.tokens > 0 && v.heads > 0 && v.data == nullptr)
        return error{errc::invalid_argument, field_name<Arch>(op, part, "data"),
                     "is null for a non-empty view"};
    if (is_output &&
        !rows_disjoint<Arch>(v.tokens, v.heads, v.head_dim, v.token_stride, v.head_stride))
        return error{errc::invalid_argument, field_name<Arch>(op, part, "head_stride"),
                     "rows of the output view overlap (token_stride " +
                         std::to_string(v.token_stride) + ", head_stride " +
                         std::to_string(v.head_stride) + ", head_dim " +
                         std::to_string(v.head_dim) + ")"};
    return {};
}

// ---- Aliasing between the views of one call.
//
// The kernels walk token by token, q's heads then k's, reading each input element once and
// writing each output element once. That is exact when every output is either its own input
// (in place) or shares no memory with anything the call reads or writes; any other sharing
// makes the result depend on the visiting order (an output written before an input element
// it aliases is read). The check below costs O(1) per call: a few multiplies and comparisons
// per view, plus one integer remainder when two address ranges interleave.

// The bytes [lo, hi) one view touches (lo == hi: none), as std::uint64_t addresses computed
// with wrapping arithmetic (never signed overflow, whatever the strides): exact for every view
// that describes addressable memory, the only views a call may be given.
struct byte_span {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
};

// Offsets of a view's last token and last head in elements, (tokens - 1) token_stride and
// (heads - 1) head_stride, wrapped, and whether each is negative.
struct view_spans {
    std::uint64_t t_span = 0;
    std::uint64_t h_span = 0;
    bool t_neg = false;
    bool h_neg = false;
};

template <class Arch, class V>
ROPESCALE_ALWAYS_INLINE view_spans spans_of(const V& v) noexcept {
    using u64 = std::uint64_t;
    view_spans s;
    s.t_span = static_cast<u64>(v.tokens - 1) * static_cast<u64>(v.token_stride);
    s.h_span = static_cast<u64>(v.heads - 1) * static_cast<u64>(v.head_stride);
    s.t_neg = v.token_stride < 0 && v.tokens > 1;
    s.h_neg = v.head_stride < 0 && v.heads > 1;
    return s;
}

template <class Arch, class V>
ROPESCALE_ALWAYS_INLINE byte_span bytes_of(const V& v) noexcept {
    using u64 = std::uint64_t;
    if (v.tokens <= 0 || v.heads <= 0 || v.data == nullptr) return {};
    const view_spans s = spans_of<Arch>(v);
    const u64 size = sizeof(*v.data);
    const u64 base = static_cast<u64>(reinterpret_cast<std::uintptr_t>(v.data));
    const u64 below = (s.t_neg ? s.t_span : 0) + (s.h_neg ? s.h_span : 0);
    const u64 above =
        (s.t_neg ? 0 : s.t_span) + (s.h_neg ? 0 : s.h_span) + static_cast<u64>(v.head_dim);
    return {base + below * size, base + above * size};
}

// Address ranges that interleave (the cold part of views_may_share): the views are still
// disjoint when both repeat with the same token stride P (a view of one token, or a broadcast
// input, fits any P) and their rows keep to separate slots of it. Every byte of a view lies
// in the arc [row_lo, row_lo + row_bytes) modulo P, row_lo the lowest byte of token 0's rows
// and row_bytes the width of one token's rows, so arcs that do not meet mean no shared byte
// (q and k inside one fused qkv buffer). Anything else that interleaves counts as shared:
// conservative, it may refuse a call that would have been exact, never the reverse.
template <class Arch, class V, class W>
bool interleaved_views_share(const V& a, const W& b) noexcept {
    using u64 = std::uint64_t;
    const u64 size = sizeof(*a.data);
    struct slot {
        u64 row_lo, row_bytes, period;
    };
    auto slot_of = [size](const auto& v) {
        const view_spans s = spans_of<Arch>(v);
        const u64 base = static_cast<u64>(reinterpret_cast<std::uintptr_t>(v.data));
        const u64 h_width = (s.h_neg ? u64{0} - s.h_span : s.h_span) + static_cast<u64>(v.head_dim);
        const u64 ts = static_cast<u64>(v.token_stride);
        const u64 period = v.tokens > 1 ? (v.token_stride < 0 ? u64{0} - ts : ts) * size : 0;
        return slot{base + (s.h_neg ? s.h_span : 0) * size, h_width * size, period};
    };
    const slot sa = slot_of(a);
    const slot sb = slot_of(b);
    const u64 p = sa.period != 0 ? sa.period : sb.period;
    if (p == 0 || (sb.period != 0 && sb.period != p)) return true;
    if (sa.row_bytes > p || sb.row_bytes > p - sa.row_bytes) return true;
    // b's arc starts r bytes after a's, modulo p (the wrapped difference read as signed).
    const auto ps = static_cast<std::int64_t>(p);
    std::int64_t r = static_cast<std::int64_t>(sb.row_lo - sa.row_lo) % ps;
    if (r < 0) r += ps;
    const auto ru = static_cast<u64>(r);
    return !(ru >= sa.row_bytes && ru <= p - sb.row_bytes);
}

// Whether two views (already validated, or empty) may share a byte.
template <class Arch, class V, class W>
ROPESCALE_ALWAYS_INLINE bool views_may_share(const V& a, const byte_span& ra, const W& b,
                                             const byte_span& rb) noexcept {
    if (ra.hi <= rb.lo || rb.hi <= ra.lo || ra.lo == ra.hi || rb.lo == rb.hi) return false;
    return interleaved_views_share<Arch>(a, b);
}

// Which two views of a call share memory, the first found in this order; none when the call
// is free of aliasing: each out-of-place input is disjoint from every output, and the outputs
// of q and k are disjoint (an in-place operand's input is its output, so an in-place q may
// share nothing with k's output either). Absent operands and empty views share nothing.
enum class aliasing { none, q_in_q_out, q_in_k_out, k_in_k_out, k_in_q_out, q_out_k_out };

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE aliasing find_aliasing(const rope_operand<T>& q,
                                               const rope_operand<T>& k) noexcept {
    const bool q_apart = !q.in_place();
    const bool k_apart = !k.in_place();
    const byte_span q_out = bytes_of<Arch>(q.out);
    const byte_span k_out = bytes_of<Arch>(k.out);
    if (q_apart) {
        const byte_span q_in = bytes_of<Arch>(q.in);
        if (views_may_share<Arch>(q.in, q_in, q.out, q_out)) return aliasing::q_in_q_out;
        if (views_may_share<Arch>(q.in, q_in, k.out, k_out)) return aliasing::q_in_k_out;
    }
    if (k_apart) {
        const byte_span k_in = bytes_of<Arch>(k.in);
        if (views_may_share<Arch>(k.in, k_in, k.out, k_out)) return aliasing::k_in_k_out;
        if (views_may_share<Arch>(k.in, k_in, q.out, q_out)) return aliasing::k_in_q_out;
    }
    if (views_may_share<Arch>(q.out, q_out, k.out, k_out)) return aliasing::q_out_k_out;
    return aliasing::none;
}

template <class Arch>
std::string hex_range(const byte_span& r) {
    auto hex = [](std::uint64_t v) {
        char buf[24] = "0x";
        const auto res = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
        return std::string(buf, res.ptr);
    };
    return "[" + hex(r.lo) + ", " + hex(r.hi) + ")";
}

// The error for find_aliasing's answer: the field is the output that would be written over
// memory the call still needs, the message names the other view and both byte ranges.
template <class Arch, class T>
status check_aliasing(const rope_operand<T>& q, const rope_operand<T>& k) {
    const aliasing a = find_aliasing<Arch>(q, k);
    if (a == aliasing::none) return {};
    struct pair_info {
        const char* out_name;
        const char* other_name;
        heads_view<const T> out;
        heads_view<const T> other;
    };
    const pair_info p = a == aliasing::q_in_q_out   ? pair_info{"q.out", "q.in", q.out, q.in}
                        : a == aliasing::q_in_k_out ? pair_info{"k.out", "q.in", k.out, q.in}
                        : a == aliasing::k_in_k_out ? pair_info{"k.out", "k.in", k.out, k.in}
                        : a == aliasing::k_in_q_out ? pair_info{"q.out", "k.in", q.out, k.in}
                                                    : pair_info{"k.out", "q.out", k.out, q.out};
    const char* why =
        a == aliasing::q_out_k_out
            ? "q and k must be written to disjoint memory (slots of one token stride, "
              "as in a fused qkv buffer, are disjoint)"
            : "an output may not share memory with an out-of-place input; use "
              "disjoint buffers, or rotate in place (the same view as in and out)";
    return error{errc::invalid_argument, p.out_name,
                 std::string("overlaps ") + p.other_name + " (bytes " +
                     hex_range<Arch>(bytes_of<Arch>(p.out)) + " and " +
                     hex_range<Arch>(bytes_of<Arch>(p.other)) + "): " + why};
}

template <class Arch, class T>
status check_operand(const rope_operand<T>& o, const char* op, int head_dim, std::int64_t tokens) {
    if (o.empty()) return {};
    if (auto s = check_view<Arch>(o.in, op, "in", head_dim, false); !s) return s;
    if (auto s = check_view<Arch>(o.out, op, "out", head_dim, true); !s) return s;
    if (o.in.tokens != o.out.tokens || o.in.heads != o.out.heads)
        return error{errc::inconsistent, std::string(op),
                     "in and out must have the same shape (in " + std::to_string(o.in.tokens) +
                         " x " + std::to_string(o.in.heads) + ", out " +
                         std::to_string(o.out.tokens) + " x " + std::to_string(o.out.heads) + ")"};
    if (o.in.data == o.out.data && o.in.data != nullptr && o.out.tokens > 0 && !o.in_place())
        return error{errc::invalid_argument, std::string(op),
                     "in and out share data but not strides (neither in place nor disjoint)"};
    if (o.out.tokens != tokens)
        return error{errc::inconsistent, std::string(op) + ".out.tokens",
                     "must equal the number of positions = " + std::to_string(tokens) + " (got " +
                         std::to_string(o.out.tokens) + ")"};
    return {};
}

template <class Arch>
status check_positions(const position_span& positions, std::int64_t lo, std::int64_t hi,
                       const char* what) {
    if (positions.size() < 0)
        return make_error(errc::out_of_range, "positions", "size must be >= 0",
                          static_cast<long long>(positions.size()));
    if (positions.size() > 0 && positions.data32() == nullptr && positions.data64() == nullptr)
        return error{errc::invalid_argument, "positions", "is null for a non-empty span"};
    for (std::int64_t i = 0; i < positions.size(); ++i) {
        const std::int64_t p = positions[i];
        if (p < lo || p > hi)
            return make_error(errc::position_out_of_range, "positions[" + std::to_string(i) + "]",
                              std::string(what) + " [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]",
                              static_cast<long long>(p));
    }
    return {};
}

// Fills the job in place, field by field (building it from temporaries made GCC copy it with
// overlapping stores and loads: a store-forwarding stall on every call).
template <class T>
ROPESCALE_ALWAYS_INLINE void fill_operand_job(operand_job<T>& j,
                                              const rope_operand<T>& o) noexcept {
    const bool active = !o.empty() && o.out.tokens > 0;
    j.in = active ? o.in.data : nullptr;
    j.out = active ? o.out.data : nullptr;
    j.heads = active ? o.out.heads : 0;
    j.in_token_stride = o.in.token_stride;
    j.in_head_stride = o.in.head_stride;
    j.out_token_stride = o.out.token_stride;
    j.out_head_stride = o.out.head_stride;
}

template <class T>
ROPESCALE_ALWAYS_INLINE void fill_job(rope_job<T>& job, const angle_plan& plan,
                                      rotary_layout layout, const position_span& positions,
                                      const rope_operand<T>& q, const rope_operand<T>& k) noexcept {
    fill_operand_job(job.ops[0], q);
    fill_operand_job(job.ops[1], k);
    job.tokens = positions.size();
    job.pos32 = positions.data32();
    job.pos64 = positions.data64();
    job.layout = layout;
    job.cos_scale = plan.cos_scale;
    job.sin_scale = plan.sin_scale;
    if (plan.cache != nullptr) {
        job.head_dim = plan.cache->head_dim();
        job.rotary_dim = plan.cache->rotary_dim();
        job.cache = plan.cache->data();
        job.cache_rows = plan.cache->size();
        job.inv_freq = nullptr;
    } else {
        job.head_dim = plan.table->head_dim;
        job.rotary_dim = plan.table->rotary_dim;
        job.cache = nullptr;
        job.cache_rows = 0;
        job.inv_freq = plan.table->inv_freq.data();
    }
    const std::size_t out_elements = static_cast<std::size_t>(job.ops[0].heads + job.ops[1].heads) *
                                     static_cast<std::size_t>(job.tokens > 0 ? job.tokens : 0) *
                                     static_cast<std::size_t>(job.head_dim);
    job.stream = out_elements * sizeof(T) > stream_threshold_bytes;
}

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE void run_unchecked(const angle_plan& plan, rotary_layout layout,
                                           const position_span& positions, const rope_operand<T>& q,
                                           const rope_operand<T>& k) noexcept {
    static_assert(is_element_type<T>, "element type must be float, double, fp16 or bf16");
    if (positions.size() == 0) return;
    ROPESCALE_ASSERT(find_aliasing<Arch>(q, k) == aliasing::none);
    rope_job<T> job;
    fill_job(job, plan, layout, positions, q, k);
    if (job.ops[0].heads == 0 && job.ops[1].heads == 0) return;
    ROPESCALE_ASSERT(job.rotary_dim > 0 && job.rotary_dim % 2 == 0 &&
                     job.rotary_dim <= job.head_dim);
    kernel_runner<Arch>::rotate(job);
}

// The checks of run_checked without building any message: the hot path of a valid call pays
// only for these comparisons (the detailed checks below run only to describe a failure).
// Must accept exactly what the detailed checks accept.
template <class Arch, class V>
ROPESCALE_ALWAYS_INLINE bool view_ok(const V& v, int head_dim, bool is_output) noexcept {
    return v.tokens >= 0 && v.heads >= 0 && v.head_dim == head_dim &&
           (v.data != nullptr || v.tokens == 0 || v.heads == 0) &&
           (!is_output ||
            rows_disjoint<Arch>(v.tokens, v.heads, v.head_dim, v.token_stride, v.head_stride));
}

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE bool operand_ok(const rope_operand<T>& o, int head_dim,
                                        std::int64_t tokens) noexcept {
    if (o.empty()) return true;
    return view_ok<Arch>(o.in, head_dim, false) && view_ok<Arch>(o.out, head_dim, true) &&
           o.in.tokens == o.out.tokens && o.in.heads == o.out.heads &&
           !(o.in.data == o.out.data && o.in.data != nullptr && o.out.tokens > 0 &&
             !o.in_place()) &&
           o.out.tokens == tokens;
}

template <class Arch, class P>
ROPESCALE_ALWAYS_INLINE bool range_ok(const P* p, std::int64_t n, std::int64_t lo,
                                      std::int64_t hi) noexcept {
    std::int64_t mn = hi;
    std::int64_t mx = lo;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t v = p[i];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    return mn >= lo && mx <= hi;
}

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE bool quick_ok(const angle_plan& plan, rotary_layout layout,
                                      const position_span& positions, const rope_operand<T>& q,
                                      const rope_operand<T>& k) noexcept {
    if (layout != rotary_layout::half_split && layout != rotary_layout::interleaved) return false;
    int head_dim = 0;
    std::int64_t lo = 0;
    std::int64_t hi = 0;
    if (plan.cache != nullptr) {
        if (plan.cache->rotary_dim() <= 0) return false;
        head_dim = plan.cache->head_dim();
        hi = plan.cache->size() - 1;
        lo = plan.shift ? -hi : 0;
    } else {
        // The table rule (check_usable) and the exact-angle domain of this table.
        const table_scan scan = scan_table(*plan.table);
        if (!scan.usable) return false;
        hi = exact_position_limit(scan.max_inv_freq);
        lo = -hi;
        head_dim = plan.table->head_dim;
    }
    if (!operand_ok<Arch>(q, head_dim, positions.size()) ||
        !operand_ok<Arch>(k, head_dim, positions.size()))
        return false;
    if (find_aliasing<Arch>(q, k) != aliasing::none) return false;
    const std::int64_t n = positions.size();
    if (n < 0) return false;
    if (n == 0) return true;
    if (positions.data64() != nullptr) return range_ok<Arch>(positions.data64(), n, lo, hi);
    if (positions.data32() != nullptr) return range_ok<Arch>(positions.data32(), n, lo, hi);
    return false;
}

template <class Arch, class T>
status run_checked(const angle_plan& plan, rotary_layout layout, const position_span& positions,
                   const rope_operand<T>& q, const rope_operand<T>& k) {
    static_assert(is_element_type<T>, "element type must be float, double, fp16 or bf16");
    if (quick_ok<Arch>(plan, layout, positions, q, k)) {
        run_unchecked<Arch>(plan, layout, positions, q, k);
        return {};
    }
    if (layout != rotary_layout::half_split && layout != rotary_layout::interleaved)
        return make_error(errc::invalid_argument, "layout", "is not a rotary_layout",
                          static_cast<int>(layout));
    int head_dim = 0;
    if (plan.cache != nullptr) {
        head_dim = plan.cache->head_dim();
        if (plan.cache->rotary_dim() <= 0)
            return error{errc::invalid_argument, "cache", "is empty (default-constructed)"};
    } else {
        if (auto s = check_usable(*plan.table); !s) return s;
        head_dim = plan.table->head_dim;
    }
    if (auto s = check_operand<Arch>(q, "q", head_dim, positions.size()); !s) return s;
    if (auto s = check_operand<Arch>(k, "k", head_dim, positions.size()); !s) return s;
    if (auto s = check_aliasing<Arch>(q, k); !s) return s;
    if (plan.cache != nullptr) {
        const std::int64_t n = plan.cache->size();
        if (plan.shift) {
            if (auto s = check_positions<Arch>(positions, -(n - 1), n - 1,
                                               "is a delta outside the cache: must be in");
                !s)
                return s;
        } else {
            if (auto s =
                    check_positions<Arch>(positions, 0, n - 1, "is outside the cache: must be in");
                !s)
                return s;
        }
    } else {
        const frequency_table& t = *plan.table;
        const double f_max = scan_table(t).max_inv_freq;
        const std::int64_t limit = exact_position_limit(f_max);
        const std::string what =
            "is outside the exact-angle domain of the table, |position| * largest inv_freq <= "
            "2^31 (table.inv_freq[" +
            std::to_string(max_inv_freq_index(t)) + "] = " + format_value(f_max) + "): must be in";
        if (auto s = check_positions<Arch>(positions, -limit, limit, what.c_str()); !s) return s;
    }
    run_unchecked<Arch>(plan, layout, positions, q, k);
    return {};
}

template <class Arch>
angle_plan cache_plan(const rope_cache& cache, rotation_direction direction) noexcept {
    angle_plan plan;
    plan.cache = &cache;
    if (direction == rotation_direction::inverse) {
        // Forward applied (m c, m s); the inverse is (c, -s) / m = (m c, -m s) / m^2.
        const double m = cache.folded_factor();
        const double inv = m == 1.0 ? 1.0 : 1.0 / (m * m);
        plan.cos_scale = inv;
        plan.sin_scale = -inv;
    }
    return plan;
}

template <class Arch>
angle_plan table_plan(const frequency_table& table, rotation_direction direction,
                      attention_factor_mode mode) noexcept {
    angle_plan plan;
    plan.table = &table;
    const double m = mode == attention_factor_mode::folded ? table.attention_factor : 1.0;
    if (direction == rotation_direction::forward) {
        plan.cos_scale = m;
        plan.sin_scale = m;
    } else {
        plan.cos_scale = 1.0 / m;
        plan.sin_scale = -1.0 / m;
    }
    return plan;
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
status apply_rope(const rope_cache& cache, rotary_layout layout, position_span positions,
                  rope_operand<T> q, rope_operand<T> k = {},
                  rotation_direction direction = rotation_direction::forward) {
    return detail::run_checked<Arch>(detail::cache_plan<Arch>(cache, direction), layout, positions,
                                     q, k);
}

/// apply_rope without argument checks: preconditions as the checked overload's errors,
/// ROPESCALE_ASSERTed (positions only in debug builds, per token), including the aliasing
/// rule (in place, or disjoint memory: see rope_operand); an overlapping call writes wrong
/// values, it is not detected in release builds. noexcept; no allocation.
template <class Arch = xsimd::default_arch, class T>
void apply_rope_unchecked(const rope_cache& cache, rotary_layout layout, position_span positions,
                          rope_operand<T> q, rope_operand<T> k = {},
                          rotation_direction direction = rotation_direction::forward) noexcept {
    detail::run_unchecked<Arch>(detail::cache_plan<Arch>(cache, direction), layout, positions, q,
                                k);
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
status apply_rope(const frequency_table& table, rotary_layout layout, position_span positions,
                  rope_operand<T> q, rope_operand<T> k = {},
                  rotation_direction direction = rotation_direction::forward,
                  attention_factor_mode mode = attention_factor_mode::folded) {
    return detail::run_checked<Arch>(detail::table_plan<Arch>(table, direction, mode), layout,
                                     positions, q, k);
}

/// On-the-fly apply_rope without argument checks (see apply_rope_unchecked).
template <class Arch = xsimd::default_arch, class T>
void apply_rope_unchecked(const frequency_table& table, rotary_layout layout,
                          position_span positions, rope_operand<T> q, rope_operand<T> k = {},
                          rotation_direction direction = rotation_direction::forward,
                          attention_factor_mode mode = attention_factor_mode::folded) noexcept {
    detail::run_unchecked<Arch>(detail::table_plan<Arch>(table, direction, mode), layout, positions,
                                q, k);
}

// ---------------------------------------------------------------------------------------------
// KV-cache shift

/// Rotates already-rotated keys by a per-token position delta: k <- R(delta) k, the pure
/// rotation (cos delta f, sin delta f). The attention factor is never applied: a key rotated
/// at position p (with its factor m) becomes exactly the key rotated at p + delta (with m
/// once), however many shifts are applied. (llama.cpp's context shift re-runs the forward
/// rope, multiplying the rotated channels by the YaRN magnitude again on every shift: SPEC C.)
/// Deltas may be negative; |delta| < cache.size(). shift(a) then shift(b) equals shift(a + b)
/// up to rounding. The cache must hold pure cos/sin: attention() == separate, or a folded
/// factor of exactly 1; else errc::inconsistent, field "cache". The keys operand may be in
/// place or out of place into disjoint memory; its errors are apply_rope's with the operand
/// named "q" ("q.out" overlapping "q.in", "q.in.data", ...).
template <class Arch = xsimd::default_arch, class T>
status shift_rope(const rope_cache& cache, rotary_layout layout, position_span deltas,
                  rope_operand<T> keys) {
    if (cache.folded_factor() != 1.0)
        return make_error(errc::inconsistent, "cache",
                          "has the attention factor folded in; a shift needs a pure rotation "
                          "(build the cache with attention_factor_mode::separate); factor",
                          cache.folded_factor());
    detail::angle_plan plan;
    plan.cache = &cache;
    plan.shift = true;
    return detail::run_checked<Arch>(plan, layout, deltas, keys, rope_operand<T>{});
}

/// shift_rope from a cache without argument checks (preconditions as apply_rope_unchecked's).
/// noexcept; no allocation.
template <class Arch = xsimd::default_arch, class T>
void shift_rope_unchecked(const rope_cache& cache, rotary_layout layout, position_span deltas,
                          rope_operand<T> keys) noexcept {
    ROPESCALE_ASSERT(cache.folded_factor() == 1.0);
    detail::angle_plan plan;
    plan.cache = &cache;
    plan.shift = true;
    detail::run_unchecked<Arch>(plan, layout, deltas, keys, rope_operand<T>{});
}

/// Rotates already-rotated keys by a per-token delta with cos/sin computed on the fly from
/// `table` (exact double angles; never the attention factor). The table and the deltas are
/// checked as the on-the-fly apply_rope's table and positions: check_usable's errors, and
/// |delta| <= position_limit(table), else position_out_of_range "positions[i]". Other errors
/// as the cached shift_rope.
template <class Arch = xsimd::default_arch, class T>
status shift_rope(const frequency_table& table, rotary_layout layout, position_span deltas,
                  rope_operand<T> keys) {
    return detail::run_checked<Arch>(detail::table_plan<Arch>(table, rotation_direction::forward,
                                                              attention_factor_mode::separate),
                                     layout, deltas, keys, rope_operand<T>{});
}

/// On-the-fly shift_rope without argument checks. noexcept; no allocation.
template <class Arch = xsimd::default_arch, class T>
void shift_rope_unchecked(const frequency_table& table, rotary_layout layout, position_span deltas,
                          rope_operand<T> keys) noexcept {
    detail::run_unchecked<Arch>(detail::table_plan<Arch>(table, rotation_direction::forward,
                                                         attention_factor_mode::separate),
                                layout, deltas, keys, rope_operand<T>{});
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_APPLY_HPP
