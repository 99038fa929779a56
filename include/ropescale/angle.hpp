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
// Precision contract (tested against __float128 in tests/core/angle_test.cpp): for integer p
// and double f >= 0 with |p| <= 2^31 and |p f| <= 2^31 (the exact-angle domain),
//   |reduce_angle(p, f) - (p f mod 2 pi)| <= 1e-15 and
//   |rotation_sincos(p, f) - (sin, cos)(p f)| <= 2e-15,
// where p f is the exact product of the two given numbers. The domain keeps the multiple k of
// 2 pi below 2^30, where k * two_pi_{1,2} below are exact; beyond it k * two_pi_1 rounds and
// the error grows with |p f| (5e-5 rad at p = 2^31 - 1, f = 1024, tests/core/angle_test.cpp;
// more in the kernels, whose polynomials assume |r| <= pi + 2^-9). Every entry point of the
// library that forms angles accepts only positions inside the domain of its table:
// |p| <= exact_position_limit(largest inv_freq) (below; the table rule is check_usable in
// frequency_table.hpp).
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
/// The scalar reference's reduction; the kernels' batches take the same steps in
/// detail::reduce_two_pi_batch (detail/angles.hpp), with the multiply-subtracts written as fused
/// operations so that every arch with a fused multiply-add gives the same bits.
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

/// Bound of the exact-angle domain: |position * inv_freq| <= max_exact_angle (file comment).
inline constexpr double max_exact_angle = 0x1p31;

/// Largest |position| any entry point accepts, whatever the frequencies: 2^31 (the domain
/// for inv_freq <= 1, and exact as a double and in the kernels' product splits).
inline constexpr std::int64_t max_exact_position = std::int64_t{1} << 31;

/// The largest integer L <= 2^31 with L * f <= 2^31 (the exact product), for a finite f >= 0:
/// the positions |p| <= L keep p * f' inside the exact-angle domain for every f' in [0, f].
/// 2^31 when f <= 1. Pure; noexcept; no allocation (one division and one fused multiply-add).
inline std::int64_t exact_position_limit(double f) noexcept {
    if (!(f > 1.0)) return max_exact_position;
    // q = fl(2^31 / f) < 2^31 is within 2^-22 of the quotient, and rounding is monotonic, so
    // floor(q) is the answer or one above it (when the quotient lies just below an integer
    // that q rounds up to). The test L * f <= 2^31 is exact: L * f = hi + lo exactly, and
    // below 2^31 the doubles are 2^-22 apart while |lo| <= 2^-23 when hi is next to 2^31.
    auto limit = static_cast<std::int64_t>(std::floor(max_exact_angle / f));
    const double l = static_cast<double>(limit);
    const double hi = l * f;
    const double lo = std::fma(l, f, -hi);
    if (hi > max_exact_angle || (hi == max_exact_angle && lo > 0.0)) --limit;
    return limit;
}

/// The angle position * inv_freq reduced modulo 2 pi into about [-pi, pi], in double.
/// Precision: see the file comment (<= 1e-15 absolute for |position| <= 2^31 and
/// |position * inv_freq| <= 2^31).
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
/// Precision: <= 2e-15 absolute for |position| <= 2^31 and |position * inv_freq| <= 2^31
/// (file comment).
inline sin_cos rotation_sincos(std::int64_t position, double inv_freq) noexcept {
    const double r = reduce_angle(position, inv_freq);
    return {std::sin(r), std::cos(r)};
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_ANGLE_HPP
