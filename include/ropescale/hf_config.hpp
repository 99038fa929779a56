// SPDX-License-Identifier: MIT
//
// Hugging Face config.json -> rope_config. Optional: needs nlohmann-json (>= 3.11) and is
// never included by the core headers nor by the umbrella ropescale.hpp.
//
// Semantics: transformers' newest generation (G3, `standardize_rope_params` +
// `_compute_*_parameters`, the generation the golden data was produced with), which reads:
//
//   rope section   `rope_parameters` (G3 files) if present and not null, else `rope_scaling`
//                  (G1/G2 files; absent or null means plain RoPE).
//   method         section key `rope_type`, else `type` (older files); none -> "default".
//                  Any spelling of the registry (methods.hpp, rope_type_spellings()):
//                  transformers' names, their aliases, and the library names of the methods
//                  transformers lacks.
//   rope_theta     the section's, else top-level, else 10000 (transformers' default).
//   head_dim       top-level `qk_rope_head_dim` if present (DeepSeek MLA, see below), else
//                  top-level `head_dim` if present and not null, else
//                  hidden_size / num_attention_heads (integer division, as transformers).
//   partial_rotary_factor   the section's, else top-level.
//   method keys    the keys the method's header lists (method_traits<M>::keys: name,
//                  member, place, required or not; the `config.json:` paragraph of its doc),
//                  read generically; absent optional keys keep the struct's defaults; then
//                  the method's resolve hook (fallbacks between keys, transformers' warnings).
//
// A returned configuration has passed validate(): it is ready for compute_frequencies.
//
// Deliberate divergences from transformers (each makes a silent surprise visible; the
// method-specific ones are in the method's header):
//   * `qk_rope_head_dim` (DeepSeek-V2/V3 multi-head latent attention): the rotary part of each
//     query/key head is a separate slice of qk_rope_head_dim channels (the other
//     qk_nope_head_dim channels are never rotated), so config.head_dim = qk_rope_head_dim and
//     the rotary dimension equals it. This is what transformers' DeepSeek configs do
//     (head_dim = qk_rope_head_dim); a top-level `head_dim` is then ignored.
//   * What transformers only warns about is an error when validation refuses it (factor < 1,
//     list lengths, beta_fast < beta_slow, ...), and a section with scaling keys but no
//     `rope_type`/`type` is an error (transformers would treat it as "default" and ignore
//     the keys). Remaining transformers warnings (factor mismatch, unrecognized keys) are
//     returned in hf_rope_config::warnings.
//   * JSON null counts as "absent" for every optional key (Python's `dict.get(k) is None`).
//   * Keys the YaRN authors' classes read (`extrapolation_factor`, `attn_factor` for yarn)
//     are honoured where transformers ignores them with an "unrecognized keys" warning.
//   * An explicit `head_dim` of 0 is refused (transformers' `head_dim or hidden // heads`
//     would fall back to the quotient).
// Not supported: per-layer-type `rope_parameters` ({"full_attention": {...}, ...}), and a
// top-level `rotary_dim` (GPT-J style; not read by transformers' rope utilities either).
//
// Errors never throw: nlohmann's non-throwing parse and type checks before every `get`. The
// header also compiles with -fno-exceptions (nlohmann's JSON_NOEXCEPTION). Every translation
// unit of a program must agree on JSON_NOEXCEPTION (nlohmann's own ODR rule).
#ifndef ROPESCALE_HF_CONFIG_HPP
#define ROPESCALE_HF_CONFIG_HPP

#include "detail/hf_json.hpp"
#include "error.hpp"
#include "frequencies.hpp"
#include "methods.hpp"
#include "params.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// A rope configuration read from a Hugging Face config.json, with what the file said.
struct hf_rope_config {
    rope_config config;     ///< validated, ready for compute_frequencies
    std::string rope_type;  ///< as written ("su", "yarn", ...); "default" if none
    std::optional<std::int64_t> max_position_embeddings;  ///< the top-level value, if given
    /// The original context length L the method uses, as resolved (section, top level, or
    /// max_position_embeddings): the value of its `original_max_position_embeddings` key's
    /// member; empty for methods without one (plain, linear, ntk_aware, dynamic).
    std::optional<std::int64_t> original_max_position_embeddings;
    std::vector<warning> warnings;  ///< what transformers only warns about
};

