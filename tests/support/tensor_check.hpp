// Checking a rotation against the scalar reference, shared by the kernel tests (tests/kernels,
// through support.hpp), the robustness tests (tests/robustness) and the kernel fuzzer
// (fuzz/fuzz_kernels.cpp): element conversions, the bound on |kernel - reference| for one
// rotated output, a strided tensor with guard elements, and the comparison of a rotated
// tensor with the reference's. No GoogleTest here (the fuzzer links none): the checks return
// what differs as text, empty when nothing does, for EXPECT_* or an abort to report.
#ifndef ROPESCALE_TESTS_SUPPORT_TENSOR_CHECK_HPP
#define ROPESCALE_TESTS_SUPPORT_TENSOR_CHECK_HPP

#include <ropescale/apply.hpp>
#include <ropescale/half.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace kt {  // the test kit

namespace rs = ropescale;

// ---- element types

template <class T>
constexpr bool is_16bit = std::is_same<T, rs::fp16>::value || std::is_same<T, rs::bf16>::value;

template <class T>
double to_double(T v) {
    if constexpr (is_16bit<T>)
        return static_cast<double>(rs::to_float(v));
    else
        return static_cast<double>(v);
}

template <class T>
T from_double(double v) {
    if constexpr (std::is_same<T, rs::fp16>::value)
        return rs::to_fp16(static_cast<float>(v));
    else if constexpr (std::is_same<T, rs::bf16>::value)
        return rs::to_bf16(static_cast<float>(v));
    else
        return static_cast<T>(v);
}

template <class T>
const char* type_name() {
    if constexpr (std::is_same<T, float>::value)
        return "f32";
    else if constexpr (std::is_same<T, double>::value)
        return "f64";
    else if constexpr (std::is_same<T, rs::fp16>::value)
        return "f16";
    else
        return "bf16";
}

