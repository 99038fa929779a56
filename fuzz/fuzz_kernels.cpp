// fuzz_kernels: differential libFuzzer target for the rotation kernels.
//
// The input bytes choose everything a caller can choose:
//   kernel      sse2, fma3<avx2>, avx512bw (each its own translation unit, compiled with its
//               -m flags, like tests/kernels; skipped when the CPU lacks it) or
//               dynamic_dispatch over them
//   table       the method (plain, linear, ntk_aware, dynamic, ntk_by_parts, yarn, dynamic_yarn,
//               llama3, longrope, or a raw table of arbitrary inverse frequencies in
//               [0, 1] and attention factor in [1/4, 4]), head_dim, rotary_dim
//   tensors     element type (f32, f64, fp16, bf16), q and k head counts (0 allowed), tokens
//               (0 allowed), token-major or head-major, negative token strides, padding between
//               heads and tokens, misalignment, a broadcast input (token stride 0), in place or
//               out of place, values (NaN, +-inf, zeros and subnormals mixed in)
//   call        mode (cached, on the fly, shift from a cache or a table, inverse cached or on
//               the fly), folded or separate attention factor, layout, int32 or int64
//               positions (in range, at the edges, or one out of range)
// and checks, against the same call with Arch = ropescale::scalar_reference:
//   - both refuse (same code and field) or both succeed; a refused call writes nothing;
//   - the cache built by the kernel equals the reference cache within the cache contract;
//   - every rotated output is within the bound below of the reference; NaN where the
//     reference has NaN, the same infinity where it has one;
//   - pass-through channels are bitwise copies of the input;
//   - nothing outside the output view is written (guard elements around the view, padding
//     between rows), and an out-of-place input is left untouched.
// Any failed check aborts (a libFuzzer crash); ASan and UBSan watch every access.
//
// The bound is tests/kernels/support.hpp's pair_bound, restated here (that header needs
// GoogleTest) with one addition for values near underflow:
//   y1 = x1 c - x2 s, y2 = x2 c + x1 s, |c|, |s| <= m, computed in W (f32, or f64 for f64
//   elements) by both kernels from the same c, s (cached), or from c, s that may differ by one
//   W ulp (on the fly: vector sincos vs std::sin, ~4e-16 apart before the rounding to W).
//   Each product and the sum round with relative error <= u (2^-24 f32, 2^-53 f64); an FMA
//   removes one rounding: the two results differ by <= 3u (|x1| + |x2|) m from rounding and
//   2u (|x1| + |x2|) m from a one-ulp c or s: 5u(...) < 8u (|x1| + |x2|) m.
//   Gradual underflow (added here; the kernel tests never reach it): a rounding in the
//   subnormal range errs by up to eta/2 absolutely instead (eta = 2^-149 f32, 2^-1074 f64),
//   at most 3 roundings per kernel: + 3 eta.
//   16-bit storage rounds once more: + one storage ulp at the larger magnitude.
// Values are kept below overflow of every intermediate (|x| <= 2^100 for f32/bf16, 2^1000 for
// f64, 16384 for fp16, with m <= 4): an overflow would make an FMA and a separate
// multiply-add legitimately differ (finite vs inf), outside the documented contract.
#include <ropescale/dispatch.hpp>
#include <ropescale/ropescale.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#define FUZZ_X86 1
ROPESCALE_DECLARE_KERNELS(xsimd::sse2)
ROPESCALE_DECLARE_KERNELS(xsimd::fma3<xsimd::avx2>)
ROPESCALE_DECLARE_KERNELS(xsimd::avx512bw)
#else
#define FUZZ_X86 0
#endif