namespace detail {
namespace hf {

// The keys every method accepts in the rope section.
inline bool is_common_key(const std::string& k) {
    return k == "rope_type" || k == "type" || k == "rope_theta" || k == "partial_rotary_factor";
}

template <class V>
struct optional_value {
    using type = V;
};
template <class V>
struct optional_value<std::optional<V>> {
    using type = V;
};

// Reads one key into its member (the member's type says how), recording what was found.
template <class M, class V>
void read_key(object_reader& r, const char* name, V M::*member, M& m, key_values& found) {
    using T = typename optional_value<V>::type;
    std::optional<T> v;
    if constexpr (std::is_same<T, double>::value)
        v = r.number(name);
    else if constexpr (std::is_same<T, std::int64_t>::value)
        v = r.integer(name);
    else if constexpr (std::is_same<T, bool>::value)
        v = r.boolean(name);
    else
        v = r.numbers(name);
    found.record(name, v.has_value());
    if (v) m.*member = std::move(*v);
}
template <class M>
void read_key(object_reader& r, const char* name, hook_number, M&, key_values& found) {
    const auto v = r.number(name);
    found.record(name, v.has_value(), v);
}
template <class M>
void read_key(object_reader& r, const char* name, hook_integer, M&, key_values& found) {
    const auto v = r.integer(name);
    found.record(name, v.has_value(), std::nullopt, v);
}

// Whether method M reads section key `k`.
template <class M>
bool reads_in_section(const std::string& k) {
    for (const config_key<M>& key : method_traits<M>::keys)
        if (key.place != key_place::top && k == key.name) return true;
    return false;
}

// Warns about every section key the method does not read, as transformers'
// `_check_received_keys` does.
template <class M>
void warn_unrecognized(const json* section, const std::string& rope_type,
                       std::vector<warning>& warnings) {
    if (section == nullptr) return;
    for (auto it = section->begin(); it != section->end(); ++it) {
        const std::string& k = it.key();
        if (is_common_key(k) || reads_in_section<M>(k)) continue;
        std::string message = "unrecognized key for rope_type \"" + rope_type + "\", ignored";
        for (const key_note& note : method_traits<M>::key_notes)
            if (k == note.name) message += std::string(" (") + note.why + ")";
        warnings.push_back({k, std::move(message)});
    }
}

// The original context length L of a method: the member its
// "original_max_position_embeddings" key fills, when it has one.
template <class M>
std::optional<std::int64_t> original_length(const M& m) {
    std::optional<std::int64_t> out;
    for (const config_key<M>& key : method_traits<M>::keys)
        if (std::string_view(key.name) == "original_max_position_embeddings")
            if (const auto* member = std::get_if<std::int64_t M::*>(&key.target)) out = m.**member;
    return out;
}

// Reads method M from the rope section (and the top level, where a key's place says) into
// out.config.scaling: every key of method_traits<M>::keys (a value of the wrong type is an
// error naming the key), then the required ones, then M's resolve hook, then the
// "unrecognized key" warnings.
template <class M>
std::optional<error> read_method(const json* section, const json& config,
                                 std::optional<std::int64_t> max_position_embeddings,
                                 hf_rope_config& out) {
    object_reader sec(section);
    object_reader top(&config);
    M m{};
    key_values found;
    found.rope_type = out.rope_type;
    found.max_position_embeddings = max_position_embeddings;
    for (const config_key<M>& key : method_traits<M>::keys) {
        const bool at_top = key.place == key_place::top ||
                            (key.place == key_place::section_or_top && !sec.has(key.name));
        object_reader& r = at_top ? top : sec;
        visit_key_target(key, [&](auto target) { read_key(r, key.name, target, m, found); });
    }
    if (sec.failed()) return sec.err();
    if (top.failed()) return top.err();
    for (const config_key<M>& key : method_traits<M>::keys)
        if (key.need == key_need::required && !found.given(key.name))
            return missing_key(key.name, key.place, out.rope_type);
    if (auto e = method_traits<M>::resolve(m, found, out.warnings)) return e;
    warn_unrecognized<M>(section, out.rope_type, out.warnings);
    out.original_max_position_embeddings = original_length(m);
    out.config.scaling = std::move(m);
    return std::nullopt;
}

}  // namespace hf
}  // namespace detail

