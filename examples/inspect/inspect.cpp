// SPDX-License-Identifier: MIT
//
// ropescale-inspect CONFIG.json [--seq-len N] [--json]
//
// Reads a Hugging Face config.json, builds its frequency table and prints every factor the
// rotation needs: a header (method, dimensions, base, scale, correction range, attention
// factor, logit scale, warnings) and one row per rotated pair (inverse frequency, wavelength,
// multiplier against plain RoPE, region). --json prints the same as one JSON object, with
// doubles in nlohmann's shortest round-trip form.
//
// ropescale-inspect --methods lists every method of the registry with its rope_type spellings
// and config.json keys (place; required, or the default of the parameter struct).
//
// Exit status: 0 success, 1 the configuration (or file) is refused, 2 usage error. Errors go
// to stderr as "ropescale-inspect: error: <field>: <message>".
#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

namespace rs = ropescale;

constexpr const char* usage_text =
    "usage: ropescale-inspect CONFIG.json [--seq-len N] [--json]\n"
    "       ropescale-inspect --methods\n"
    "  CONFIG.json   a Hugging Face config.json (rope_scaling or rope_parameters)\n"
    "  --seq-len N   evaluate at sequence length N (dynamic methods; LongRoPE list choice)\n"
    "  --json        print one JSON object instead of the table\n"
    "  --methods     list the supported methods, their rope_type spellings and keys\n";

const char* place_name(rs::key_place p) {
    switch (p) {
        case rs::key_place::section: return "section";
        case rs::key_place::section_or_top: return "section, else top level";
        case rs::key_place::top: return "top level";
    }
    return "";
}

// The default of a key: its member in a default-constructed struct ("" for none).
template <class V>
std::string default_text(const V& v) {
    if constexpr (std::is_same<V, bool>::value)
        return v ? "true" : "false";
    else if constexpr (std::is_same<V, std::vector<double>>::value)
        return v.empty() ? "" : "[...]";
    else
        return rs::detail::format_value(v);
}
template <class V>
std::string default_text(const std::optional<V>& v) {
    return v ? default_text(*v) : "";
}

// Every method of the registry with its spellings and config.json keys.
void print_methods() {
    rs::for_each_method([](auto tag) {
        using M = typename decltype(tag)::type;
        using traits = rs::method_traits<M>;
        std::string spellings;
        for (const char* s : traits::spellings)
            spellings += std::string(spellings.empty() ? "" : ", ") + s;
        std::printf("%s (rope_type %s)\n", traits::name, spellings.c_str());
        const M defaults{};
        for (const auto& key : traits::keys) {
            std::string def;
            rs::visit_key_target(key, [&](auto target) {
                if constexpr (std::is_member_object_pointer<decltype(target)>::value) {
                    const std::string d = default_text(defaults.*target);
                    def = d.empty() ? "optional" : "default " + d;
                }
            });
            if (key.need == rs::key_need::required) def = "required";
            if (key.note != nullptr) def = key.note;
            std::printf("  %-34s %-24s %s\n", key.name, place_name(key.place), def.c_str());
        }
    });
}

struct options {
    std::string path;
    std::optional<std::int64_t> seq_len;
    bool json = false;
};

int usage_error(const std::string& message) {
    std::fprintf(stderr, "ropescale-inspect: error: %s\n%s", message.c_str(), usage_text);
    return 2;
}

int config_error(const rs::error& e) {
    std::fprintf(stderr, "ropescale-inspect: error: %s\n", e.what().c_str());
    return 1;
}

// A positive integer, all of the text; empty otherwise.
std::optional<std::int64_t> parse_positive(const char* text) {
    if (text == nullptr || *text == '\0') return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0) return std::nullopt;
    return static_cast<std::int64_t>(v);
}

const char* list_name(rs::longrope_factors f) {
    return f == rs::longrope_factors::long_factors ? "long" : "short";
}

void print_json(const rs::hf_rope_config& hf, const rs::frequency_table& t,
                const rs::table_options& opt) {
    nlohmann::json j = nlohmann::json::object();
    j["method"] = t.method;
    j["rope_type"] = hf.rope_type;
    j["head_dim"] = t.head_dim;
    j["rotary_dim"] = t.rotary_dim;
    j["rope_theta"] = t.rope_theta;
    j["base"] = t.base;
    j["scale"] = t.scale;
    if (t.correction)
        j["correction_range"] = {{"low", t.correction->low}, {"high", t.correction->high}};
    else
        j["correction_range"] = nullptr;
    j["attention_factor"] = t.attention_factor;
    j["logit_scale"] = t.logit_scale;
    if (hf.max_position_embeddings)
        j["max_position_embeddings"] = *hf.max_position_embeddings;
    else
        j["max_position_embeddings"] = nullptr;
    if (hf.original_max_position_embeddings)
        j["original_max_position_embeddings"] = *hf.original_max_position_embeddings;
    else
        j["original_max_position_embeddings"] = nullptr;
    if (opt.seq_len)
        j["seq_len"] = *opt.seq_len;
    else
        j["seq_len"] = nullptr;
    if (const auto list = t.longrope_list)
        j["longrope_factors"] = list_name(*list);
    else
        j["longrope_factors"] = nullptr;
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : hf.warnings) warnings.push_back(w.what());
    for (const auto& w : t.warnings) warnings.push_back(w.what());
    j["warnings"] = warnings;
    nlohmann::json inv = nlohmann::json::array(), mult = nlohmann::json::array(),
                   region = nlohmann::json::array();
    for (int i = 0; i < t.pairs(); ++i) {
        inv.push_back(t.inv_freq[static_cast<std::size_t>(i)]);
        mult.push_back(t.multiplier(i));
        region.push_back(rs::to_string(rs::classify_pair(t.multiplier(i), t.scale)));
    }
    j["inv_freq"] = inv;
    j["multiplier"] = mult;
    j["region"] = region;
    // The default dump writes each double in its shortest round-trip form; `replace` keeps
    // any odd byte in a warning from aborting the output.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

