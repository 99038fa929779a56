// fuzz_config: libFuzzer target for the Hugging Face config reader and the table builder.
//
// Input: config.json text, optionally followed by a NUL byte and table options:
//     <json text> [ '\0' <seq_len: 8 bytes, little endian> [<longrope choice: 1 byte>] ]
// (JSON text never contains a raw NUL, so the split is unambiguous and the seed corpus can be
// plain config.json files.)
//
// Property: ropescale::parse_hf_config either refuses the text with a clean error (a code of
// the enum, a non-empty message), or returns a configuration that validate() accepts; then
// compute_frequencies, at the default options and at the input's seq_len / LongRoPE choice,
// returns a clean error (seq_len <= 0 names "seq_len") or a table, and every table is valid:
// rotary_dim even in (0, head_dim], rotary_dim / 2 inverse frequencies, each finite and > 0,
// attention factor and logit scale finite and > 0; and the table is usable by the
// kernels over their whole domain: check_usable accepts it, and sin/cos of position * inv_freq
// are finite at |position| = position_limit(table) (>= 2^11, the exact-angle domain),
// the attention factor m finite and non-zero as a float and 1/m^2 (the inverse rotation of a
// folded cache) finite, and build_rope_cache accepts the table (4 positions, every entry
// finite). Never a crash, a leak, undefined behaviour, a hang or a non-finite table
// (-fsanitize=fuzzer,address,undefined; failed checks abort).
#include "fuzz_check.hpp"

#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace rs = ropescale;

void check_error(const rs::error& e) {
    const int code = static_cast<int>(e.code);
    FUZZ_CHECK(code >= static_cast<int>(rs::errc::missing_field) &&
                   code <= static_cast<int>(rs::errc::invalid_argument),
               "error code out of the enum: " + std::to_string(code));
    FUZZ_CHECK(!e.message.empty(), "error without a message (field \"" + e.field + "\")");
    FUZZ_CHECK(!e.what().empty(), "empty what()");
}

