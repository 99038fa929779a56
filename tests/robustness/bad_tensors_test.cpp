// Bad and degenerate tensors, in every mode of the rotation API (cached, on the fly with the
// attention factor folded or separate, inverse cached and on the fly, shift from a cache and
// from a table), every element type and layout, in and out of place, on the default
// (static) kernel and on run-time dispatch (the best ISA of this CPU):
//   - NaN and infinities (on every compiled ISA the CPU runs as well) propagate like the
//     scalar reference and never crash: a NaN input makes both outputs of its pair NaN, an
//     infinity gives +-inf (NaN where the reference has inf * 0), every other pair stays
//     finite, pass-through channels keep their bits (NaN payloads included);
//   - zero tokens, zero heads, absent operands and empty position lists are no-ops that
//     succeed and touch nothing, including a head-major view of zero tokens;
//   - positions (and shift deltas) outside the cache or the exact-angle domain are refused in
//     every mode and position type, naming positions[i] and writing nothing;
//   - one rule for a usable table (check_usable): the same bad tables (hand-built, or built
//     by compute_frequencies from parameters that give an unusable table) are refused with the
//     same field by check_usable, compute_frequencies, build_rope_cache and every on-the-fly
//     entry point, on every kernel, writing nothing; the edges of the rule are accepted;
//   - overlapping buffers: in place is exact (bitwise the out-of-place result); views that
//     share memory otherwise (out of place over its own or the other operand's input, q's
//     output over k's, with any strides) are refused with invalid_argument naming both views,
//     writing nothing; views that only touch (adjacent buffers, q and k in the slots of a
//     fused qkv buffer, inputs read twice) and empty views are accepted and exact.
// NaN/inf and no-op calls are tested here only; tests/kernels/apply_test.cpp has the other
// argument errors.
#include "isa_kernels.hpp"
#include "support/tensor_check.hpp"

#include <gtest/gtest.h>

#include <ropescale/dispatch.hpp>
#include <ropescale/ropescale.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace {

namespace rs = ropescale;
using kt::from_double;
using kt::to_double;
using kt::type_name;
using robustness::dispatched;

enum class mode {
    cached,
    on_the_fly,
    on_the_fly_separate,
    inverse_cached,
    inverse_on_the_fly,
    shift_cached,
    shift_table
};
const mode all_modes[] = {mode::cached,         mode::on_the_fly,         mode::on_the_fly_separate,
                          mode::inverse_cached, mode::inverse_on_the_fly, mode::shift_cached,
                          mode::shift_table};

const char* name(mode m) {
    switch (m) {
        case mode::cached: return "cached";
        case mode::on_the_fly: return "on_the_fly";
        case mode::on_the_fly_separate: return "on_the_fly_separate";
        case mode::inverse_cached: return "inverse_cached";
        case mode::inverse_on_the_fly: return "inverse_on_the_fly";
        case mode::shift_cached: return "shift_cached";
        case mode::shift_table: return "shift_table";
    }
    return "?";
}

bool is_shift(mode m) { return m == mode::shift_cached || m == mode::shift_table; }
bool is_cached(mode m) {
    return m == mode::cached || m == mode::inverse_cached || m == mode::shift_cached;
}

// head_dim 128, rotary_dim 96 (a partial rotary: 32 pass-through channels), YaRN (m = 1.139).
struct env {
    rs::frequency_table table;
    rs::rope_cache folded;
    rs::rope_cache pure;
    env() {
        rs::rope_config c;
        c.head_dim = 128;
        c.rotary_dim = 96;
        rs::yarn y;
        y.factor = 4.0;
        y.original_max_position_embeddings = 4096;
        c.scaling = y;
        table = *rs::compute_frequencies(c);
        folded = *rs::build_rope_cache(table, 512, rs::attention_factor_mode::folded);
        pure = *rs::build_rope_cache(table, 512, rs::attention_factor_mode::separate);
    }
};

const env& shared_env() {
    static const env e;
    return e;
}

// One call of `m` with kernel A (shifts rotate q only: the keys operand).
template <class A, class T>
rs::status call(mode m, rs::rotary_layout layout, rs::position_span pos, rs::rope_operand<T> q,
                rs::rope_operand<T> k = {}) {
    const env& e = shared_env();
    switch (m) {
        case mode::cached: return rs::apply_rope<A>(e.folded, layout, pos, q, k);
        case mode::on_the_fly: return rs::apply_rope<A>(e.table, layout, pos, q, k);
        case mode::on_the_fly_separate:
            return rs::apply_rope<A>(e.table, layout, pos, q, k, rs::rotation_direction::forward,
                                     rs::attention_factor_mode::separate);
        case mode::inverse_cached:
            return rs::apply_rope<A>(e.folded, layout, pos, q, k, rs::rotation_direction::inverse);
        case mode::inverse_on_the_fly:
            return rs::apply_rope<A>(e.table, layout, pos, q, k, rs::rotation_direction::inverse);
        case mode::shift_cached: return rs::shift_rope<A>(e.pure, layout, pos, q);
        case mode::shift_table: return rs::shift_rope<A>(e.table, layout, pos, q);
    }
    return rs::error{};
}

constexpr int tokens = 6, heads = 3, head_dim = 128, rotary = 96, pairs = 48;

// Channels of pair i in a head.
int first(rs::rotary_layout l, int i) { return l == rs::rotary_layout::half_split ? i : 2 * i; }
int second(rs::rotary_layout l, int i) {
    return l == rs::rotary_layout::half_split ? i + pairs : 2 * i + 1;
}

// ---------------------------------------------------------------------------------------------
// NaN and infinities

