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
//                  "default", "linear", "dynamic" (dynamic NTK), "yarn", "llama3",
//                  "longrope" and its old name "su"; plus the library names of the methods
//                  transformers lacks: "ntk_aware", "ntk_by_parts", "dynamic_yarn" (also the
//                  YaRN authors' spelling "dynamic-yarn").
//   rope_theta     the section's, else top-level, else 10000 (transformers' default).
//   head_dim       top-level `qk_rope_head_dim` if present (DeepSeek MLA, see below), else
//                  top-level `head_dim` if present and not null, else
//                  hidden_size / num_attention_heads (integer division, as transformers).
//   partial_rotary_factor   the section's, else top-level.
//   original_max_position_embeddings   the section's, else top-level (the Phi-3 layout);
//                  for yarn, else max_position_embeddings (G3 standardize's default).
//   max_position_embeddings   top-level only.
//
// Per method, which keys are required and which are optional is documented at
// read_hf_config. A returned configuration has passed validate(): it is ready for
// compute_frequencies.
//
// Deliberate divergences from transformers (each makes a silent surprise visible):
//   * `beta_fast` / `beta_slow`: transformers computes `get(...) or 32` (`or 1`), so an
//     explicit 0 silently becomes the default. Here JSON null or an absent key gives the
//     default, but an explicit 0 is passed through and validation refuses it.
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
//   * JSON null counts as "absent" for every optional key (Python's `dict.get(k) is None`);
//     for `truncate`, transformers' `if truncate:` would read null as false, here it is the
//     default true.
//   * The YaRN authors' `extrapolation_factor` and `attn_factor` are honoured in a yarn
//     section (transformers ignores them with an "unrecognized keys" warning).
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

#include "error.hpp"
#include "frequencies.hpp"
#include "params.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// A rope configuration read from a Hugging Face config.json, with what the file said.
struct hf_rope_config {
    rope_config config;     ///< validated, ready for compute_frequencies
    std::string rope_type;  ///< as written ("su", "yarn", ...); "default" if none
    std::int64_t max_position_embeddings = 0;  ///< top-level value; 0 if absent
    /// The original context length L the method uses, as resolved (section, top level, or
    /// max_position_embeddings); empty for methods without one (plain, linear, ntk_aware,
    /// dynamic).
    std::optional<std::int64_t> original_max_position_embeddings;
    std::vector<warning> warnings;  ///< what transformers only warns about
};

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

// The keys every method accepts in the rope section.
inline bool is_common_key(const std::string& k) {
    return k == "rope_type" || k == "type" || k == "rope_theta" || k == "partial_rotary_factor";
}

inline bool contains(std::initializer_list<const char*> keys, const std::string& k) {
    for (const char* s : keys)
        if (k == s) return true;
    return false;
}

// Warns about every section key the method does not read, as transformers'
// `_check_received_keys` does.
inline void warn_unrecognized(const json* section, std::initializer_list<const char*> known,
                              const std::string& rope_type, std::vector<warning>& warnings) {
    if (section == nullptr) return;
    for (auto it = section->begin(); it != section->end(); ++it) {
        const std::string& k = it.key();
        if (is_common_key(k) || contains(known, k)) continue;
        if (k == "finetuned" && rope_type == "yarn")
            warnings.push_back({k,
                                "unrecognized key for rope_type \"yarn\", ignored (it only "
                                "matters to dynamic YaRN; static YaRN has one table)"});
        else
            warnings.push_back(
                {k, "unrecognized key for rope_type \"" + rope_type + "\", ignored"});
    }
}

inline error required(const char* key, const std::string& rope_type) {
    return missing(key, "is required for rope_type \"" + rope_type + "\" (absent or null)");
}

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

