// fuzz_kernels: differential libFuzzer target for the rotation kernels.
//
// The input bytes choose everything a caller can choose:
//   kernel      one of ropescale_kernel_isas (each its own translation unit, compiled with its
//               -m flags by ropescale_add_kernels; skipped when the CPU lacks it) or
//               dynamic_dispatch over them
//   table       a method of the registry (methods.hpp) with fuzzed parameters, or a raw
//               table of arbitrary inverse frequencies (in [0, 1], or 1 in 4 up to 2^24,
//               beyond the usable 2^20; attention factor in [1/4, 4]), head_dim, rotary_dim
//   tensors     element type (f32, f64, fp16, bf16), q and k head counts (0 allowed), tokens
//               (0 allowed), token-major or head-major, negative token strides, padding between
//               heads and tokens, misalignment, a broadcast input (token stride 0), in place or
//               out of place, values (NaN, +-inf, zeros and subnormals mixed in)
//   call        mode (cached, on the fly, shift from a cache or a table, inverse cached or on
//               the fly), folded or separate attention factor, layout, int32 or int64
//               positions (in range, at the edges, or one out of range: the edges of the
//               cache, or on the fly of the table's exact-angle domain, up to +-2^31), the
//               cache's size (sometimes one row past the table's domain)
//   buffers     one allocation per view (with guards), or, 1 input in 4, every view of the
//               call in one shared buffer: the slots of a fused [tokens][q in | k in | q out |
//               k out | pad] layout (token stride odd or even, negative or not), each view
//               left in its slot or moved (a few elements, a token, onto another view's slot),
//               so that views touch, interleave or overlap
// and checks, against the same call with Arch = ropescale::scalar_reference:
//   - both refuse (same code and field) or both succeed; a refused call writes nothing;
//   - the table rule and the angle domain, restated here: a table with an inverse frequency
//     above 2^20 is refused by every call (field "table.inv_freq[i]", the first one), a
//     cache by build_rope_cache; position_limit(table) is the largest L with L * f_max <= 2^31
//     (checked in __float128); an accepted call has every |position| * f_max <= 2^31 (where
//     the reference, rotation_sincos, is exact: angle.hpp), and a cache of more rows than
//     L + 1 is refused ("positions");
//   - the cache built by the kernel equals the reference cache within the cache contract;
//   - every rotated output is within the bound of tests/support/tensor_check.hpp
//     (kt::pair_bound) of the reference; NaN where the reference has NaN, the same infinity
//     where it has one;
//   - pass-through channels are bitwise copies of the input;
//   - nothing outside the output view is written (guard elements around the view, padding
//     between rows), and an out-of-place input is left untouched;
//   - shared buffer: views that share an element (an out-of-place input with any output, q's
//     output with k's; counted element by element) are refused with invalid_argument on
//     "q.out" or "k.out"; views left in their slots are accepted; an accepted call gives
//     every output the rotation of a copy of its input taken before the call (the reference
//     on separate buffers), and writes nothing outside the outputs.
// Any failed check aborts (a libFuzzer crash); ASan and UBSan watch every access.
//
// Values are kept below overflow of every intermediate (|x| <= 2^100 for f32/bf16, 2^1000 for
// f64, 16384 for fp16, with m <= 4): an overflow would make an FMA and a separate
// multiply-add legitimately differ (finite vs inf), outside the bound's contract. Subnormal
// values are generated: the bound's gradual-underflow term is for them.
//
// FUZZ_KERNELS_DESCRIBE=1 in the environment prints one line per input (kernel, type, mode,
// shapes, buffers, outcome): what a corpus file or a crash input exercises.
#include "fuzz_check.hpp"
#include "support/tensor_check.hpp"

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
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <ropescale_kernels.hpp>