template <class A, class T>
void nonfinite_case(mode m, rs::rotary_layout layout, bool in_place) {
    SCOPED_TRACE(std::string(name(m)) + " " + rs::to_string(layout) + " " + type_name<T>() +
                 (in_place ? " in_place" : " out_of_place"));
    auto x = kt::padded_tensor<T>(tokens, heads, head_dim, 0, 0, 0);
    double phase = 0.0;
    x.fill([&] { return from_double<T>(std::sin(0.37 * phase++)); });
    const double inf = std::numeric_limits<double>::infinity();
    // Token 0 head 0: NaN in the first channel of pair 0; token 1 head 2: +inf in the second
    // channel of pair 5; token 2 head 1: -inf in both channels of pair 47; token 3: NaN and inf
    // in the pass-through channels; token 4 head 0: NaN in pair 7 and inf in pair 8.
    x.at(0, 0, first(layout, 0)) = from_double<T>(std::nan(""));
    x.at(1, 2, second(layout, 5)) = from_double<T>(inf);
    x.at(2, 1, first(layout, 47)) = from_double<T>(-inf);
    x.at(2, 1, second(layout, 47)) = from_double<T>(-inf);
    x.at(3, 0, rotary + 3) = from_double<T>(std::nan(""));
    x.at(3, 1, head_dim - 1) = from_double<T>(inf);
    x.at(4, 0, first(layout, 7)) = from_double<T>(-std::nan(""));
    x.at(4, 0, second(layout, 8)) = from_double<T>(-inf);
    // Positions 0 (sin = 0: inf * 0), small, large; deltas for shifts may be negative.
    std::vector<std::int32_t> pos = {0, 3, 511, 0, 100, 257};
    if (is_shift(m)) pos = {0, -3, 511, 0, -100, 257};

    auto run = [&](auto arch, kt::strided_tensor<T>& in, kt::strided_tensor<T>& out) {
        using Arch = decltype(arch);
        if (in_place) return call<Arch, T>(m, layout, pos, rs::in_place(in.view()));
        return call<Arch, T>(m, layout, pos, rs::out_of_place(in.view(), out.view()));
    };
    // The output one element off the input's alignment: the kernels' unaligned paths too.
    const auto out0 = kt::padded_tensor<T>(tokens, heads, head_dim, 0, 0, 1);
    auto in_a = x, out_a = out0, in_r = x, out_r = out0;
    const auto s = run(A{}, in_a, out_a);
    ASSERT_TRUE(s) << s.err().what();
    ASSERT_TRUE(run(rs::scalar_reference{}, in_r, out_r));
    const auto& got = in_place ? in_a : out_a;
    const auto& want = in_place ? in_r : out_r;
    if (!in_place) {
        EXPECT_TRUE(in_a.same_bytes(x)) << "out-of-place input modified";
    }
    EXPECT_EQ(got.guard_damage(), 0u);
    // NaN where the reference has NaN, its infinities, the bound elsewhere, pass-through bits
    // (NaN payloads included).
    const double f = shared_env().table.attention_factor;
    EXPECT_EQ(
        kt::compare_rotated<T>(x, got, want, rotary, layout, std::max({f, 1.0 / f, 1.0}), "output"),
        "");

    // And what the values must be, whatever the reference says: NaN from a NaN input, a
    // non-finite value from an infinite one, finite values from finite inputs.
    int nans = 0, infs = 0;
    for (int t = 0; t < tokens; ++t)
        for (int h = 0; h < heads; ++h)
            for (int i = 0; i < pairs; ++i) {
                const double x1 = to_double(x.at(t, h, first(layout, i)));
                const double x2 = to_double(x.at(t, h, second(layout, i)));
                for (int ch : {first(layout, i), second(layout, i)}) {
                    const double g = to_double(got.at(t, h, ch));
                    const std::string where = "token " + std::to_string(t) + " head " +
                                              std::to_string(h) + " channel " + std::to_string(ch);
                    if (std::isnan(x1) || std::isnan(x2)) {
                        EXPECT_TRUE(std::isnan(g)) << where << ": NaN input, got " << g;
                    } else if (std::isfinite(x1) && std::isfinite(x2)) {
                        EXPECT_TRUE(std::isfinite(g)) << where << ": finite inputs, got " << g;
                    } else {
                        EXPECT_FALSE(std::isfinite(g)) << where << ": infinite input, got " << g;
                    }
                    nans += std::isnan(g);
                    infs += std::isinf(g);
                }
            }
    EXPECT_GE(nans, 4);  // pairs 0 and 7 at least
    EXPECT_GE(infs, 1);
}

template <class A>
void nonfinite_all() {
    for (mode m : all_modes)
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
            for (bool in_place : {true, false}) {
                nonfinite_case<A, float>(m, layout, in_place);
                nonfinite_case<A, double>(m, layout, in_place);
                nonfinite_case<A, rs::fp16>(m, layout, in_place);
                nonfinite_case<A, rs::bf16>(m, layout, in_place);
            }
}

TEST(bad_tensors, nan_and_inf_propagate_in_every_mode_static_kernel) {
    nonfinite_all<xsimd::default_arch>();
}
TEST(bad_tensors, nan_and_inf_propagate_in_every_mode_dispatched_kernel) {
    nonfinite_all<dispatched>();
}
TEST(bad_tensors, nan_and_inf_propagate_in_every_mode_every_isa_kernel) {
    int visited = 0;
    robustness::for_each_available_arch([&](auto arch, const char* isa) {
        SCOPED_TRACE(isa);
        nonfinite_all<decltype(arch)>();
        ++visited;
    });
    EXPECT_GE(visited, 1);  // the baseline set at least
}

// ---------------------------------------------------------------------------------------------
// No-ops

template <class A, class T>
void noop_case(mode m, rs::rotary_layout layout) {
    SCOPED_TRACE(std::string(name(m)) + " " + rs::to_string(layout) + " " + type_name<T>());
    std::vector<T> buf(static_cast<std::size_t>(4) * heads * head_dim, from_double<T>(0.75));
    const auto before = buf;
    const std::vector<std::int64_t> none;
    const std::vector<std::int64_t> one = {7};
    // zero tokens, empty positions
    EXPECT_TRUE((call<A, T>(m, layout, none,
                            rs::in_place(rs::make_heads_view(buf.data(), 0, heads, head_dim)))));
    // zero tokens and a null pointer
    EXPECT_TRUE((call<A, T>(m, layout, none,
                            rs::in_place(rs::make_heads_view<T>(nullptr, 0, heads, head_dim)))));
    // zero tokens in a head-major view [heads][tokens][head_dim]: head_stride = tokens *
    // head_dim = 0. No rows exist, so none can overlap.
    EXPECT_TRUE((
        call<A, T>(m, layout, none,
                   rs::in_place(rs::make_heads_view(buf.data(), 0, heads, head_dim, head_dim, 0)))))
        << "a head-major view of zero tokens is refused";
    // zero heads (and a null pointer), one position
    EXPECT_TRUE((
        call<A, T>(m, layout, one, rs::in_place(rs::make_heads_view(buf.data(), 1, 0, head_dim)))));
    EXPECT_TRUE((
        call<A, T>(m, layout, one, rs::in_place(rs::make_heads_view<T>(nullptr, 1, 0, head_dim)))));
    // absent operands
    EXPECT_TRUE((call<A, T>(m, layout, one, rs::rope_operand<T>{}, rs::rope_operand<T>{})));
    EXPECT_TRUE((call<A, T>(m, layout, none, rs::rope_operand<T>{}, rs::rope_operand<T>{})));
    // zero tokens out of place
    std::vector<T> out = buf;
    EXPECT_TRUE(
        (call<A, T>(m, layout, none,
                    rs::out_of_place(rs::make_heads_view(buf.data(), 0, heads, head_dim),
                                     rs::make_heads_view(out.data(), 0, heads, head_dim)))));
    EXPECT_TRUE(kt::same_bytes(buf, before));
    EXPECT_TRUE(kt::same_bytes(out, before));
}

