// SPDX-License-Identifier: MIT
//
// Structured errors for the cold path (configuration, validation, table building).
// Usable without exceptions: fallible functions return ropescale::expected<T>, which holds
// either a value or an ropescale::error naming the offending field and value.
#ifndef ROPESCALE_ERROR_HPP
#define ROPESCALE_ERROR_HPP

#include "config.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#if ROPESCALE_USE_EXCEPTIONS
#include <stdexcept>
#endif

ROPESCALE_BEGIN_NAMESPACE

/// What kind of mistake an error reports. Stable values: compare against these, not messages.
enum class errc {
    missing_field = 1,      ///< a required key or parameter is absent
    wrong_type,             ///< a JSON value of the wrong type (string for a number, ...)
    not_finite,             ///< NaN or infinity where a finite number is required
    out_of_range,           ///< a number outside its documented domain
    inconsistent,           ///< values that are valid alone but contradict each other
    unknown_rope_type,      ///< a rope_type / type string that names no supported method
    parse_error,            ///< text that is not JSON
    io_error,               ///< a file that cannot be read
    position_out_of_range,  ///< a position outside a cos/sin cache
    invalid_argument,       ///< a malformed call (null pointer, bad stride, ...)
};

/// Human-readable name of an error code ("out_of_range", ...).
inline const char* to_string(errc code) noexcept {
    switch (code) {
        case errc::missing_field: return "missing_field";
        case errc::wrong_type: return "wrong_type";
        case errc::not_finite: return "not_finite";
        case errc::out_of_range: return "out_of_range";
        case errc::inconsistent: return "inconsistent";
        case errc::unknown_rope_type: return "unknown_rope_type";
        case errc::parse_error: return "parse_error";
        case errc::io_error: return "io_error";
        case errc::position_out_of_range: return "position_out_of_range";
        case errc::invalid_argument: return "invalid_argument";
    }
    return "unknown";
}

namespace detail {
// "field: message", or the message alone when there is no field: the form the CLI prints.
inline std::string field_message(const std::string& field, const std::string& message) {
    return field.empty() ? message : field + ": " + message;
}
}  // namespace detail

/// An error: its kind, the field it concerns (the bare HF key: "factor", "rope_theta",
/// "beta_fast", "short_factor[3]" ...), and a sentence that includes the offending value.
struct error {
    errc code = errc::invalid_argument;
    std::string field;
    std::string message;

    /// "field: message", the form the CLI prints.
    std::string what() const { return detail::field_message(field, message); }
};

/// A warning the caller can read (what transformers only logs): an error's field and message,
/// without a code.
struct warning {
    std::string field;
    std::string message;

    /// "field: message", the form the CLI prints.
    std::string what() const { return detail::field_message(field, message); }
};

namespace detail {
// Shortest round-trip text of a double for messages ("0.5", "0.707", "nan", "1e-310").
// std::to_chars: no locale, no allocation beyond the string, and no exception for any input
// (std::stod would throw on subnormals).
inline std::string format_value(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}
inline std::string format_value(long long v) { return std::to_string(v); }
inline std::string format_value(long v) { return std::to_string(v); }
inline std::string format_value(int v) { return std::to_string(v); }
inline std::string format_value(const std::string& v) { return "\"" + v + "\""; }
inline std::string format_value(const char* v) { return format_value(std::string(v)); }
}  // namespace detail

/// Builds an error whose message ends with "(got VALUE)".
template <class V>
error make_error(errc code, std::string field, const std::string& what, const V& value) {
    return error{code, std::move(field), what + " (got " + detail::format_value(value) + ")"};
}

/// Minimal std::expected for C++17: a value of type T or an ropescale::error.
template <class T>
class [[nodiscard]] expected {
  public:
    expected(const T& value) : state_(value) {}                                // NOLINT: implicit
    expected(T&& value) : state_(std::move(value)) {}                          // NOLINT: implicit
    expected(const error& err) : state_(std::in_place_index<1>, err) {}        // NOLINT: implicit
    expected(error&& err) : state_(std::in_place_index<1>, std::move(err)) {}  // NOLINT

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value. Precondition: has_value().
    T& value() & {
        ROPESCALE_ASSERT(has_value());
        return *std::get_if<0>(&state_);
    }
    const T& value() const& {
        ROPESCALE_ASSERT(has_value());
        return *std::get_if<0>(&state_);
    }
    T&& value() && {
        ROPESCALE_ASSERT(has_value());
        return std::move(*std::get_if<0>(&state_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    // `auto c = *make_something();` moves out of the temporary: without this overload it would
    // copy (a 64 MiB cos/sin cache, say).
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    /// The error. Precondition: !has_value().
    const error& err() const& {
        ROPESCALE_ASSERT(!has_value());
        return *std::get_if<1>(&state_);
    }

  private:
    std::variant<T, error> state_;
};

/// Success or an error, for functions that return nothing (validation).
template <>
class [[nodiscard]] expected<void> {
  public:
    expected() = default;
    expected(const error& err) : err_(err), ok_(false) {}        // NOLINT: implicit
    expected(error&& err) : err_(std::move(err)), ok_(false) {}  // NOLINT: implicit

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    /// The error. Precondition: !has_value().
    const error& err() const& {
        ROPESCALE_ASSERT(!ok_);
        return err_;
    }

  private:
    error err_{};
    bool ok_ = true;
};

using status = expected<void>;

#if ROPESCALE_USE_EXCEPTIONS
/// Thrown by the *_or_throw conveniences; carries the structured error.
class error_exception : public std::invalid_argument {
  public:
    explicit error_exception(ropescale::error e)
        : std::invalid_argument(e.what()), error_(std::move(e)) {}
    const ropescale::error& get() const noexcept { return error_; }

  private:
    ropescale::error error_;
};

/// The value of `result`, or throws error_exception. Only with exceptions enabled.
template <class T>
T value_or_throw(expected<T>&& result) {
    if (!result) throw error_exception(result.err());
    return std::move(result).value();
}
inline void value_or_throw(const status& result) {
    if (!result) throw error_exception(result.err());
}
#endif

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_ERROR_HPP
