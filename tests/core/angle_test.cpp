// The exact-reduction angle path against an independent quad-precision evaluation
// (__float128 via libquadmath: the product p * f of a <= 31-bit integer and a double is exact
// in 113 bits, and sinq / cosq reduce their argument with their own 2 pi to quad precision).
// Contract under test (angle.hpp): |reduce_angle - exact| <= 1e-15 modulo 2 pi and
// |rotation_sincos - exact| <= 2e-15 for |p * inv_freq| <= 2^31.
#include <gtest/gtest.h>

#include <ropescale/ropescale.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#if defined(ROPESCALE_TEST_HAVE_QUADMATH)
extern "C" {
#include <quadmath.h>
}

namespace rs = ropescale;

namespace {

// pi from acosq(-1) rather than the M_PIq literal, whose Q suffix -Wpedantic rejects.
const __float128 two_pi_q = 2 * acosq(static_cast<__float128>(-1));

// (p * f) mod 2 pi in [-pi, pi], in quad precision.
__float128 exact_reduced(std::int64_t p, double f) {
    const __float128 a = static_cast<__float128>(p) * static_cast<__float128>(f);
    return remainderq(a, two_pi_q);
}

double wrapped_diff(double got, __float128 want) {
    __float128 d = static_cast<__float128>(got) - want;
    d = remainderq(d, two_pi_q);  // the two may pick different representatives near +-pi
    return static_cast<double>(fabsq(d));
}

std::vector<double> test_frequencies() {
    std::vector<double> f;
    for (double theta : {10000.0, 500000.0, 1e6})
        for (int i = 0; i < 64; ++i) f.push_back(rs::plain_inv_freq(theta, 128, i));
    rs::rope_config c;
    c.head_dim = 128;
    rs::yarn y;
    y.factor = 32.0;
    y.original_max_position_embeddings = 4096;
    c.scaling = y;
    const auto table = rs::compute_frequencies(c);
    for (double v : table->inv_freq) f.push_back(v);
    return f;
}

}  // namespace

TEST(angle, split_of_two_pi_is_exact_to_100_bits) {
    const __float128 sum = static_cast<__float128>(rs::detail::two_pi_1) +
                           static_cast<__float128>(rs::detail::two_pi_2) +
                           static_cast<__float128>(rs::detail::two_pi_3);
    EXPECT_LT(static_cast<double>(fabsq(sum - two_pi_q)), 1e-29);
    EXPECT_EQ(rs::detail::two_pi_1, 6.283185005187988);  // 23 significant bits
}

TEST(angle, reduce_and_sincos_meet_the_contract) {
    const auto freqs = test_frequencies();
    std::mt19937_64 rng(12345);
    std::uniform_int_distribution<std::int64_t> pos(-(std::int64_t{1} << 31),
                                                    std::int64_t{1} << 31);
    std::vector<std::int64_t> positions = {0,       1,          2,    3,      17,     255,
                                           1000,    4095,       4096, 8191,   131071, (1 << 24) - 1,
                                           1 << 24, 2147483647, -1,   -131071};
    for (int i = 0; i < 2000; ++i) positions.push_back(pos(rng));
    double worst_r = 0.0, worst_cs = 0.0;
    for (std::int64_t p : positions) {
        for (double f : freqs) {
            const __float128 want = exact_reduced(p, f);
            worst_r = std::max(worst_r, wrapped_diff(rs::reduce_angle(p, f), want));
            const auto cs = rs::rotation_sincos(p, f);
            worst_cs = std::max(worst_cs, std::fabs(cs.sin - static_cast<double>(sinq(want))));
            worst_cs = std::max(worst_cs, std::fabs(cs.cos - static_cast<double>(cosq(want))));
        }
    }
    EXPECT_LE(worst_r, 1e-15);
    EXPECT_LE(worst_cs, 2e-15);
    std::printf("angle: worst reduction error %.3g rad, worst sin/cos error %.3g\n", worst_r,
                worst_cs);
}

// A float32 angle at position 131071 is off by up to ~0.008 rad (STYLE.md); a double product
// without the FMA correction by ~1e-11. The exact path must beat both by orders of magnitude.
TEST(angle, beats_a_rounded_double_product) {
    const std::int64_t p = 131071;
    const double f = rs::plain_inv_freq(10000.0, 128, 1);
    const __float128 want = exact_reduced(p, f);
    const double naive = std::sin(static_cast<double>(p) * f);
    const double exact = rs::rotation_sincos(p, f).sin;
    EXPECT_LE(std::fabs(exact - static_cast<double>(sinq(want))), 2e-15);
    EXPECT_GT(std::fabs(naive - static_cast<double>(sinq(want))),
              1e-14);  // the naive path is visibly worse
}
#else
TEST(angle, skipped_without_quadmath) { GTEST_SKIP() << "no __float128 / libquadmath"; }
#endif
