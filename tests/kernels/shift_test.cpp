// Inverse rotation and the KV-cache shift.
//
// With a YaRN table (attention factor m = 1.1386), keys cached after RoPE are k_p = m R(p) k.
// A shift by delta must give m R(p + delta) k: the pure rotation R(delta), never m again.
// Tested on every ISA, cached (a `separate` cache, and the folded one, whose entries the shift
// divides by m) and on the fly, f32 and f64:
//   - shift(a) then shift(b) == shift(a + b) == rotating the unrotated key at p + a + b;
//   - negative deltas; shift(a) then shift(-a) returns the key;
//   - apply then inverse returns the input (cached with m folded, and on the fly);
//   - 1000 shifts leave every pair's magnitude unchanged: |norm change| <= 1000 * 4u relative
//     (u = 2^-24 for f32 and for f64 with an f32 cache, 2^-53 for f64 on the fly): each pure
//     rotation changes a pair norm by at most ~4u (cos^2 + sin^2 = 1 within 2u after rounding the
//     entries, ~2u from the arithmetic), accumulated linearly in the worst case;
//   - the llama.cpp behaviour (re-running the forward rope with m folded) compounds m^n;
//     shift_rope with the folded cache does not.
// Tolerances for composed rotations: each f32 rotation of a pair of magnitude r errs by at
// most 2^-21 r m (support.hpp), so three chained rotations stay within 1e-5 r; f64 on the fly:
// 1e-13 r; f64 with an f32 cache: 1e-5 r (the entries are f32).
#include "support.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

namespace rs = ropescale;

// f64 elements on the fly are the double path; with a cache the cos/sin are f32 entries, so
// f64 elements get f32-level rotations (cos^2 + sin^2 = 1 only to ~2^-24).
template <class T>
double tol(bool cached) {
    return std::is_same<T, double>::value && !cached ? 1e-13 : 1e-5;
}

struct shift_env {
    rs::frequency_table table = kt::yarn_or_plain_table(128, 128);
    rs::rope_cache folded = *rs::build_rope_cache(table, 70000, rs::attention_factor_mode::folded);
    rs::rope_cache pure = *rs::build_rope_cache(table, 70000, rs::attention_factor_mode::separate);
};

template <class T>
std::vector<T> random_keys(int tokens, int heads, std::uint64_t seed) {
    kt::rng r(seed);
    std::vector<T> k(static_cast<std::size_t>(tokens) * heads * 128);
    for (auto& v : k) v = static_cast<T>(r.uniform(-2, 2));
    return k;
}

template <class T>
double max_diff(const std::vector<T>& a, const std::vector<T>& b) {
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    return m;
}

// folded: the cached shifts read the folded cache (entries divided by m).
template <class Arch, class T>
void composition(bool cached, rs::rotary_layout layout, bool folded = false) {
    SCOPED_TRACE(std::string(cached ? "cached " : "on_the_fly ") + (folded ? "folded " : "") +
                 rs::to_string(layout) + " " + kt::type_name<T>());
    shift_env env;
    const rs::rope_cache& shift_cache = folded ? env.folded : env.pure;
    const int tokens = 6, heads = 4;
    const auto k0 = random_keys<T>(tokens, heads, 21);
    std::vector<std::int32_t> p{0, 17, 4000, 123, 9, 30000};
    std::vector<std::int32_t> a{5, -17, 100, 4000, 0, -29999};
    std::vector<std::int32_t> b{7, 3, -4100, 20000, 1, 30000};
    std::vector<std::int32_t> ab(tokens), pab(tokens), neg_a(tokens);
    for (int t = 0; t < tokens; ++t) {
        ab[t] = a[t] + b[t];
        pab[t] = p[t] + ab[t];
        neg_a[t] = -a[t];
    }
    auto view = [&](std::vector<T>& v) {
        return rs::in_place(rs::make_heads_view(v.data(), tokens, heads, 128));
    };
    auto rotate = [&](std::vector<T>& v, const std::vector<std::int32_t>& pos) {
        ASSERT_TRUE(cached ? rs::apply_rope<Arch>(env.folded, layout, pos, view(v))
                           : rs::apply_rope<Arch>(env.table, layout, pos, view(v)));
    };
    auto shift = [&](std::vector<T>& v, const std::vector<std::int32_t>& d) {
        auto s = cached ? rs::shift_rope<Arch>(shift_cache, layout, d, view(v))
                        : rs::shift_rope<Arch>(env.table, layout, d, view(v));
        ASSERT_TRUE(s) << s.err().what();
    };
    auto kp = k0;
    rotate(kp, p);  // keys as cached: m R(p) k
    auto two_steps = kp;
    shift(two_steps, a);
    shift(two_steps, b);
    auto one_step = kp;
    shift(one_step, ab);
    auto direct = k0;
    rotate(direct, pab);                                                     // m R(p + a + b) k
    const double scale = 2.0 * std::sqrt(2.0) * env.table.attention_factor;  // pair magnitude bound
    EXPECT_LE(max_diff(two_steps, one_step), tol<T>(cached) * scale);
    EXPECT_LE(max_diff(one_step, direct), tol<T>(cached) * scale);
    auto back = kp;
    shift(back, a);
    shift(back, neg_a);
    EXPECT_LE(max_diff(back, kp), tol<T>(cached) * scale);
}

