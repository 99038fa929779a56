// The engine-facing API: argument errors (nothing written when refused), GQA/MQA head counts,
// position types, static and run-time dispatch, and an engine splitting one call across its own
// threads by token ranges (the library's one test of that promise; tests/robustness's
// concurrency test covers building caches and the first dispatched call on several threads).
#include "support.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace rs = ropescale;

struct fixture_data {
    rs::frequency_table table = kt::yarn_or_plain_table(128, 128);
    rs::rope_cache cache = *rs::build_rope_cache(table, 1024, rs::attention_factor_mode::folded);
};

TEST(apply_errors, position_outside_cache_is_refused_and_nothing_is_written) {
    fixture_data d;
    std::vector<float> q(20 * 4 * 128, 0.5f);
    const auto before = q;
    std::vector<std::int32_t> pos(20, 3);
    pos[17] = 1024;  // one past the cache
    auto s = rs::apply_rope(d.cache, rs::rotary_layout::half_split, pos,
                            rs::in_place(rs::make_heads_view(q.data(), 20, 4, 128)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::position_out_of_range);
    EXPECT_EQ(s.err().field, "positions[17]");
    EXPECT_NE(s.err().message.find("1024"), std::string::npos) << s.err().message;
    EXPECT_EQ(q, before);
    pos[17] = -1;
    s = rs::apply_rope(d.cache, rs::rotary_layout::half_split, pos,
                       rs::in_place(rs::make_heads_view(q.data(), 20, 4, 128)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "positions[17]");
    EXPECT_NE(s.err().message.find("-1"), std::string::npos);
    EXPECT_EQ(q, before);
    // int64 positions too, and the on-the-fly domain |p| <= 2^31
    std::vector<std::int64_t> p64(20, 0);
    p64[2] = (std::int64_t{1} << 31) + 1;
    s = rs::apply_rope(d.table, rs::rotary_layout::interleaved, p64,
                       rs::in_place(rs::make_heads_view(q.data(), 20, 4, 128)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::position_out_of_range);
    EXPECT_EQ(s.err().field, "positions[2]");
    EXPECT_EQ(q, before);
}

// The on-the-fly entry points check the table on every call (its fields are public): a
// NaN, an infinity, a negative inverse frequency or one above 2^20 (the table rule,
// check_usable) is refused, wherever it sits (the fast check reads four values per step,
// then a tail), and -0.0 and 2^20 are accepted.
TEST(apply_errors, on_the_fly_table_values_are_checked_at_every_index) {
    const rs::frequency_table good = kt::yarn_or_plain_table(128, 126);  // 63 pairs: a tail
    std::vector<float> q(2 * 3 * 128, 0.25f);
    const auto before = q;
    const std::vector<std::int32_t> pos = {5, 9};
    const double bad_values[] = {std::nan(""),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 -1e-300,
                                 -1.0,
                                 1e30,
                                 std::nextafter(0x1p20, 1e300),
                                 std::numeric_limits<double>::max()};
    for (const std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{33}, std::size_t{62}}) {
        for (const double v : bad_values) {
            rs::frequency_table bad = good;
            bad.inv_freq[i] = v;
            for (const auto layout :
                 {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
                const auto s = rs::apply_rope(
                    bad, layout, pos, rs::in_place(rs::make_heads_view(q.data(), 2, 3, 128)));
                ASSERT_FALSE(s) << "index " << i << " value " << v;
                EXPECT_EQ(s.err().code, rs::errc::out_of_range);
                EXPECT_EQ(s.err().field, "table.inv_freq[" + std::to_string(i) + "]");
                EXPECT_EQ(q, before);
            }
        }
    }
    rs::frequency_table zero = good;
    zero.inv_freq[62] = -0.0;  // a (negative) zero frequency: a pair that never rotates
    zero.inv_freq[3] = 0.0;
    zero.inv_freq[33] = 0x1p20;  // the largest usable frequency (positions up to 2^11)
    EXPECT_TRUE(rs::apply_rope(zero, rs::rotary_layout::half_split, pos,
                               rs::in_place(rs::make_heads_view(q.data(), 2, 3, 128))));
}

TEST(apply_errors, views_are_checked) {
    fixture_data d;
    std::vector<float> q(4 * 2 * 128, 1.0f), k(4 * 128, 1.0f);
    std::vector<std::int32_t> pos(4, 1);
    auto qv = rs::make_heads_view(q.data(), 4, 2, 128);
    auto kv = rs::make_heads_view(k.data(), 4, 1, 128);
    const auto hs = rs::rotary_layout::half_split;

    auto s =
        rs::apply_rope(d.cache, hs, pos, rs::in_place(rs::make_heads_view(q.data(), 4, 2, 64)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::inconsistent);
    EXPECT_EQ(s.err().field, "q.in.head_dim");

    s = rs::apply_rope(d.cache, hs, pos, rs::in_place(qv),
                       rs::in_place(rs::make_heads_view(k.data(), 3, 1, 128)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "k.out.tokens");

    s = rs::apply_rope(d.cache, hs, pos,
                       rs::in_place(rs::make_heads_view<float>(nullptr, 4, 2, 128)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::invalid_argument);
    EXPECT_EQ(s.err().field, "q.in.data");

    // Overlapping output rows: head_stride smaller than head_dim.
    s = rs::apply_rope(d.cache, hs, pos,
                       rs::in_place(rs::make_heads_view(q.data(), 4, 2, 128, 256, 64)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "q.out.head_stride");

    // Same data, different strides: neither in place nor disjoint.
    s = rs::apply_rope(
        d.cache, hs, pos,
        rs::out_of_place(rs::make_heads_view<const float>(q.data(), 2, 1, 128, 128, 128),
                         rs::make_heads_view(q.data(), 2, 1, 128, 256, 128)),
        rs::in_place(kv));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "q");

    // Shape mismatch between in and out.
    std::vector<float> out(4 * 2 * 128);
    s = rs::apply_rope(d.cache, hs, pos,
                       rs::out_of_place(qv, rs::make_heads_view(out.data(), 4, 1, 128)));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::inconsistent);

    // A bad layout value.
    s = rs::apply_rope(d.cache, static_cast<rs::rotary_layout>(7), pos, rs::in_place(qv));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "layout");

    // An empty cache.
    rs::rope_cache none;
    s = rs::apply_rope(none, hs, pos, rs::in_place(qv));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "cache");

    // A broken table on the fly.
    auto t = d.table;
    t.rotary_dim = 130;
    s = rs::apply_rope(t, hs, pos, rs::in_place(qv));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "table.rotary_dim");
    EXPECT_EQ(q, std::vector<float>(4 * 2 * 128, 1.0f));
}

// Engine threading (apply.hpp: calls on disjoint outputs may run concurrently, and a cache or
// table may be shared read-only): one call over [tokens] vs the same work split by token ranges
// across std::threads, each with its own sub-views and sub-span, through one shared const cache
// or table, in both layouts: bitwise identical. Each side repeats the call forward and inverse
// (ending forward), so the threads' calls overlap many times. Run under ThreadSanitizer by the
// tsan preset (its test filter names this test).
template <class Arch>
void threads_equal_one_call(bool cached, rs::rotary_layout layout) {
    SCOPED_TRACE(std::string(cached ? "shared cache " : "shared table, on the fly ") +
                 rs::to_string(layout));
    const fixture_data d;
    const std::int64_t tokens = 257;
    const int hq = 8, hk = 2, hd = 128;
    constexpr int repeat = 9;  // odd: ends forward
    kt::rng r(11);
    std::vector<float> q(tokens * hq * hd), k(tokens * hk * hd);
    for (auto& v : q) v = static_cast<float>(r.uniform(-3, 3));
    for (auto& v : k) v = static_cast<float>(r.uniform(-3, 3));
    std::vector<std::int64_t> pos(tokens);
    for (auto& p : pos) p = r.integer(0, 1023);
    auto q1 = q, k1 = k;
    auto q2 = q, k2 = k;
    auto calls = [&](float* qd, float* kd, std::int64_t b, std::int64_t n) {
        const auto qv = rs::make_heads_view(qd, tokens, hq, hd).token_range(b, n);
        const auto kv = rs::make_heads_view(kd, tokens, hk, hd).token_range(b, n);
        const auto ps = rs::position_span(pos).subspan(b, n);
        bool ok = true;
        for (int i = 0; i < repeat; ++i) {
            const auto dir =
                i % 2 == 0 ? rs::rotation_direction::forward : rs::rotation_direction::inverse;
            const auto s = cached ? rs::apply_rope<Arch>(d.cache, layout, ps, rs::in_place(qv),
                                                         rs::in_place(kv), dir)
                                  : rs::apply_rope<Arch>(d.table, layout, ps, rs::in_place(qv),
                                                         rs::in_place(kv), dir);
            ok = ok && static_cast<bool>(s);
        }
        return ok;
    };
    ASSERT_TRUE(calls(q1.data(), k1.data(), 0, tokens));
    const int nthreads = 3;
    std::vector<std::thread> pool;
    std::vector<char> ok(nthreads, 0);  // not vector<bool>: its bits share words (a data race)
    // All threads start together, so that their calls overlap in time: ThreadSanitizer (the
    // tsan preset) misses many races between threads that never run at the same time.
    std::atomic<int> waiting{nthreads};
    for (int w = 0; w < nthreads; ++w) {
        const std::int64_t b = tokens * w / nthreads, e = tokens * (w + 1) / nthreads;
        pool.emplace_back([&, w, b, e] {
            waiting.fetch_sub(1);
            while (waiting.load() > 0) std::this_thread::yield();
            ok[static_cast<std::size_t>(w)] =
                static_cast<char>(calls(q2.data(), k2.data(), b, e - b));
        });
    }
    for (auto& th : pool) th.join();
    for (char b : ok) EXPECT_TRUE(b != 0);
    EXPECT_EQ(std::memcmp(q1.data(), q2.data(), q1.size() * sizeof(float)), 0);
    EXPECT_EQ(std::memcmp(k1.data(), k2.data(), k1.size() * sizeof(float)), 0);
    EXPECT_NE(q1, q);  // something happened
}

KT_ISA_TEST(apply_isa, threads_splitting_token_ranges_equal_one_call) {
    for (const bool cached : {true, false})
        for (const auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
            threads_equal_one_call<Arch>(cached, layout);
}

// int32 and int64 positions give identical results; q and k in one call equal two calls.
KT_ISA_TEST(apply_isa, position_types_and_fused_qk_are_equivalent) {
    fixture_data d;
    const int tokens = 9;
    kt::rng r(2);
    std::vector<rs::bf16> q(tokens * 32 * 128), k(tokens * 1 * 128);  // MQA: 1 key head
    for (auto& v : q) v = rs::to_bf16(static_cast<float>(r.uniform(-1, 1)));
    for (auto& v : k) v = rs::to_bf16(static_cast<float>(r.uniform(-1, 1)));
    std::vector<std::int32_t> p32{5, 1, 1, 1023, 0, 7, 512, 5, 9};
    std::vector<std::int64_t> p64(p32.begin(), p32.end());
    auto qa = q, ka = k, qb = q, kb = k;
    ASSERT_TRUE(rs::apply_rope<Arch>(d.cache, rs::rotary_layout::half_split, p32,
                                     rs::in_place(rs::make_heads_view(qa.data(), tokens, 32, 128)),
                                     rs::in_place(rs::make_heads_view(ka.data(), tokens, 1, 128))));
    ASSERT_TRUE(
        rs::apply_rope<Arch>(d.cache, rs::rotary_layout::half_split, p64,
                             rs::in_place(rs::make_heads_view(qb.data(), tokens, 32, 128))));
    ASSERT_TRUE(rs::apply_rope<Arch>(d.cache, rs::rotary_layout::half_split, p64,
                                     rs::rope_operand<rs::bf16>{},
                                     rs::in_place(rs::make_heads_view(kb.data(), tokens, 1, 128))));
    EXPECT_EQ(std::memcmp(qa.data(), qb.data(), q.size() * 2), 0);
    EXPECT_EQ(std::memcmp(ka.data(), kb.data(), k.size() * 2), 0);
}

// Outputs above detail::stream_threshold_bytes take the streaming-store path when aligned (and
// the regular path when not): both must equal the reference within the f32 / bf16 bound.
template <class Arch, class T>
void large_output(rs::rotary_layout layout, bool aligned) {
    SCOPED_TRACE(std::string(rs::to_string(layout)) + (aligned ? " aligned" : " misaligned") + " " +
                 kt::type_name<T>());
    fixture_data d;
    const std::int64_t tokens = 2048;
    const int hq = 32, hk = 8;
    const std::size_t nq = static_cast<std::size_t>(tokens) * hq * 128,
                      nk = static_cast<std::size_t>(tokens) * hk * 128;
    ASSERT_GT((nq + nk) * sizeof(T), rs::detail::stream_threshold_bytes);
    using vec = std::vector<T, xsimd::aligned_allocator<T, 64>>;
    vec q(nq + 1), k(nk + 1), qo(nq + 1), ko(nk + 1), qr(nq + 1), kr(nk + 1);
    kt::rng r(17);
    for (auto& v : q) v = kt::from_double<T>(r.uniform(-2, 2));
    for (auto& v : k) v = kt::from_double<T>(r.uniform(-2, 2));
    std::vector<std::int32_t> pos(tokens);
    for (auto& p : pos) p = static_cast<std::int32_t>(r.integer(0, 1023));
    const std::size_t off = aligned ? 0 : 1;
    auto run_with = [&](auto arch, vec& qout, vec& kout) {
        using A = decltype(arch);
        return rs::apply_rope<A>(
            d.cache, layout, pos,
            rs::out_of_place(rs::make_heads_view<const T>(q.data() + off, tokens, hq, 128),
                             rs::make_heads_view(qout.data() + off, tokens, hq, 128)),
            rs::out_of_place(rs::make_heads_view<const T>(k.data() + off, tokens, hk, 128),
                             rs::make_heads_view(kout.data() + off, tokens, hk, 128)));
    };
    ASSERT_TRUE(run_with(Arch{}, qo, ko));
    ASSERT_TRUE(run_with(rs::scalar_reference{}, qr, kr));
    const double m = d.cache.folded_factor();
    std::size_t bad = 0;
    auto check = [&](const vec& in, const vec& got, const vec& want, std::size_t n) {
        for (std::size_t i = off; i < n + off; ++i) {
            const double g = kt::to_double(got[i]), w = kt::to_double(want[i]);
            // |x1| + |x2| <= 4 for inputs in [-2, 2]
            if (!(std::fabs(g - w) <= kt::pair_bound<T>(2.0, 2.0, m, w, g))) ++bad;
        }
        (void)in;
    };
    check(q, qo, qr, nq);
    check(k, ko, kr, nk);
    EXPECT_EQ(bad, 0u);
}

KT_ISA_TEST(apply_isa, large_outputs_streaming_stores_match_the_reference) {
    for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
        for (bool aligned : {true, false}) {
            large_output<Arch, float>(layout, aligned);
            large_output<Arch, rs::bf16>(layout, aligned);
            large_output<Arch, rs::fp16>(layout, aligned);
        }
}

// Static dispatch with the default arch of this (baseline) unit, and run-time dispatch over
// the compiled ISAs, both agree with the reference within the f32 bound.
TEST(apply_dispatch, default_and_dynamic_dispatch_match_the_reference) {
    fixture_data d;
    kt::rng r(8);
    std::vector<float> x(16 * 4 * 128);
    for (auto& v : x) v = static_cast<float>(r.uniform(-1, 1));
    std::vector<std::int32_t> pos(16);
    for (auto& p : pos) p = static_cast<std::int32_t>(r.integer(0, 1023));
    auto a = x, b = x, c = x;
    const auto view = [](std::vector<float>& v) {
        return rs::in_place(rs::make_heads_view(v.data(), 16, 4, 128));
    };
    ASSERT_TRUE(rs::apply_rope(d.cache, rs::rotary_layout::half_split, pos, view(a)));
#if KT_HAVE_KERNELS
    using any_isa = ropescale_kernels::dispatch;
    ASSERT_TRUE(rs::apply_rope<any_isa>(d.cache, rs::rotary_layout::half_split, pos, view(b)));
    // The first compiled arch this CPU runs, else the last (the fallback).
    std::string want;
    kt::for_each_arch([&](auto arch, const char*) {
        using Arch = decltype(arch);
        if (want.empty() && kt::cpu_supports<Arch>()) want = Arch::name();
    });
    if (want.empty())
        want = std::tuple_element_t<std::tuple_size<kt::archs>::value - 1, kt::archs>::name();
    EXPECT_EQ(std::string(any_isa::name()), want);
#else
    b = a;
#endif
    ASSERT_TRUE(
        rs::apply_rope<rs::scalar_reference>(d.cache, rs::rotary_layout::half_split, pos, view(c)));
    for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(a[i], c[i], 1e-6);
        EXPECT_NEAR(b[i], c[i], 1e-6);
    }
}

// The f64 on-the-fly path against a float64 evaluation from the definition: pair rotation with
// rotation_sincos in double (what transformers computes in float64, with an exact angle).
TEST(apply_double, f64_on_the_fly_matches_float64_definition) {
    const auto t = kt::yarn_or_plain_table(128, 96);
    const int tokens = 64, heads = 2;
    kt::rng r(9);
    std::vector<double> x(tokens * heads * 128);
    for (auto& v : x) v = r.uniform(-2, 2);
    std::vector<std::int64_t> pos(tokens);
    for (auto& p : pos) p = r.integer(0, 131071);
    auto y = x;
    ASSERT_TRUE(rs::apply_rope(t, rs::rotary_layout::half_split, pos,
                               rs::in_place(rs::make_heads_view(y.data(), tokens, heads, 128))));
    double worst = 0;
    for (int tk = 0; tk < tokens; ++tk)
        for (int h = 0; h < heads; ++h) {
            const double* in = x.data() + (tk * heads + h) * 128;
            const double* out = y.data() + (tk * heads + h) * 128;
            for (int i = 0; i < 48; ++i) {
                const auto e =
                    rs::rotation_sincos(pos[tk], t.inv_freq[static_cast<std::size_t>(i)]);
                const double c = e.cos * t.attention_factor, s = e.sin * t.attention_factor;
                worst = std::max({worst, std::fabs(out[i] - (in[i] * c - in[i + 48] * s)),
                                  std::fabs(out[i + 48] - (in[i + 48] * c + in[i] * s))});
            }
            for (int ch = 96; ch < 128; ++ch) EXPECT_EQ(out[ch], in[ch]);
        }
    EXPECT_LE(worst, 1e-14);
}

}  // namespace
