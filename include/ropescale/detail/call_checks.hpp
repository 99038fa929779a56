// SPDX-License-Identifier: MIT
//
// Internal: the argument rule of the rotation entry points (apply.hpp), written once.
// find_fault applies it and returns the first rule the call breaks, as a small record and no
// message: that is all a valid call pays (comparisons, a few multiplies, no allocation, no
// string). describe_fault turns the record into the error, and runs only for a call that
// failed, so the checks and their messages cannot disagree.
//
// The rule, in the order the faults are reported:
//   - the layout is a rotary_layout;
//   - the angle source: a cache that is not empty, or a table check_usable accepts
//     (frequency_table.hpp; scan_table is its message-free core);
//   - each operand (q, then k) that is not absent: each view has tokens >= 0, heads >= 0,
//     the source's head_dim, data unless empty, and output rows that do not overlap; in and
//     out have the same shape; in and out share data only with the same strides (in place);
//     the operand has one token per position;
//   - aliasing: an out-of-place input shares no byte with any output, q's output none with
//     k's (see find_aliasing);
//   - positions: size >= 0, data unless empty, every position inside the domain of the
//     source: [0, size) of a cache, |delta| < size for a cache shift, |p| <= position_limit
//     of a table (the exact-angle domain, angle.hpp).
#ifndef ROPESCALE_DETAIL_CALL_CHECKS_HPP
#define ROPESCALE_DETAIL_CALL_CHECKS_HPP

#include "../angle.hpp"
#include "../cache.hpp"
#include "../config.hpp"
#include "../error.hpp"
#include "../frequency_table.hpp"
#include "../layout.hpp"
#include "../mrope.hpp"
#include "../views.hpp"
#include "plan.hpp"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// ---- Aliasing between the views of one call.
//
// The kernels walk token by token, q's heads then k's, reading each input element once and
// writing each output element once. That is exact when every output is either its own input
// (in place) or shares no memory with anything the call reads or writes; any other sharing
// makes the result depend on the visiting order (an output written before an input element
// it aliases is read). The check costs O(1) per call: a few multiplies and comparisons per
// view, plus one integer remainder when two address ranges interleave.

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
    std::uint64_t t_span;
    std::uint64_t h_span;
    bool t_neg;
    bool h_neg;
};