/// Reads the rope configuration of a parsed Hugging Face config.json object.
///
/// Where each value comes from is described at the top of this header (transformers G3
/// semantics). Per method (rope section keys; "required" means an error if absent or null):
///   default        nothing.
///   linear         factor (required).
///   dynamic        factor (required); L = top-level max_position_embeddings (required), as
///                  transformers; a section original_max_position_embeddings is accepted
///                  (transformers lists it) but not used, with a warning if it differs.
///   yarn           factor (else max_position_embeddings / L, as G3, no warning);
///                  original_max_position_embeddings (section, else top level, else
///                  max_position_embeddings); beta_fast, beta_slow (null/absent -> 32 / 1);
///                  truncate; attention_factor; mscale; mscale_all_dim; the YaRN authors'
///                  extrapolation_factor and attn_factor. Warning, like G3, when factor and
///                  max_position_embeddings / L disagree (and the ratio is not 1).
///   llama3         factor, low_freq_factor, high_freq_factor,
///                  original_max_position_embeddings (all required, in the section).
///   longrope, su   short_factor, long_factor (required arrays of numbers); factor and
///                  attention_factor optional; original_max_position_embeddings (section,
///                  else top level; required); max_position_embeddings from the top level.
///   ntk_aware      alpha (else factor, used as alpha; one of them required).
///   ntk_by_parts   factor (required); original_max_position_embeddings (section, else top
///                  level; required); ntk_factor, extrapolation_factor, beta_0, beta_1,
///                  gamma_0, gamma_1 optional (defaults of ropescale::ntk_by_parts).
///   dynamic_yarn, dynamic-yarn   original_max_position_embeddings (section, else top level;
///                  required); max_position_embeddings (top level; required); finetuned,
///                  beta_fast, beta_slow, extrapolation_factor, attn_factor optional; a
///                  `factor` is accepted (the YaRN authors' configs carry it) but the scale is
///                  max_position_embeddings / L, with a warning if they differ.
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
    using detail::hf::required;
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

    // Top-level values shared by the methods.
    const auto max_pos = top.integer("max_position_embeddings");
    const auto orig_top = top.integer("original_max_position_embeddings");
    if (top.failed()) return top.err();
    out.max_position_embeddings = max_pos.value_or(0);

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

    // L from the section, else the top level (Phi-3 keeps it there).
    const auto orig_sec = sec.integer("original_max_position_embeddings");
    if (sec.failed()) return sec.err();
    const std::optional<std::int64_t> orig = orig_sec ? orig_sec : orig_top;
    auto need_orig = [&]() -> expected<std::int64_t> {
        if (orig) return *orig;
        return detail::hf::missing("original_max_position_embeddings",
                                   "is required for rope_type \"" + type +
                                       "\" (in the rope section or at the top level)");
    };
    auto need_max_pos = [&]() -> expected<std::int64_t> {
        if (max_pos) return *max_pos;
        return detail::hf::missing("max_position_embeddings",
                                   "is required (top level) for rope_type \"" + type + "\"");
    };

    if (type == "default") {
        out.config.scaling = plain{};
        detail::hf::warn_unrecognized(section, {}, type, out.warnings);
    } else if (type == "linear") {
        const auto factor = sec.number("factor");
        if (sec.failed()) return sec.err();
        if (!factor) return required("factor", type);
        out.config.scaling = linear{*factor};
        detail::hf::warn_unrecognized(section, {"factor"}, type, out.warnings);
    } else if (type == "dynamic") {
        const auto factor = sec.number("factor");
        if (sec.failed()) return sec.err();
        if (!factor) return required("factor", type);
        const auto l = need_max_pos();
        if (!l) return l.err();
        if (orig_sec && *orig_sec != *l)
            out.warnings.push_back(
                {"original_max_position_embeddings",
                 "ignored: transformers' dynamic NTK uses max_position_embeddings = " +
                     std::to_string(*l) + " as the original context"});
        out.config.scaling = dynamic_ntk{*factor, *l};
        detail::hf::warn_unrecognized(section, {"factor", "original_max_position_embeddings"}, type,
                                      out.warnings);
    } else if (type == "yarn") {
        yarn m;
        const auto factor = sec.number("factor");
        const auto beta_fast = sec.number("beta_fast");
        const auto beta_slow = sec.number("beta_slow");
        const auto truncate = sec.boolean("truncate");
        m.attention_factor = sec.number("attention_factor");
        m.mscale = sec.number("mscale");
        m.mscale_all_dim = sec.number("mscale_all_dim");
        const auto extrapolation = sec.number("extrapolation_factor");
        const auto attn = sec.number("attn_factor");
        if (sec.failed()) return sec.err();
        // G3 standardize: L defaults to max_position_embeddings.
        if (orig)
            m.original_max_position_embeddings = *orig;
        else if (max_pos)
            m.original_max_position_embeddings = *max_pos;
        else
            return detail::hf::missing("original_max_position_embeddings",
                                       "is required for rope_type \"yarn\" (section, top level, or "
                                       "max_position_embeddings as its default)");
        const std::int64_t big_l = m.original_max_position_embeddings;
        if (factor) {
            m.factor = *factor;
            if (max_pos && big_l > 0) {
                const double ratio = static_cast<double>(*max_pos) / static_cast<double>(big_l);
                if (ratio != *factor && ratio != 1.0)
                    out.warnings.push_back(
                        {"factor", "factor " + detail::format_value(*factor) +
                                       " disagrees with max_position_embeddings / "
                                       "original_max_position_embeddings = " +
                                       detail::format_value(ratio) +
                                       " (factor is used, as transformers G3)"});
            }
        } else if (max_pos && big_l > 0) {
            m.factor = static_cast<double>(*max_pos) / static_cast<double>(big_l);
        } else {
            return detail::hf::missing("factor",
                                       "is required for rope_type \"yarn\" unless "
                                       "max_position_embeddings / original_max_position_"
                                       "embeddings can replace it");
        }
        m.beta_fast = beta_fast.value_or(32.0);
        m.beta_slow = beta_slow.value_or(1.0);
        m.truncate = truncate.value_or(true);
        m.extrapolation_factor = extrapolation.value_or(1.0);
        m.attn_factor = attn.value_or(1.0);
        out.original_max_position_embeddings = big_l;
        out.config.scaling = m;
        detail::hf::warn_unrecognized(section,
                                      {"factor", "original_max_position_embeddings", "beta_fast",
                                       "beta_slow", "truncate", "attention_factor", "mscale",
                                       "mscale_all_dim", "extrapolation_factor", "attn_factor"},
                                      type, out.warnings);
    } else if (type == "llama3") {
        const auto factor = sec.number("factor");
        const auto low = sec.number("low_freq_factor");
        const auto high = sec.number("high_freq_factor");
        if (sec.failed()) return sec.err();
        if (!factor) return required("factor", type);
        if (!low) return required("low_freq_factor", type);
        if (!high) return required("high_freq_factor", type);
        if (!orig_sec) return required("original_max_position_embeddings", type);
        out.original_max_position_embeddings = *orig_sec;
        out.config.scaling = llama3{*factor, *low, *high, *orig_sec};
        detail::hf::warn_unrecognized(
            section,
            {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"},
            type, out.warnings);
    } else if (type == "longrope" || type == "su") {
        longrope m;
        auto short_factor = sec.numbers("short_factor");
        auto long_factor = sec.numbers("long_factor");
        m.factor = sec.number("factor");
        m.attention_factor = sec.number("attention_factor");
        if (sec.failed()) return sec.err();
        if (!short_factor) return required("short_factor", type);
        if (!long_factor) return required("long_factor", type);
        const auto l = need_orig();
        if (!l) return l.err();
        m.short_factor = std::move(*short_factor);
        m.long_factor = std::move(*long_factor);
        m.original_max_position_embeddings = *l;
        m.max_position_embeddings = max_pos;
        out.original_max_position_embeddings = *l;
        out.config.scaling = std::move(m);
        detail::hf::warn_unrecognized(section,
                                      {"short_factor", "long_factor", "factor", "attention_factor",
                                       "original_max_position_embeddings"},
                                      type, out.warnings);
    } else if (type == "ntk_aware") {
        const auto alpha = sec.number("alpha");
        const auto factor = sec.number("factor");
        if (sec.failed()) return sec.err();
        if (!alpha && !factor) return required("alpha", type);
        if (alpha && factor && *alpha != *factor)
            out.warnings.push_back({"factor", "ignored: alpha takes precedence"});
        out.config.scaling = ntk_aware{alpha ? *alpha : *factor};
        detail::hf::warn_unrecognized(section, {"alpha", "factor"}, type, out.warnings);
    } else if (type == "ntk_by_parts") {
        ntk_by_parts m;
        const auto factor = sec.number("factor");
        const auto ntk_factor = sec.number("ntk_factor");
        const auto extrapolation = sec.number("extrapolation_factor");
        const auto beta_0 = sec.number("beta_0");
        const auto beta_1 = sec.number("beta_1");
        const auto gamma_0 = sec.number("gamma_0");
        const auto gamma_1 = sec.number("gamma_1");
        if (sec.failed()) return sec.err();
        if (!factor) return required("factor", type);
        const auto l = need_orig();
        if (!l) return l.err();
        m.factor = *factor;
        m.original_max_position_embeddings = *l;
        m.ntk_factor = ntk_factor.value_or(m.ntk_factor);
        m.extrapolation_factor = extrapolation.value_or(m.extrapolation_factor);
        m.beta_0 = beta_0.value_or(m.beta_0);
        m.beta_1 = beta_1.value_or(m.beta_1);
        m.gamma_0 = gamma_0.value_or(m.gamma_0);
        m.gamma_1 = gamma_1.value_or(m.gamma_1);
        out.original_max_position_embeddings = *l;
        out.config.scaling = m;
        detail::hf::warn_unrecognized(section,
                                      {"factor", "original_max_position_embeddings", "ntk_factor",
                                       "extrapolation_factor", "beta_0", "beta_1", "gamma_0",
                                       "gamma_1"},
                                      type, out.warnings);
    } else if (type == "dynamic_yarn" || type == "dynamic-yarn") {
        dynamic_yarn m;
        const auto factor = sec.number("factor");
        const auto finetuned = sec.boolean("finetuned");
        const auto beta_fast = sec.number("beta_fast");
        const auto beta_slow = sec.number("beta_slow");
        const auto extrapolation = sec.number("extrapolation_factor");
        const auto attn = sec.number("attn_factor");
        if (sec.failed()) return sec.err();
        const auto l = need_orig();
        if (!l) return l.err();
        const auto mp = need_max_pos();
        if (!mp) return mp.err();
        m.original_max_position_embeddings = *l;
        m.max_position_embeddings = *mp;
        m.finetuned = finetuned.value_or(false);
        m.beta_fast = beta_fast.value_or(32.0);
        m.beta_slow = beta_slow.value_or(1.0);
        m.extrapolation_factor = extrapolation.value_or(1.0);
        m.attn_factor = attn.value_or(1.0);
        if (factor && *l > 0) {
            const double ratio = static_cast<double>(*mp) / static_cast<double>(*l);
            if (ratio != *factor)
                out.warnings.push_back({"factor",
                                        "ignored: dynamic YaRN scales by max_position_embeddings / "
                                        "original_max_position_embeddings = " +
                                            detail::format_value(ratio) + " (got factor " +
                                            detail::format_value(*factor) + ")"});
        }
        out.original_max_position_embeddings = *l;
        out.config.scaling = m;
        detail::hf::warn_unrecognized(section,
                                      {"factor", "original_max_position_embeddings", "finetuned",
                                       "beta_fast", "beta_slow", "extrapolation_factor",
                                       "attn_factor"},
                                      type, out.warnings);
    } else {
        return make_error(errc::unknown_rope_type, type_key,
                          "names no supported method (default, linear, dynamic, yarn, llama3, "
                          "longrope, su, ntk_aware, ntk_by_parts, dynamic_yarn, dynamic-yarn)",
                          type);
    }

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