template <class Arch, class T>
void inverse_round_trip(bool cached, rs::rotary_layout layout) {
    SCOPED_TRACE(std::string(cached ? "cached " : "on_the_fly ") + rs::to_string(layout) + " " +
                 kt::type_name<T>());
    shift_env env;
    const int tokens = 5, heads = 3;
    const auto x = random_keys<T>(tokens, heads, 4);
    std::vector<std::int64_t> p{0, 1, 65535, 69999, 42};
    auto y = x;
    auto view = rs::in_place(rs::make_heads_view(y.data(), tokens, heads, 128));
    const auto fwd = rs::rotation_direction::forward, inv = rs::rotation_direction::inverse;
    if (cached) {
        ASSERT_TRUE(rs::apply_rope<Arch>(env.folded, layout, p, view, {}, fwd));
        EXPECT_GT(max_diff(x, y), 0.1);
        ASSERT_TRUE(rs::apply_rope<Arch>(env.folded, layout, p, view, {}, inv));
    } else {
        ASSERT_TRUE(rs::apply_rope<Arch>(env.table, layout, p, view, {}, fwd));
        EXPECT_GT(max_diff(x, y), 0.1);
        ASSERT_TRUE(rs::apply_rope<Arch>(env.table, layout, p, view, {}, inv));
    }
    EXPECT_LE(max_diff(x, y), tol<T>(cached) * 2.0 * std::sqrt(2.0));
}

// folded: the shifts read the folded cache, whose entries divided by m (two more f32
// roundings, of 1/m and of each product) change a pair norm by up to ~8u per shift instead of
// ~4u (file comment).
template <class Arch, class T>
void thousand_shifts(bool cached, bool folded = false) {
    SCOPED_TRACE(std::string(cached ? "cached " : "on_the_fly ") + (folded ? "folded " : "") +
                 kt::type_name<T>());
    shift_env env;
    const rs::rope_cache& shift_cache = folded ? env.folded : env.pure;
    const int tokens = 4, heads = 2;
    auto k = random_keys<T>(tokens, heads, 77);
    const auto k0 = k;
    kt::rng r(5);
    for (int n = 0; n < 1000; ++n) {
        std::vector<std::int32_t> d(tokens);
        for (auto& v : d) v = static_cast<std::int32_t>(r.integer(-60000, 60000));
        auto view = rs::in_place(rs::make_heads_view(k.data(), tokens, heads, 128));
        ASSERT_TRUE(cached
                        ? rs::shift_rope<Arch>(shift_cache, rs::rotary_layout::half_split, d, view)
                        : rs::shift_rope<Arch>(env.table, rs::rotary_layout::half_split, d, view));
    }
    const double u =
        std::is_same<T, double>::value && !cached ? std::ldexp(1.0, -53) : std::ldexp(1.0, -24);
    double worst = 0;
    for (int row = 0; row < tokens * heads; ++row)
        for (int i = 0; i < 64; ++i) {
            const double a1 = static_cast<double>(k0[row * 128 + i]),
                         a2 = static_cast<double>(k0[row * 128 + 64 + i]);
            const double b1 = static_cast<double>(k[row * 128 + i]),
                         b2 = static_cast<double>(k[row * 128 + 64 + i]);
            const double n0 = std::hypot(a1, a2), n1 = std::hypot(b1, b2);
            worst = std::max(worst, std::fabs(n1 - n0) / n0);
        }
    EXPECT_LE(worst, 1000 * (folded ? 8 : 4) * u);
    ::testing::Test::RecordProperty(std::string("worst_relative_norm_change_") +
                                        (cached ? "cached_" : "fly_") + (folded ? "folded_" : "") +
                                        kt::type_name<T>(),
                                    std::to_string(worst));
}