namespace {

namespace rs = ropescale;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "fuzz_kernels: CHECK FAILED: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}
#define FUZZ_CHECK(cond, what)      \
    do {                            \
        if (!(cond)) fail(what);    \
    } while (0)

// Deterministic generator for bulk data (values, positions, factor lists): the input bytes
// pick its seed, so short inputs still drive large tensors.
struct rng {
    std::uint64_t s;
    explicit rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    double unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
    std::int64_t integer(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
        return lo + static_cast<std::int64_t>(next() % (static_cast<std::uint64_t>(hi - lo) + 1));
    }
    bool chance(unsigned per_256) { return (next() & 0xff) < per_256; }
};

// ---- element types

template <class T>
double to_double(T v) {
    if constexpr (std::is_same<T, rs::fp16>::value || std::is_same<T, rs::bf16>::value)
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
constexpr bool is_16bit = std::is_same<T, rs::fp16>::value || std::is_same<T, rs::bf16>::value;

// Largest magnitude generated (no intermediate overflows, see the file comment).
template <class T>
double max_magnitude() {
    if constexpr (std::is_same<T, double>::value) return std::ldexp(1.0, 1000);
    else if constexpr (std::is_same<T, rs::fp16>::value) return 16384.0;
    else return std::ldexp(1.0, 100);
}

// One ulp of the storage format at |v| (tests/kernels/support.hpp storage_ulp).
template <class T>
double storage_ulp(double v) {
    int e = 0;
    std::frexp(std::fabs(v), &e);
    if constexpr (std::is_same<T, float>::value) return std::ldexp(1.0, std::max(e, -125) - 24);
    else if constexpr (std::is_same<T, double>::value) return std::ldexp(1.0, std::max(e, -1021) - 53);
    else if constexpr (std::is_same<T, rs::fp16>::value) return std::ldexp(1.0, std::max(e, -13) - 11);
    else return std::ldexp(1.0, std::max(e, -125) - 8);
}

// The bound of the file comment.
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

template <class T>
T random_value(rng& r, unsigned special_per_256) {
    if (r.chance(special_per_256)) {
        const double inf = std::numeric_limits<double>::infinity();
        switch (r.next() % 7) {
            case 0: return from_double<T>(std::nan(""));
            case 1: return from_double<T>(inf);
            case 2: return from_double<T>(-inf);
            case 3: return from_double<T>(0.0);
            case 4: return from_double<T>(-0.0);
            case 5: return from_double<T>(std::is_same<T, double>::value ? 1e-310 : 1e-40);  // subnormal
            default: return from_double<T>(-max_magnitude<T>());
        }
    }
    // Mostly O(1) values; sometimes anything up to the largest magnitude, log-uniform.
    const double sign = (r.next() & 1) ? -1.0 : 1.0;
    if (r.chance(224)) return from_double<T>(sign * r.uniform(0.0, 4.0));
    const double lo = std::is_same<T, double>::value ? -1070.0 : -148.0;
    const double hi = std::log2(max_magnitude<T>());
    return from_double<T>(sign * std::min(std::exp2(r.uniform(lo, hi)), max_magnitude<T>()));
}

// ---- tensors with guard elements

template <class T>
struct tensor {
    std::vector<T> buf;
    std::vector<unsigned char> inside;  // 1 where an element belongs to the view
    T* data = nullptr;
    std::int64_t tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;
    std::ptrdiff_t head_stride = 0;

    static constexpr unsigned char sentinel = 0xA5;
    static constexpr std::ptrdiff_t guard = 16;

    tensor(std::int64_t n, int h, int d, std::ptrdiff_t ts, std::ptrdiff_t hs, int misalign)
        : tokens(n), heads(h), head_dim(d), token_stride(ts), head_stride(hs) {
        std::ptrdiff_t lo = 0, hi = d;  // offsets of the view relative to `data`: [lo, hi)
        if (n > 0 && h > 0) {
            lo = std::min<std::ptrdiff_t>(0, (n - 1) * ts) + std::min<std::ptrdiff_t>(0, (h - 1) * hs);
            hi = std::max<std::ptrdiff_t>(0, (n - 1) * ts) + std::max<std::ptrdiff_t>(0, (h - 1) * hs) + d;
        }
        const std::size_t size = static_cast<std::size_t>(2 * guard + misalign + (hi - lo));
        buf.resize(size);
        std::memset(static_cast<void*>(buf.data()), sentinel, size * sizeof(T));
        inside.assign(size, 0);
        data = buf.data() + guard + misalign - lo;
        for (std::int64_t t = 0; t < n; ++t)
            for (int hh = 0; hh < h; ++hh)
                for (int c = 0; c < d; ++c) inside[static_cast<std::size_t>(index(t, hh, c))] = 1;
    }
    tensor(const tensor& o) : buf(o.buf), inside(o.inside), tokens(o.tokens), heads(o.heads),
          head_dim(o.head_dim), token_stride(o.token_stride), head_stride(o.head_stride) {
        data = buf.data() + (o.data - o.buf.data());
    }
    tensor& operator=(const tensor&) = delete;

    std::ptrdiff_t index(std::int64_t t, int h, int c) const {
        return (data - buf.data()) + t * token_stride + h * head_stride + c;
    }
    T& at(std::int64_t t, int h, int c) { return buf[static_cast<std::size_t>(index(t, h, c))]; }
    const T& at(std::int64_t t, int h, int c) const { return buf[static_cast<std::size_t>(index(t, h, c))]; }
    rs::heads_view<T> view() { return rs::make_heads_view(data, tokens, heads, head_dim, token_stride, head_stride); }
    void fill(rng& r, unsigned special_per_256) {
        for (std::int64_t t = 0; t < tokens; ++t)
            for (int h = 0; h < heads; ++h)
                for (int c = 0; c < head_dim; ++c) at(t, h, c) = random_value<T>(r, special_per_256);
    }
    bool same_bytes(const tensor& o) const {
        return std::memcmp(buf.data(), o.buf.data(), buf.size() * sizeof(T)) == 0;
    }
    // Elements outside the view whose bytes are no longer the sentinel.
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

// Geometry of one view, chosen from the bytes.
struct geometry {
    bool heads_major = false;
    bool reversed = false;  // negative token stride
    bool broadcast = false;  // token stride 0 (inputs only; outputs are then refused)
    int head_pad = 0;        // may be negative: overlapping rows, refused for outputs
    int token_pad = 0;
    int misalign = 0;
};

geometry pick_geometry(FuzzedDataProvider& in) {
    geometry g;
    const auto bits = in.ConsumeIntegral<std::uint8_t>();
    g.heads_major = bits & 1;
    g.reversed = bits & 2;
    g.broadcast = (bits & 0x1c) == 0x1c;  // 1 in 8
    g.head_pad = (bits & 0xe0) == 0xe0 ? -1 : in.ConsumeIntegralInRange(0, 5);  // -1: 1 in 8
    g.token_pad = in.ConsumeIntegralInRange(0, 9);
    g.misalign = in.ConsumeIntegralInRange(0, 17);
    return g;
}

template <class T>
tensor<T> make_tensor(const geometry& g, std::int64_t tokens, int heads, int head_dim) {
    std::ptrdiff_t hs, ts;
    if (g.heads_major) {  // [heads][tokens][head_dim]
        ts = head_dim + g.token_pad;
        hs = static_cast<std::ptrdiff_t>(tokens) * ts + g.head_pad;
        if (g.head_pad < 0) hs = head_dim - 1;  // rows overlap
    } else {  // [tokens][heads][head_dim]
        hs = head_dim + g.head_pad;
        ts = static_cast<std::ptrdiff_t>(heads) * hs + g.token_pad;
    }
    if (g.reversed) ts = -ts;
    if (g.broadcast) ts = 0;
    return tensor<T>(tokens, heads, head_dim, ts, hs, g.misalign);
}

// ---- tables

rs::frequency_table make_table(FuzzedDataProvider& in, rng& r, int head_dim, int rotary_dim,
                               std::int64_t& seq_len_used) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.rotary_dim = rotary_dim;
    const double thetas[] = {10000.0, 500000.0, 1e6, 2.0, 1.0001, 1e9};
    c.rope_theta = thetas[in.ConsumeIntegralInRange(0, 5)];
    const double factor = 1.0 + r.uniform(0.0, 63.0) * (r.chance(128) ? 1.0 : 0.0);
    const std::int64_t original = std::int64_t{1} << in.ConsumeIntegralInRange(4, 17);
    rs::table_options opt;
    if (r.chance(160)) opt.seq_len = r.integer(1, std::int64_t{1} << 24);
    seq_len_used = opt.seq_len.value_or(0);
    const int method = in.ConsumeIntegralInRange(0, 9);
    switch (method) {
        case 0: c.scaling = rs::plain{}; break;
        case 1: c.scaling = rs::linear{factor}; break;
        case 2: c.scaling = rs::ntk_aware{factor}; break;
        case 3: c.scaling = rs::dynamic_ntk{factor, original}; break;
        case 4: {
            rs::ntk_by_parts m;
            m.factor = factor;
            m.original_max_position_embeddings = original;
            m.ntk_factor = r.uniform(0.0, 1.0);
            m.extrapolation_factor = r.uniform(0.0, 1.0);
            c.scaling = m;
            break;
        }
        case 5: {
            rs::yarn m;
            m.factor = factor;
            m.original_max_position_embeddings = original;
            m.beta_fast = r.uniform(1.0, 64.0);
            m.beta_slow = r.uniform(0.5, m.beta_fast);
            m.truncate = r.chance(128);
            if (r.chance(64)) m.attention_factor = r.uniform(0.25, 4.0);
            if (r.chance(64)) {
                m.mscale = r.uniform(0.0, 1.0);
                m.mscale_all_dim = r.uniform(0.0, 1.0);
            }
            c.scaling = m;
            break;
        }
        case 6: {
            rs::dynamic_yarn m;
            m.original_max_position_embeddings = original;
            m.max_position_embeddings = original * r.integer(1, 32);
            m.finetuned = r.chance(128);
            c.scaling = m;
            break;
        }
        case 7: c.scaling = rs::llama3{factor, 1.0, 4.0, original}; break;
        case 8: {
            rs::longrope m;
            for (int i = 0; i < rotary_dim / 2; ++i) {
                m.short_factor.push_back(r.uniform(1.0, 4.0));
                m.long_factor.push_back(r.uniform(1.0, 64.0));
            }
            m.original_max_position_embeddings = original;
            m.max_position_embeddings = original * 32;
            c.scaling = m;
            break;
        }
        default: {  // a raw table: inverse frequencies in [0, 1] (angle.hpp's precision domain)
            rs::frequency_table t;
            t.head_dim = head_dim;
            t.rotary_dim = rotary_dim;
            for (int i = 0; i < rotary_dim / 2; ++i)
                t.inv_freq.push_back(r.chance(16) ? 0.0 : std::exp2(r.uniform(-40.0, 0.0)));
            t.attention_factor = std::exp2(r.uniform(-2.0, 2.0));
            return t;
        }
    }
    auto t = rs::compute_frequencies(c, opt);
    if (t) return std::move(*t);
    c.scaling = rs::plain{};  // e.g. NTK methods at rotary_dim 2
    auto p = rs::compute_frequencies(c);
    FUZZ_CHECK(static_cast<bool>(p), "plain table refused: " + p.err().what());
    return std::move(*p);
}

enum class mode { cached, on_the_fly, shift_cached, shift_table, inverse_cached, inverse_on_the_fly };

struct call {
    mode md = mode::cached;
    rs::rotary_layout layout = rs::rotary_layout::half_split;
    rs::attention_factor_mode attention = rs::attention_factor_mode::folded;
};

// Runs one call with kernel selector A.
template <class A, class T>
rs::status run(const call& cl, const rs::frequency_table& table, const rs::rope_cache& cache,
               const rs::position_span& pos, rs::rope_operand<T> q, rs::rope_operand<T> k) {
    switch (cl.md) {
        case mode::cached: return rs::apply_rope<A>(cache, cl.layout, pos, q, k);
        case mode::on_the_fly:
            return rs::apply_rope<A>(table, cl.layout, pos, q, k, rs::rotation_direction::forward, cl.attention);
        case mode::shift_cached: return rs::shift_rope<A>(cache, cl.layout, pos, q);
        case mode::shift_table: return rs::shift_rope<A>(table, cl.layout, pos, q);
        case mode::inverse_cached:
            return rs::apply_rope<A>(cache, cl.layout, pos, q, k, rs::rotation_direction::inverse);
        case mode::inverse_on_the_fly:
            return rs::apply_rope<A>(table, cl.layout, pos, q, k, rs::rotation_direction::inverse, cl.attention);
    }
    return rs::error{};
}

// The largest |c|, |s| (or its inverse) of the call: the m of the bound.
double bound_factor(const call& cl, const rs::frequency_table& table, const rs::rope_cache& cache) {
    double m = 1.0;
    switch (cl.md) {
        case mode::cached:
        case mode::inverse_cached: m = cache.folded_factor(); break;
        case mode::on_the_fly:
        case mode::inverse_on_the_fly:
            m = cl.attention == rs::attention_factor_mode::folded ? table.attention_factor : 1.0;
            break;
        default: break;
    }
    return std::max({m, 1.0 / m, 1.0});
}

template <class T>
void compare(const tensor<T>& input, const tensor<T>& got, const tensor<T>& want, int rotary_dim,
             rs::rotary_layout layout, double m, const char* what) {
    const int pairs = rotary_dim / 2;
    for (std::int64_t t = 0; t < got.tokens; ++t) {
        for (int h = 0; h < got.heads; ++h) {
            for (int i = 0; i < pairs; ++i) {
                const int i1 = layout == rs::rotary_layout::half_split ? i : 2 * i;
                const int i2 = layout == rs::rotary_layout::half_split ? i + pairs : 2 * i + 1;
                const double x1 = to_double(input.at(t, h, i1));
                const double x2 = to_double(input.at(t, h, i2));
                for (int ch : {i1, i2}) {
                    const double g = to_double(got.at(t, h, ch));
                    const double w = to_double(want.at(t, h, ch));
                    const std::string where = std::string(what) + " token " + std::to_string(t) +
                                              " head " + std::to_string(h) + " channel " +
                                              std::to_string(ch) + ": got " + rs::detail::format_value(g) +
                                              ", reference " + rs::detail::format_value(w) +
                                              " (x1 " + rs::detail::format_value(x1) + ", x2 " +
                                              rs::detail::format_value(x2) + ")";
                    if (std::isnan(w) || std::isnan(g)) {
                        FUZZ_CHECK(std::isnan(w) && std::isnan(g), "NaN mismatch at " + where);
                    } else if (std::isinf(w) || std::isinf(g)) {
                        FUZZ_CHECK(w == g, "infinity mismatch at " + where);
                    } else {
                        FUZZ_CHECK(std::fabs(g - w) <= pair_bound<T>(x1, x2, m, w, g),
                                   "outside the bound at " + where);
                    }
                }
            }
            for (int ch = rotary_dim; ch < got.head_dim; ++ch)
                FUZZ_CHECK(std::memcmp(&got.at(t, h, ch), &input.at(t, h, ch), sizeof(T)) == 0,
                           std::string(what) + ": pass-through channel " + std::to_string(ch) + " changed");
        }
    }
}

// Cache contract (cache.hpp): each entry within 1e-7 + 2^-24 |v| of fl32(v); two caches that
// both meet it differ by at most twice that.
void compare_caches(const rs::rope_cache& a, const rs::rope_cache& b) {
    FUZZ_CHECK(a.size() == b.size() && a.rotary_dim() == b.rotary_dim(), "cache shapes differ");
    const std::size_t n = static_cast<std::size_t>(a.size()) * static_cast<std::size_t>(a.rotary_dim());
    for (std::size_t i = 0; i < n; ++i) {
        const double x = a.data()[i], y = b.data()[i];
        FUZZ_CHECK(std::fabs(x - y) <= 2e-7 + 0x1p-23 * std::max(std::fabs(x), std::fabs(y)),
                   "cache entry " + std::to_string(i) + ": " + rs::detail::format_value(x) +
                       " vs reference " + rs::detail::format_value(y));
    }
}

template <class A, class T>
void fuzz_one(FuzzedDataProvider& in) {
    const int head_dim = 2 * in.ConsumeIntegralInRange(1, 160);
    const int rotary_dim = in.ConsumeBool() ? head_dim : 2 * in.ConsumeIntegralInRange(1, head_dim / 2);
    const std::int64_t tokens = in.ConsumeIntegralInRange(0, 11);
    const int q_heads = in.ConsumeIntegralInRange(0, 6);
    const int k_heads = in.ConsumeIntegralInRange(0, 4);
    call cl;
    cl.md = static_cast<mode>(in.ConsumeIntegralInRange(0, 5));
    cl.layout = in.ConsumeBool() ? rs::rotary_layout::interleaved : rs::rotary_layout::half_split;
    cl.attention = in.ConsumeBool() ? rs::attention_factor_mode::separate : rs::attention_factor_mode::folded;
    const bool in_place = in.ConsumeBool();
    const bool pos64 = in.ConsumeBool();
    const geometry gq_in = pick_geometry(in), gq_out = pick_geometry(in);
    const geometry gk_in = pick_geometry(in), gk_out = pick_geometry(in);
    const unsigned special = in.ConsumeIntegralInRange(0, 3) == 0 ? in.ConsumeIntegral<std::uint8_t>() : 0;
    const int position_class = in.ConsumeIntegralInRange(0, 7);
    rng r(in.ConsumeIntegral<std::uint64_t>());

    std::int64_t seq_len = 0;
    const rs::frequency_table table = make_table(in, r, head_dim, rotary_dim, seq_len);
    for (const double f : table.inv_freq)
        FUZZ_CHECK(std::isfinite(f) && f >= 0.0, "table with inv_freq " + rs::detail::format_value(f));

    // A cache sized so that building it stays cheap (<= 16k entries).
    const int pairs = rotary_dim / 2;
    const std::int64_t max_rows = std::max<std::int64_t>(1, 16384 / pairs);
    const std::int64_t rows = std::min<std::int64_t>(max_rows, r.chance(128) ? r.integer(1, 64) : r.integer(1, 4096));
    const bool shift = cl.md == mode::shift_cached || cl.md == mode::shift_table;
    rs::attention_factor_mode cache_mode = cl.attention;
    if (cl.md == mode::shift_cached && !r.chance(16)) cache_mode = rs::attention_factor_mode::separate;
    rs::rope_cache cache;
    if (cl.md == mode::cached || cl.md == mode::shift_cached || cl.md == mode::inverse_cached) {
        auto built = rs::build_rope_cache<A>(table, rows, cache_mode);
        FUZZ_CHECK(static_cast<bool>(built), "cache refused: " + (built ? std::string() : built.err().what()));
        auto reference = rs::build_rope_cache<rs::scalar_reference>(table, rows, cache_mode);
        FUZZ_CHECK(static_cast<bool>(reference), "reference cache refused");
        compare_caches(*built, *reference);
        cache = std::move(*built);
    }

    // Positions (deltas for shifts) in the domain of the call, sometimes one outside it.
    const bool uses_cache = cl.md == mode::cached || cl.md == mode::shift_cached || cl.md == mode::inverse_cached;
    const std::int64_t hi = uses_cache ? cache.size() - 1 : rs::max_cache_positions;
    const std::int64_t lo = uses_cache ? (shift ? -hi : 0) : -rs::max_cache_positions;
    std::vector<std::int64_t> p64(static_cast<std::size_t>(tokens));
    for (auto& p : p64) {
        switch (position_class) {
            case 0: p = std::min(hi, r.integer(std::max<std::int64_t>(lo, -16), 16)); break;
            case 1: p = r.chance(128) ? hi : lo; break;
            case 2: p = r.chance(128) ? hi - r.integer(0, 3) : lo + r.integer(0, 3); break;
            default: p = r.integer(lo, hi); break;
        }
        p = std::clamp(p, lo, hi);
    }
    if (position_class == 7 && tokens > 0)  // one position just outside the domain
        p64[static_cast<std::size_t>(r.integer(0, tokens - 1))] = r.chance(128) ? hi + 1 : lo - 1;
    std::vector<std::int32_t> p32;
    for (const auto p : p64) p32.push_back(static_cast<std::int32_t>(p));
    const bool fits32 = std::all_of(p64.begin(), p64.end(), [](std::int64_t p) {
        return p >= std::numeric_limits<std::int32_t>::min() && p <= std::numeric_limits<std::int32_t>::max();
    });
    const rs::position_span pos = pos64 || !fits32 ? rs::position_span(p64) : rs::position_span(p32);

    // q and k (shifts rotate keys only: q is then the keys operand).
    tensor<T> q_in = make_tensor<T>(gq_in, tokens, q_heads, head_dim);
    tensor<T> k_in = make_tensor<T>(gk_in, tokens, k_heads, head_dim);
    q_in.fill(r, special);
    k_in.fill(r, special);
    tensor<T> q_out = make_tensor<T>(gq_out, tokens, q_heads, head_dim);
    tensor<T> k_out = make_tensor<T>(gk_out, tokens, k_heads, head_dim);
    const tensor<T> q_orig = q_in, k_orig = k_in, q_out_orig = q_out, k_out_orig = k_out;
    tensor<T> q_in_ref = q_in, k_in_ref = k_in, q_out_ref = q_out, k_out_ref = k_out;

    auto operands = [&](tensor<T>& qi, tensor<T>& ki, tensor<T>& qo, tensor<T>& ko) {
        if (in_place) return std::make_pair(rs::in_place(qi.view()), rs::in_place(ki.view()));
        return std::make_pair(rs::out_of_place(qi.view(), qo.view()), rs::out_of_place(ki.view(), ko.view()));
    };
    auto [q, k] = operands(q_in, k_in, q_out, k_out);
    auto [qr, kr] = operands(q_in_ref, k_in_ref, q_out_ref, k_out_ref);
    const rs::status got = run<A, T>(cl, table, cache, pos, q, k);
    const rs::status want = run<rs::scalar_reference, T>(cl, table, cache, pos, qr, kr);

    FUZZ_CHECK(static_cast<bool>(got) == static_cast<bool>(want),
               std::string("kernel ") + (got ? "accepted" : "refused (" + got.err().what() + ")") +
                   ", reference " + (want ? "accepted" : "refused (" + want.err().what() + ")"));
    if (!got) {
        FUZZ_CHECK(got.err().code == want.err().code && got.err().field == want.err().field,
                   "different errors: " + got.err().what() + " / " + want.err().what());
        FUZZ_CHECK(!got.err().field.empty() || !got.err().message.empty(), "error without text");
        FUZZ_CHECK(q_in.same_bytes(q_orig) && k_in.same_bytes(k_orig) && q_out.same_bytes(q_out_orig) &&
                       k_out.same_bytes(k_out_orig),
                   "a refused call wrote: " + got.err().what());
        // Which calls must be accepted: positions in the domain, output rows that do not
        // overlap, and for a cached shift a cache without a folded factor.
        auto rows_ok = [&](const geometry& g, int heads) {
            return (!g.broadcast || tokens <= 1) && (g.head_pad >= 0 || (heads <= 1 && tokens <= 1));
        };
        const bool k_operand = !shift;
        const bool valid =
            (position_class != 7 || tokens == 0) &&
            rows_ok(in_place ? gq_in : gq_out, q_heads) &&
            (!k_operand || rows_ok(in_place ? gk_in : gk_out, k_heads)) &&
            !(cl.md == mode::shift_cached && cache.folded_factor() != 1.0);
        if (valid) fail("a valid call was refused: " + got.err().what());
        return;
    }
    const double m = bound_factor(cl, table, cache);
    // k is rotated only when it is an operand of the call (not for shifts).
    const bool k_used = !shift;
    if (in_place) {
        compare(q_orig, q_in, q_in_ref, rotary_dim, cl.layout, m, "q");
        FUZZ_CHECK(q_in.guard_damage() == 0, "q: write outside the view");
        if (k_used) compare(k_orig, k_in, k_in_ref, rotary_dim, cl.layout, m, "k");
        FUZZ_CHECK(k_used || k_in.same_bytes(k_orig), "k changed by a shift of q");
        FUZZ_CHECK(k_in.guard_damage() == 0, "k: write outside the view");
    } else {
        compare(q_orig, q_out, q_out_ref, rotary_dim, cl.layout, m, "q");
        FUZZ_CHECK(q_out.guard_damage() == 0, "q out: write outside the view");
        FUZZ_CHECK(q_in.same_bytes(q_orig), "q: out-of-place input modified");
        if (k_used) compare(k_orig, k_out, k_out_ref, rotary_dim, cl.layout, m, "k");
        FUZZ_CHECK(k_used || k_out.same_bytes(k_out_orig), "k out changed by a shift of q");
        FUZZ_CHECK(k_out.guard_damage() == 0, "k out: write outside the view");
        FUZZ_CHECK(k_in.same_bytes(k_orig), "k: out-of-place input modified");
    }
}

template <class A>
void fuzz_arch(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0: fuzz_one<A, float>(in); break;
        case 1: fuzz_one<A, double>(in); break;
        case 2: fuzz_one<A, rs::fp16>(in); break;
        default: fuzz_one<A, rs::bf16>(in); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
#if FUZZ_X86
    static const auto cpu = xsimd::available_architectures();
    switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0: fuzz_arch<xsimd::sse2>(in); break;
        case 1:
            if (cpu.avx2 && cpu.fma3_avx2) fuzz_arch<xsimd::fma3<xsimd::avx2>>(in);
            break;
        case 2:
            if (cpu.avx512f && cpu.avx512cd && cpu.avx512dq && cpu.avx512bw) fuzz_arch<xsimd::avx512bw>(in);
            break;
        default:
            fuzz_arch<rs::dynamic_dispatch<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>>(in);
            break;
    }
#else
    fuzz_arch<xsimd::default_arch>(in);
#endif
    return 0;
}
