// fp16 / bf16 storage conversions.
//  - scalar (half.hpp): every one of the 65536 fp16 and bf16 inputs; float -> fp16 / bf16 on
//    every float whose low 13 bits are one of a few rounding-critical patterns (ties, just
//    below / above ties) for all 2^19 high parts, plus specials. Against `_Float16` (g++ on x86,
//    software conversion) when available, else against the definition (nearest, ties even).
//    (An exhaustive 2^32 sweep against _Float16 was run once by hand, 0 mismatches.)
//  - SIMD (each ISA): an identity rotation must give back every 16-bit pattern (the vector
//    loads and stores are exact; NaNs quiet, sign and payload kept), and rotated values must
//    be stored rounded exactly as the scalar conversion rounds them: random products,
//    rounding-critical patterns in every binade, and a random sample of f32 values (see
//    identity_round_trip, store_rounding and store_rounding_critical).
#include "support.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace {

namespace rs = ropescale;

float bits_to_float(std::uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
std::uint32_t float_bits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Round-to-nearest-even of a finite float to bf16, from the definition (long arithmetic).
std::uint16_t bf16_by_definition(float f) {
    const std::uint32_t u = float_bits(f);
    std::uint32_t hi = u >> 16;
    const std::uint32_t rest = u & 0xffffu;
    if (rest > 0x8000u || (rest == 0x8000u && (hi & 1u))) ++hi;
    return static_cast<std::uint16_t>(hi);
}

std::vector<float> critical_floats() {
    std::vector<float> v;
    for (std::uint32_t high = 0; high < (1u << 19); ++high)
        for (std::uint32_t low : {0x0000u, 0x0fffu, 0x1000u, 0x1001u, 0x0001u, 0x1fffu})
            v.push_back(bits_to_float((high << 13) | low));
    // bf16 ties and neighbours
    for (std::uint32_t high = 0; high < (1u << 16); high += 7)
        for (std::uint32_t low : {0x7fffu, 0x8000u, 0x8001u})
            v.push_back(bits_to_float((high << 16) | low));
    return v;
}

TEST(half_scalar, fp16_to_float_matches_definition_for_all_inputs) {
    for (std::uint32_t i = 0; i < 65536; ++i) {
        const float f = rs::to_float(rs::fp16{static_cast<std::uint16_t>(i)});
        const std::uint32_t e = (i >> 10) & 0x1f, m = i & 0x3ff;
        const double sign = (i & 0x8000) ? -1.0 : 1.0;
        if (e == 0x1f) {
            if (m == 0) {
                EXPECT_TRUE(std::isinf(f)) << i;
            } else {
                EXPECT_TRUE(std::isnan(f)) << i;
                EXPECT_EQ(float_bits(f) & 0x00400000u, 0x00400000u) << "NaN not quiet " << i;
            }
            continue;
        }
        const double want = e == 0 ? sign * std::ldexp(static_cast<double>(m), -24)
                                   : sign * std::ldexp(1.0 + m / 1024.0, static_cast<int>(e) - 15);
        EXPECT_EQ(static_cast<double>(f), want) << i;
#if defined(__FLT16_MAX__)
        _Float16 h;
        const std::uint16_t b = static_cast<std::uint16_t>(i);
        std::memcpy(&h, &b, 2);
        EXPECT_EQ(float_bits(static_cast<float>(h)), float_bits(f)) << i;
#endif
    }
}

TEST(half_scalar, float_to_fp16_rounds_to_nearest_even) {
    for (float f : critical_floats()) {
        const std::uint16_t got = rs::to_fp16(f).bits;
#if defined(__FLT16_MAX__)
        const _Float16 h = static_cast<_Float16>(f);
        std::uint16_t want;
        std::memcpy(&want, &h, 2);
        ASSERT_EQ(got, want) << std::hex << float_bits(f);
#else
        if (std::isfinite(f)) {  // nearest: no other fp16 is closer, ties to even
            const double back = rs::to_float(rs::fp16{got});
            if (std::isfinite(back)) {
                const double err = std::fabs(back - f);
                const double up = rs::to_float(rs::fp16{static_cast<std::uint16_t>(got + 1)});
                ASSERT_LE(err, std::fabs(up - f)) << f;
            }
        }
#endif
    }
    EXPECT_EQ(rs::to_fp16(65519.99f).bits, 0x7bffu);
    EXPECT_EQ(rs::to_fp16(65520.0f).bits, 0x7c00u);
    EXPECT_EQ(rs::to_fp16(-0.0f).bits, 0x8000u);
    EXPECT_EQ(rs::to_fp16(std::ldexp(1.0f, -25)).bits, 0x0000u);  // tie to even (0)
    EXPECT_EQ(rs::to_fp16(std::ldexp(1.5f, -25)).bits, 0x0001u);
    EXPECT_EQ(rs::to_fp16(std::ldexp(1.0f, -24)).bits, 0x0001u);
    EXPECT_EQ(rs::to_fp16(bits_to_float(0x7f800001u)).bits & 0x7e00u, 0x7e00u);  // quiet NaN
}

TEST(half_scalar, bf16_round_trip_and_rounding) {
    for (std::uint32_t i = 0; i < 65536; ++i) {
        const rs::bf16 b{static_cast<std::uint16_t>(i)};
        const float f = rs::to_float(b);
        EXPECT_EQ(float_bits(f), i << 16);
        if (!std::isnan(f)) {
            EXPECT_EQ(rs::to_bf16(f).bits, i);
        } else {
            EXPECT_TRUE(std::isnan(rs::to_float(rs::to_bf16(f))));
        }
    }
    for (float f : critical_floats()) {
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(rs::to_float(rs::to_bf16(f))));
            continue;
        }
        ASSERT_EQ(rs::to_bf16(f).bits, bf16_by_definition(f)) << std::hex << float_bits(f);
    }
    EXPECT_EQ(rs::to_bf16(bits_to_float(0x7f7fffffu)).bits, 0x7f80u);  // rounds up to inf
    EXPECT_EQ(rs::to_bf16(bits_to_float(0x00008000u)).bits, 0x0000u);  // subnormal tie to even
    EXPECT_EQ(rs::to_bf16(bits_to_float(0x00018000u)).bits, 0x0002u);  // subnormal tie, odd up
    EXPECT_EQ(rs::to_bf16(bits_to_float(0x7f800001u)).bits, 0x7fc0u);  // quiet NaN
}

