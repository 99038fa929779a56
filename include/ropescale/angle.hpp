// SPDX-License-Identifier: MIT
//
// Rotation angles in double with exact range reduction.
//
// The angle of pair i at position p is a = p * inv_freq[i]. At p = 131071 one ulp of a float
// angle is ~0.008 rad, and even a double product carries p * 2^-53 rad of rounding. Here the
// product is formed exactly as a double-double (hi + lo, with an FMA), reduced modulo 2 pi
// against a 3-part split of 2 pi (Cody-Waite, ~100 bits), and only the final remainder in
// [-pi, pi] is rounded once before std::sin / std::cos.
//
// Precision contract (tested against __float128 in tests/core/angle_test.cpp): for integer
// |p| <= 2^31 and 0 < inv_freq <= 1 (every table the library builds except LongRoPE lists
// with entries below 1, where the bound holds for |p * inv_freq| <= 2^31):
//   |reduce_angle(p, f) - (p f mod 2 pi)| <= 1e-15 and
//   |rotation_sincos(p, f) - (sin, cos)(p f)| <= 2e-15,
// where p f is the exact product of the two given numbers. Beyond |p f| = 2^31 the result
// degrades gracefully (error ~ |p f| * 2^-83 from the 2 pi split).
#ifndef ROPESCALE_ANGLE_HPP
#define ROPESCALE_ANGLE_HPP

#include "config.hpp"

#include <cmath>
#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {

// 2 pi = two_pi_1 + two_pi_2 + two_pi_3 to ~101 bits. two_pi_1 has 23 significant bits and
// two_pi_2 21, so k * two_pi_{1,2} is exact for |k| < 2^30: the Cody-Waite steps below lose
// nothing until the final additions. (Computed from 2 pi to 80 digits; see the test.)
inline constexpr double two_pi_1 = 0x1.921fb4p+2;           // 6.283185005187988
inline constexpr double two_pi_2 = 0x1.4442dp-22;           // 3.0199157663446385e-07
inline constexpr double two_pi_3 = 0x1.8469898cc5170p-46;   // 2.1561211432632476e-14
inline constexpr double inv_two_pi = 0x1.45f306dc9c883p-3;  // 1 / (2 pi)

/// Reduces the angle hi + lo (|lo| <= ulp(hi)) to r in about [-pi, pi] with r = hi + lo - 2 pi k.
/// Generic over T = double or an xsimd batch of doubles (only +, -, * and nearbyint are used),
/// so the scalar reference and the vectorised cache build share this one reduction.
template <class T>
inline T reduce_two_pi(T hi, T lo) noexcept {
    using std::nearbyint;
    const T k = nearbyint(hi * T(inv_two_pi));
    // k * two_pi_1 is exact and so is the difference (Sterbenz: hi and k * two_pi_1 are within a
    // factor 2 of each other whenever k != 0), whether or not the compiler contracts it.
    T r = hi - k * T(two_pi_1);
    r = r - k * T(two_pi_2);
    return r + (lo - k * T(two_pi_3));
}

}  // namespace detail

/// The angle position * inv_freq reduced modulo 2 pi into about [-pi, pi], in double.
/// Precision: see the file comment (<= 1e-15 absolute for |position * inv_freq| <= 2^31).
/// Pure; noexcept; no allocation.
inline double reduce_angle(std::int64_t position, double inv_freq) noexcept {
    const double p = static_cast<double>(position);  // exact for |position| <= 2^53
    const double hi = p * inv_freq;
    const double lo = std::fma(p, inv_freq, -hi);  // exact rounding error of the product
    return detail::reduce_two_pi(hi, lo);
}

/// sin and cos of one angle.
struct sin_cos {
    double sin = 0.0;
    double cos = 1.0;
};

/// sin and cos of position * inv_freq, computed in double after exact range reduction: the
/// library's double-precision reference for every cos/sin it produces.
/// Precision: <= 2e-15 absolute for |position * inv_freq| <= 2^31 (file comment).
inline sin_cos rotation_sincos(std::int64_t position, double inv_freq) noexcept {
    const double r = reduce_angle(position, inv_freq);
    return {std::sin(r), std::cos(r)};
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_ANGLE_HPP
