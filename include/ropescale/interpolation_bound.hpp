// SPDX-License-Identifier: MIT
//
// Position Interpolation's bound analysis (Chen, Wong, Chen, Tian 2023, "Extending Context
// Window of Large Language Models via Positional Interpolation", Theorem 2.1, Eq. 5-8),
// evaluated for a frequency table.
//
// The paper writes the attention score between a query and a key at relative distance s as
//   a(s) = Re[ sum_{j=0}^{d/2-1} h_j e^{i s theta_j} ],   theta_j = c^(-2j/d),
// with d the rotated channels of a head (the paper's head dimension: d/2 pairs), c the base
// (10000 for LLaMA) and h_j the complex product of the query's and the key's pair j. Two
// bounds are compared:
//   - interpolation (Theorem 2.1, Eq. 5): for s between the integers s1 and s2 = s1 + 1,
//       |a(s) - a_linear(s)| <= d max|h| (s - s1)(s2 - s) / (8 ln c)
//     and with (s - s1)(s2 - s) <= 1/4, <= d max|h| / (32 ln c)   (Eq. 7).
//     A bound of this form follows from |a''(s)| <= max|h| sum_j theta_j^2: the error of
//     linear interpolation between s1 and s2 is at most (s - s1)(s2 - s) max|a''| / 2, so
//     |a(s) - a_linear(s)| <= max|h| (s - s1)(s2 - s) sum_j theta_j^2 / 2 (the curvature
//     bound). Eq. 5 is this bound with the sum replaced by its integral estimate
//     d / (4 ln c). For plain frequencies the sum is (1 - c^-2) / (1 - c^(-4/d)), about
//     d / (4 ln c) + 1/2: 3.998 against 3.474 for d = 128, c = 10000, so Eq. 5's closed form
//     is below the curvature bound. Both are returned (interpolation_bound).
//   - extrapolation (Eq. 8, from RoFormer 3.4.3): |a(s)| <= 2 max|h| B(s) with
//       B(s) = sum_{k=0}^{d/2-1} |A_{k+1}(s)|,   A_k(s) = sum_{j<k} e^{i s theta_j},
//     so B(0) = (d/2)(d/2 + 1)/2 (d = 128: B(0)/d = 16.25). The paper's "~600x" compares
//     B(s)/d >= 1 (LLaMA-7B: d = 128, c = 10000, s in [0, 4096)) with 1 / (32 ln c) = 1/294.73.
//     extrapolation_bound evaluates B(s)/d over a range of distances.
//
// For a scaled table: the theorem and Eq. 8 are stated for plain RoPE frequencies
// theta_j = c^(-2j/d). Here theta_j is the table's inv_freq[j], whatever built it, and d is its
// rotary_dim. For a plain table the quantities are the paper's. For another table they are the
// same formulas with that table's frequencies: sum_j theta_j^2 / 2 is still the curvature-bound
// coefficient of its score at non-integer distances, and B(s) the extrapolation quantity of its
// score at integer distance s (a linear-interpolation table with factor f has B(s) = B_plain(s /
// f)). The paper's closed form d / (8 ln c) uses the table's base (the configured rope_theta, or
// the effective base b' of NTK methods) and describes a plain table with that base only.
#ifndef ROPESCALE_INTERPOLATION_BOUND_HPP
#define ROPESCALE_INTERPOLATION_BOUND_HPP

#include "angle.hpp"
#include "error.hpp"
#include "frequency_table.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Theorem 2.1's interpolation bound for one table, per unit max|h|. The bound on
/// |a(s) - a_linear(s)| at a distance s between the integers s1 and s2 = s1 + 1 is
/// max|h| (s - s1)(s2 - s) times a coefficient; at the midpoint (s - s1)(s2 - s) = 1/4.
struct interpolation_bound_result {
    int rotary_dim = 0;            ///< d: the table's rotated channels (d/2 pairs)
    double base = 0.0;             ///< c: the table's base (frequency_table::base)
    double paper_denominator = 0;  ///< 32 ln c (Eq. 7's denominator; 294.73 for c = 10000)
    double paper_coefficient = 0;  ///< d / (8 ln c) (Eq. 5)
    double paper_worst_case = 0;   ///< d / (32 ln c) (Eq. 7)
    double sum_theta_squared = 0;  ///< sum_j inv_freq[j]^2 of the table
    double table_coefficient = 0;  ///< sum_j inv_freq[j]^2 / 2: the curvature bound
    double table_worst_case = 0;   ///< sum_j inv_freq[j]^2 / 8