// Identity rotation through each ISA: position 0 of a plain table (cos 1, sin 0, factor 1),
// interleaved, every 16-bit pattern in the first channel of a pair whose second channel is 0.
// x1 * 1 - 0 * 0 is x1 exactly (also -0), so the output must be the input bits (NaN stays NaN).
template <class Arch, class T>
void identity_round_trip() {
    const auto table = kt::plain_table(64, 64);
    const auto cache = *rs::build_rope_cache<Arch>(table, 1, rs::attention_factor_mode::separate);
    const int tokens = 65536 / 32;
    std::vector<T> in(2 * 65536), out(2 * 65536);
    for (std::uint32_t i = 0; i < 65536; ++i) {
        in[2 * i] = T{static_cast<std::uint16_t>(i)};
        in[2 * i + 1] = T{0};
    }
    std::vector<std::int32_t> pos(tokens, 0);
    auto s = rs::apply_rope<Arch>(cache, rs::rotary_layout::interleaved, pos,
                                  rs::out_of_place(rs::make_heads_view(in.data(), tokens, 1, 64),
                                                   rs::make_heads_view(out.data(), tokens, 1, 64)));
    ASSERT_TRUE(s) << s.err().what();
    // A NaN comes back quiet with its sign and payload (x * 1 - 0 and the conversions keep
    // them; the quiet bit is the fraction's top bit).
    const std::uint16_t quiet = std::is_same<T, rs::fp16>::value ? 0x0200u : 0x0040u;
    for (std::uint32_t i = 0; i < 65536; ++i) {
        const bool nan = std::isnan(rs::to_float(in[2 * i]));
        const auto want = static_cast<std::uint16_t>(nan ? in[2 * i].bits | quiet : in[2 * i].bits);
        EXPECT_EQ(out[2 * i].bits, want) << std::hex << i;
    }
}