template <class Arch, class V>
ROPESCALE_ALWAYS_INLINE view_spans spans_of(const V& v) noexcept {
    using u64 = std::uint64_t;
    return {static_cast<u64>(v.tokens - 1) * static_cast<u64>(v.token_stride),
            static_cast<u64>(v.heads - 1) * static_cast<u64>(v.head_stride),
            v.token_stride < 0 && v.tokens > 1, v.head_stride < 0 && v.heads > 1};
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
// share nothing with k's output either). Absent operands and empty views share nothing; the
// two common calls (q alone out of place, q and k in place) are settled by apart_forward
// when their views are apart.
enum class aliasing : unsigned char {
    none,
    q_in_q_out,
    q_in_k_out,
    k_in_k_out,
    k_in_q_out,
    q_out_k_out
};

// The common case in a few instructions: the views that could meet have non-negative strides
// (then a view's bytes are [data, data + extent)) and those ranges are apart. False means
// "not shown": find_aliasing then decides.
template <class Arch, class V, class W>
ROPESCALE_ALWAYS_INLINE bool apart_forward(const V& a, const W& b) noexcept {
    using u64 = std::uint64_t;
    const auto end = [](const auto& v) {
        const u64 extent = static_cast<u64>(v.tokens - 1) * static_cast<u64>(v.token_stride) +
                           static_cast<u64>(v.heads - 1) * static_cast<u64>(v.head_stride) +
                           static_cast<u64>(v.head_dim);
        return static_cast<u64>(reinterpret_cast<std::uintptr_t>(v.data)) +
               extent * sizeof(*v.data);
    };
    const bool forward = (a.token_stride | a.head_stride | b.token_stride | b.head_stride) >= 0;
    const u64 a_lo = static_cast<u64>(reinterpret_cast<std::uintptr_t>(a.data));
    const u64 b_lo = static_cast<u64>(reinterpret_cast<std::uintptr_t>(b.data));
    return forward && (end(a) <= b_lo || end(b) <= a_lo);
}

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE aliasing find_aliasing(const rope_operand<T>& q,
                                               const rope_operand<T>& k) noexcept {
    const bool q_apart = !q.in_place();
    const bool k_apart = !k.in_place();
    const bool k_present = !k.empty();
    if (!q_apart && !k_apart && (q.empty() || !k_present)) return aliasing::none;
    if (!k_present && q_apart && apart_forward<Arch>(q.in, q.out)) return aliasing::none;
    if (!q_apart && !k_apart && apart_forward<Arch>(q.out, k.out)) return aliasing::none;
    const byte_span q_out = bytes_of<Arch>(q.out);
    const byte_span k_out = k_present ? bytes_of<Arch>(k.out) : byte_span{};
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

// ---- The rule.

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

// The first rule a call breaks (file comment). `where`: for a view fault, the view (0 q.in,
// 1 q.out, 2 k.in, 3 k.out); for an operand fault, the operand (0 q, 1 k); for aliasing, the
// aliasing value; for a position, its index in `index`.
enum class fault : unsigned char {
    none,
    layout,
    empty_cache,
    table,
    view_tokens,
    view_heads,
    view_head_dim,
    view_data,
    view_rows,
    operand_shape,
    operand_strides,
    operand_tokens,
    aliased,
    positions_size,
    positions_data,
    position,
};

struct call_fault {
    fault what;
    int where;
    std::int64_t index;
};

template <class Arch, class V>
ROPESCALE_ALWAYS_INLINE fault view_fault(const V& v, int head_dim, bool is_output) noexcept {
    if (v.tokens < 0) return fault::view_tokens;
    if (v.heads < 0) return fault::view_heads;
    if (v.head_dim != head_dim) return fault::view_head_dim;
    if (v.tokens > 0 && v.heads > 0 && v.data == nullptr) return fault::view_data;
    if (is_output &&
        !rows_disjoint<Arch>(v.tokens, v.heads, v.head_dim, v.token_stride, v.head_stride))
        return fault::view_rows;
    return fault::none;
}

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE call_fault operand_fault(const rope_operand<T>& o, int which, int head_dim,
                                                 std::int64_t tokens) noexcept {
    if (o.empty()) return {fault::none, 0, 0};
    if (const fault f = view_fault<Arch>(o.in, head_dim, false); f != fault::none)
        return {f, 2 * which, 0};
    if (const fault f = view_fault<Arch>(o.out, head_dim, true); f != fault::none)
        return {f, 2 * which + 1, 0};
    if (o.in.tokens != o.out.tokens || o.in.heads != o.out.heads)
        return {fault::operand_shape, which, 0};
    if (o.in.data == o.out.data && o.in.data != nullptr && o.out.tokens > 0 && !o.in_place())
        return {fault::operand_strides, which, 0};
    if (o.out.tokens != tokens) return {fault::operand_tokens, which, 0};
    return {fault::none, 0, 0};
}

// The index of the first position outside [lo, hi], or -1. A min / max reduction first (no
// branch per position); the search only when it found one.
template <class Arch, class P>
ROPESCALE_ALWAYS_INLINE std::int64_t first_outside(const P* p, std::int64_t n, std::int64_t lo,
                                                   std::int64_t hi) noexcept {
    std::int64_t mn = hi;
    std::int64_t mx = lo;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t v = p[i];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    if (mn >= lo && mx <= hi) return -1;
    for (std::int64_t i = 0;; ++i)
        if (p[i] < lo || p[i] > hi) return i;
}

// The positions a call accepts: [lo, hi].
struct position_domain {
    std::int64_t lo;
    std::int64_t hi;
};

template <class Arch>
ROPESCALE_ALWAYS_INLINE position_domain cache_domain(const angle_plan& plan) noexcept {
    const std::int64_t hi = plan.cache->size() - 1;
    return {plan.shift ? -hi : 0, hi};
}

template <class Arch, class T>
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
call_fault
find_fault(const angle_plan& plan, rotary_layout layout, const position_span& positions,
           const rope_operand<T>& q, const rope_operand<T>& k) noexcept {
    if (layout != rotary_layout::half_split && layout != rotary_layout::interleaved)
        return {fault::layout, 0, 0};
    int head_dim = 0;
    position_domain domain{0, 0};
    if (plan.cache != nullptr) {
        if (plan.cache->rotary_dim() <= 0) return {fault::empty_cache, 0, 0};
        head_dim = plan.cache->head_dim();
        domain = cache_domain<Arch>(plan);
    } else {
        const table_scan scan = scan_table(*plan.table);
        if (!scan.usable) return {fault::table, 0, 0};
        const std::int64_t limit = exact_position_limit(scan.max_inv_freq);
        domain = {-limit, limit};
        head_dim = plan.table->head_dim;
    }
    const std::int64_t n = positions.size();
    if (const call_fault f = operand_fault<Arch>(q, 0, head_dim, n); f.what != fault::none)
        return f;
    if (const call_fault f = operand_fault<Arch>(k, 1, head_dim, n); f.what != fault::none)
        return f;
    if (const aliasing a = find_aliasing<Arch>(q, k); a != aliasing::none)
        return {fault::aliased, static_cast<int>(a), 0};
    if (n < 0) return {fault::positions_size, 0, 0};
    if (n == 0) return {fault::none, 0, 0};
    std::int64_t bad = -1;
    if (positions.data64() != nullptr)
        bad = first_outside<Arch>(positions.data64(), n, domain.lo, domain.hi);
    else if (positions.data32() != nullptr)
        bad = first_outside<Arch>(positions.data32(), n, domain.lo, domain.hi);
    else
        return {fault::positions_data, 0, 0};
    if (bad >= 0) return {fault::position, 0, bad};
    return {fault::none, 0, 0};
}

// ---- M-RoPE calls (mrope.hpp): the rule above with the t stream as the positions, then
// the map (built for the source's rotary_dim) and the h and w streams (the t stream's size,
// data unless empty, every position inside the source's domain). `where` is the stream
// (1 h, 2 w), `index` the position's index.
enum class mrope_fault : unsigned char { none, map, size, data, position };

struct mrope_call_fault {
    mrope_fault what;
    int where;
    std::int64_t index;
};

template <class Arch>
ROPESCALE_ALWAYS_INLINE position_domain plan_domain(const angle_plan& plan) noexcept {
    if (plan.cache != nullptr) return cache_domain<Arch>(plan);
    const std::int64_t limit = exact_position_limit(scan_table(*plan.table).max_inv_freq);
    return {-limit, limit};
}

template <class Arch>
mrope_call_fault find_mrope_fault(const angle_plan& plan, const mrope_map& map,
                                  const mrope_streams& positions) noexcept {
    const int rotary_dim =
        plan.cache != nullptr ? plan.cache->rotary_dim() : plan.table->rotary_dim;
    if (map.rotary_dim() != rotary_dim) return {mrope_fault::map, 0, 0};
    const std::int64_t n = positions.size();
    for (int s = 1; s < 3; ++s)
        if (positions.stream(s).size() != n) return {mrope_fault::size, s, 0};
    if (n <= 0) return {mrope_fault::none, 0, 0};
    const position_domain d = plan_domain<Arch>(plan);
    for (int s = 1; s < 3; ++s) {
        const position_span& p = positions.stream(s);
        std::int64_t bad = -1;
        if (p.data64() != nullptr)
            bad = first_outside<Arch>(p.data64(), n, d.lo, d.hi);
        else if (p.data32() != nullptr)
            bad = first_outside<Arch>(p.data32(), n, d.lo, d.hi);
        else
            return {mrope_fault::data, s, 0};
        if (bad >= 0) return {mrope_fault::position, s, bad};
    }
    return {mrope_fault::none, 0, 0};
}

template <class Arch>
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline, cold))
#endif
error describe_mrope_fault(mrope_call_fault f, const angle_plan& plan, const mrope_map& map,
                           const mrope_streams& positions) {
    const std::string name = f.where == 1 ? "positions.h" : "positions.w";
    switch (f.what) {
        case mrope_fault::none: break;
        case mrope_fault::map: {
            const int rotary_dim =
                plan.cache != nullptr ? plan.cache->rotary_dim() : plan.table->rotary_dim;
            return error{errc::inconsistent, "mrope_map",
                         map.empty()
                             ? std::string("is empty (default-constructed)")
                             : "was made for rotary_dim " + std::to_string(map.rotary_dim()) +
                                   ", the " + (plan.cache != nullptr ? "cache" : "table") +
                                   " has " + std::to_string(rotary_dim)};
        }
        case mrope_fault::size:
            return error{errc::inconsistent, name,
                         "must have one position per token = " + std::to_string(positions.size()) +
                             " (got " + std::to_string(positions.stream(f.where).size()) + ")"};
        case mrope_fault::data:
            return error{errc::invalid_argument, name, "is null for a non-empty span"};
        case mrope_fault::position: {
            const position_domain d = plan_domain<Arch>(plan);
            return make_error(
                errc::position_out_of_range, name + "[" + std::to_string(f.index) + "]",
                std::string(plan.cache != nullptr
                                ? "is outside the cache"
                                : "is outside the exact-angle domain of the table") +
                    ": must be in [" + std::to_string(d.lo) + ", " + std::to_string(d.hi) + "]",
                static_cast<long long>(positions.stream(f.where)[f.index]));
        }
    }
    ROPESCALE_ASSERT(false);  // find_mrope_fault found nothing: no error to describe
    return error{errc::invalid_argument, "", "no fault"};
}

