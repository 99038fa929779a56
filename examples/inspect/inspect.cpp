// SPDX-License-Identifier: MIT
//
// ropescale-inspect MODEL [--seq-len N] [--json] [--svg FILE] [--pi-bound]
//                   [--semantics transformers|llama.cpp]
//
// Reads a Hugging Face config.json or a GGUF file (gguf_rope.hpp; recognised by its magic bytes
// "GGUF", or by the name *.gguf), builds the frequency table of each layer type and prints
// every factor the rotation needs: for the primary layer type a header (method, dimensions,
// base, scale, correction range, attention factor, logit scale, warnings) and one row per
// rotated pair (inverse frequency, wavelength, multiplier against plain RoPE, region); then the
// other layer types' tables, the layer map (which table each layer uses, or none), the query
// scale, the multimodal (M-RoPE) sections with the pairs that follow each position stream
// (t, h, w), and where each value was read or defaulted. --json prints the same as one JSON object
// (the primary table's keys at the top level, "layer_tables" and "layers" beside them), with
// doubles in nlohmann's shortest round-trip form. --svg FILE also writes the plots of
// svg_plot.hpp (multipliers, wavelengths, Position Interpolation's B(s)/d) to FILE;
// --pi-bound prints Position Interpolation's bound analysis instead of the table
// (pi_bound.hpp). Both file kinds give the same output: the GGUF architecture is the
// model_type, "sources" names the GGUF keys and tensors, "format" says which reader ran,
// "config_path" is config.json's only and "finetuned" GGUF's only (null for the other).
// --semantics chooses the table a GGUF file gives: transformers' (the default: the table
// transformers computes from the model's config.json) or llama.cpp's (what llama.cpp computes
// from the same keys: gguf_rope.hpp's gguf_semantics::llama_cpp, where --seq-len is llama.cpp's
// context per sequence, n_ctx_per_seq); llama.cpp semantics need a GGUF file.
//
// ropescale-inspect --methods lists every method of the registry with its rope_type spellings
// and config.json keys (place; required, or the default of the parameter struct).
//
// Exit status: 0 success, 1 the configuration (or file) is refused, 2 usage error. Errors go
// to stderr as "ropescale-inspect: error: <field>: <message>".
#include <ropescale/gguf_rope.hpp>
#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <nlohmann/json.hpp>

#include "pi_bound.hpp"
#include "svg_plot.hpp"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

namespace rs = ropescale;

constexpr const char* usage_text =
    "usage: ropescale-inspect MODEL [--seq-len N] [--json] [--svg FILE] [--pi-bound]\n"
    "                         [--semantics transformers|llama.cpp]\n"
    "       ropescale-inspect --methods\n"
    "  MODEL         a Hugging Face config.json (rope_scaling or rope_parameters), or a\n"
    "                GGUF file (recognised by its first bytes \"GGUF\", or by *.gguf)\n"
    "  --seq-len N   evaluate at sequence length N (dynamic methods; LongRoPE list choice;\n"
    "                with llama.cpp semantics, llama.cpp's context per sequence)\n"
    "  --semantics S the table a GGUF file gives: transformers (default; what transformers\n"
    "                computes from the model's config.json) or llama.cpp (what llama.cpp\n"
    "                computes from the GGUF keys; needs a GGUF file)\n"
    "  --json        print one JSON object instead of the table\n"
    "  --svg FILE    also write FILE: an SVG plot of the multipliers, wavelengths and\n"
    "                Position Interpolation's B(s)/d (Eq. 8) of each layer type\n"
    "  --pi-bound    print Position Interpolation's bounds (Theorem 2.1, Eq. 5-8) of each\n"
    "                layer type instead: B(s)/d over s in [0, N), N = --seq-len, else\n"
    "                max_position_embeddings, else 4096\n"
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
        if constexpr (!rs::reads_config_json<M>())
            std::printf("%s (GGUF / C++ only: no config.json rope_type selects it)\n",
                        traits::name);
        else
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

// Which table a GGUF file gives (--semantics).
enum class semantics { transformers, llama_cpp };

const char* semantics_name(semantics s) {
    return s == semantics::llama_cpp ? "llama.cpp" : "transformers";
}

struct options {
    std::string path;
    std::optional<std::int64_t> seq_len;
    bool json = false;
    std::string svg;
    bool pi_bound = false;
    semantics sem = semantics::transformers;
};

