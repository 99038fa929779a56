// Quad-precision references for the exact-angle tests (tests/core/angle_test.cpp,
// tests/kernels/domain_test.cpp), where the build has __float128 (ROPESCALE_TEST_HAVE_QUADMATH,
// tests/CMakeLists.txt's ropescale_use_quadmath): the product p * f of a position below 2^32
// and a double has 32 + 53 bits, so it is exact in the 113 bits of __float128, and sinq / cosq
// reduce their argument with their own 2 pi to quad precision. Also the one table of those
// tests whose inverse frequencies leave [0, 1].
#ifndef ROPESCALE_TESTS_SUPPORT_QUAD_REFERENCE_HPP
#define ROPESCALE_TESTS_SUPPORT_QUAD_REFERENCE_HPP

#include <ropescale/angle.hpp>
#include <ropescale/params.hpp>

#include <cmath>
#include <cstdint>

#if defined(ROPESCALE_TEST_HAVE_QUADMATH)
extern "C" {
#include <quadmath.h>
}

namespace kt {  // the test kit

namespace rs = ropescale;

// pi from acosq(-1) rather than the M_PIq literal, whose Q suffix -Wpedantic rejects.
inline const __float128 two_pi_q = 2 * acosq(static_cast<__float128>(-1));

// (p * f) mod 2 pi in [-pi, pi], in quad precision.
inline __float128 exact_reduced(std::int64_t p, double f) {
    return remainderq(static_cast<__float128>(p) * static_cast<__float128>(f), two_pi_q);
}

// (sin, cos)(p f) in quad precision, rounded to double.
inline rs::sin_cos exact_sincos(std::int64_t p, double f) {
    const __float128 a = exact_reduced(p, f);
    return {static_cast<double>(sinq(a)), static_cast<double>(cosq(a))};
}

// Whether |p * f| <= 2^31, the exact-angle domain (angle.hpp), decided on the exact product.
inline bool in_domain(std::int64_t p, double f) {
    return fabsq(static_cast<__float128>(p) * static_cast<__float128>(f)) <=
           static_cast<__float128>(std::ldexp(1.0, 31));
}

}  // namespace kt
#endif  // ROPESCALE_TEST_HAVE_QUADMATH

namespace kt {

// YaRN as the YaRN authors configure it, extrapolation_factor 2: inv_freq[0] above 1.
inline ropescale::rope_config yarn_extrapolation_2_config() {
    ropescale::rope_config c;
    c.head_dim = 128;
    ropescale::yarn y;
    y.factor = 32.0;
    y.original_max_position_embeddings = 4096;
    y.extrapolation_factor = 2.0;
    c.scaling = y;
    return c;
}

}  // namespace kt

#endif  // ROPESCALE_TESTS_SUPPORT_QUAD_REFERENCE_HPP
