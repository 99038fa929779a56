// SPDX-License-Identifier: MIT
//
// The JSON side of the config.json reader (hf_config.hpp): typed, non-throwing access to one
// JSON object with errors that name the key and show the value, and the parse-error message.
// Needs nlohmann-json (>= 3.11); never throws (type checks before every `get`), also under
// JSON_NOEXCEPTION.
#ifndef ROPESCALE_DETAIL_HF_JSON_HPP
#define ROPESCALE_DETAIL_HF_JSON_HPP

#include "../error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {
namespace hf {

using json = nlohmann::json;

// JSON text of a value for messages, shortened; `replace` so that invalid UTF-8 in a
// caller-built json never throws (or aborts under JSON_NOEXCEPTION).
inline std::string json_text(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    if (s.size() > 80) {
        // Cut at a character boundary, not inside a UTF-8 sequence.
        std::size_t cut = 77;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u) --cut;
        s = s.substr(0, cut) + "...";
    }
    return s;
}

inline error wrong_type(const std::string& field, const std::string& expected, const json& v) {
    return error{errc::wrong_type, field,
                 "must be " + expected + " (got " + json_text(v) + ", a JSON " + v.type_name() +
                     ")"};
}

inline error missing(const std::string& field, const std::string& why) {
    return error{errc::missing_field, field, why};
}

// The value of `key`, or nullptr when `obj` is null, the key is absent, or its value is JSON
// null (null means "not provided", like Python's `dict.get(key) is None`).
inline const json* find_value(const json* obj, const char* key) {
    if (obj == nullptr || !obj->is_object()) return nullptr;
    const auto it = obj->find(key);
    if (it == obj->end() || it->is_null()) return nullptr;
    return &*it;
}

// Reads typed values from one JSON object, keeping the first error. Each accessor returns
// an empty optional when the key is absent/null or when the value is of the wrong type (then
// failed() is true and error() names the key and shows the value).
class object_reader {
  public:
    explicit object_reader(const json* obj) : obj_(obj) {}

    bool has(const char* key) const { return find_value(obj_, key) != nullptr; }
    bool failed() const { return err_.has_value(); }
    const error& err() const { return *err_; }

    std::optional<double> number(const char* key) {
        const json* v = find_value(obj_, key);
        if (v == nullptr || failed()) return std::nullopt;
        return to_number(*v, key);
    }

    std::optional<std::int64_t> integer(const char* key) {
        const json* v = find_value(obj_, key);
        if (v == nullptr || failed()) return std::nullopt;
        if (v->is_number_unsigned()) {
            const auto u = v->get<std::uint64_t>();
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return fail(error{errc::out_of_range, key,
                                  "does not fit a 64-bit integer (got " + json_text(*v) + ")"});
            return static_cast<std::int64_t>(u);
        }
        if (v->is_number_integer()) return v->get<std::int64_t>();
        if (v->is_number_float()) {
            // Lengths written as floats (4096.0) are fine when integral, as Python's int().
            const double d = v->get<double>();
            if (std::isfinite(d) && std::floor(d) != d)
                return fail(wrong_type(key, "an integer", *v));
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
                return fail(error{errc::out_of_range, key,
                                  "does not fit a 64-bit integer (got " + json_text(*v) + ")"});
            return static_cast<std::int64_t>(d);
        }
        return fail(wrong_type(key, "an integer", *v));
    }

    std::optional<bool> boolean(const char* key) {
        const json* v = find_value(obj_, key);
        if (v == nullptr || failed()) return std::nullopt;
        if (!v->is_boolean()) return fail(wrong_type(key, "true or false", *v));
        return v->get<bool>();
    }

    std::optional<std::string> string(const char* key) {
        const json* v = find_value(obj_, key);
        if (v == nullptr || failed()) return std::nullopt;
        if (!v->is_string()) return fail(wrong_type(key, "a string", *v));
        return v->get<std::string>();
    }

    // An array of numbers; the error names the element ("short_factor[3]").
    std::optional<std::vector<double>> numbers(const char* key) {
        const json* v = find_value(obj_, key);
        if (v == nullptr || failed()) return std::nullopt;
        if (!v->is_array()) return fail(wrong_type(key, "an array of numbers", *v));
        std::vector<double> out;
        out.reserve(v->size());
        for (std::size_t i = 0; i < v->size(); ++i) {
            const auto x = to_number((*v)[i], std::string(key) + "[" + std::to_string(i) + "]");
            if (!x) return std::nullopt;
            out.push_back(*x);
        }
        return out;
    }

  private:
    std::optional<double> to_number(const json& v, const std::string& field) {
        // is_number() is false for booleans: `true` is not 1 here.
        if (!v.is_number()) return fail(wrong_type(field, "a number", v));
        return v.get<double>();
    }

    std::nullopt_t fail(error e) {
        if (!err_) err_ = std::move(e);
        return std::nullopt;
    }

    const json* obj_;
    std::optional<error> err_;
};

// Records why the DOM parse failed, through the SAX interface (the DOM parse
// without exceptions only says "discarded").
class parse_error_recorder final : public nlohmann::json_sax<json> {
  public:
    std::string message = "not valid JSON";

    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& ex) override {
        // "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without
        // the bracketed id.
        std::string what = ex.what();
        const auto close = what.find("] ");
        message = close == std::string::npos ? what : what.substr(close + 2);
        return false;
    }
};

}  // namespace hf
}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_HF_JSON_HPP