void check_table(const rs::frequency_table& t, const rs::model_rope_config& c,
                 const std::string& where) {
    FUZZ_CHECK(t.head_dim == c.config.head_dim, where + ": head_dim changed");
    FUZZ_CHECK(t.rotary_dim > 0 && t.rotary_dim % 2 == 0 && t.rotary_dim <= t.head_dim,
               where + ": rotary_dim " + std::to_string(t.rotary_dim));
    FUZZ_CHECK(t.inv_freq.size() == static_cast<std::size_t>(t.pairs()),
               where + ": " + std::to_string(t.inv_freq.size()) +
                   " inverse frequencies for rotary_dim " + std::to_string(t.rotary_dim));
    // Positive, except proportional RoPE's unrotated pairs, which are exactly 0.
    const bool zeros_allowed = std::string(t.method) == "proportional";
    for (std::size_t i = 0; i < t.inv_freq.size(); ++i)
        FUZZ_CHECK(std::isfinite(t.inv_freq[i]) &&
                       (t.inv_freq[i] > 0.0 || (zeros_allowed && t.inv_freq[i] == 0.0)),
                   where + ": " + t.method + " inv_freq[" + std::to_string(i) +
                       "] = " + rs::detail::format_value(t.inv_freq[i]));
    FUZZ_CHECK(std::isfinite(t.attention_factor) && t.attention_factor > 0.0,
               where + ": " + t.method +
                   " attention_factor = " + rs::detail::format_value(t.attention_factor));
    FUZZ_CHECK(std::isfinite(t.logit_scale) && t.logit_scale > 0.0,
               where + ": " + t.method +
                   " logit_scale = " + rs::detail::format_value(t.logit_scale));
    for (const auto& w : t.warnings) FUZZ_CHECK(!w.what().empty(), where + ": empty warning");

    // The table drives the kernels, which accept it by the library's one rule (check_usable),
    // take any |position| <= position_limit(table) and fold m into float cos/sin entries
    // (forward m, inverse 1/m^2): every angle and factor must stay finite there.
    const auto usable = rs::check_usable(t);
    FUZZ_CHECK(static_cast<bool>(usable), where +
                                              ": compute_frequencies returned a table that "
                                              "check_usable refuses: " +
                                              (usable ? std::string() : usable.err().what()));
    const std::int64_t limit = rs::position_limit(t);
    FUZZ_CHECK(limit >= 2048, where + ": position limit " + std::to_string(limit));
    for (std::size_t i = 0; i < t.inv_freq.size(); ++i) {
        const auto e = rs::rotation_sincos(limit, t.inv_freq[i]);
        FUZZ_CHECK(std::isfinite(e.sin) && std::isfinite(e.cos),
                   where + ": " + t.method + " inv_freq[" + std::to_string(i) +
                       "] = " + rs::detail::format_value(t.inv_freq[i]) +
                       " overflows the angle at position " + std::to_string(limit));
    }
    const double m = t.attention_factor;
    FUZZ_CHECK(std::isfinite(static_cast<float>(m)) && static_cast<float>(m) > 0.0f &&
                   std::isfinite(1.0 / (m * m)),
               where + ": " + t.method + " attention_factor = " + rs::detail::format_value(m) +
                   " cannot be folded into float entries and inverted");

    // A small cache must build, with finite entries.
    auto cache =
        rs::build_rope_cache<rs::scalar_reference>(t, 4, rs::attention_factor_mode::folded);
    if (!cache) FUZZ_FAIL(where + ": build_rope_cache refused the table: " + cache.err().what());
    const std::size_t n =
        static_cast<std::size_t>(cache->size()) * static_cast<std::size_t>(cache->rotary_dim());
    for (std::size_t i = 0; i < n; ++i)
        FUZZ_CHECK(std::isfinite(cache->data()[i]),
                   where + ": non-finite cache entry " + std::to_string(i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const char* text = reinterpret_cast<const char*>(data);
    const void* nul = std::memchr(data, 0, size);
    const std::size_t json_size =
        nul ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) : size;
    rs::table_options options;
    if (nul && size - json_size - 1 >= 8) {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= static_cast<std::uint64_t>(data[json_size + 1 + static_cast<std::size_t>(i)])
                 << (8 * i);
        options.seq_len = static_cast<std::int64_t>(v);
        if (size - json_size - 1 >= 9)
            options.longrope = (data[json_size + 9] & 1) ? rs::longrope_factors::long_factors
                                                         : rs::longrope_factors::short_factors;
    }

    const auto parsed = rs::parse_hf_config(std::string_view(text, json_size));
    if (!parsed) {
        check_error(parsed.err());
        return 0;
    }
    const rs::model_rope_config& c = *parsed;
    for (const auto& w : c.warnings) FUZZ_CHECK(!w.what().empty(), "empty reader warning");
    FUZZ_CHECK(static_cast<bool>(rs::validate(c.config)),
               "the reader returned a config validate() refuses: " +
                   rs::validate(c.config).err().what());

    // Every layer type is valid too, and the layer map points into them.
    FUZZ_CHECK(!c.layer_types.empty(), "no layer type");
    for (const auto& l : c.layer_types) {
        FUZZ_CHECK(static_cast<bool>(rs::validate(l.config)),
                   "layer type " + l.layer_type + " does not validate");
        if (const auto t = rs::compute_frequencies(l.config); !t) check_error(t.err());
    }
    for (const auto& i : c.layers)
        FUZZ_CHECK(!i || *i < c.layer_types.size(), "layer map index out of range");

    const auto initial = rs::compute_frequencies(c.config);
    if (initial)
        check_table(*initial, c, "default options");
    else
        check_error(initial.err());  // parameters valid alone whose table overflows

    if (options.seq_len || options.longrope) {
        const auto at = rs::compute_frequencies(c.config, options);
        if (at) {
            check_table(*at, c, "seq_len " + std::to_string(options.seq_len.value_or(0)));
        } else {
            check_error(at.err());
            if (options.seq_len && *options.seq_len <= 0)
                FUZZ_CHECK(at.err().field == "seq_len",
                           "seq_len <= 0 refused as " + at.err().what());
        }
    }
    return 0;
}