// ---- The messages (cold: only for a call find_fault refused).

template <class Arch>
std::string hex_range(const byte_span& r) {
    auto hex = [](std::uint64_t v) {
        char buf[24] = "0x";
        const auto res = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
        return std::string(buf, res.ptr);
    };
    return "[" + hex(r.lo) + ", " + hex(r.hi) + ")";
}

// The error for an aliasing: the field is the output that would be written over memory the
// call still needs, the message names the other view and both byte ranges.
template <class Arch, class T>
error aliasing_error(aliasing a, const rope_operand<T>& q, const rope_operand<T>& k) {
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

template <class Arch, class V>
error view_error(fault f, const V& v, const std::string& name, int head_dim) {
    switch (f) {
        case fault::view_tokens:
            return make_error(errc::out_of_range, name + ".tokens", "must be >= 0",
                              static_cast<long long>(v.tokens));
        case fault::view_heads:
            return make_error(errc::out_of_range, name + ".heads", "must be >= 0", v.heads);
        case fault::view_head_dim:
            return error{errc::inconsistent, name + ".head_dim",
                         "must equal the table's head_dim = " + std::to_string(head_dim) +
                             " (got " + std::to_string(v.head_dim) + ")"};
        case fault::view_data:
            return error{errc::invalid_argument, name + ".data", "is null for a non-empty view"};
        default:
            return error{errc::invalid_argument, name + ".head_stride",
                         "rows of the output view overlap (token_stride " +
                             std::to_string(v.token_stride) + ", head_stride " +
                             std::to_string(v.head_stride) + ", head_dim " +
                             std::to_string(v.head_dim) + ")"};
    }
}

// The error of the fault find_fault reported for these arguments.
template <class Arch, class T>
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline, cold))
#endif
error describe_fault(call_fault f, const angle_plan& plan, rotary_layout layout,
                     const position_span& positions, const rope_operand<T>& q,
                     const rope_operand<T>& k) {
    const int head_dim = plan.cache != nullptr ? plan.cache->head_dim() : plan.table->head_dim;
    const rope_operand<T>& o = f.where / 2 == 0 ? q : k;
    const char* op = (f.what >= fault::operand_shape ? f.where : f.where / 2) == 0 ? "q" : "k";
    switch (f.what) {
        case fault::none: break;
        case fault::layout:
            return make_error(errc::invalid_argument, "layout", "is not a rotary_layout",
                              static_cast<int>(layout));
        case fault::empty_cache:
            return error{errc::invalid_argument, "cache", "is empty (default-constructed)"};
        case fault::table: return check_usable(*plan.table).err();
        case fault::view_tokens:
        case fault::view_heads:
        case fault::view_head_dim:
        case fault::view_data:
        case fault::view_rows: {
            const std::string name = std::string(op) + (f.where % 2 == 0 ? ".in" : ".out");
            return f.where % 2 == 0 ? view_error<Arch>(f.what, o.in, name, head_dim)
                                    : view_error<Arch>(f.what, o.out, name, head_dim);
        }
        case fault::operand_shape: {
            const rope_operand<T>& x = f.where == 0 ? q : k;
            return error{errc::inconsistent, op,
                         "in and out must have the same shape (in " + std::to_string(x.in.tokens) +
                             " x " + std::to_string(x.in.heads) + ", out " +
                             std::to_string(x.out.tokens) + " x " + std::to_string(x.out.heads) +
                             ")"};
        }
        case fault::operand_strides:
            return error{errc::invalid_argument, op,
                         "in and out share data but not strides (neither in place nor disjoint)"};
        case fault::operand_tokens: {
            const rope_operand<T>& x = f.where == 0 ? q : k;
            return error{
                errc::inconsistent, std::string(op) + ".out.tokens",
                "must equal the number of positions = " + std::to_string(positions.size()) +
                    " (got " + std::to_string(x.out.tokens) + ")"};
        }
        case fault::aliased: return aliasing_error<Arch>(static_cast<aliasing>(f.where), q, k);
        case fault::positions_size:
            return make_error(errc::out_of_range, "positions", "size must be >= 0",
                              static_cast<long long>(positions.size()));
        case fault::positions_data:
            return error{errc::invalid_argument, "positions", "is null for a non-empty span"};
        case fault::position: {
            std::string what;
            position_domain d{0, 0};
            if (plan.cache != nullptr) {
                d = cache_domain<Arch>(plan);
                what = plan.shift ? "is a delta outside the cache: must be in"
                                  : "is outside the cache: must be in";
            } else {
                const double f_max = scan_table(*plan.table).max_inv_freq;
                const std::int64_t limit = exact_position_limit(f_max);
                d = {-limit, limit};
                what =
                    "is outside the exact-angle domain of the table, |position| * largest "
                    "inv_freq <= 2^31 (table.inv_freq[" +
                    std::to_string(max_inv_freq_index(*plan.table)) + "] = " + format_value(f_max) +
                    "): must be in";
            }
            return make_error(
                errc::position_out_of_range, "positions[" + std::to_string(f.index) + "]",
                what + " [" + std::to_string(d.lo) + ", " + std::to_string(d.hi) + "]",
                static_cast<long long>(positions[f.index]));
        }
    }
    ROPESCALE_ASSERT(false);  // find_fault found nothing: no error to describe
    return error{errc::invalid_argument, "", "no fault"};
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_CALL_CHECKS_HPP