/// Reads the rope configuration of a parsed Hugging Face config.json object.
///
/// Where each value comes from is described at the top of this header (transformers G3
/// semantics); the method's keys ("required" means an error if absent or null) in its header.
/// Other section keys give an "unrecognized key" warning.
///
/// Errors: errc::wrong_type (a value of the wrong JSON type: strings or booleans for
/// numbers, non-integral lengths; the message shows the JSON value), errc::missing_field,
/// errc::unknown_rope_type (field "rope_type" or "type", whichever was read),
/// errc::out_of_range (num_attention_heads <= 0, integers beyond 64 bits), and
/// every error of validate(). The field is the key name ("factor", "short_factor[3]").
/// Never throws (except std::bad_alloc).
inline expected<hf_rope_config> read_hf_config(const nlohmann::json& config) {
    using detail::hf::json;
    using detail::hf::object_reader;
    if (!config.is_object()) return detail::hf::wrong_type("config", "a JSON object", config);

    hf_rope_config out;
    object_reader top(&config);

    // The rope section: G3 `rope_parameters`, else the older `rope_scaling`.
    const json* section = detail::hf::find_value(&config, "rope_parameters");
    const char* section_name = "rope_parameters";
    if (section != nullptr) {
        if (const json* old = detail::hf::find_value(&config, "rope_scaling");
            old && *old != *section)
            out.warnings.push_back({"rope_scaling", "ignored: rope_parameters takes precedence"});
    } else {
        section = detail::hf::find_value(&config, "rope_scaling");
        section_name = "rope_scaling";
    }
    if (section != nullptr && !section->is_object())
        return detail::hf::wrong_type(section_name, "a JSON object or null", *section);
    object_reader sec(section);

    // Method name: `rope_type`, else the older `type`.
    const char* type_key = sec.has("rope_type") ? "rope_type" : "type";
    const auto type_written = sec.string(type_key);
    if (sec.failed()) return sec.err();
    if (const json* other = detail::hf::find_value(section, "type");
        other && type_written && std::string_view(type_key) == "rope_type" &&
        (!other->is_string() || other->get<std::string>() != *type_written))
        out.warnings.push_back({"type", "ignored: rope_type \"" + *type_written +
                                            "\" takes precedence over type " +
                                            detail::hf::json_text(*other)});
    if (!type_written && section != nullptr) {
        // A section holding scaling keys but no method name is almost certainly a mistake;
        // transformers would silently use plain RoPE.
        bool scaling_keys = false, all_objects = !section->empty();
        for (auto it = section->begin(); it != section->end(); ++it) {
            if (it->is_null()) continue;
            if (!detail::hf::is_common_key(it.key())) scaling_keys = true;
            if (!it->is_object()) all_objects = false;
        }
        if (all_objects)
            return detail::hf::missing(
                "rope_type",
                std::string("absent: ") + section_name +
                    " looks like a per-layer-type table ({\"full_attention\": {...}}), "
                    "which is not supported: read one layer type's object");
        if (scaling_keys)
            return detail::hf::missing("rope_type",
                                       std::string(section_name) +
                                           " has scaling keys but neither rope_type nor type");
    }
    out.rope_type = type_written.value_or("default");
    const std::string& type = out.rope_type;

    // The lengths several methods read are read (and type-checked) whatever the method: a
    // malformed one is refused even where the method ignores it.
    const auto max_pos = top.integer("max_position_embeddings");
    (void)top.integer("original_max_position_embeddings");
    if (top.failed()) return top.err();
    out.max_position_embeddings = max_pos;

    // rope_theta: section (G3) first, then top level, then transformers' default.
    const auto theta_sec = sec.number("rope_theta");
    const auto theta_top = top.number("rope_theta");
    if (sec.failed()) return sec.err();
    if (top.failed()) return top.err();
    out.config.rope_theta = theta_sec ? *theta_sec : theta_top.value_or(10000.0);
    if (theta_sec && theta_top && *theta_sec != *theta_top)
        out.warnings.push_back(
            {"rope_theta", "top-level value " + detail::format_value(*theta_top) +
                               " ignored: the rope section's " + detail::format_value(*theta_sec) +
                               " takes precedence"});

    const auto prf_sec = sec.number("partial_rotary_factor");
    const auto prf_top = top.number("partial_rotary_factor");
    if (sec.failed()) return sec.err();
    if (top.failed()) return top.err();
    out.config.partial_rotary_factor = prf_sec ? prf_sec : prf_top;

    // head_dim: DeepSeek's rotary slice, else the explicit value, else hidden / heads.
    std::string head_dim_origin;  // appended to head_dim errors, so a derived value is explained
    const char* head_dim_field = "head_dim";
    std::int64_t head_dim = 0;
    const auto qk_rope = top.integer("qk_rope_head_dim");
    const auto explicit_head_dim = top.integer("head_dim");
    if (top.failed()) return top.err();
    if (qk_rope) {
        head_dim = *qk_rope;
        head_dim_field = "qk_rope_head_dim";
        if (explicit_head_dim && *explicit_head_dim != *qk_rope)
            out.warnings.push_back(
                {"head_dim", "ignored: qk_rope_head_dim = " + std::to_string(*qk_rope) +
                                 " is the rotated slice (DeepSeek multi-head latent attention)"});
    } else if (explicit_head_dim) {
        head_dim = *explicit_head_dim;
    } else {
        const auto hidden = top.integer("hidden_size");
        const auto heads = top.integer("num_attention_heads");
        if (top.failed()) return top.err();
        if (!hidden)
            return detail::hf::missing("hidden_size",
                                       "is required when head_dim is absent (head_dim = "
                                       "hidden_size / num_attention_heads)");
        if (!heads)
            return detail::hf::missing("num_attention_heads",
                                       "is required when head_dim is absent (head_dim = "
                                       "hidden_size / num_attention_heads)");
        if (*heads <= 0)
            return make_error(errc::out_of_range, "num_attention_heads", "must be > 0",
                              static_cast<long long>(*heads));
        if (*hidden <= 0)
            return make_error(errc::out_of_range, "hidden_size", "must be > 0",
                              static_cast<long long>(*hidden));
        head_dim = *hidden / *heads;  // Python's //, as transformers
        head_dim_origin =
            " (derived as hidden_size / num_attention_heads = " + std::to_string(*hidden) + " / " +
            std::to_string(*heads) + ")";
        if (*hidden % *heads != 0)
            out.warnings.push_back({"head_dim",
                                    "hidden_size is not a multiple of "
                                    "num_attention_heads: head_dim rounded down to " +
                                        std::to_string(head_dim)});
    }
    if (head_dim <= 0 || head_dim > std::numeric_limits<int>::max())
        return make_error(errc::out_of_range, head_dim_field,
                          "must be in (0, " + std::to_string(std::numeric_limits<int>::max()) +
                              "]" + head_dim_origin,
                          static_cast<long long>(head_dim));
    out.config.head_dim = static_cast<int>(head_dim);

    // Likewise the section's original_max_position_embeddings.
    (void)sec.integer("original_max_position_embeddings");
    if (sec.failed()) return sec.err();

    std::optional<error> method_error;
    const bool known = visit_rope_type(type, [&](auto tag) {
        method_error =
            detail::hf::read_method<typename decltype(tag)::type>(section, config, max_pos, out);
    });
    if (!known)
        return make_error(errc::unknown_rope_type, type_key,
                          "names no supported method (" + rope_type_spellings() + ")", type);
    if (method_error) return *method_error;

    if (auto s = validate(out.config); !s) {
        error e = s.err();
        if (e.field == "head_dim") {
            e.field = head_dim_field;
            e.message += head_dim_origin;
        }
        return e;
    }
    return out;
}