namespace {

namespace rs = ropescale;

using kt::from_double;
using kt::to_double;

// Deterministic generator for bulk data (values, positions, factor lists): the input bytes
// pick its seed, so short inputs still drive large tensors. Its own salt: the committed corpus
// was recorded with this stream.
struct rng : kt::rng {
    explicit rng(std::uint64_t seed) : kt::rng(seed, 0x632BE59BD9B4E019ull) {}
};

// Largest magnitude generated (no intermediate overflows, see the file comment).
template <class T>
double max_magnitude() {
    if constexpr (std::is_same<T, double>::value)
        return std::ldexp(1.0, 1000);
    else if constexpr (std::is_same<T, rs::fp16>::value)
        return 16384.0;
    else
        return std::ldexp(1.0, 100);
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
            case 5:
                return from_double<T>(std::is_same<T, double>::value ? 1e-310
                                                                     : 1e-40);  // subnormal
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

// Geometry of one view, chosen from the bytes.
struct geometry {
    bool heads_major = false;
    bool reversed = false;   // negative token stride
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
    g.broadcast = (bits & 0x1c) == 0x1c;                                        // 1 in 8
    g.head_pad = (bits & 0xe0) == 0xe0 ? -1 : in.ConsumeIntegralInRange(0, 5);  // -1: 1 in 8
    g.token_pad = in.ConsumeIntegralInRange(0, 9);
    g.misalign = in.ConsumeIntegralInRange(0, 17);
    return g;
}

template <class T>
using tensor = kt::strided_tensor<T>;

template <class T>
tensor<T> make_tensor(const geometry& g, std::int64_t tokens, int heads, int head_dim) {
    std::ptrdiff_t hs, ts;
    if (g.heads_major) {  // [heads][tokens][head_dim]
        ts = head_dim + g.token_pad;
        hs = static_cast<std::ptrdiff_t>(tokens) * ts + g.head_pad;
        if (g.head_pad < 0) hs = head_dim - 1;  // rows overlap
    } else {                                    // [tokens][heads][head_dim]
        hs = head_dim + g.head_pad;
        ts = static_cast<std::ptrdiff_t>(heads) * hs + g.token_pad;
    }
    if (g.reversed) ts = -ts;
    if (g.broadcast) ts = 0;
    return tensor<T>(tokens, heads, head_dim, ts, hs, g.misalign);
}

// ---- tables

// Whether |p| * f <= 2^31, the exact-angle domain (angle.hpp), with the exact product: a
// position below 2^33 and a double have at most 33 + 53 bits, exact in __float128.
bool in_domain(std::int64_t p, double f) {
    const auto a = static_cast<__float128>(p < 0 ? -p : p) * static_cast<__float128>(f);
    return a <= static_cast<__float128>(0x1p31);
}

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
    // A method of the registry, or (the value past the last) a raw table.
    const int method = in.ConsumeIntegralInRange(0, static_cast<int>(rs::method_count));
    if (method == static_cast<int>(rs::method_count)) {
        // A raw table: inverse frequencies in [0, 1], or up to 2^24 (file comment).
        rs::frequency_table t;
        t.head_dim = head_dim;
        t.rotary_dim = rotary_dim;
        // 1 in 4 tables shifted up by 2^top: [2^(top - 40), 2^top], top up to 24.
        const double top = r.chance(64) ? r.uniform(0.0, 24.0) : 0.0;
        for (int i = 0; i < rotary_dim / 2; ++i)
            t.inv_freq.push_back(r.chance(16) ? 0.0 : std::exp2(r.uniform(-40.0, 0.0) + top));
        t.attention_factor = std::exp2(r.uniform(-2.0, 2.0));
        return t;
    }
    c.scaling = rs::default_method(static_cast<std::size_t>(method));
    // The parameters of each method; a method without a case here does not compile.
    std::visit(
        [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same<M, rs::plain>::value) {
            } else if constexpr (std::is_same<M, rs::linear>::value) {
                m.factor = factor;
            } else if constexpr (std::is_same<M, rs::ntk_aware>::value) {
                m.alpha = factor;
            } else if constexpr (std::is_same<M, rs::dynamic_ntk>::value) {
                m = rs::dynamic_ntk{factor, original};
                if (r.chance(64)) m.alpha = r.uniform(0.5, 2000.0);  // HunYuan's static table
            } else if constexpr (std::is_same<M, rs::ntk_by_parts>::value) {
                m.factor = factor;
                m.original_max_position_embeddings = original;
                m.ntk_factor = r.uniform(0.0, 1.0);
                m.extrapolation_factor = r.uniform(0.0, 1.0);
            } else if constexpr (std::is_same<M, rs::yarn>::value) {
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
            } else if constexpr (std::is_same<M, rs::dynamic_yarn>::value) {
                m.original_max_position_embeddings = original;
                m.max_position_embeddings = original * r.integer(1, 32);
                m.finetuned = r.chance(128);
            } else if constexpr (std::is_same<M, rs::llama3>::value) {
                m = rs::llama3{factor, 1.0, 4.0, original};
            } else if constexpr (std::is_same<M, rs::longrope>::value) {
                for (int i = 0; i < rotary_dim / 2; ++i) {
                    m.short_factor.push_back(r.uniform(1.0, 4.0));
                    m.long_factor.push_back(r.uniform(1.0, 64.0));
                }
                m.original_max_position_embeddings = original;
                m.max_position_embeddings = original * 32;
            } else if constexpr (std::is_same<M, rs::proportional>::value) {
                m.factor = factor;  // the pairs past rotary_dim / 2 get frequency 0
            } else if constexpr (std::is_same<M, rs::llama_cpp>::value) {
                // ggml's arguments: YaRN's ramp and magnitude when ext_factor != 0, per-pair
                // factors dividing theta (Llama 3.1's rope_freqs) sometimes.
                m.freq_scale = 1.0 / factor;
                m.n_ctx_orig = original;
                m.ext_factor = r.chance(128) ? r.uniform(0.0, 1.0) : 0.0;
                m.attn_factor = r.uniform(0.25, 4.0);
                m.beta_fast = r.uniform(1.0, 64.0);
                m.beta_slow = r.uniform(0.5, m.beta_fast);
                if (r.chance(64))
                    for (int i = 0; i < rotary_dim / 2; ++i)
                        m.freq_factors.push_back(r.uniform(1.0, 8.0));
            } else {
                static_assert(sizeof(M) == 0, "fuzz_kernels: give the new method its parameters");
            }
        },
        c.scaling);
    auto t = rs::compute_frequencies(c, opt);
    if (t) return std::move(*t);
    c.scaling = rs::plain{};  // e.g. NTK methods at rotary_dim 2
    auto p = rs::compute_frequencies(c);
    FUZZ_CHECK(static_cast<bool>(p), "plain table refused: " + p.err().what());
    return std::move(*p);
}