    /// Eq. 5 at distance s (any real s) for max|h| = max_abs_h:
    /// max_abs_h * (s - floor(s)) * (floor(s) + 1 - s) * paper_coefficient.
    double paper_bound(double s, double max_abs_h = 1.0) const noexcept {
        const double f = s - std::floor(s);
        return max_abs_h * f * (1.0 - f) * paper_coefficient;
    }
    /// The same with the table's own sum: max_abs_h * (s - s1)(s2 - s) * table_coefficient.
    double table_bound(double s, double max_abs_h = 1.0) const noexcept {
        const double f = s - std::floor(s);
        return max_abs_h * f * (1.0 - f) * table_coefficient;
    }
};

/// Evaluates Theorem 2.1 (Eq. 5, 7) for `table` (file comment: what d and c are, and what the
/// numbers mean for a scaled table). Requires a table check_usable accepts, with base > 1
/// (finite): otherwise the error of check_usable, or errc::out_of_range on "table.base".
/// Precision: ln and a few divisions, a few ulp; the sum of squares of nonnegative doubles is
/// within d/2 ulp (relative) of the exact sum of the given inv_freq. Allocates only for an
/// error message; never throws except std::bad_alloc.
inline expected<interpolation_bound_result> interpolation_bound(const frequency_table& table) {
    if (const status ok = check_usable(table); !ok) return ok.err();
    if (!(table.base > 1.0) || !std::isfinite(table.base))
        return make_error(errc::out_of_range, "table.base", "must be finite and > 1", table.base);
    interpolation_bound_result r;
    r.rotary_dim = table.rotary_dim;
    r.base = table.base;
    const double log_c = std::log(table.base);
    const double d = static_cast<double>(table.rotary_dim);
    r.paper_denominator = 32.0 * log_c;
    r.paper_coefficient = d / (8.0 * log_c);
    r.paper_worst_case = d / r.paper_denominator;
    double sum = 0.0;
    for (const double f : table.inv_freq) sum += f * f;
    r.sum_theta_squared = sum;
    r.table_coefficient = sum / 2.0;
    r.table_worst_case = sum / 8.0;
    return r;
}

/// Eq. 8's extrapolation quantity over the distances s = first + k * step < last (k = 0, 1,
/// ...): B(s) / d for each, with d = rotary_dim, and the smallest and largest value with the
/// first distance where each occurs.
struct extrapolation_bound_result {
    int rotary_dim = 0;            ///< d
    std::int64_t first = 0;        ///< the first distance
    std::int64_t step = 1;         ///< the spacing of the distances
    std::vector<double> b_over_d;  ///< B(first + k step) / d, k = 0 .. size - 1
    double min = 0.0;              ///< smallest B(s)/d
    std::int64_t argmin = 0;       ///< the first s where it occurs
    double max = 0.0;              ///< largest B(s)/d
    std::int64_t argmax = 0;       ///< the first s where it occurs

    /// The distance of entry k: first + k * step.
    std::int64_t distance(std::size_t k) const noexcept {
        return first + static_cast<std::int64_t>(k) * step;
    }
};