template <class A>
void noop_all() {
    for (mode m : all_modes)
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
            noop_case<A, float>(m, layout);
            noop_case<A, double>(m, layout);
            noop_case<A, rs::fp16>(m, layout);
            noop_case<A, rs::bf16>(m, layout);
        }
    // The in-place overloads (heads_view operands) with nothing to do.
    const env& e = shared_env();
    std::vector<float> buf(heads * head_dim, 1.5f);
    const auto before = buf;
    const std::vector<std::int32_t> none;
    const auto empty = rs::make_heads_view(buf.data(), 0, heads, head_dim);
    EXPECT_TRUE(rs::apply_rope<A>(e.folded, rs::rotary_layout::interleaved, none, empty));
    EXPECT_TRUE(rs::apply_rope<A>(e.table, rs::rotary_layout::interleaved, none, empty, empty));
    EXPECT_TRUE(rs::shift_rope<A>(e.pure, rs::rotary_layout::interleaved, none, empty));
    EXPECT_TRUE(rs::shift_rope<A>(e.table, rs::rotary_layout::interleaved, none, empty));
    // The unchecked entry points with nothing to do.
    const auto op = rs::in_place(empty);
    rs::apply_rope_unchecked<A>(e.folded, rs::rotary_layout::interleaved, none, op);
    rs::apply_rope_unchecked<A>(e.table, rs::rotary_layout::interleaved, none, op);
    rs::shift_rope_unchecked<A>(e.pure, rs::rotary_layout::interleaved, none, op);
    rs::shift_rope_unchecked<A>(e.table, rs::rotary_layout::interleaved, none, op);
    EXPECT_TRUE(kt::same_bytes(buf, before));
}

TEST(bad_tensors, empty_calls_are_noops_in_every_mode_static_kernel) {
    noop_all<xsimd::default_arch>();
}
TEST(bad_tensors, empty_calls_are_noops_in_every_mode_dispatched_kernel) { noop_all<dispatched>(); }

// ---------------------------------------------------------------------------------------------
// Positions outside the domain

template <class A>
void outside_case(mode m, bool int64) {
    SCOPED_TRACE(std::string(name(m)) + (int64 ? " int64" : " int32"));
    const env& e = shared_env();
    const std::int64_t n = e.folded.size();  // 512
    // The domain: [0, n) cached; |delta| < n for a cached shift; on the fly the table's
    // exact-angle domain, |p| <= position_limit(table) (2^31 here: every inv_freq <= 1).
    const std::int64_t limit = rs::position_limit(e.table);
    EXPECT_EQ(limit, rs::max_exact_position);
    std::vector<std::int64_t> outside;
    if (m == mode::shift_cached) {
        outside = {n, -n, n + 1000, -(n + 1)};
    } else if (is_cached(m)) {
        outside = {n, -1, n + 1, std::numeric_limits<std::int32_t>::min()};
    } else {
        outside = {limit + 1, -limit - 1};
    }
    if (int64) {
        outside.push_back(std::numeric_limits<std::int64_t>::max());
        outside.push_back(std::numeric_limits<std::int64_t>::min());
    }
    const auto hs = rs::rotary_layout::half_split;
    std::vector<float> q(static_cast<std::size_t>(tokens) * heads * head_dim, 0.5f);
    std::vector<float> k(static_cast<std::size_t>(tokens) * head_dim, -0.5f);
    const auto q0 = q, k0 = k;
    for (const std::int64_t bad : outside) {
        if (!int64 && (bad < std::numeric_limits<std::int32_t>::min() ||
                       bad > std::numeric_limits<std::int32_t>::max()))
            continue;
        for (int where : {0, tokens - 1}) {
            std::vector<std::int64_t> p64(tokens, 1);
            p64[static_cast<std::size_t>(where)] = bad;
            std::vector<std::int32_t> p32(p64.begin(), p64.end());
            const rs::position_span pos = int64 ? rs::position_span(p64) : rs::position_span(p32);
            const auto s = call<A, float>(
                m, hs, pos, rs::in_place(rs::make_heads_view(q.data(), tokens, heads, head_dim)),
                rs::in_place(rs::make_heads_view(k.data(), tokens, 1, head_dim)));
            ASSERT_FALSE(s) << "position " << bad << " accepted";
            EXPECT_EQ(s.err().code, rs::errc::position_out_of_range) << s.err().what();
            EXPECT_EQ(s.err().field, "positions[" + std::to_string(where) + "]") << s.err().what();
            EXPECT_NE(s.err().message.find(std::to_string(bad)), std::string::npos)
                << s.err().what();
            EXPECT_TRUE(kt::same_bytes(q, q0)) << "a refused call wrote q";
            EXPECT_TRUE(kt::same_bytes(k, k0)) << "a refused call wrote k";
        }
    }
    // The edges of the domain are accepted.
    std::vector<std::int64_t> edges(tokens, 0);
    if (m == mode::shift_cached)
        edges = {n - 1, -(n - 1), 0, 1, -1, n - 1};
    else if (is_cached(m))
        edges = {n - 1, 0, n - 1, 0, 1, n - 2};
    else
        edges = {limit, -limit, 0, 1, -1, 131071};
    EXPECT_TRUE((call<A, float>(
        m, hs, edges, rs::in_place(rs::make_heads_view(q.data(), tokens, heads, head_dim)))));
}

TEST(bad_tensors, positions_outside_the_domain_are_refused_in_every_mode) {
    for (mode m : all_modes)
        for (bool int64 : {false, true}) {
            outside_case<xsimd::default_arch>(m, int64);
            outside_case<dispatched>(m, int64);
        }
}

// ---------------------------------------------------------------------------------------------
// One rule for a usable table (check_usable, frequency_table.hpp): every entry point that takes
// a table refuses the same tables with the same error, and writes nothing.