// How a model file was read: which reader, with which semantics.
struct source_file {
    bool gguf = false;
    semantics sem = semantics::transformers;
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

// Whether `path` is read as a GGUF file: its first four bytes are the GGUF magic "GGUF"; or,
// when they are not (a short or unreadable file), its name ends in ".gguf", so that the GGUF
// reader says what is wrong with it. Anything else is read as a config.json.
bool is_gguf(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    if (in.read(magic, sizeof magic) && std::memcmp(magic, "GGUF", sizeof magic) == 0) return true;
    const std::string ext = ".gguf";
    if (path.size() < ext.size()) return false;
    for (std::size_t i = 0; i < ext.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(path[path.size() - ext.size() + i])) != ext[i])
            return false;
    return true;
}

// The model file read by the reader its kind needs, with the semantics asked for (llama.cpp's
// need a GGUF file: run() refuses them for a config.json). With llama.cpp semantics --seq-len
// is llama.cpp's context per sequence (n_ctx_per_seq, which picks the LongRoPE list), else
// the GGUF reader's default, the file's A.context_length.
rs::expected<rs::model_rope_config> load_model(const options& o, const source_file& file) {
    if (!file.gguf) return rs::load_hf_config(o.path);
    rs::gguf_read_options read;
    if (file.sem == semantics::llama_cpp) {
        read.semantics = rs::gguf_semantics::llama_cpp;
        read.n_ctx_per_seq = o.seq_len;
    }
    return rs::load_gguf_rope(o.path, read);
}

const char* list_name(rs::longrope_factors f) {
    return f == rs::longrope_factors::long_factors ? "long" : "short";
}

// The per-table part of the JSON output: dimensions, factors and the per-pair columns.
void table_json(nlohmann::json& j, const rs::layer_rope& l, const rs::frequency_table& t) {
    j["method"] = t.method;
    j["rope_type"] = l.rope_type;
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
    if (l.original_max_position_embeddings)
        j["original_max_position_embeddings"] = *l.original_max_position_embeddings;
    else
        j["original_max_position_embeddings"] = nullptr;
    if (const auto list = t.longrope_list)
        j["longrope_factors"] = list_name(*list);
    else
        j["longrope_factors"] = nullptr;
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
}

nlohmann::json query_scale_json(const rs::model_rope_config& hf) {
    if (!hf.query_scale) return nullptr;
    nlohmann::json q = nlohmann::json::object();
    if (const auto* t = std::get_if<rs::llama4_attn_temperature>(&*hf.query_scale)) {
        q["kind"] = "llama4_attn_temperature";
        q["floor_scale"] = t->floor_scale;
        q["attn_scale"] = t->attn_scale;
    } else if (const auto* b = std::get_if<rs::llama_4_scaling>(&*hf.query_scale)) {
        q["kind"] = "llama_4_scaling";
        q["beta"] = b->beta;
        q["original_max_position_embeddings"] = b->original_max_position_embeddings;
    }
    q["layers"] = hf.query_scale_layers == rs::query_scale_scope::nope ? "nope" : "all";
    return q;
}

// The M-RoPE stream names (mrope.hpp: 0 t, 1 h, 2 w).
const char* stream_name(int s) { return s == 0 ? "t" : s == 1 ? "h" : "w"; }

// Increasing pair indices as runs: "0-15", "1-58 step 3", "0-60 step 3, 61-63", "7".
std::string index_runs(const std::vector<int>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size();) {
        std::size_t j = i;
        int step = 0;
        if (i + 1 < v.size()) {
            step = v[i + 1] - v[i];
            while (j + 1 < v.size() && v[j + 1] - v[j] == step) ++j;
            if (step != 1 && j - i < 2) j = i;  // two apart by more than 1: not a run
        }
        out += out.empty() ? "" : ", ";
        out += std::to_string(v[i]);
        if (j > i) {
            out += "-" + std::to_string(v[j]);
            if (step != 1) out += " step " + std::to_string(step);
        }
        i = j + 1;
    }
    return out;
}