enum class mode {
    cached,
    on_the_fly,
    shift_cached,
    shift_table,
    inverse_cached,
    inverse_on_the_fly
};

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
            return rs::apply_rope<A>(table, cl.layout, pos, q, k, rs::rotation_direction::forward,
                                     cl.attention);
        case mode::shift_cached: return rs::shift_rope<A>(cache, cl.layout, pos, q);
        case mode::shift_table: return rs::shift_rope<A>(table, cl.layout, pos, q);
        case mode::inverse_cached:
            return rs::apply_rope<A>(cache, cl.layout, pos, q, k, rs::rotation_direction::inverse);
        case mode::inverse_on_the_fly:
            return rs::apply_rope<A>(table, cl.layout, pos, q, k, rs::rotation_direction::inverse,
                                     cl.attention);
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

// Cache contract (cache.hpp): each entry within 1e-7 + 2^-24 |v| of fl32(v); two caches that
// both meet it differ by at most twice that.
void compare_caches(const rs::rope_cache& a, const rs::rope_cache& b) {
    FUZZ_CHECK(a.size() == b.size() && a.rotary_dim() == b.rotary_dim(), "cache shapes differ");
    const std::size_t n =
        static_cast<std::size_t>(a.size()) * static_cast<std::size_t>(a.rotary_dim());
    for (std::size_t i = 0; i < n; ++i) {
        const double x = a.data()[i], y = b.data()[i];
        FUZZ_CHECK(std::fabs(x - y) <= 2e-7 + 0x1p-23 * std::max(std::fabs(x), std::fabs(y)),
                   "cache entry " + std::to_string(i) + ": " + rs::detail::format_value(x) +
                       " vs reference " + rs::detail::format_value(y));
    }
}

// `got` within the bound of `want`, pass-through channels copied (kt::compare_rotated).
template <class T, class In, class Got, class Want>
void compare(const In& input, const Got& got, const Want& want, int rotary_dim,
             rs::rotary_layout layout, double m, const char* what) {
    const std::string diff =
        kt::compare_rotated<T>(input, got, want, rotary_dim, layout, m, what, 3);
    FUZZ_CHECK(diff.empty(), "the kernel differs from the reference:\n" + diff);
}

bool describing() {
    static const bool on = [] {
        const char* v = std::getenv("FUZZ_KERNELS_DESCRIBE");
        return v != nullptr && *v != '\0' && *v != '0';
    }();
    return on;
}

const char* mode_name(mode md) {
    switch (md) {
        case mode::cached: return "cached";
        case mode::on_the_fly: return "on_the_fly";
        case mode::shift_cached: return "shift_cached";
        case mode::shift_table: return "shift_table";
        case mode::inverse_cached: return "inverse_cached";
        case mode::inverse_on_the_fly: return "inverse_on_the_fly";
    }
    return "?";
}

// ---- every view of the call in one shared buffer

// What the call rotates, as fuzz_one chose it.
struct call_shape {
    std::int64_t tokens = 0;
    int q_heads = 0;
    int k_heads = 0;  // 0 for shifts: they rotate one operand
    int head_dim = 0;
    int rotary_dim = 0;
    bool in_place = false;
    bool must_accept = false;  // positions in the domain
    bool table_usable = true;  // else every call is refused for the table, before any overlap
};

// Read access to one view of the shared buffer (head stride head_dim), for kt::compare_rotated.
template <class T>
struct placed_view {
    const T* data = nullptr;
    std::int64_t tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;
    const T& at(std::int64_t t, int h, int c) const {
        return data[t * token_stride + static_cast<std::ptrdiff_t>(h) * head_dim + c];
    }
};