// Same bits (pass-through channels, guard regions, NaN payloads).
template <class T>
bool same_bits(const T& a, const T& b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Same size and bits, element for element.
template <class T, class A>
bool same_bytes(const std::vector<T, A>& a, const std::vector<T, A>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// ---- the bound

// One ulp of the storage format at magnitude |v| (the spacing of representable values there).
template <class T>
double storage_ulp(double v) {
    int e = 0;
    std::frexp(std::fabs(v), &e);  // |v| = f * 2^e, f in [0.5, 1): ulp = 2^(e - precision)
    if constexpr (std::is_same<T, float>::value)
        return std::ldexp(1.0, std::max(e, -125) - 24);
    else if constexpr (std::is_same<T, double>::value)
        return std::ldexp(1.0, std::max(e, -1021) - 53);
    else if constexpr (std::is_same<T, rs::fp16>::value)
        return std::ldexp(1.0, std::max(e, -13) - 11);
    else
        return std::ldexp(1.0, std::max(e, -125) - 8);
}

// Bound on |kernel - reference| for one output of a pair rotation
//   y1 = x1 c - x2 s,  y2 = x2 c + x1 s,  |c|, |s| <= m,
// computed in the work type W (float, or double for f64 elements), with the same c and s given
// to both (both get cos/sin rounded from the same double value, except on the fly where the
// kernel's vector sincos (within 2.3e-11 m of exact for float work types, ~4e-16 for double:
// detail/angles.hpp) and the reference's std::sin differ slightly before rounding, which can
// flip the rounding of c or s to W by one W ulp, 2^-24 relative for f32).
// Each of the two products and the sum rounds with relative error <= u = 2^-24 (f32) or 2^-53
// (f64); a fused multiply-add removes one rounding: the two paths differ by at most
// 3u (|x1| + |x2|) m from rounding plus 2u (|x1| + |x2|) m from a one-ulp difference in c or s,
// so 5u (|x1| + |x2|) m < 8u (|x1| + |x2|) m, the first term below (2^-21 for f32, 2^-50 for
// f64). Gradual underflow: a rounding in the subnormal range errs by up to eta/2 absolutely
// instead (eta = 2^-149 f32, 2^-1074 f64), at most 3 roundings per path: + 3 eta (only inputs
// near underflow notice it; the fuzzer generates them). 16-bit storage rounds both results
// once more: + one storage ulp at the larger magnitude (two values within b of each other
// round to values within b + 1 ulp). Valid while no intermediate overflows (an FMA and a
// separate multiply-add may then legitimately differ, finite vs inf).
template <class T>
double pair_bound(double x1, double x2, double m, double ref, double got) {
    const bool f64 = std::is_same<T, double>::value;
    const double u = f64 ? 0x1p-53 : 0x1p-24;
    const double eta = f64 ? std::numeric_limits<double>::denorm_min()
                           : static_cast<double>(std::numeric_limits<float>::denorm_min());
    double b = 8.0 * u * (std::fabs(x1) + std::fabs(x2)) * m + 3.0 * eta;
    if constexpr (is_16bit<T>) b += storage_ulp<T>(std::max(std::fabs(ref), std::fabs(got)));
    return b;
}

// ---- deterministic pseudo-random numbers (xorshift; no <random> distribution differences
// between standard libraries). `salt` separates streams: the kernel tests use the default,
// the fuzzer its own (its committed corpus was recorded with it).

struct rng {
    std::uint64_t s;
    explicit rng(std::uint64_t seed, std::uint64_t salt = 1)
        : s(seed * 0x9E3779B97F4A7C15ull + salt) {}
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    double unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }  // [0, 1)
    double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
    std::int64_t integer(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
        return lo + static_cast<std::int64_t>(next() % (static_cast<std::uint64_t>(hi - lo) + 1));
    }
    bool chance(unsigned per_256) { return (next() & 0xff) < per_256; }
};

// ---- a strided tensor with guard elements

// A [tokens][heads][head_dim] view with any strides (negative, zero: a broadcast input, heads
// overlapping: a refused output) inside a buffer that holds exactly the view's address range,
// a leading misalignment and `guard` elements at both ends. Every element outside the view
// starts as a sentinel bit pattern, so any write outside the view is found (guard_damage).
// Copies are deep (the view is an offset into the copy's own buffer).
template <class T>
struct strided_tensor {
    static constexpr unsigned char sentinel = 0xA5;
    static constexpr std::ptrdiff_t guard = 16;

    std::vector<T> buf;
    std::vector<unsigned char> inside;  // 1 where an element belongs to the view
    std::ptrdiff_t offset = 0;          // element (0, 0, 0)
    std::int64_t tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;
    std::ptrdiff_t head_stride = 0;

    strided_tensor(std::int64_t tokens_, int heads_, int head_dim_, std::ptrdiff_t token_stride_,
                   std::ptrdiff_t head_stride_, int misalign)
        : tokens(tokens_),
          heads(heads_),
          head_dim(head_dim_),
          token_stride(token_stride_),
          head_stride(head_stride_) {
        std::ptrdiff_t lo = 0,
                       hi = head_dim;  // the view's elements relative to (0, 0, 0): [lo, hi)
        if (tokens > 0 && heads > 0) {
            const std::ptrdiff_t t = (tokens - 1) * token_stride, h = (heads - 1) * head_stride;
            lo = std::min<std::ptrdiff_t>(0, t) + std::min<std::ptrdiff_t>(0, h);
            hi = std::max<std::ptrdiff_t>(0, t) + std::max<std::ptrdiff_t>(0, h) + head_dim;
        }
        const auto n = static_cast<std::size_t>(2 * guard + misalign + (hi - lo));
        buf.resize(n);
        std::memset(static_cast<void*>(buf.data()), sentinel, n * sizeof(T));
        inside.assign(n, 0);
        offset = guard + misalign - lo;
        for_each([&](std::int64_t t, int h, int c) {
            inside[static_cast<std::size_t>(index(t, h, c))] = 1;
        });
    }

    std::ptrdiff_t index(std::int64_t t, int h, int c) const {
        return offset + t * token_stride + static_cast<std::ptrdiff_t>(h) * head_stride + c;
    }
    T& at(std::int64_t t, int h, int c) { return buf[static_cast<std::size_t>(index(t, h, c))]; }
    const T& at(std::int64_t t, int h, int c) const {
        return buf[static_cast<std::size_t>(index(t, h, c))];
    }
    rs::heads_view<T> view() {
        return rs::make_heads_view(buf.data() + offset, tokens, heads, head_dim, token_stride,
                                   head_stride);
    }

    // f(t, h, c) for every element of the view, token by token, head by head.
    template <class F>
    void for_each(F&& f) const {
        for (std::int64_t t = 0; t < tokens; ++t)
            for (int h = 0; h < heads; ++h)
                for (int c = 0; c < head_dim; ++c) f(t, h, c);
    }
    // Every element of the view from next_value(), in for_each order.
    template <class G>
    void fill(G&& next_value) {
        for_each([&](std::int64_t t, int h, int c) { at(t, h, c) = next_value(); });
    }
    void fill_random(rng& r, double lo = -2.0, double hi = 2.0) {
        fill([&] { return from_double<T>(r.uniform(lo, hi)); });
    }

    // The whole buffer, view, guards and padding, bit for bit.
    bool same_bytes(const strided_tensor& o) const { return kt::same_bytes(buf, o.buf); }
    // Bytes outside the view that no longer hold the sentinel.
    std::size_t guard_damage() const {
        std::size_t bad = 0;
        for (std::size_t i = 0; i < buf.size(); ++i) {
            if (inside[i]) continue;
            const auto* b = reinterpret_cast<const unsigned char*>(&buf[i]);
            for (std::size_t k = 0; k < sizeof(T); ++k) bad += b[k] != sentinel;
        }
        return bad;
    }
};

// Token-major [tokens][heads][head_dim] with head_pad elements after each head, token_pad after
// each token, and `misalign` elements of offset (16 guard elements before it, so misalign 1 is
// never vector-aligned).
template <class T>
strided_tensor<T> padded_tensor(std::int64_t tokens, int heads, int head_dim, int head_pad,
                                int token_pad, int misalign) {
    const std::ptrdiff_t head_stride = head_dim + head_pad;
    return strided_tensor<T>(tokens, heads, head_dim, heads * head_stride + token_pad, head_stride,
                             misalign);
}

// ---- the comparison

// `got` (the kernel's output) against `want` (the scalar reference's), both rotations of
// `input`, with rotary_dim and layout of the call and m = the largest |c|, |s| (or inverse
// factor) of the call: every rotated output NaN where the reference is NaN, the same infinity
// where it is infinite, else within pair_bound; every pass-through channel a bitwise copy of
// the input. Returns the first `max_reports` differences, one per line, prefixed with `what`;
// empty when there are none. Any element accessor with at(t, h, c), tokens, heads, head_dim
// works (a strided_tensor, or a view adapter).
template <class T, class In, class Got, class Want>
std::string compare_rotated(const In& input, const Got& got, const Want& want, int rotary_dim,
                            rs::rotary_layout layout, double m, const std::string& what,
                            int max_reports = 5) {
    std::string report;
    int reported = 0;
    auto add = [&](const std::string& line) {
        if (reported++ < max_reports) report += what + " " + line + "\n";
    };
    auto show = [](double v) { return rs::detail::format_value(v); };
    const int pairs = rotary_dim / 2;
    for (std::int64_t t = 0; t < got.tokens; ++t) {
        for (int h = 0; h < got.heads; ++h) {
            const std::string where = "token " + std::to_string(t) + " head " + std::to_string(h);
            for (int i = 0; i < pairs; ++i) {
                const int i1 = layout == rs::rotary_layout::half_split ? i : 2 * i;
                const int i2 = layout == rs::rotary_layout::half_split ? i + pairs : 2 * i + 1;
                const double x1 = to_double<T>(input.at(t, h, i1));
                const double x2 = to_double<T>(input.at(t, h, i2));
                for (int ch : {i1, i2}) {
                    const double g = to_double<T>(got.at(t, h, ch));
                    const double w = to_double<T>(want.at(t, h, ch));
                    bool ok = true;
                    if (std::isnan(w) || std::isnan(g))
                        ok = std::isnan(w) && std::isnan(g);
                    else if (std::isinf(w) || std::isinf(g))
                        ok = w == g;
                    else
                        ok = std::fabs(g - w) <= pair_bound<T>(x1, x2, m, w, g);
                    if (!ok)
                        add(where + " channel " + std::to_string(ch) + ": got " + show(g) +
                            ", reference " + show(w) + " (x1 " + show(x1) + ", x2 " + show(x2) +
                            ", bound " + show(pair_bound<T>(x1, x2, m, w, g)) + ")");
                }
            }
            for (int ch = rotary_dim; ch < got.head_dim; ++ch)
                if (!same_bits(got.at(t, h, ch), input.at(t, h, ch)))
                    add(where + ": pass-through channel " + std::to_string(ch) + " changed");
        }
    }
    if (reported > max_reports)
        report += what + " ... " + std::to_string(reported - max_reports) + " more\n";
    return report;
}

}  // namespace kt

#endif  // ROPESCALE_TESTS_SUPPORT_TENSOR_CHECK_HPP