void print_json(const rs::model_rope_config& hf, const std::vector<rs::frequency_table>& tables,
                const rs::table_options& opt, const source_file& file) {
    const rs::frequency_table& t = tables.front();
    nlohmann::json j = nlohmann::json::object();
    table_json(j, hf.layer_types.front(), t);
    j["format"] = file.gguf ? "gguf" : "config.json";
    j["semantics"] = semantics_name(file.sem);
    j["model_type"] = hf.model_type;  // GGUF: general.architecture
    // Each field of one file kind only is null for the other.
    if (file.gguf)
        j["config_path"] = nullptr;
    else
        j["config_path"] = hf.config_path;
    if (file.gguf)
        j["finetuned"] = hf.finetuned;
    else
        j["finetuned"] = nullptr;
    if (hf.max_position_embeddings)
        j["max_position_embeddings"] = *hf.max_position_embeddings;
    else
        j["max_position_embeddings"] = nullptr;
    if (opt.seq_len)
        j["seq_len"] = *opt.seq_len;
    else
        j["seq_len"] = nullptr;
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& w : hf.warnings) warnings.push_back(w.what());
    for (std::size_t k = 0; k < tables.size(); ++k)
        for (const auto& w : tables[k].warnings)
            warnings.push_back(k == 0 ? w.what() : hf.layer_types[k].layer_type + "." + w.what());
    j["warnings"] = warnings;
    nlohmann::json layer_tables = nlohmann::json::object();
    for (std::size_t k = 0; k < tables.size(); ++k) {
        nlohmann::json lt = nlohmann::json::object();
        table_json(lt, hf.layer_types[k], tables[k]);
        layer_tables[hf.layer_types[k].layer_type] = lt;
    }
    j["layer_tables"] = layer_tables;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : hf.layers)
        if (l)
            layers.push_back(hf.layer_types[*l].layer_type);
        else
            layers.push_back(nullptr);
    j["layers"] = layers;
    j["query_scale"] = query_scale_json(hf);
    if (hf.mrope) {
        // The reader checked the sections against the primary table's rotary dimension.
        const auto map = rs::mrope_map::make(*hf.mrope, t.rotary_dim);
        nlohmann::json streams = nlohmann::json::array();
        nlohmann::json pairs = {{"t", nlohmann::json::array()},
                                {"h", nlohmann::json::array()},
                                {"w", nlohmann::json::array()}};
        if (map)
            for (std::size_t i = 0; i < map->streams().size(); ++i) {
                const char* name = stream_name(map->streams()[i]);
                streams.push_back(name);
                pairs[name].push_back(i);
            }
        nlohmann::json positions = nullptr;
        if (const auto& r = hf.mrope_positions) {
            positions = {{"model", rs::to_string(r->model)},
                         {"spatial_merge_size", r->spatial_merge_size},
                         {"tokens_per_second", nullptr}};
            if (r->tokens_per_second) positions["tokens_per_second"] = *r->tokens_per_second;
        }
        j["mrope"] = {{"section", hf.mrope->section},
                      {"interleaved", hf.mrope->interleaved},
                      {"pair_streams", streams},
                      {"pairs", pairs},
                      {"positions", positions}};
    } else {
        j["mrope"] = nullptr;
    }
    nlohmann::json sources = nlohmann::json::object();
    for (const auto& src : hf.sources) sources[src.key] = src.origin;
    j["sources"] = sources;
    // The default dump writes each double in its shortest round-trip form; `replace` keeps
    // any odd byte in a warning from aborting the output.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// One layer type's header and per-pair rows.
void print_one_table(const rs::layer_rope& l, const rs::frequency_table& t) {
    std::printf("method:            %s (rope_type \"%s\")\n", t.method, l.rope_type.c_str());
    std::printf("head_dim:          %d\n", t.head_dim);
    std::printf("rotary_dim:        %d%s\n", t.rotary_dim,
                t.rotary_dim < t.head_dim ? " (partial: the other channels pass through)" : "");
    if (t.base != t.rope_theta)
        std::printf("base:              %.17g (effective; rope_theta %.17g)\n", t.base,
                    t.rope_theta);
    else
        std::printf("base:              %.17g\n", t.base);
    std::printf("scale:             %.17g\n", t.scale);
    if (l.original_max_position_embeddings)
        std::printf("original_max_position_embeddings: %lld\n",
                    static_cast<long long>(*l.original_max_position_embeddings));
    if (t.correction)
        std::printf("correction range:  [%.17g, %.17g] (pair indices)\n", t.correction->low,
                    t.correction->high);
    std::printf("attention factor:  %.17g (multiplies cos and sin)\n", t.attention_factor);
    std::printf("logit scale:       %.17g (multiplies the softmax scale)\n", t.logit_scale);
    if (const auto list = t.longrope_list)
        std::printf("LongRoPE list:     %s_factor\n", list_name(*list));
    std::printf("\n%5s  %-24s  %-20s  %-20s  %s\n", "pair", "inv_freq", "wavelength (tokens)",
                "multiplier", "region");
    for (int i = 0; i < t.pairs(); ++i) {
        const double inv = t.inv_freq[static_cast<std::size_t>(i)];
        const double m = t.multiplier(i);
        std::printf("%5d  %-24.17g  %-20.10g  %-20.12g  %s\n", i, inv, rs::wavelength(inv), m,
                    rs::to_string(rs::classify_pair(m, t.scale)));
    }
}