// Rounding of the kernel's stores: pairs (x, 0) rotated at random positions. Lane by lane the
// kernel computes x c - 0 s = fl(x c) and 0 c + x s = fl(x s) (a product rounded once in f32,
// the zero term exact), then stores them rounded to 16 bits: that must equal the scalar
// conversion (half.hpp) of the same f32 products, bit for bit.
template <class Arch, class T>
void store_rounding() {
    const auto table = kt::plain_table(64, 64);
    const auto cache = *rs::build_rope_cache<Arch>(table, 64, rs::attention_factor_mode::separate);
    kt::rng r(7);
    const int tokens = 512;
    std::vector<T> in(64 * tokens), out(64 * tokens);
    std::vector<std::int32_t> pos(tokens);
    for (int t = 0; t < tokens; ++t) {
        pos[t] = static_cast<std::int32_t>(r.integer(0, 63));
        for (int i = 0; i < 32; ++i) {
            const double x =
                r.uniform(-70000.0, 70000.0) * std::ldexp(1.0, -static_cast<int>(r.next() % 40));
            in[64 * t + 2 * i] = kt::from_double<T>(x);
            in[64 * t + 2 * i + 1] = T{0};
        }
    }
    ASSERT_TRUE(
        rs::apply_rope<Arch>(cache, rs::rotary_layout::interleaved, pos,
                             rs::out_of_place(rs::make_heads_view(in.data(), tokens, 1, 64),
                                              rs::make_heads_view(out.data(), tokens, 1, 64))));
    for (int t = 0; t < tokens; ++t) {
        for (int i = 0; i < 32; ++i) {
            const float x = rs::to_float(in[64 * t + 2 * i]);
            const float c = cache.cos_row(pos[t])[i];
            const float s = cache.sin_row(pos[t])[i];
            const float xc = x * c;
            const float xs = x * s;
            // Zeros compare equal whatever their sign: 0 c + x s is +0 + (-0) = +0 when x s = -0.
            const auto same = [](T a, T b) {
                return a.bits == b.bits || (rs::to_float(a) == 0.0f && rs::to_float(b) == 0.0f);
            };
            EXPECT_PRED2(same, out[64 * t + 2 * i], kt::from_double<T>(xc)) << t << " " << i;
            EXPECT_PRED2(same, out[64 * t + 2 * i + 1], kt::from_double<T>(xs)) << t << " " << i;
        }
    }
}