// The views start in the slots of a fused layout, [tokens][q in | k in | q out | k out | pad]
// (pad 0 to 9 elements: odd or even token strides; tokens in reverse order half of the time),
// and the bytes move some of them: a few elements, a token, or onto another view's slot. The
// expected outcome is counted element by element: views that share an element (an
// out-of-place input with an output, q's output with k's) must be refused on "q.out" or
// "k.out"; views that share none may be refused for that reason only if something moved (the
// check is conservative for interleavings other than slots of one token stride); views left
// in their slots must be accepted. Accepted: every output is the rotation of a copy of its
// input taken before the call, and nothing outside the outputs changes. describe(text,
// status) is called before the checks.
template <class A, class T, class Describe, class CheckRule>
void fuzz_shared_buffer(FuzzedDataProvider& in, rng& r, unsigned special, const call& cl,
                        const rs::frequency_table& table, const rs::rope_cache& cache,
                        const rs::position_span& pos, const call_shape& c, const Describe& describe,
                        const CheckRule& check_rule) {
    enum { q_in, k_in, q_out, k_out };
    const int heads_of[4] = {c.q_heads, c.k_heads, c.q_heads, c.k_heads};
    std::ptrdiff_t slot[4];
    std::ptrdiff_t used = 0;
    for (int v = 0; v < 4; ++v) {
        slot[v] = used;
        used += static_cast<std::ptrdiff_t>(heads_of[v]) * c.head_dim;
    }
    const std::ptrdiff_t period = used + in.ConsumeIntegralInRange(0, 9);
    const std::ptrdiff_t ts = in.ConsumeBool() ? -period : period;
    std::ptrdiff_t offset[4];
    for (int v = 0; v < 4; ++v) {
        offset[v] = slot[v];
        switch (in.ConsumeIntegralInRange(0, 7)) {
            case 0:
                offset[v] +=
                    in.ConsumeIntegralInRange<std::ptrdiff_t>(-2 * c.head_dim, 2 * c.head_dim);
                break;
            case 1: offset[v] = slot[in.ConsumeIntegralInRange(0, 3)]; break;
            case 2: offset[v] += in.ConsumeBool() ? period : -period; break;
            default: break;
        }
    }
    if (c.in_place) {
        offset[q_out] = offset[q_in];
        offset[k_out] = offset[k_in];
    }
    bool moved = false;
    for (int v = 0; v < 4; ++v) moved |= offset[v] != slot[v] && !(c.in_place && v >= q_out);
    // Same strides everywhere: an operand whose views start at the same element is in place.
    const bool q_apart = offset[q_in] != offset[q_out];
    const bool k_apart = offset[k_in] != offset[k_out];
    const bool active[4] = {c.q_heads > 0, c.k_heads > 0, c.q_heads > 0 && q_apart,
                            c.k_heads > 0 && k_apart};

    // The buffer: every view's first element and every element, plus guards.
    const std::ptrdiff_t last_token = c.tokens > 0 ? (c.tokens - 1) * ts : 0;
    std::ptrdiff_t lo = offset[0], hi = offset[0];
    for (int v = 0; v < 4; ++v) {
        lo = std::min(lo, offset[v] + std::min<std::ptrdiff_t>(0, last_token));
        hi = std::max(hi, offset[v] + std::max<std::ptrdiff_t>(0, last_token) +
                              static_cast<std::ptrdiff_t>(heads_of[v]) * c.head_dim);
    }
    const std::ptrdiff_t guard = kt::strided_tensor<T>::guard;
    const auto size = static_cast<std::size_t>(hi - lo + 2 * guard);
    const std::ptrdiff_t origin = guard - lo;
    std::vector<T> buf(size);
    std::memset(static_cast<void*>(buf.data()), kt::strided_tensor<T>::sentinel, size * sizeof(T));
    auto index = [&](int v, std::int64_t t, int h, int ch) {
        return static_cast<std::size_t>(origin + offset[v] + t * ts +
                                        static_cast<std::ptrdiff_t>(h) * c.head_dim + ch);
    };
    auto for_each = [&](int v, auto&& f) {
        if (!active[v]) return;
        for (std::int64_t t = 0; t < c.tokens; ++t)
            for (int h = 0; h < heads_of[v]; ++h)
                for (int ch = 0; ch < c.head_dim; ++ch) f(index(v, t, h, ch), t, h, ch);
    };
    for (int v : {q_in, k_in})
        for_each(v, [&](std::size_t i, std::int64_t, int, int) {
            buf[i] = random_value<T>(r, special);
        });

    // Who reads and writes each element: 1 q's out-of-place input, 2 k's, 4 q's output, 8 k's.
    std::vector<unsigned char> role(size, 0);
    auto mark = [&](int v, unsigned char bit) {
        for_each(v, [&](std::size_t i, std::int64_t, int, int) { role[i] |= bit; });
    };
    mark(q_apart ? q_out : q_in, 4);
    mark(k_apart ? k_out : k_in, 8);
    if (q_apart) mark(q_in, 1);
    if (k_apart) mark(k_in, 2);
    const bool shared = std::any_of(role.begin(), role.end(), [](unsigned char b) {
        return ((b & 3) != 0 && (b & 12) != 0) || (b & 12) == 12;
    });
    const std::string text = "shared buffer, token stride " + std::to_string(ts) +
                             (moved ? ", views moved" : ", views in their slots") +
                             (shared ? ", elements shared" : ", no element shared");

    auto view = [&](std::vector<T>& b, int v) {
        return rs::make_heads_view(b.data() + origin + offset[v], c.tokens, heads_of[v], c.head_dim,
                                   ts, static_cast<std::ptrdiff_t>(c.head_dim));
    };
    auto operands = [&](std::vector<T>& b) {
        rs::rope_operand<T> q, k;
        if (c.q_heads > 0)
            q = q_apart ? rs::out_of_place(view(b, q_in), view(b, q_out))
                        : rs::in_place(view(b, q_in));
        if (c.k_heads > 0)
            k = k_apart ? rs::out_of_place(view(b, k_in), view(b, k_out))
                        : rs::in_place(view(b, k_in));
        return std::make_pair(q, k);
    };
    std::vector<T> mine = buf, theirs = buf;
    const auto [q, k] = operands(mine);
    const auto [qr, kr] = operands(theirs);
    const rs::status got = run<A, T>(cl, table, cache, pos, q, k);
    const rs::status want = run<rs::scalar_reference, T>(cl, table, cache, pos, qr, kr);
    describe(text, got);
    check_rule(got);

    FUZZ_CHECK(static_cast<bool>(got) == static_cast<bool>(want),
               text + ": kernel " + (got ? "accepted" : "refused (" + got.err().what() + ")") +
                   ", reference " + (want ? "accepted" : "refused (" + want.err().what() + ")"));
    if (!got) {
        const rs::error& e = got.err();
        FUZZ_CHECK(e.code == want.err().code && e.field == want.err().field,
                   "different errors: " + e.what() + " / " + want.err().what());
        FUZZ_CHECK(kt::same_bytes(mine, buf) && kt::same_bytes(theirs, buf),
                   "a refused call wrote: " + e.what());
        const bool overlap_error =
            e.code == rs::errc::invalid_argument && (e.field == "q.out" || e.field == "k.out");
        if (shared && e.field != "cache" && c.table_usable)
            FUZZ_CHECK(overlap_error, text + ": refused, but not for the overlap: " + e.what());
        if (overlap_error)
            FUZZ_CHECK(shared || moved, text + ": refused for an overlap: " + e.what());
        if (!shared && !moved && c.must_accept && c.table_usable)
            FUZZ_FAIL(text + ": a valid call was refused: " + e.what());
        return;
    }
    FUZZ_CHECK(!shared, text + ": views sharing an element were accepted");
    FUZZ_CHECK(c.table_usable, text + ": an unusable table was accepted");

    // Each operand alone, from a copy of its input into a buffer of its own, by the reference.
    const double m = bound_factor(cl, table, cache);
    for (const int v : {q_in, k_in}) {
        if (!active[v] || c.tokens == 0) continue;
        auto input = kt::padded_tensor<T>(c.tokens, heads_of[v], c.head_dim, 0, 0, 0);
        auto expected = input;
        input.for_each(
            [&](std::int64_t t, int h, int ch) { input.at(t, h, ch) = buf[index(v, t, h, ch)]; });
        const auto alone = rs::out_of_place(input.view(), expected.view());
        const rs::status s = v == q_in
                                 ? run<rs::scalar_reference, T>(cl, table, cache, pos, alone, {})
                                 : run<rs::scalar_reference, T>(cl, table, cache, pos, {}, alone);
        FUZZ_CHECK(static_cast<bool>(s),
                   "the reference refused a lone operand: " + (s ? std::string() : s.err().what()));
        const int out = v == q_in ? (q_apart ? q_out : q_in) : (k_apart ? k_out : k_in);
        for (const std::vector<T>* b : {&mine, &theirs}) {
            const placed_view<T> result{b->data() + origin + offset[out], c.tokens, heads_of[v],
                                        c.head_dim, ts};
            compare<T>(input, result, expected, c.rotary_dim, cl.layout, m,
                       b == &mine ? (v == q_in ? "q (shared buffer)" : "k (shared buffer)")
                                  : (v == q_in ? "reference q (shared buffer)"
                                               : "reference k (shared buffer)"));
        }
    }
    for (std::size_t i = 0; i < size; ++i)
        if ((role[i] & 12) == 0)
            FUZZ_CHECK(kt::same_bits(mine[i], buf[i]) && kt::same_bits(theirs[i], buf[i]),
                       text + ": element " +
                           std::to_string(static_cast<std::ptrdiff_t>(i) - origin) +
                           " outside the outputs changed");
}