// The layer map in runs: "0-4 sliding_attention, 5 full_attention, ...".
std::string layer_map(const rs::model_rope_config& hf) {
    std::string out;
    const auto name = [&](std::size_t i) -> std::string {
        return hf.layers[i] ? hf.layer_types[*hf.layers[i]].layer_type : "no RoPE";
    };
    for (std::size_t i = 0; i < hf.layers.size();) {
        std::size_t j = i;
        while (j + 1 < hf.layers.size() && hf.layers[j + 1] == hf.layers[i]) ++j;
        out += (out.empty() ? "" : ", ") + std::to_string(i) +
               (j > i ? "-" + std::to_string(j) : "") + " " + name(i);
        i = j + 1;
    }
    return out;
}

void print_table(const rs::model_rope_config& hf, const std::vector<rs::frequency_table>& tables,
                 const rs::table_options& opt, const source_file& file) {
    if (file.gguf) {
        std::printf("file:              GGUF, read with %s semantics\n", semantics_name(file.sem));
        std::printf("model_type:        %s (GGUF general.architecture)\n", hf.model_type.c_str());
        if (hf.finetuned)
            std::printf(
                "finetuned:         true (%s.rope.scaling.finetuned; no effect on the "
                "table)\n",
                hf.model_type.c_str());
    } else if (!hf.model_type.empty() || !hf.config_path.empty())
        std::printf(
            "model_type:        %s%s\n", hf.model_type.empty() ? "(none)" : hf.model_type.c_str(),
            hf.config_path.empty() ? "" : (" (language model at " + hf.config_path + ")").c_str());
    if (hf.max_position_embeddings)
        std::printf("max_position_embeddings:          %lld\n",
                    static_cast<long long>(*hf.max_position_embeddings));
    if (opt.seq_len)
        std::printf("seq_len:           %lld%s\n", static_cast<long long>(*opt.seq_len),
                    file.sem == semantics::llama_cpp
                        ? " (llama.cpp's context per sequence, n_ctx_per_seq)"
                        : "");
    if (hf.layers.empty())
        std::printf("layers:            every layer uses the %s table (layer count unknown)\n",
                    hf.layer_types.front().layer_type.c_str());
    else
        std::printf("layers:            %s\n", layer_map(hf).c_str());
    if (hf.query_scale) {
        const char* where = hf.query_scale_layers == rs::query_scale_scope::nope
                                ? "layers without RoPE"
                                : "every layer";
        const auto num = [](double v) { return rs::detail::format_value(v); };
        if (const auto* t = std::get_if<rs::llama4_attn_temperature>(&*hf.query_scale))
            std::printf("query scale:       log(floor((p + 1) / %s) + 1) * %s + 1 (%s)\n",
                        num(t->floor_scale).c_str(), num(t->attn_scale).c_str(), where);
        else if (const auto* b = std::get_if<rs::llama_4_scaling>(&*hf.query_scale))
            std::printf("query scale:       1 + %s * log(1 + floor(p / %lld)) (%s)\n",
                        num(b->beta).c_str(),
                        static_cast<long long>(b->original_max_position_embeddings), where);
    }
    if (hf.mrope) {
        std::string sec;
        for (int x : hf.mrope->section) sec += (sec.empty() ? "" : ", ") + std::to_string(x);
        std::printf("mrope sections:    [%s] %s\n", sec.c_str(),
                    hf.mrope->interleaved
                        ? "interleaved (transformers apply_interleaved_mrope, Qwen3-VL)"
                        : "chunked (transformers apply_multimodal_rotary_pos_emb, Qwen2-VL)");
        if (const auto map = rs::mrope_map::make(*hf.mrope, tables.front().rotary_dim)) {
            const char* label[3] = {"t (temporal)", "h (height)", "w (width)"};
            for (int s = 0; s < 3; ++s) {
                std::vector<int> pairs;
                for (std::size_t i = 0; i < map->streams().size(); ++i)
                    if (map->streams()[i] == s) pairs.push_back(static_cast<int>(i));
                std::printf("  %-16s pairs %s (%zu)\n", label[s],
                            pairs.empty() ? "none" : index_runs(pairs).c_str(), pairs.size());
            }
        }
        if (const auto& r = hf.mrope_positions) {
            std::printf("mrope positions:   %s layout, spatial_merge_size %d",
                        rs::to_string(r->model), r->spatial_merge_size);
            if (r->tokens_per_second)
                std::printf(", tokens_per_second %s",
                            rs::detail::format_value(*r->tokens_per_second).c_str());
            std::printf(" (build_mrope_positions)\n");
        }
    }
    bool any_warning = !hf.warnings.empty();
    for (const auto& t : tables) any_warning = any_warning || !t.warnings.empty();
    if (any_warning) {
        std::printf("warnings:\n");
        for (const auto& w : hf.warnings) std::printf("  %s\n", w.what().c_str());
        for (std::size_t k = 0; k < tables.size(); ++k)
            for (const auto& w : tables[k].warnings)
                std::printf("  %s%s\n", k == 0 ? "" : (hf.layer_types[k].layer_type + ".").c_str(),
                            w.what().c_str());
    }
    if (!hf.sources.empty()) {
        std::printf("sources:\n");
        for (const auto& src : hf.sources)
            std::printf("  %-28s %s\n", src.key.c_str(), src.origin.c_str());
    }
    for (std::size_t k = 0; k < tables.size(); ++k) {
        std::printf("\nlayer type %s%s:\n", hf.layer_types[k].layer_type.c_str(),
                    k == 0 ? " (primary)" : "");
        print_one_table(hf.layer_types[k], tables[k]);
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
        } else if (a == "--pi-bound") {
            o.pi_bound = true;
        } else if (a == "--svg") {
            if (i + 1 >= argc) return usage_error("--svg needs a file name");
            o.svg = argv[++i];
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
        } else if (a == "--semantics" || a.rfind("--semantics=", 0) == 0) {
            std::string value;
            if (a == "--semantics") {
                if (i + 1 >= argc) return usage_error("--semantics needs a value");
                value = argv[++i];
            } else {
                value = a.substr(std::strlen("--semantics="));
            }
            if (value == "transformers")
                o.sem = semantics::transformers;
            else if (value == "llama.cpp")
                o.sem = semantics::llama_cpp;
            else
                return usage_error("--semantics must be transformers or llama.cpp (got \"" + value +
                                   "\")");
        } else if (a.size() > 1 && a[0] == '-') {
            return usage_error("unknown option " + a);
        } else if (o.path.empty()) {
            o.path = a;
        } else {
            return usage_error("more than one model file given");
        }
    }
    if (o.path.empty()) return usage_error("no model file given");

    source_file src;
    src.gguf = is_gguf(o.path);
    src.sem = o.sem;
    if (o.sem == semantics::llama_cpp && !src.gguf)
        return usage_error("llama.cpp semantics need a GGUF file (" + o.path +
                           " is read as a config.json)");
    const auto hf = load_model(o, src);
    if (!hf) return config_error(hf.err());
    rs::table_options opt;
    opt.seq_len = o.seq_len;
    std::vector<rs::frequency_table> tables;
    for (const auto& l : hf->layer_types) {
        auto table = rs::compute_frequencies(l.config, opt);
        if (!table) {
            rs::error e = table.err();
            if (&l != &hf->layer_types.front()) e.field = l.layer_type + "." + e.field;
            return config_error(e);
        }
        tables.push_back(std::move(*table));
    }
    if (!o.svg.empty())
        if (const auto s = inspect_svg::write_file(o.svg, *hf, tables, opt, o.path); !s)
            return config_error(s.err());
    if (o.pi_bound) return inspect_pi_bound::run(*hf, tables, opt, o.json);
    if (o.json)
        print_json(*hf, tables, opt, src);
    else
        print_table(*hf, tables, opt, src);
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