KT_ISA_TEST(shift_isa, shifts_compose_and_match_rotation_at_the_new_position) {
    for (bool cached : {true, false})
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
            composition<Arch, float>(cached, layout);
            composition<Arch, double>(cached, layout);
        }
    for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
        composition<Arch, float>(true, layout, true);
        composition<Arch, double>(true, layout, true);
    }
}

KT_ISA_TEST(shift_isa, apply_then_inverse_returns_the_input) {
    for (bool cached : {true, false})
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
            inverse_round_trip<Arch, float>(cached, layout);
            inverse_round_trip<Arch, double>(cached, layout);
        }
}

KT_ISA_TEST(shift_isa, magnitudes_unchanged_after_1000_shifts) {
    for (bool cached : {true, false}) {
        thousand_shifts<Arch, float>(cached);
        thousand_shifts<Arch, double>(cached);
    }
    thousand_shifts<Arch, float>(true, true);
    thousand_shifts<Arch, double>(true, true);
}

// What llama.cpp's context shift does: it re-runs the forward rope, factor included, so each
// shift multiplies the rotated channels by m again. Reproduced with apply_rope on a folded
// cache; shift_rope, with that cache or a pure one, keeps the magnitude.
TEST(shift_semantics, forward_rope_as_shift_compounds_the_factor_shift_rope_does_not) {
    shift_env env;
    const double m = env.table.attention_factor;
    ASSERT_GT(m, 1.1);
    auto k = random_keys<float>(1, 1, 3);
    const auto k0 = k;
    std::vector<std::int32_t> d{10};
    auto view = rs::in_place(rs::make_heads_view(k.data(), 1, 1, 128));
    for (int n = 0; n < 5; ++n)
        ASSERT_TRUE(rs::apply_rope(env.folded, rs::rotary_layout::half_split, d, view));
    const double ratio = std::hypot(k[0], k[64]) / std::hypot(k0[0], k0[64]);
    EXPECT_NEAR(ratio, std::pow(m, 5), 1e-4);  // compounded: m^5 = 1.91 for s = 4

    auto k1 = k0;
    auto view1 = rs::in_place(rs::make_heads_view(k1.data(), 1, 1, 128));
    for (int n = 0; n < 5; ++n)
        ASSERT_TRUE(rs::shift_rope(env.folded, rs::rotary_layout::half_split, d, view1));
    // Each shift from the folded entries changes a pair norm by at most ~8u (the entries'
    // 2u, the roundings of 1/m and of the products 4u, the arithmetic 2u; u = 2^-24).
    EXPECT_NEAR(std::hypot(k1[0], k1[64]) / std::hypot(k0[0], k0[64]), 1.0, 5 * 8 * 0x1p-24);

    auto k2 = k0;
    auto view2 = rs::in_place(rs::make_heads_view(k2.data(), 1, 1, 128));
    for (int n = 0; n < 5; ++n)
        ASSERT_TRUE(rs::shift_rope(env.pure, rs::rotary_layout::half_split, d, view2));
    EXPECT_NEAR(std::hypot(k2[0], k2[64]) / std::hypot(k0[0], k0[64]), 1.0, 1e-6);

    std::vector<std::int32_t> too_far{70000};
    auto s = rs::shift_rope(env.pure, rs::rotary_layout::half_split, too_far, view2);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().code, rs::errc::position_out_of_range);
    EXPECT_EQ(s.err().field, "positions[0]");
}

}  // namespace