/// Parses config.json text and reads it with read_hf_config. Text that is not JSON gives
/// errc::parse_error with nlohmann's line and column. Strict RFC 8259: no comments, no NaN or
/// Infinity literals. Never throws (except std::bad_alloc).
inline expected<hf_rope_config> parse_hf_config(std::string_view json_text) {
    using detail::hf::json;
    json j = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        detail::hf::parse_error_recorder rec;
        (void)json::sax_parse(json_text.begin(), json_text.end(), &rec);
        return error{errc::parse_error, "", rec.message};
    }
    return read_hf_config(j);
}

/// Reads a config.json file and parses it with parse_hf_config. A file that cannot be opened
/// or read gives errc::io_error; parse errors name the path as their field. Never throws
/// (except std::bad_alloc).
inline expected<hf_rope_config> load_hf_config(const std::string& path) {
    std::error_code ec;
    // A directory opens as a stream on POSIX and reads as empty: say what it is instead.
    if (std::filesystem::is_directory(path, ec))
        return error{errc::io_error, path, "is a directory, not a config.json file"};
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open())
        return error{errc::io_error, path,
                     std::string("cannot be opened") +
                         (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : "")};
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) return error{errc::io_error, path, "cannot be read"};
    auto r = parse_hf_config(text);
    if (!r && r.err().code == errc::parse_error) {
        error e = r.err();
        e.field = path;
        return e;
    }
    return r;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_HF_CONFIG_HPP