// Rounding-critical values through the kernels' stores. At position 0 the cache entry of a
// folded cache is exactly m (cos 0 = 1, sin 0 = 0), so with m an f32 value v and inputs
// x = +-2^k the kernel's outputs are fl(x v) = +-2^k v, any float we choose, each then rounded
// to 16 bits by the store. v takes every low-16-bit pattern that decides a bf16 rounding (0,
// 1, just below, at and just above the tie, 0xffff) and, for fp16, the ones at its 13-bit
// boundary, over high parts of both parities and every binade of a usable attention factor,
// [2^-32, 2^32] (check_usable); the scales 2^k carry the products over every binade of T,
// into overflow and into subnormals; both layouts, head_dim 72 so that the grouped, the
// leftover and the lane-by-lane paths all store. Expected: the scalar conversion (half.hpp) of
// the same f32 product, bit for bit.
//
// random_sample: instead of those patterns, f32 values v with random fractions and signs over
// the exponents that matter for T (a sample of the values no pattern above singles out).
template <class Arch, class T>
void store_rounding_critical(bool random_sample) {
    const int head_dim = 72;
    rs::frequency_table table = kt::plain_table(head_dim, head_dim);
    kt::rng r(11);
    const std::uint32_t lows16[] = {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu};
    const std::uint32_t lows13[] = {0x0fffu, 0x1000u, 0x1001u, 0x1fffu};
    // Scales representable in T (bf16 down to its subnormals; fp16: 2^-24 .. 2^15); with v in
    // [2^-32, 2^32] the products reach every binade of T (bf16: 2^-165 .. 2^159).
    constexpr bool is_bf16 = std::is_same<T, rs::bf16>::value;
    const int ks[] = {0,
                      -1,
                      is_bf16 ? -60 : 5,
                      is_bf16 ? -20 : -10,
                      is_bf16 ? 60 : 15,
                      is_bf16 ? -100 : -14,
                      is_bf16 ? 100 : 10,
                      is_bf16 ? -126 : -24,
                      is_bf16 ? 127 : 12,
                      is_bf16 ? -133 : -20};
    const int tokens = 4;
    std::vector<T> in(static_cast<std::size_t>(tokens) * head_dim), out(in.size());
    const std::vector<std::int32_t> pos(tokens, 0);
    std::vector<std::uint32_t> patterns;
    if (random_sample) {
        // Random fractions (all 23 bits) over the exponents whose products with the scales
        // land in and around T's range (positive: the attention factor; x carries the sign).
        // (Attention factors stay usable: [2^-32, 2^32], biased exponents 95 .. 158.)
        const std::uint32_t lo = is_bf16 ? 95u : 97u, hi = is_bf16 ? 158u : 150u;
        for (int n = 0; n < 6000; ++n) {
            const auto u = static_cast<std::uint32_t>(r.next());
            const auto exponent = lo + static_cast<std::uint32_t>(r.next() % (hi - lo + 1));
            patterns.push_back((u & 0x007fffffu) | (exponent << 23));
        }
    } else {
        for (std::uint32_t exponent = 127 - 32; exponent < 127 + 32; ++exponent) {
            for (std::uint32_t variant = 0; variant < 2; ++variant) {
                // High part: the exponent, then 7 random fraction bits with a given last bit.
                const std::uint32_t frac7 =
                    (static_cast<std::uint32_t>(r.next()) & 0x7eu) | variant;
                const std::uint32_t high = (exponent << 7) | frac7;
                for (std::uint32_t low : lows16) patterns.push_back((high << 16) | low);
                for (std::uint32_t low : lows13)
                    patterns.push_back((high << 16) |
                                       (static_cast<std::uint32_t>(r.next()) & 0xe000u) | low);
            }
        }
    }
    int checked = 0;
    for (std::uint32_t bits : patterns) {
        const float v = bits_to_float(bits);
        table.attention_factor = static_cast<double>(v);
        const auto cache = rs::build_rope_cache<Arch>(table, 1, rs::attention_factor_mode::folded);
        ASSERT_TRUE(cache);
        ASSERT_EQ(cache->cos_row(0)[0], v);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const int k = ks[(i + static_cast<std::size_t>(bits)) % 10];
            in[i] = kt::from_double<T>(std::ldexp((i % 3 == 0) ? -1.0 : 1.0, k));
        }
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
            ASSERT_TRUE(rs::apply_rope<Arch>(
                *cache, layout, pos,
                rs::out_of_place(rs::make_heads_view(in.data(), tokens, 1, head_dim),
                                 rs::make_heads_view(out.data(), tokens, 1, head_dim))));
            for (std::size_t i = 0; i < in.size(); ++i) {
                const float y = rs::to_float(in[i]) * v;
                const T want = kt::from_double<T>(y);
                // A product that underflows to zero may come out as +0 or -0: without
                // FMA, x1 c - x2 s is (-0) - (-0) = +0 where x1 c = -0 and x2 s = -0.
                const bool both_zero = ((out[i].bits | want.bits) & 0x7fffu) == 0;
                if (both_zero) continue;
                ASSERT_EQ(out[i].bits, want.bits)
                    << std::hex << "v bits " << bits << " x " << rs::to_float(in[i]) << " layout "
                    << rs::to_string(layout) << " index " << std::dec << i;
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 100000);
}

KT_ISA_TEST(half_simd, fp16_all_patterns_survive_identity_rotation) {
    identity_round_trip<Arch, rs::fp16>();
}

KT_ISA_TEST(half_simd, bf16_all_patterns_survive_identity_rotation) {
    identity_round_trip<Arch, rs::bf16>();
}

KT_ISA_TEST(half_simd, fp16_stores_round_to_nearest_even) { store_rounding<Arch, rs::fp16>(); }

KT_ISA_TEST(half_simd, bf16_stores_round_to_nearest_even) { store_rounding<Arch, rs::bf16>(); }

KT_ISA_TEST(half_simd, fp16_stores_round_rounding_critical_values_exactly) {
    store_rounding_critical<Arch, rs::fp16>(false);
}

KT_ISA_TEST(half_simd, fp16_stores_round_a_random_sample_exactly) {
    store_rounding_critical<Arch, rs::fp16>(true);
}

KT_ISA_TEST(half_simd, bf16_stores_round_rounding_critical_values_exactly) {
    store_rounding_critical<Arch, rs::bf16>(false);
}

KT_ISA_TEST(half_simd, bf16_stores_round_a_random_sample_exactly) {
    store_rounding_critical<Arch, rs::bf16>(true);
}

}  // namespace