// The table compute_frequencies builds for `c` before it checks the result.
rs::frequency_table raw_table(const rs::rope_config& c) {
    return rs::detail::build_unchecked(c, rs::table_options{});
}

// A usable hand-built table of 4 pairs (head_dim 10: 2 pass-through channels).
rs::frequency_table small_table() {
    rs::frequency_table t;
    t.head_dim = 10;
    t.rotary_dim = 8;
    t.inv_freq = {1.0, 0.5, 0.01, 1e-4};
    return t;
}

struct bad_table_case {
    std::string what;
    rs::frequency_table table;
    std::string field;  // the field every entry point must name
};

std::vector<bad_table_case> bad_table_cases() {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<bad_table_case> cases;
    auto with = [&](const std::string& what, const std::string& field, auto change) {
        rs::frequency_table t = small_table();
        change(t);
        cases.push_back({what, t, field});
    };
    using T = rs::frequency_table;
    // An inverse frequency far outside the domain: unchecked, the kernels would write inf into q.
    with("inv_freq {1e30, 0.5}", "table.inv_freq[0]", [](T& t) {
        t.rotary_dim = 4;
        t.head_dim = 4;
        t.inv_freq = {1e30, 0.5};
    });
    with("inv_freq just above 2^20", "table.inv_freq[2]",
         [](T& t) { t.inv_freq[2] = std::nextafter(0x1p20, 1e300); });
    with("inv_freq nan", "table.inv_freq[3]", [](T& t) { t.inv_freq[3] = std::nan(""); });
    with("inv_freq inf", "table.inv_freq[1]", [inf](T& t) { t.inv_freq[1] = inf; });
    with("inv_freq negative", "table.inv_freq[1]", [](T& t) { t.inv_freq[1] = -1e-300; });
    with("attention_factor 0", "table.attention_factor", [](T& t) { t.attention_factor = 0.0; });
    with("attention_factor 2^33", "table.attention_factor",
         [](T& t) { t.attention_factor = 0x1p33; });
    with("attention_factor below 2^-32", "table.attention_factor",
         [](T& t) { t.attention_factor = std::nextafter(0x1p-32, 0.0); });
    with("attention_factor nan", "table.attention_factor",
         [](T& t) { t.attention_factor = std::nan(""); });
    with("logit_scale 0", "table.logit_scale", [](T& t) { t.logit_scale = 0.0; });
    with("logit_scale inf", "table.logit_scale", [inf](T& t) { t.logit_scale = inf; });
    with("head_dim 0", "table.head_dim", [](T& t) { t.head_dim = 0; });
    with("rotary_dim odd", "table.rotary_dim", [](T& t) { t.rotary_dim = 7; });
    with("rotary_dim above head_dim", "table.rotary_dim", [](T& t) { t.rotary_dim = 12; });
    with("one inv_freq too many", "table.inv_freq", [](T& t) { t.inv_freq.push_back(0.5); });
    return cases;
}

// Configurations whose parameters pass validate() one by one but give an unusable table:
// compute_frequencies must refuse them with the field the rule names for the built table.
struct bad_config_case {
    std::string what;
    rs::rope_config config;
    std::string field;
};

std::vector<bad_config_case> bad_config_cases() {
    std::vector<bad_config_case> cases;
    auto yarn_case = [&](const std::string& what, const std::string& field, auto change) {
        rs::rope_config c;
        c.head_dim = 64;
        rs::yarn y;
        y.factor = 4.0;
        y.original_max_position_embeddings = 4096;
        change(y);
        c.scaling = y;
        cases.push_back({what, c, field});
    };
    // Pair 0 is extrapolated (its ramp is 0): weight 1e308 times its frequency 1.
    yarn_case("yarn extrapolation_factor 1e308", "table.inv_freq[0]",
              [](rs::yarn& y) { y.extrapolation_factor = 1e308; });
    yarn_case("yarn attn_factor 1e-320", "table.attention_factor",
              [](rs::yarn& y) { y.attn_factor = 1e-320; });
    yarn_case("yarn mscale 1e308", "table.attention_factor", [](rs::yarn& y) {
        y.mscale = 1e308;
        y.mscale_all_dim = 1.0;
    });
    // mscale == mscale_all_dim: attention factor 1, logit scale (0.1 * 1e200 ln 4 + 1)^2 = inf.
    yarn_case("yarn mscale_all_dim 1e200", "table.logit_scale", [](rs::yarn& y) {
        y.mscale = 1e200;
        y.mscale_all_dim = 1e200;
    });
    rs::rope_config c;
    c.head_dim = 16;
    rs::longrope lr;
    lr.short_factor = {5e-324, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};  // pair 0: 1 / 5e-324 = inf
    lr.long_factor = std::vector<double>(8, 2.0);
    lr.original_max_position_embeddings = 2048;
    lr.max_position_embeddings = 8192;
    c.scaling = lr;
    cases.push_back({"longrope short_factor 5e-324", c, "table.inv_freq[0]"});
    return cases;
}

// Every entry point that takes `t`, with kernel A: the field of its error ("" if accepted).
// Whatever it decides, a refused call must leave q untouched.
template <class A>
std::vector<std::string> fields_of_every_entry_point(const rs::frequency_table& t) {
    std::vector<std::string> fields;
    auto field = [](const rs::status& s) { return s ? std::string() : s.err().field; };
    const auto cache = rs::build_rope_cache<A>(t, 16, rs::attention_factor_mode::folded);
    fields.push_back(cache ? std::string() : cache.err().field);
    const int d = t.head_dim > 0 ? t.head_dim : 1;
    const std::vector<std::int32_t> pos = {0, 3, 7};
    auto run = [&](auto zero, auto&& f) {
        using T = decltype(zero);
        std::vector<T> q(3 * 2 * static_cast<std::size_t>(d), T(0.5));
        const auto before = q;
        const rs::status s = f(rs::in_place(rs::make_heads_view(q.data(), 3, 2, d)));
        if (!s) {
            EXPECT_TRUE(kt::same_bytes(q, before)) << "a refused call wrote q";
        }
        fields.push_back(field(s));
    };
    const auto hs = rs::rotary_layout::half_split;
    for (const auto dir : {rs::rotation_direction::forward, rs::rotation_direction::inverse}) {
        run(0.0f, [&](auto q) { return rs::apply_rope<A>(t, hs, pos, q, {}, dir); });
        run(0.0, [&](auto q) { return rs::apply_rope<A>(t, hs, pos, q, {}, dir); });
        run(0.0f, [&](auto q) {
            return rs::apply_rope<A>(t, rs::rotary_layout::interleaved, pos, q, {}, dir,
                                     rs::attention_factor_mode::separate);
        });
    }
    run(0.0f, [&](auto q) { return rs::shift_rope<A>(t, hs, pos, q); });
    run(0.0, [&](auto q) { return rs::shift_rope<A>(t, hs, pos, q); });
    return fields;
}