/// B(s) = sum_{k=1}^{n} |A_k(s)|, A_k(s) = sum_{j<k} e^{i s theta_j}, n = pairs, theta_j =
/// inv_freq[j], at one integer distance s (Eq. 8; B(s)/d is extrapolation_bound's value).
/// Each e^{i s theta_j} is rotation_sincos(s, theta_j) (exact reduction of s * theta_j, angle.hpp),
/// the partial sums A_k accumulate in double and |A_k| is std::hypot.
/// Precision: for |s| within the exact-angle domain of the table (|s| <= position_limit(table)),
/// |computed B(s) - B(s)| <= (4e-15 + 3e-16 n) n^2, with B(s) the exact value at the given
/// inv_freq (each term within 2e-15 per component, each of the n(n-1)/2 additions and the
/// final sum rounding within half an ulp of a value <= n). Precondition: check_usable(table),
/// |s| <= position_limit(table). noexcept; no allocation.
inline double extrapolation_sum(const frequency_table& table, std::int64_t s) noexcept {
    double re = 0.0, im = 0.0, b = 0.0;
    for (const double theta : table.inv_freq) {
        const sin_cos e = rotation_sincos(s, theta);
        re += e.cos;
        im += e.sin;
        b += std::hypot(re, im);
    }
    return b;
}

/// Evaluates B(s)/d (Eq. 8, file comment) at s = first, first + step, ... < last for `table`.
/// Errors (never thrown): the error of check_usable; errc::out_of_range on "step" for
/// step <= 0, on "last" for last <= first, and on "first" or "last" when a distance falls
/// outside the table's exact-angle domain (|s| > position_limit(table)); errc::out_of_range
/// on "last" when the range holds more than 2^26 distances (the result is one double each).
/// Cost: pairs * count sin/cos; allocates count doubles. Precision: each entry within
/// (4e-15 + 3e-16 n) n^2 / d of the exact B(s)/d at the given inv_freq (extrapolation_sum),
/// n = d/2; d = 128: 7.5e-13.
inline expected<extrapolation_bound_result> extrapolation_bound(const frequency_table& table,
                                                                std::int64_t first,
                                                                std::int64_t last,
                                                                std::int64_t step = 1) {
    if (const status ok = check_usable(table); !ok) return ok.err();
    if (step <= 0) return make_error(errc::out_of_range, "step", "must be > 0", step);
    if (last <= first)
        return make_error(errc::out_of_range, "last", "must be > first = " + std::to_string(first),
                          last);
    const std::int64_t limit = position_limit(table);
    if (first < -limit || first > limit)
        return make_error(errc::out_of_range, "first",
                          "must be within the exact-angle domain +-" + std::to_string(limit),
                          first);
    // In unsigned arithmetic: last - first and the offset of the final distance cannot
    // overflow there (last > first, and the offset is below last - first).
    const std::uint64_t span = static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
    const std::uint64_t ustep = static_cast<std::uint64_t>(step);
    const std::uint64_t ucount = (span - 1) / ustep + 1;
    if ((ucount - 1) * ustep > static_cast<std::uint64_t>(limit - first))
        return make_error(errc::out_of_range, "last",
                          "the distances must stay within the exact-angle domain +-" +
                              std::to_string(limit),
                          last);
    const auto count = static_cast<std::int64_t>(ucount);  // <= 2^32 + 1 here
    if (count > (std::int64_t{1} << 26))
        return make_error(errc::out_of_range, "last",
                          "the range must hold at most 2^26 distances (got " +
                              std::to_string(count) + " with step " + std::to_string(step) + ")",
                          last);
    extrapolation_bound_result r;
    r.rotary_dim = table.rotary_dim;
    r.first = first;
    r.step = step;
    r.b_over_d.resize(static_cast<std::size_t>(count));
    const double d = static_cast<double>(table.rotary_dim);
    for (std::int64_t k = 0; k < count; ++k) {
        const double v = extrapolation_sum(table, first + k * step) / d;
        r.b_over_d[static_cast<std::size_t>(k)] = v;
        if (k == 0 || v < r.min) {
            r.min = v;
            r.argmin = first + k * step;
        }
        if (k == 0 || v > r.max) {
            r.max = v;
            r.argmax = first + k * step;
        }
    }
    return r;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_INTERPOLATION_BOUND_HPP