// ---- one input

template <class A, class T>
void fuzz_one(FuzzedDataProvider& in) {
    const int head_dim = 2 * in.ConsumeIntegralInRange(1, 160);
    const int config_rotary_dim =
        in.ConsumeBool() ? head_dim : 2 * in.ConsumeIntegralInRange(1, head_dim / 2);
    const std::int64_t tokens = in.ConsumeIntegralInRange(0, 11);
    const int q_heads = in.ConsumeIntegralInRange(0, 6);
    const int k_heads = in.ConsumeIntegralInRange(0, 4);
    call cl;
    cl.md = static_cast<mode>(in.ConsumeIntegralInRange(0, 5));
    cl.layout = in.ConsumeBool() ? rs::rotary_layout::interleaved : rs::rotary_layout::half_split;
    cl.attention =
        in.ConsumeBool() ? rs::attention_factor_mode::separate : rs::attention_factor_mode::folded;
    const bool in_place = in.ConsumeBool();
    const bool pos64 = in.ConsumeBool();
    const geometry gq_in = pick_geometry(in), gq_out = pick_geometry(in);
    const geometry gk_in = pick_geometry(in), gk_out = pick_geometry(in);
    const unsigned special =
        in.ConsumeIntegralInRange(0, 3) == 0 ? in.ConsumeIntegral<std::uint8_t>() : 0;
    const int position_class = in.ConsumeIntegralInRange(0, 7);
    rng r(in.ConsumeIntegral<std::uint64_t>());

    std::int64_t seq_len = 0;
    const rs::frequency_table table = make_table(in, r, head_dim, config_rotary_dim, seq_len);
    // The table's rotated channels: the configuration's, except for a method that widens its
    // table to the whole head (proportional: pairs past the rotated part have frequency 0).
    const int rotary_dim = table.rotary_dim;
    for (const double f : table.inv_freq)
        FUZZ_CHECK(std::isfinite(f) && f >= 0.0,
                   "table with inv_freq " + rs::detail::format_value(f));
    // The table rule and the angle domain (file comment), restated from their definitions.
    std::size_t first_bad = table.inv_freq.size();
    double f_max = 0.0;
    for (std::size_t i = 0; i < table.inv_freq.size(); ++i) {
        if (table.inv_freq[i] > 0x1p20 && first_bad == table.inv_freq.size()) first_bad = i;
        f_max = std::max(f_max, table.inv_freq[i]);
    }
    const bool usable = first_bad == table.inv_freq.size();
    const std::string bad_field = "table.inv_freq[" + std::to_string(first_bad) + "]";
    const std::int64_t limit = rs::position_limit(table);
    const std::int64_t max_position = std::int64_t{1} << 31;
    FUZZ_CHECK(usable == (limit >= 0) && usable == static_cast<bool>(rs::check_usable(table)),
               "the table rule disagrees: largest inv_freq " + rs::detail::format_value(f_max) +
                   ", position_limit " + std::to_string(limit));
    if (usable)
        FUZZ_CHECK(limit <= max_position && in_domain(limit, f_max) &&
                       (limit == max_position || !in_domain(limit + 1, f_max)),
                   "position_limit " + std::to_string(limit) + " for largest inv_freq " +
                       rs::detail::format_value(f_max));

    // A cache sized so that building it stays cheap (<= 16k entries).
    const int pairs = rotary_dim / 2;
    const std::int64_t max_rows = std::max<std::int64_t>(1, 16384 / pairs);
    std::int64_t rows =
        std::min<std::int64_t>(max_rows, r.chance(128) ? r.integer(1, 64) : r.integer(1, 4096));
    // Rows up to position_limit only (inv_freq above 2^19), but 1 in 8 past it: refused.
    if (usable && rows > limit + 1 && !r.chance(32)) rows = limit + 1;
    const bool shift = cl.md == mode::shift_cached || cl.md == mode::shift_table;
    rs::attention_factor_mode cache_mode = cl.attention;
    if (cl.md == mode::shift_cached && !r.chance(16))
        cache_mode = rs::attention_factor_mode::separate;
    rs::rope_cache cache;
    if (cl.md == mode::cached || cl.md == mode::shift_cached || cl.md == mode::inverse_cached) {
        auto built = rs::build_rope_cache<A>(table, rows, cache_mode);
        auto reference = rs::build_rope_cache<rs::scalar_reference>(table, rows, cache_mode);
        const bool cache_ok = usable && in_domain(rows - 1, f_max);
        FUZZ_CHECK(static_cast<bool>(built) == cache_ok,
                   "cache of " + std::to_string(rows) + " rows, largest inv_freq " +
                       rs::detail::format_value(f_max) +
                       (built ? std::string(" accepted") : " refused: " + built.err().what()));
        FUZZ_CHECK(static_cast<bool>(reference) == cache_ok, "the reference cache disagrees");
        if (!cache_ok) {
            if (describing())
                std::fprintf(stderr, "fuzz_kernels: %s cache of %lld rows: %s\n", A::name(),
                             static_cast<long long>(rows),
                             built ? "accepted" : built.err().what().c_str());
            FUZZ_CHECK(built.err().code == reference.err().code &&
                           built.err().field == reference.err().field &&
                           built.err().field == (usable ? std::string("positions") : bad_field),
                       "cache refused: " + built.err().what() + " / " + reference.err().what());
            return;
        }
        compare_caches(*built, *reference);
        cache = std::move(*built);
    }

    // Positions (deltas for shifts) in the domain of the call, sometimes one outside it.
    const bool uses_cache =
        cl.md == mode::cached || cl.md == mode::shift_cached || cl.md == mode::inverse_cached;
    // On the fly: the table's domain (any |position| <= 2^31 when the table is unusable).
    const std::int64_t domain = usable ? limit : max_position;
    const std::int64_t hi = uses_cache ? cache.size() - 1 : domain;
    const std::int64_t lo = uses_cache ? (shift ? -hi : 0) : -domain;
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
        return p >= std::numeric_limits<std::int32_t>::min() &&
               p <= std::numeric_limits<std::int32_t>::max();
    });
    const rs::position_span pos =
        pos64 || !fits32 ? rs::position_span(p64) : rs::position_span(p32);
    const bool positions_valid = position_class != 7 || tokens == 0;
    // After any call of this input: an unusable table was refused for its first bad entry, and
    // an accepted call on the fly kept every angle in the exact-angle domain.
    auto check_rule = [&](const rs::status& s) {
        if (!usable)
            FUZZ_CHECK(!s && s.err().field == bad_field,
                       "a table with " + bad_field + " = " +
                           rs::detail::format_value(table.inv_freq[first_bad]) + ": " +
                           (s ? std::string("accepted") : s.err().what()));
        if (s && !uses_cache)
            for (const std::int64_t p : p64)
                FUZZ_CHECK(in_domain(p, f_max), "position " + std::to_string(p) +
                                                    " accepted with largest inv_freq " +
                                                    rs::detail::format_value(f_max));
    };

    auto describe = [&](const std::string& buffers, const rs::status& s) {
        if (!describing()) return;
        std::fprintf(stderr,
                     "fuzz_kernels: %s %s %s %s head_dim %d rotary_dim %d tokens %lld q_heads %d "
                     "k_heads %d %s, %s: %s\n",
                     A::name(), kt::type_name<T>(), mode_name(cl.md), rs::to_string(cl.layout),
                     head_dim, rotary_dim, static_cast<long long>(tokens), q_heads, k_heads,
                     in_place ? "in place" : "out of place", buffers.c_str(),
                     s ? "accepted" : s.err().what().c_str());
    };

    // One byte after everything the separate-buffer case reads (inputs recorded before it
    // existed keep their meaning when it is absent or its low bits are not 3).
    if ((in.ConsumeIntegral<std::uint8_t>() & 3) == 3) {
        call_shape c;
        c.tokens = tokens;
        c.q_heads = q_heads;
        c.k_heads = shift ? 0 : k_heads;
        c.head_dim = head_dim;
        c.rotary_dim = rotary_dim;
        c.in_place = in_place;
        c.must_accept = positions_valid;
        c.table_usable = usable;
        fuzz_shared_buffer<A, T>(in, r, special, cl, table, cache, pos, c, describe, check_rule);
        return;
    }

    // q and k (shifts rotate keys only: q is then the keys operand).
    tensor<T> q_in = make_tensor<T>(gq_in, tokens, q_heads, head_dim);
    tensor<T> k_in = make_tensor<T>(gk_in, tokens, k_heads, head_dim);
    q_in.fill([&] { return random_value<T>(r, special); });
    k_in.fill([&] { return random_value<T>(r, special); });
    tensor<T> q_out = make_tensor<T>(gq_out, tokens, q_heads, head_dim);
    tensor<T> k_out = make_tensor<T>(gk_out, tokens, k_heads, head_dim);
    const tensor<T> q_orig = q_in, k_orig = k_in, q_out_orig = q_out, k_out_orig = k_out;
    tensor<T> q_in_ref = q_in, k_in_ref = k_in, q_out_ref = q_out, k_out_ref = k_out;

    auto operands = [&](tensor<T>& qi, tensor<T>& ki, tensor<T>& qo, tensor<T>& ko) {
        if (in_place) return std::make_pair(rs::in_place(qi.view()), rs::in_place(ki.view()));
        return std::make_pair(rs::out_of_place(qi.view(), qo.view()),
                              rs::out_of_place(ki.view(), ko.view()));
    };
    auto [q, k] = operands(q_in, k_in, q_out, k_out);
    auto [qr, kr] = operands(q_in_ref, k_in_ref, q_out_ref, k_out_ref);
    const rs::status got = run<A, T>(cl, table, cache, pos, q, k);
    const rs::status want = run<rs::scalar_reference, T>(cl, table, cache, pos, qr, kr);
    describe("separate buffers", got);
    check_rule(got);

    FUZZ_CHECK(static_cast<bool>(got) == static_cast<bool>(want),
               std::string("kernel ") + (got ? "accepted" : "refused (" + got.err().what() + ")") +
                   ", reference " + (want ? "accepted" : "refused (" + want.err().what() + ")"));
    if (!got) {
        FUZZ_CHECK(got.err().code == want.err().code && got.err().field == want.err().field,
                   "different errors: " + got.err().what() + " / " + want.err().what());
        FUZZ_CHECK(!got.err().field.empty() || !got.err().message.empty(), "error without text");
        FUZZ_CHECK(q_in.same_bytes(q_orig) && k_in.same_bytes(k_orig) &&
                       q_out.same_bytes(q_out_orig) && k_out.same_bytes(k_out_orig),
                   "a refused call wrote: " + got.err().what());
        // Which calls must be accepted: positions in the domain and output rows that do not
        // overlap.
        auto rows_ok = [&](const geometry& g, int heads) {
            return (!g.broadcast || tokens <= 1) &&
                   (g.head_pad >= 0 || (heads <= 1 && tokens <= 1));
        };
        const bool k_operand = !shift;
        const bool valid = usable && positions_valid &&
                           rows_ok(in_place ? gq_in : gq_out, q_heads) &&
                           (!k_operand || rows_ok(in_place ? gk_in : gk_out, k_heads));
        if (valid) FUZZ_FAIL("a valid call was refused: " + got.err().what());
        return;
    }
    const double m = bound_factor(cl, table, cache);
    // k is rotated only when it is an operand of the call (not for shifts).
    const bool k_used = !shift;
    if (in_place) {
        compare<T>(q_orig, q_in, q_in_ref, rotary_dim, cl.layout, m, "q");
        FUZZ_CHECK(q_in.guard_damage() == 0, "q: write outside the view");
        if (k_used) compare<T>(k_orig, k_in, k_in_ref, rotary_dim, cl.layout, m, "k");
        FUZZ_CHECK(k_used || k_in.same_bytes(k_orig), "k changed by a shift of q");
        FUZZ_CHECK(k_in.guard_damage() == 0, "k: write outside the view");
    } else {
        compare<T>(q_orig, q_out, q_out_ref, rotary_dim, cl.layout, m, "q");
        FUZZ_CHECK(q_out.guard_damage() == 0, "q out: write outside the view");
        FUZZ_CHECK(q_in.same_bytes(q_orig), "q: out-of-place input modified");
        if (k_used) compare<T>(k_orig, k_out, k_out_ref, rotary_dim, cl.layout, m, "k");
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

// One of the compiled archs (skipped where the CPU lacks it) or run-time dispatch over them.
// Choice 0 is the last arch of the list (the baseline) and the list is walked backwards, so the
// committed corpus keeps choosing the arch it was recorded with (0 sse2, 1 avx2, 2 avx512bw).
template <std::size_t... I>
void kernel_choice(FuzzedDataProvider& in, std::index_sequence<I...>) {
    static const auto cpu = xsimd::available_architectures();
    const std::size_t choice = in.ConsumeIntegralInRange<std::size_t>(0, sizeof...(I));
    if (choice == sizeof...(I)) return fuzz_arch<ropescale_kernels::dispatch>(in);
    const auto one = [&](auto arch) {
        using Arch = decltype(arch);
        if (rs::detail::cpu_supports<Arch>(cpu)) fuzz_arch<Arch>(in);
    };
    ((choice == sizeof...(I) - 1 - I ? one(std::tuple_element_t<I, ropescale_kernels::archs>{})
                                     : void()),
     ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    kernel_choice(in, std::make_index_sequence<std::tuple_size<ropescale_kernels::archs>::value>{});
    return 0;
}