// Every entry point names `field` ("": every one accepts the table).
template <class A>
void expect_everywhere(const rs::frequency_table& t, const std::string& field) {
    SCOPED_TRACE(A::name());
    for (const std::string& f : fields_of_every_entry_point<A>(t)) EXPECT_EQ(f, field);
}

TEST(table_rule, the_same_bad_tables_are_refused_by_every_entry_point) {
    for (const auto& c : bad_table_cases()) {
        SCOPED_TRACE(c.what);
        const auto s = rs::check_usable(c.table);
        ASSERT_FALSE(s);
        EXPECT_EQ(s.err().field, c.field);
        EXPECT_EQ(rs::position_limit(c.table), -1);
        expect_everywhere<xsimd::default_arch>(c.table, c.field);
        expect_everywhere<dispatched>(c.table, c.field);
        expect_everywhere<rs::scalar_reference>(c.table, c.field);
    }
}

TEST(table_rule, compute_frequencies_refuses_what_the_rule_refuses_with_the_same_field) {
    for (const auto& c : bad_config_cases()) {
        SCOPED_TRACE(c.what);
        ASSERT_TRUE(rs::validate(c.config)) << "the parameters themselves must be valid";
        const auto built = rs::compute_frequencies(c.config);
        ASSERT_FALSE(built) << "compute_frequencies accepted it";
        EXPECT_EQ(built.err().code, rs::errc::out_of_range);
        EXPECT_EQ(built.err().field, c.field);
        EXPECT_NE(built.err().message.find(rs::method_name(c.config.scaling)), std::string::npos)
            << built.err().message;
        const rs::frequency_table raw = raw_table(c.config);
        const auto s = rs::check_usable(raw);
        ASSERT_FALSE(s);
        EXPECT_EQ(s.err().field, c.field);
        expect_everywhere<xsimd::default_arch>(raw, c.field);
        expect_everywhere<dispatched>(raw, c.field);
    }
}

// The edges of the rule are usable everywhere: inv_freq 0, -0.0 and 2^20, factors 2^-32 and
// 2^32 (within the table's position limit: 2^11 with inv_freq 2^20).
TEST(table_rule, the_edges_of_the_rule_are_accepted_by_every_entry_point) {
    rs::frequency_table t = small_table();
    t.inv_freq = {0x1p20, 0.0, -0.0, 0.5};
    for (const double m : {0x1p-32, 0x1p32, 1.0}) {
        t.attention_factor = m;
        t.logit_scale = 1.0 / m;
        SCOPED_TRACE(m);
        EXPECT_TRUE(rs::check_usable(t));
        EXPECT_EQ(rs::position_limit(t), 2048);
        expect_everywhere<xsimd::default_arch>(t, "");
        expect_everywhere<dispatched>(t, "");
        expect_everywhere<rs::scalar_reference>(t, "");
    }
}

// A cache shift is the pure rotation from any cache: with the factor folded in, the result is
// the scalar reference's (the same cache, its entries divided by m), within kt::pair_bound, and
// within one f32 rounding per entry of the shift with the pure cache.
TEST(bad_tensors, shift_with_a_folded_cache_is_the_pure_rotation) {
    const env& e = shared_env();
    ASSERT_NE(e.folded.folded_factor(), 1.0);
    std::vector<float> k(static_cast<std::size_t>(tokens) * head_dim, 0.25f);
    auto k_ref = k;
    auto k_pure = k;
    const auto k0 = k;
    const std::vector<std::int32_t> deltas(tokens, 1);
    const auto view = [](std::vector<float>& v) {
        return rs::make_heads_view(v.data(), tokens, 1, head_dim);
    };
    ASSERT_TRUE(rs::shift_rope(e.folded, rs::rotary_layout::half_split, deltas, view(k)));
    ASSERT_TRUE(rs::shift_rope<rs::scalar_reference>(e.folded, rs::rotary_layout::half_split,
                                                     deltas, view(k_ref)));
    ASSERT_TRUE(rs::shift_rope(e.pure, rs::rotary_layout::half_split, deltas, view(k_pure)));
    const int half = head_dim / 2;
    for (int t = 0; t < tokens; ++t)
        for (int i = 0; i < half; ++i) {
            const std::size_t a = static_cast<std::size_t>(t) * head_dim + i;
            const double x1 = k0[a], x2 = k0[a + half];
            for (const std::size_t j : {a, a + half}) {
                EXPECT_LE(std::fabs(double(k[j]) - double(k_ref[j])),
                          kt::pair_bound<float>(x1, x2, 1.0, k_ref[j], k[j]));
                // (c, s) from the folded entries: fl32(fl32(m c) * fl32(1 / m)), within
                // 2^-22 + 1e-7 of the pure entry (cache.hpp), times |x1| + |x2|, plus the
                // rotation's own rounding (pair_bound).
                EXPECT_LE(std::fabs(double(k[j]) - double(k_pure[j])),
                          (0x1p-22 + 1e-7) * (std::fabs(x1) + std::fabs(x2)) +
                              kt::pair_bound<float>(x1, x2, 1.0, k_pure[j], k[j]));
            }
        }
}

// ---------------------------------------------------------------------------------------------
// Overlapping buffers

// In place is exact: bitwise the out-of-place result, in every mode and type, both kernels.
template <class A, class T>
void in_place_exact(mode m, rs::rotary_layout layout) {
    SCOPED_TRACE(std::string(name(m)) + " " + rs::to_string(layout) + " " + type_name<T>());
    const std::size_t n = static_cast<std::size_t>(tokens) * heads * head_dim;
    std::vector<T> x(n);
    for (std::size_t i = 0; i < n; ++i)
        x[i] = from_double<T>(std::cos(0.11 * static_cast<double>(i)) * 3.0);
    std::vector<std::int32_t> pos = {5, 0, 511, 5, 17, 300};
    if (is_shift(m)) pos = {5, 0, -511, -5, 17, 300};
    std::vector<T> a = x, out(n);
    ASSERT_TRUE((call<A, T>(m, layout, pos,
                            rs::in_place(rs::make_heads_view(a.data(), tokens, heads, head_dim)))));
    ASSERT_TRUE(
        (call<A, T>(m, layout, pos,
                    rs::out_of_place(rs::make_heads_view(x.data(), tokens, heads, head_dim),
                                     rs::make_heads_view(out.data(), tokens, heads, head_dim)))));
    EXPECT_TRUE(kt::same_bytes(a, out)) << "in place differs from out of place";
}

