// SPDX-License-Identifier: MIT
//
// Small validation helpers shared by the method headers (methods/*.hpp): each returns an empty
// optional when the value is fine, else the error naming the field and the value.
#ifndef ROPESCALE_DETAIL_CHECKS_HPP
#define ROPESCALE_DETAIL_CHECKS_HPP

#include "../error.hpp"

#include <cmath>
#include <optional>
#include <string>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

using check_result = std::optional<error>;

inline check_result check_finite(const char* field, double v) {
    if (!std::isfinite(v)) return make_error(errc::not_finite, field, "must be a finite number", v);
    return std::nullopt;
}

// v >= min (finite).
inline check_result check_at_least(const char* field, double v, double min) {
    if (auto e = check_finite(field, v)) return e;
    if (!(v >= min))
        return make_error(errc::out_of_range, field, "must be >= " + format_value(min), v);
    return std::nullopt;
}

// v > min (finite).
inline check_result check_above(const char* field, double v, double min) {
    if (auto e = check_finite(field, v)) return e;
    if (!(v > min))
        return make_error(errc::out_of_range, field, "must be > " + format_value(min), v);
    return std::nullopt;
}

inline check_result check_positive_length(const char* field, long long v) {
    if (v <= 0) return make_error(errc::out_of_range, field, "must be > 0", v);
    return std::nullopt;
}

// The scale factor of a method that only extends the context (needs factor >= 1).
inline check_result check_scale_factor(const char* field, double v, const char* method) {
    if (auto e = check_finite(field, v)) return e;
    if (!(v > 0)) return make_error(errc::out_of_range, field, "must be > 0", v);
    if (v < 1)
        return make_error(errc::out_of_range, field,
                          std::string("must be >= 1 for ") + method +
                              " (a factor below 1 would compress, not extend, the context)",
                          v);
    return std::nullopt;
}

// Methods that raise the base to d/(d-2) need d > 2.
inline check_result check_ntk_dim(int rotary_dim, const char* method) {
    if (rotary_dim <= 2)
        return make_error(errc::out_of_range, "rotary_dim",
                          std::string("must be > 2 for ") + method +
                              " (its base exponent d/(d-2) is undefined at d = 2)",
                          rotary_dim);
    return std::nullopt;
}

// beta_fast >= beta_slow > 0, both finite.
inline check_result check_betas(const char* fast_name, double fast, const char* slow_name,
                                double slow) {
    if (auto e = check_above(fast_name, fast, 0.0)) return e;
    if (auto e = check_above(slow_name, slow, 0.0)) return e;
    if (fast < slow)
        return error{errc::inconsistent, fast_name,
                     std::string("must be >= ") + slow_name + " (got " + format_value(fast) +
                         " < " + format_value(slow) + ")"};
    return std::nullopt;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_CHECKS_HPP