void print_table(const rs::hf_rope_config& hf, const rs::frequency_table& t,
                 const rs::table_options& opt) {
    std::printf("method:            %s (rope_type \"%s\")\n", t.method, hf.rope_type.c_str());
    std::printf("head_dim:          %d\n", t.head_dim);
    std::printf("rotary_dim:        %d%s\n", t.rotary_dim,
                t.rotary_dim < t.head_dim ? " (partial: the other channels pass through)" : "");
    if (t.base != t.rope_theta)
        std::printf("base:              %.17g (effective; rope_theta %.17g)\n", t.base,
                    t.rope_theta);
    else
        std::printf("base:              %.17g\n", t.base);
    std::printf("scale:             %.17g\n", t.scale);
    if (hf.max_position_embeddings)
        std::printf("max_position_embeddings:          %lld\n",
                    static_cast<long long>(*hf.max_position_embeddings));
    if (hf.original_max_position_embeddings)
        std::printf("original_max_position_embeddings: %lld\n",
                    static_cast<long long>(*hf.original_max_position_embeddings));
    if (opt.seq_len) std::printf("seq_len:           %lld\n", static_cast<long long>(*opt.seq_len));
    if (t.correction)
        std::printf("correction range:  [%.17g, %.17g] (pair indices)\n", t.correction->low,
                    t.correction->high);
    std::printf("attention factor:  %.17g (multiplies cos and sin)\n", t.attention_factor);
    std::printf("logit scale:       %.17g (multiplies the softmax scale)\n", t.logit_scale);
    if (const auto list = t.longrope_list)
        std::printf("LongRoPE list:     %s_factor\n", list_name(*list));
    if (!hf.warnings.empty() || !t.warnings.empty()) {
        std::printf("warnings:\n");
        for (const auto& w : hf.warnings) std::printf("  %s\n", w.what().c_str());
        for (const auto& w : t.warnings) std::printf("  %s\n", w.what().c_str());
    }
    std::printf("\n%5s  %-24s  %-20s  %-20s  %s\n", "pair", "inv_freq", "wavelength (tokens)",
                "multiplier", "region");
    for (int i = 0; i < t.pairs(); ++i) {
        const double inv = t.inv_freq[static_cast<std::size_t>(i)];
        const double m = t.multiplier(i);
        std::printf("%5d  %-24.17g  %-20.10g  %-20.12g  %s\n", i, inv, rs::wavelength(inv), m,
                    rs::to_string(rs::classify_pair(m, t.scale)));
    }
}

int run(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::fputs(usage_text, stdout);
            return 0;
        }
        if (a == "--methods") {
            print_methods();
            std::fflush(stdout);
            return std::ferror(stdout) ? 1 : 0;
        }
        if (a == "--json") {
            o.json = true;
        } else if (a == "--seq-len" || a.rfind("--seq-len=", 0) == 0) {
            const char* value = nullptr;
            if (a == "--seq-len") {
                if (i + 1 >= argc) return usage_error("--seq-len needs a value");
                value = argv[++i];
            } else {
                value = argv[i] + std::strlen("--seq-len=");
            }
            o.seq_len = parse_positive(value);
            if (!o.seq_len)
                return usage_error(std::string("--seq-len must be a positive integer (got \"") +
                                   value + "\")");
        } else if (a.size() > 1 && a[0] == '-') {
            return usage_error("unknown option " + a);
        } else if (o.path.empty()) {
            o.path = a;
        } else {
            return usage_error("more than one config file given");
        }
    }
    if (o.path.empty()) return usage_error("no config file given");

    const auto hf = rs::load_hf_config(o.path);
    if (!hf) return config_error(hf.err());
    rs::table_options opt;
    opt.seq_len = o.seq_len;
    const auto table = rs::compute_frequencies(hf->config, opt);
    if (!table) return config_error(table.err());
    if (o.json)
        print_json(*hf, *table, opt);
    else
        print_table(*hf, *table, opt);
    std::fflush(stdout);
    return std::ferror(stdout) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
#if ROPESCALE_USE_EXCEPTIONS
    // Nothing in the reader throws; this only turns std::bad_alloc (or a broken stream) into
    // an error message rather than std::terminate.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ropescale-inspect: error: %s\n", e.what());
        return 1;
    }
#else
    return run(argc, argv);
#endif
}