TEST(bad_tensors, in_place_is_bitwise_the_out_of_place_result) {
    for (mode m : all_modes)
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
            in_place_exact<xsimd::default_arch, float>(m, layout);
            in_place_exact<xsimd::default_arch, double>(m, layout);
            in_place_exact<xsimd::default_arch, rs::fp16>(m, layout);
            in_place_exact<xsimd::default_arch, rs::bf16>(m, layout);
            in_place_exact<dispatched, float>(m, layout);
            in_place_exact<dispatched, rs::bf16>(m, layout);
        }
}

// The same data with different strides (neither in place nor disjoint) is refused; that
// check exists (apply_test covers the cached call): here in every mode.
TEST(bad_tensors, same_data_different_strides_is_refused_in_every_mode) {
    std::vector<float> x(static_cast<std::size_t>(tokens) * heads * head_dim * 2, 1.0f);
    const auto x0 = x;
    const std::vector<std::int32_t> pos(2, 3);
    for (mode m : all_modes) {
        const auto s = call<xsimd::default_arch, float>(
            m, rs::rotary_layout::interleaved, pos,
            rs::out_of_place(
                rs::make_heads_view<const float>(x.data(), 2, 1, head_dim, head_dim, head_dim),
                rs::make_heads_view(x.data(), 2, 1, head_dim, 2 * head_dim, head_dim)));
        ASSERT_FALSE(s) << name(m);
        EXPECT_EQ(s.err().code, rs::errc::invalid_argument) << s.err().what();
        EXPECT_EQ(s.err().field, "q") << s.err().what();
    }
    EXPECT_TRUE(kt::same_bytes(x, x0));
}

// A partially overlapping out-of-place call: `out` starts inside `in` (one token, one
// channel, or half a head further on). The kernels walk token by token, so such a call would
// read values it has already overwritten: unchecked, it gives a silently wrong result (not the
// rotation of the input) in every mode. Accepting it is allowed only if the result is exact;
// refusing it must write nothing.
template <class A>
void partial_overlap(mode m, std::ptrdiff_t shift_elements) {
    SCOPED_TRACE(std::string(name(m)) + " out = in + " + std::to_string(shift_elements));
    const std::size_t n = static_cast<std::size_t>(tokens) * heads * head_dim;
    std::vector<float> buf(n + static_cast<std::size_t>(shift_elements));
    for (std::size_t i = 0; i < buf.size(); ++i)
        buf[i] = static_cast<float>(std::sin(0.3 * static_cast<double>(i)));
    const std::vector<float> x(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<std::int32_t> pos = {1, 2, 3, 4, 5, 6};
    // The exact result: rotate a copy out of place.
    std::vector<float> want(n);
    ASSERT_TRUE((call<A, float>(
        m, rs::rotary_layout::half_split, pos,
        rs::out_of_place(rs::make_heads_view<const float>(x.data(), tokens, heads, head_dim),
                         rs::make_heads_view(want.data(), tokens, heads, head_dim)))));
    const auto s = call<A, float>(
        m, rs::rotary_layout::half_split, pos,
        rs::out_of_place(
            rs::make_heads_view<const float>(buf.data(), tokens, heads, head_dim),
            rs::make_heads_view(buf.data() + shift_elements, tokens, heads, head_dim)));
    if (!s) {
        EXPECT_EQ(s.err().code, rs::errc::invalid_argument) << s.err().what();
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(buf[i], x[i]) << "a refused call wrote";
        return;
    }
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i)
        wrong += std::memcmp(&buf[static_cast<std::size_t>(shift_elements) + i], &want[i],
                             sizeof(float)) != 0;
    EXPECT_EQ(wrong, 0u) << "an overlapping out-of-place call was accepted and corrupted " << wrong
                         << " of " << n << " outputs";
}

TEST(bad_tensors, partially_overlapping_out_of_place_is_refused_or_exact) {
    for (mode m : all_modes)
        for (std::ptrdiff_t shift :
             {std::ptrdiff_t{heads * head_dim}, std::ptrdiff_t{1}, std::ptrdiff_t{head_dim / 2}}) {
            partial_overlap<xsimd::default_arch>(m, shift);
            partial_overlap<dispatched>(m, shift);
        }
}

// The views of one call, as offsets and strides (elements) into one float buffer; every view
// has `tokens` tokens and head_dim channels. Offsets leave room on both sides for negative
// strides: q's region starts at region_q, others at region_b and region_c.
struct view_at {
    std::ptrdiff_t offset = 0;
    int heads = 0;  // 0: absent
    std::ptrdiff_t token_stride = 0;
    std::ptrdiff_t head_stride = head_dim;
};
struct operand_at {
    view_at in;
    view_at out;  // heads 0: in place
};
struct layout_case {
    const char* what;
    operand_at q;
    operand_at k;  // absent (in.heads == 0) in the cases that also run as shifts
};

constexpr std::ptrdiff_t row = heads * head_dim;  // one token of q, contiguous
constexpr std::ptrdiff_t region = 4 * tokens * row;
constexpr std::ptrdiff_t region_q = region, region_b = 3 * region, region_c = 5 * region;
constexpr std::size_t layout_buffer = 7 * region;

template <class T>
rs::heads_view<T> view_into(std::vector<float>& buf, const view_at& v) {
    return rs::make_heads_view<T>(buf.data() + v.offset, tokens, v.heads, head_dim, v.token_stride,
                                  v.head_stride);
}

rs::rope_operand<float> operand_into(std::vector<float>& buf, const operand_at& o) {
    if (o.in.heads == 0) return {};
    if (o.out.heads == 0) return rs::in_place(view_into<float>(buf, o.in));
    return rs::out_of_place(view_into<const float>(buf, o.in), view_into<float>(buf, o.out));
}

std::vector<float> layout_data() {
    std::vector<float> buf(layout_buffer);
    for (std::size_t i = 0; i < buf.size(); ++i)
        buf[i] = static_cast<float>(std::cos(0.7 * static_cast<double>(i)));
    return buf;
}

const std::vector<std::int32_t>& layout_positions() {
    static const std::vector<std::int32_t> pos = {1, 2, 3, 4, 5, 6};  // valid deltas too
    return pos;
}

// Views sharing memory, each in every mode it can run in (k only outside shifts): refused
// with invalid_argument, the field the output that would be overwritten, the message naming
// the other view ("overlaps q.in (bytes ...") and nothing written.
struct overlap_case {
    layout_case views;
    const char* field;
    const char* other;
};

const overlap_case overlapping_cases[] = {
    {{"out one element after in", {{region_q, heads, row}, {region_q + 1, heads, row}}, {}},
     "q.out",
     "q.in"},
    {{"out one token before in", {{region_q, heads, row}, {region_q - row, heads, row}}, {}},
     "q.out",
     "q.in"},
    {{"out half a head into the last token of in",
      {{region_q, heads, row}, {region_q + (tokens - 1) * row + 64, heads, row}},
      {}},
     "q.out",
     "q.in"},
    {{"input with a negative token stride, out inside it",
      {{region_q + (tokens - 1) * row, heads, -row}, {region_q + 2 * row + 5, heads, row}},
      {}},
     "q.out",
     "q.in"},
    {{"input with a negative head stride, out over its last token",
      {{region_q + (heads - 1) * head_dim, heads, row, -head_dim},
       {region_q + (tokens - 1) * row, heads, row}},
      {}},
     "q.out",
     "q.in"},
    {{"odd strides, out one token after in",
      {{region_q, heads, row + 3, head_dim + 1},
       {region_q + row + 3, heads, row + 3, head_dim + 1}},
      {}},
     "q.out",
     "q.in"},
    {{"out with a negative odd token stride over in",
      {{region_q, heads, row + 1}, {region_q + (tokens - 1) * (row + 1) + 7, heads, -(row + 1)}},
      {}},
     "q.out",
     "q.in"},
    {{"broadcast input (token stride 0) under the output",
      {{region_q, heads, 0}, {region_q - 64, heads, row}},
      {}},
     "q.out",
     "q.in"},
    {{"out of place in: the same slots of one token stride",
      {{region_q, heads, 2 * row}, {region_q + 64, heads, 2 * row}},
      {}},
     "q.out",
     "q.in"},
    // q and k: the decision for an in-place q whose buffer meets k's output is a refusal too.
    {{"in-place q and in-place k sharing q's last head",
      {{region_q, heads, row}, {}},
      {{region_q + row - head_dim, 1, row}, {}}},
     "k.out",
     "q.out"},
    {{"k written out of place into the buffer q rotates in place",
      {{region_q, heads, row}, {}},
      {{region_b, 1, head_dim}, {region_q + 7, 1, head_dim}}},
     "k.out",
     "q.out"},
    {{"k read from the buffer q rotates in place",
      {{region_q, heads, row}, {}},
      {{region_q, 1, row}, {region_b, 1, head_dim}}},
     "q.out",
     "k.in"},
    {{"k written over q's out-of-place input",
      {{region_q, heads, row}, {region_b, heads, row}},
      {{region_c, 1, head_dim}, {region_q + 3, 1, head_dim}}},
     "k.out",
     "q.in"},
    {{"q written over k's out-of-place input",
      {{region_q, heads, row}, {region_b + 100, heads, row}},
      {{region_b, 1, head_dim}, {region_c, 1, head_dim}}},
     "q.out",
     "k.in"},
    {{"q.out and k.out out of place into one buffer, k over q's last row",
      {{region_q, heads, row}, {region_b, heads, row}},
      {{region_c, 1, head_dim}, {region_b + tokens * row - head_dim, 1, head_dim}}},
     "k.out",
     "q.out"},
    {{"q.out and k.out in one fused buffer, k's slot overlapping q's",
      {{region_q, heads, row}, {region_b, heads, row + head_dim}},
      {{region_c, 1, head_dim}, {region_b + row - 1, 1, row + head_dim}}},
     "k.out",
     "q.out"},
};

template <class A>
void refused_case(mode m, const overlap_case& c) {
    SCOPED_TRACE(std::string(name(m)) + ": " + c.views.what);
    std::vector<float> buf = layout_data();
    const auto before = buf;
    const auto s = call<A, float>(m, rs::rotary_layout::half_split, layout_positions(),
                                  operand_into(buf, c.views.q), operand_into(buf, c.views.k));
    ASSERT_FALSE(s) << "an overlapping call was accepted";
    EXPECT_EQ(s.err().code, rs::errc::invalid_argument) << s.err().what();
    EXPECT_EQ(s.err().field, c.field) << s.err().what();
    EXPECT_NE(s.err().message.find(std::string("overlaps ") + c.other + " (bytes ["),
              std::string::npos)
        << s.err().what();
    EXPECT_TRUE(kt::same_bytes(buf, before)) << "a refused call wrote";
}

TEST(bad_tensors, overlapping_views_are_refused_in_every_mode) {
    for (const auto& c : overlapping_cases)
        for (mode m : all_modes) {
            if (is_shift(m) && c.views.k.in.heads != 0) continue;  // a shift rotates one operand
            refused_case<xsimd::default_arch>(m, c);
            refused_case<dispatched>(m, c);
        }
}

// Views that touch but share no byte, and views that only share inputs: accepted, and each
// output is exactly what the same kernel writes from a copy of its input into a buffer of its
// own; nothing else in the buffer changes.
const layout_case touching_cases[] = {
    {"out right after in", {{region_q, heads, row}, {region_q + tokens * row, heads, row}}, {}},
    {"out right before in", {{region_q, heads, row}, {region_q - tokens * row, heads, row}}, {}},
    {"odd strides, out right after the last element of in",
     {{region_q, heads, row + 3, head_dim + 1},
      {region_q + (tokens - 1) * (row + 3) + (heads - 1) * (head_dim + 1) + head_dim, heads,
       row + 3, head_dim + 1}},
     {}},
    {"negative token strides, in right above out",
     {{region_q + (tokens - 1) * row, heads, -row}, {region_q - row, heads, -row}},
     {}},
    {"in and out in alternate token slots of one buffer",
     {{region_q, heads, 2 * row}, {region_q + row, heads, 2 * row}},
     {}},
    {"q and k in place, k right after q",
     {{region_q, heads, row}, {}},
     {{region_q + tokens * row, 1, head_dim}, {}}},
    {"q and k in place in a fused qkv buffer [tokens][q | k | v]",
     {{region_q, heads, row + 2 * head_dim}, {}},
     {{region_q + row, 1, row + 2 * head_dim}, {}}},
    {"q and k in place in a fused qkv buffer, tokens in reverse",
     {{region_q + (tokens - 1) * (row + 2 * head_dim), heads, -(row + 2 * head_dim)}, {}},
     {{region_q + (tokens - 1) * (row + 2 * head_dim) + row, 1, -(row + 2 * head_dim)}, {}}},
    {"q and k out of place from one fused buffer into another",
     {{region_q, heads, row + 2 * head_dim}, {region_b, heads, row + head_dim}},
     {{region_q + row, 1, row + 2 * head_dim}, {region_b + row, 1, row + head_dim}}},
    {"q and k read the same input",
     {{region_q, heads, row}, {region_b, heads, row}},
     {{region_q, 1, row}, {region_c, 1, head_dim}}},
    {"a broadcast input (token stride 0) next to its output",
     {{region_q, heads, 0}, {region_q + row, heads, row}},
     {}},
};

// The elements of a view, token by token, head by head, as offsets into the buffer.
std::vector<std::size_t> elements_of(const view_at& v) {
    std::vector<std::size_t> at;
    if (v.heads == 0) return at;
    for (std::ptrdiff_t t = 0; t < tokens; ++t)
        for (std::ptrdiff_t h = 0; h < v.heads; ++h)
            for (std::ptrdiff_t c = 0; c < head_dim; ++c)
                at.push_back(static_cast<std::size_t>(v.offset + t * v.token_stride +
                                                      h * v.head_stride + c));
    return at;
}

template <class A>
void accepted_case(mode m, const layout_case& c) {
    SCOPED_TRACE(std::string(name(m)) + ": " + c.what);
    std::vector<float> buf = layout_data();
    const auto before = buf;
    const auto& pos = layout_positions();
    const auto s = call<A, float>(m, rs::rotary_layout::half_split, pos, operand_into(buf, c.q),
                                  operand_into(buf, c.k));
    ASSERT_TRUE(s) << s.err().what();
    // Each operand separately, from a contiguous copy of its input into a buffer of its own.
    std::vector<char> written(buf.size(), 0);
    int rotated = 0;
    for (const operand_at* o : {&c.q, &c.k}) {
        if (o->in.heads == 0) continue;
        const std::vector<std::size_t> from = elements_of(o->in);
        const std::vector<std::size_t> to = elements_of(o->out.heads != 0 ? o->out : o->in);
        std::vector<float> in(from.size()), want(from.size());
        for (std::size_t i = 0; i < from.size(); ++i) in[i] = before[from[i]];
        ASSERT_TRUE((call<A, float>(
            m, rs::rotary_layout::half_split, pos,
            rs::out_of_place(
                rs::make_heads_view<const float>(in.data(), tokens, o->in.heads, head_dim),
                rs::make_heads_view(want.data(), tokens, o->in.heads, head_dim)))));
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < to.size(); ++i) {
            wrong += !kt::same_bits(buf[to[i]], want[i]);
            written[to[i]] = 1;
        }
        EXPECT_EQ(wrong, 0u) << (o == &c.q ? "q" : "k") << ": " << wrong << " of " << to.size()
                             << " outputs differ from the rotation of a copy of the input";
        ++rotated;
    }
    ASSERT_GT(rotated, 0);
    std::size_t stray = 0;
    for (std::size_t i = 0; i < buf.size(); ++i)
        stray += !written[i] && !kt::same_bits(buf[i], before[i]);
    EXPECT_EQ(stray, 0u) << "elements outside the outputs changed";
}

TEST(bad_tensors, touching_views_and_shared_inputs_are_accepted_and_exact) {
    for (const auto& c : touching_cases)
        for (mode m : all_modes) {
            if (is_shift(m) && c.k.in.heads != 0) continue;
            accepted_case<xsimd::default_arch>(m, c);
            accepted_case<dispatched>(m, c);
        }
}

// Views without elements (zero tokens, zero heads) touch no memory, so they overlap nothing,
// whatever their pointers: accepted, nothing written.
TEST(bad_tensors, empty_views_overlap_nothing) {
    std::vector<float> buf = layout_data();
    const auto before = buf;
    float* p = buf.data() + region_q;
    const std::vector<std::int32_t> none;
    const std::vector<std::int32_t> one = {3};
    for (mode m : all_modes) {
        SCOPED_TRACE(name(m));
        // Zero tokens: out one element after in, and a head-major output of stride 0.
        EXPECT_TRUE((call<xsimd::default_arch, float>(
            m, rs::rotary_layout::interleaved, none,
            rs::out_of_place(rs::make_heads_view<const float>(p, 0, heads, head_dim),
                             rs::make_heads_view(p + 1, 0, heads, head_dim)))));
        EXPECT_TRUE((call<xsimd::default_arch, float>(
            m, rs::rotary_layout::interleaved, none,
            rs::out_of_place(rs::make_heads_view<const float>(p, 0, heads, head_dim),
                             rs::make_heads_view(p, 0, heads, head_dim, head_dim, 0)))));
        // Zero heads with one token: out over in.
        EXPECT_TRUE((call<dispatched, float>(
            m, rs::rotary_layout::half_split, one,
            rs::out_of_place(rs::make_heads_view<const float>(p, 1, 0, head_dim),
                             rs::make_heads_view(p + 5, 1, 0, head_dim)))));
        if (is_shift(m)) continue;
        // q rotated in place, k with zero heads pointing into it (in place and out of place).
        EXPECT_TRUE(
            (call<dispatched, float>(m, rs::rotary_layout::half_split, none,
                                     rs::in_place(rs::make_heads_view(p, 0, heads, head_dim)),
                                     rs::in_place(rs::make_heads_view(p + 3, 0, 1, head_dim)))));
        auto q = buf;
        ASSERT_TRUE((call<dispatched, float>(
            m, rs::rotary_layout::half_split, one,
            rs::in_place(rs::make_heads_view(q.data() + region_q, 1, heads, head_dim)),
            rs::out_of_place(rs::make_heads_view<const float>(q.data() + region_q, 1, 0, head_dim),
                             rs::make_heads_view(q.data() + region_q + 1, 1, 0, head_dim)))));
    }
    EXPECT_TRUE(kt::same_bytes(buf, before));
}

}  // namespace
