// Golden conformance: every case file of the golden set, interpreted from its `params` alone.
//
// A case records what a reference implementation produced (transformers, the YaRN authors'
// code, Meta's llama; see README.md in this folder for provenance). For each case this test
// rebuilds the configuration the reference was given, computes the table with ropescale, and
// checks, against the float64 evaluations of the reference code (`*_f64` fields):
//   inv_freq                  relative <= 1e-12
//   attention factor          relative <= 1e-12
//   logit scale               relative <= 1e-12 (when the case records DeepSeek's multiplier)
//   cos / sin at positions    absolute <= 1e-9, through ropescale::rotation_sincos
//   rotation outputs          absolute <= 1e-9, both layouts (half_split_f64, interleaved_f64),
//                             through the public apply_rope on double tensors (the on-the-fly
//                             double-precision path), partial rotary channels passed through
// The bounds are the library's precision contract (README.md, "Precision"). They are far above the
// double-precision noise (the reference's own float64 path is exact to ~4e-16 in inv_freq and
// ~3e-11 in cos/sin at position 131071, where it rounds the angle p * inv_freq once) and far below
// any formula difference (a wrong ramp, truncation or factor moves inv_freq by > 1e-7 relative).
//
// Interpreting a case: transformers cases carry the config attributes and rope parameters that
// were passed to transformers; they go through ropescale's own HF config reader. The YaRN
// authors' cases carry the constructor arguments of a named class; each class maps to one
// method (the mapping below is per class, never per case). A case that cannot be interpreted
// fails. With ROPESCALE_GOLDEN_DIR set, the cases come from that directory instead.
#include <gtest/gtest.h>

#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double inv_freq_rel_tol = 1e-12;
constexpr double factor_rel_tol = 1e-12;
constexpr double cos_sin_abs_tol = 1e-9;
constexpr double rotation_abs_tol = 1e-9;

fs::path golden_dir() {
    if (const char* env = std::getenv("ROPESCALE_GOLDEN_DIR"); env && *env) return env;
    return ROPESCALE_GOLDEN_DEFAULT_DIR;
}

std::string sci(double v) {
    std::ostringstream os;
    os.precision(3);
    os << std::scientific << v;
    return os.str();
}

double rel_diff(double got, double want) {
    if (got == want) return 0.0;
    return std::fabs(got - want) / std::max(std::fabs(want), 1e-300);
}

// What a case asks for, once interpreted.
struct interpreted_case {
    ropescale::rope_config config;
    ropescale::table_options options;
    // The YaRN authors' linear and dynamic-linear classes keep the plain inv_freq buffer and
    // divide positions by the scale instead; their recorded inv_freq is then ours times this.
    double recorded_inv_freq_multiplier = 1.0;
    // transformers cases: the config.json they amount to (for the ropescale-inspect check).
    json hf_config;
};

template <class T>
T kwarg(const json& kwargs, const char* key, T fallback) {
    auto it = kwargs.find(key);
    if (it == kwargs.end() || it->is_null()) return fallback;
    if constexpr (std::is_same_v<T, bool>) {
        // Python truthiness of the argument.
        if (it->is_boolean()) return it->template get<bool>();
        if (it->is_number()) return it->template get<double>() != 0.0;
        throw std::runtime_error(std::string("constructor argument ") + key + " is not a bool");
    } else {
        if (!it->is_number())
            throw std::runtime_error(std::string("constructor argument ") + key +
                                     " is not a number");
        return it->template get<T>();
    }
}

// transformers cases: the config attributes plus the rope parameters, as a config.json.
interpreted_case interpret_hf(const json& params) {
    json config = params.at("config_attributes_passed");
    const json& rope = params.at("rope_parameters_passed");
    if (!rope.is_null()) config["rope_parameters"] = rope;
    auto read = ropescale::read_hf_config(config);
    if (!read) throw std::runtime_error("HF config reader refused the case: " + read.err().what());
    interpreted_case c;
    c.config = read->config;
    c.hf_config = config;
    if (!params.at("seq_len").is_null())
        c.options.seq_len = params.at("seq_len").get<std::int64_t>();
    return c;
}

// The YaRN authors' classes (jquesnelle/yarn scaled_rope/), from their constructor arguments.
// Defaults are the classes' own: base 10000, max_position_embeddings 2048,
// original_max_position_embeddings 2048, betas 32/1, factors 1.
interpreted_case interpret_yarn_repo(const json& params) {
    const std::string cls = params.at("rope_type").get<std::string>();
    const json& kw = params.at("constructor_kwargs");
    interpreted_case c;
    const int dim = kwarg<int>(kw, "dim", 0);
    c.config.head_dim = dim;
    c.config.rope_theta = kwarg<double>(kw, "base", 10000.0);
    const auto max_pos = kwarg<std::int64_t>(kw, "max_position_embeddings", 2048);
    const auto original = kwarg<std::int64_t>(kw, "original_max_position_embeddings", 2048);
    std::int64_t seq_len = max_pos;
    if (!params.at("seq_len").is_null()) seq_len = params.at("seq_len").get<std::int64_t>();
    if (auto it = params.find("forward_seq_len"); it != params.end() && !it->is_null())
        seq_len = it->get<std::int64_t>();

    if (cls == "LlamaLinearScaledRotaryEmbedding") {
        const double scale = kwarg<double>(kw, "scale", 1.0);
        c.config.scaling = ropescale::linear{scale};
        c.recorded_inv_freq_multiplier = scale;
    } else if (cls == "LlamaNTKScaledRotaryEmbedding") {
        c.config.scaling = ropescale::ntk_aware{kwarg<double>(kw, "alpha", 1.0)};
    } else if (cls == "LlamaDynamicScaledRotaryEmbedding") {
        const double ntk = kwarg<double>(kw, "ntk", 0.0);  // `ntk` doubles as the factor
        if (ntk != 0.0) {
            c.config.scaling = ropescale::dynamic_ntk{ntk, max_pos};
            c.options.seq_len = seq_len;
        } else {
            // "Dynamic linear": positions times max_position_embeddings / seq_len once grown.
            const double scale = seq_len > max_pos
                                     ? static_cast<double>(seq_len) / static_cast<double>(max_pos)
                                     : 1.0;
            c.config.scaling = ropescale::linear{scale};
            c.recorded_inv_freq_multiplier = scale;
        }
    } else if (cls == "LlamaPartNTKScaledRotaryEmbedding") {
        ropescale::ntk_by_parts m;
        m.factor = kwarg<double>(kw, "scale", 1.0);
        m.original_max_position_embeddings = original;
        m.ntk_factor = kwarg<double>(kw, "ntk_factor", 1.0);
        m.extrapolation_factor = kwarg<double>(kw, "extrapolation_factor", 1.0);
        c.config.scaling = m;
    } else if (cls == "LlamaDynamicPartNTKScaledRotaryEmbedding") {
        // NTK-by-parts re-evaluated on growth with s = seq_len / max_position_embeddings (the
        // finetuned start is max / original); this class measures its correction ranges over
        // max_position_embeddings, not the original length. s = 1 is the plain table.
        ropescale::ntk_by_parts m;
        m.factor = seq_len > max_pos ? static_cast<double>(seq_len) / static_cast<double>(max_pos)
                   : kwarg<bool>(kw, "finetuned", false)
                       ? static_cast<double>(max_pos) / static_cast<double>(original)
                       : 1.0;
        m.original_max_position_embeddings = max_pos;
        m.ntk_factor = kwarg<double>(kw, "ntk_factor", 1.0);
        m.extrapolation_factor = kwarg<double>(kw, "extrapolation_factor", 1.0);
        c.config.scaling = m;
    } else if (cls == "LlamaYaRNScaledRotaryEmbedding") {
        ropescale::yarn m;
        m.factor = kwarg<double>(kw, "scale", 1.0);
        m.original_max_position_embeddings = original;
        m.beta_fast = kwarg<double>(kw, "beta_fast", 32.0);
        m.beta_slow = kwarg<double>(kw, "beta_slow", 1.0);
        m.extrapolation_factor = kwarg<double>(kw, "extrapolation_factor", 1.0);
        m.attn_factor = kwarg<double>(kw, "attn_factor", 1.0);
        m.truncate = true;  // the authors' code always floors/ceils the range
        c.config.scaling = m;
    } else if (cls == "LlamaDynamicYaRNScaledRotaryEmbedding") {
        ropescale::dynamic_yarn m;
        m.original_max_position_embeddings = original;
        m.max_position_embeddings = max_pos;
        m.finetuned = kwarg<bool>(kw, "finetuned", false);
        m.beta_fast = kwarg<double>(kw, "beta_fast", 32.0);
        m.beta_slow = kwarg<double>(kw, "beta_slow", 1.0);
        m.extrapolation_factor = kwarg<double>(kw, "extrapolation_factor", 1.0);
        m.attn_factor = kwarg<double>(kw, "attn_factor", 1.0);
        c.config.scaling = m;
        c.options.seq_len = seq_len;
    } else {
        throw std::runtime_error("no interpretation for the YaRN authors' class " + cls);
    }
    return c;
}

interpreted_case interpret(const json& doc) {
    const json& params = doc.at("params");
    if (params.contains("config_attributes_passed")) return interpret_hf(params);
    if (params.contains("constructor_kwargs")) return interpret_yarn_repo(params);
    throw std::runtime_error("case has neither config_attributes_passed nor constructor_kwargs");
}

// Looks for DeepSeek's softmax multiplier anywhere in cross_checks.
const json* find_key(const json& j, const std::string& key) {
    if (j.is_object()) {
        if (auto it = j.find(key); it != j.end()) return &*it;
        for (const auto& [k, v] : j.items()) {
            (void)k;
            if (const json* r = find_key(v, key)) return r;
        }
    }
    return nullptr;
}

struct case_report {
    std::string name;
    std::vector<std::string> failures;
    double max_inv_freq_rel = 0.0, max_cos_sin_abs = 0.0, max_rotation_abs = 0.0;
    bool checked_logit = false;
    bool checked_cli = false;
};

#ifdef ROPESCALE_INSPECT_PATH
// Runs `ropescale-inspect --json` on the case's config.json, as a user would, and checks the
// printed inv_freq and attention factor against the reference (same bounds as the library).
void check_cli(const interpreted_case& ic, const json& doc, const fs::path& scratch,
               case_report& r) {
    const fs::path config_file = scratch / (r.name + ".config.json");
    std::ofstream(config_file) << ic.hf_config.dump();
    std::string cmd = std::string("\"") + ROPESCALE_INSPECT_PATH + "\" --json";
    if (ic.options.seq_len) cmd += " --seq-len " + std::to_string(*ic.options.seq_len);
    cmd += " \"" + config_file.string() + "\"";
    std::string out;
    if (FILE* pipe = popen(cmd.c_str(), "r")) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
        if (pclose(pipe) != 0) r.failures.push_back("ropescale-inspect failed: " + cmd);
    } else {
        r.failures.push_back("cannot run " + cmd);
        return;
    }
    const json printed = json::parse(out, nullptr, false);
    if (printed.is_discarded() || !printed.contains("inv_freq")) {
        r.failures.push_back("ropescale-inspect printed no JSON table");
        return;
    }
    const auto want = doc.at("inv_freq_f64").get<std::vector<double>>();
    const auto got = printed.at("inv_freq").get<std::vector<double>>();
    if (got.size() != want.size()) {
        r.failures.push_back("ropescale-inspect inv_freq has the wrong length");
        return;
    }
    for (std::size_t i = 0; i < want.size(); ++i)
        if (!(rel_diff(got[i], want[i]) <= inv_freq_rel_tol))
            r.failures.push_back("ropescale-inspect inv_freq[" + std::to_string(i) + "] off");
    if (!(rel_diff(printed.at("attention_factor").get<double>(),
                   doc.at("attention_factor_f64").get<double>()) <= factor_rel_tol))
        r.failures.push_back("ropescale-inspect attention_factor off");
    r.checked_cli = true;
}
#endif

// The recorded rotation example: q [P][heads][head_dim] (exact float32 inputs) rotated at the
// case's positions, in both layouts, compared with the reference's float64 outputs.
void check_rotation(const ropescale::frequency_table& table, const json& doc, case_report& r) {
    const json& rot = doc.at("rotation");
    const auto positions = doc.at("positions").get<std::vector<std::int64_t>>();
    const int heads = rot.at("num_heads").get<int>();
    const int head_dim = rot.at("head_dim").get<int>();
    const auto tokens = static_cast<std::int64_t>(positions.size());
    std::vector<double> q;
    for (const auto& row : rot.at("q"))
        for (const auto& head : row)
            for (const auto& v : head) q.push_back(v.get<double>());
    if (q.size() != static_cast<std::size_t>(tokens * heads * head_dim) ||
        head_dim != table.head_dim) {
        r.failures.push_back("rotation example does not match positions x heads x head_dim");
        return;
    }
    const std::pair<const char*, ropescale::rotary_layout> layouts[] = {
        {"half_split_f64", ropescale::rotary_layout::half_split},
        {"interleaved_f64", ropescale::rotary_layout::interleaved}};
    for (const auto& [key, layout] : layouts) {
        std::vector<double> want;
        for (const auto& row : rot.at(key))
            for (const auto& head : row)
                for (const auto& v : head) want.push_back(v.get<double>());
        std::vector<double> out(q.size(), 0.0);
        const auto s = ropescale::apply_rope(
            table, layout, positions,
            ropescale::out_of_place(
                ropescale::make_heads_view(q.data(), tokens, heads, head_dim),
                ropescale::make_heads_view(out.data(), tokens, heads, head_dim)));
        if (!s) {
            r.failures.push_back(std::string("apply_rope refused the ") + key +
                                 " example: " + s.err().what());
            continue;
        }
        if (want.size() != out.size()) {
            r.failures.push_back(std::string(key) + " has the wrong size");
            continue;
        }
        for (std::size_t i = 0; i < out.size(); ++i) {
            const double d = std::fabs(out[i] - want[i]);
            r.max_rotation_abs = std::max(r.max_rotation_abs, d);
            if (!(d <= rotation_abs_tol)) {
                r.failures.push_back(std::string(key) + " element " + std::to_string(i) +
                                     " off by " + sci(d));
                break;
            }
        }
    }
}

case_report check_case(const fs::path& file, const fs::path& scratch) {
    case_report r;
    r.name = file.filename().string();
    std::ifstream in(file);
    json doc = json::parse(in, nullptr, false);
    if (doc.is_discarded()) {
        r.failures.push_back("not valid JSON");
        return r;
    }
    if (doc.value("schema_version", 0) != 1) {
        r.failures.push_back("unsupported schema_version");
        return r;
    }
    interpreted_case ic;
    try {
        ic = interpret(doc);
    } catch (const std::exception& e) {
        r.failures.push_back(std::string("cannot interpret: ") + e.what());
        return r;
    }
    auto table = ropescale::compute_frequencies(ic.config, ic.options);
    if (!table) {
        r.failures.push_back("compute_frequencies refused it: " + table.err().what());
        return r;
    }
    const auto want_inv = doc.at("inv_freq_f64").get<std::vector<double>>();
    if (want_inv.size() != table->inv_freq.size()) {
        r.failures.push_back("inv_freq has " + std::to_string(table->inv_freq.size()) +
                             " entries, reference " + std::to_string(want_inv.size()));
        return r;
    }
    for (std::size_t i = 0; i < want_inv.size(); ++i) {
        const double d =
            rel_diff(table->inv_freq[i] * ic.recorded_inv_freq_multiplier, want_inv[i]);
        r.max_inv_freq_rel = std::max(r.max_inv_freq_rel, d);
        if (!(d <= inv_freq_rel_tol))
            r.failures.push_back("inv_freq[" + std::to_string(i) + "] relative error " + sci(d));
    }
    const double want_af = doc.at("attention_factor_f64").get<double>();
    if (!(rel_diff(table->attention_factor, want_af) <= factor_rel_tol))
        r.failures.push_back("attention factor " + std::to_string(table->attention_factor) +
                             " vs reference " + std::to_string(want_af));
    if (const json* logit =
            find_key(doc.at("cross_checks"), "softmax_scale_multiplier_mscale_squared")) {
        r.checked_logit = true;
        if (!(rel_diff(table->logit_scale, logit->get<double>()) <= factor_rel_tol))
            r.failures.push_back("logit scale " + std::to_string(table->logit_scale) +
                                 " vs reference " + std::to_string(logit->get<double>()));
    }

#ifdef ROPESCALE_INSPECT_PATH
    if (!ic.hf_config.is_null()) check_cli(ic, doc, scratch, r);
#else
    (void)scratch;
#endif

    // cos/sin rows are cat(freqs, freqs) times the attention factor.
    const auto positions = doc.at("positions").get<std::vector<std::int64_t>>();
    const auto cos_f64 = doc.at("cos_f64").get<std::vector<std::vector<double>>>();
    const auto sin_f64 = doc.at("sin_f64").get<std::vector<std::vector<double>>>();
    const std::size_t half = table->inv_freq.size();
    if (cos_f64.size() != positions.size() || sin_f64.size() != positions.size()) {
        r.failures.push_back("cos/sin rows do not match positions");
        return r;
    }
    for (std::size_t row = 0; row < positions.size(); ++row) {
        if (cos_f64[row].size() != 2 * half || sin_f64[row].size() != 2 * half) {
            r.failures.push_back("cos/sin row width is not rotary_dim");
            return r;
        }
        for (std::size_t j = 0; j < 2 * half; ++j) {
            const auto cs = ropescale::rotation_sincos(positions[row], table->inv_freq[j % half]);
            const double dc = std::fabs(table->attention_factor * cs.cos - cos_f64[row][j]);
            const double ds = std::fabs(table->attention_factor * cs.sin - sin_f64[row][j]);
            r.max_cos_sin_abs = std::max({r.max_cos_sin_abs, dc, ds});
            if (!(dc <= cos_sin_abs_tol && ds <= cos_sin_abs_tol))
                r.failures.push_back("cos/sin at position " + std::to_string(positions[row]) +
                                     " channel " + std::to_string(j) + " off by " +
                                     sci(std::max(dc, ds)));
        }
    }
    check_rotation(*table, doc, r);
    return r;
}

TEST(golden, every_case_matches_the_reference) {
    const fs::path dir = golden_dir();
    ASSERT_TRUE(fs::is_directory(dir)) << "golden directory not found: " << dir;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << "no *.json case in " << dir;

    const fs::path scratch = fs::temp_directory_path() / "ropescale_golden";
    fs::create_directories(scratch);
    std::size_t passed = 0, logit_checked = 0, cli_checked = 0;
    double worst_inv = 0.0, worst_cs = 0.0, worst_rot = 0.0;
    for (const auto& f : files) {
        const case_report r = check_case(f, scratch);
        worst_inv = std::max(worst_inv, r.max_inv_freq_rel);
        worst_cs = std::max(worst_cs, r.max_cos_sin_abs);
        worst_rot = std::max(worst_rot, r.max_rotation_abs);
        if (r.failures.empty()) {
            ++passed;
            logit_checked += r.checked_logit ? 1 : 0;
            cli_checked += r.checked_cli ? 1 : 0;
            continue;
        }
        std::ostringstream msg;
        msg << r.name << ": " << r.failures.size() << " failure(s)";
        for (std::size_t i = 0; i < std::min<std::size_t>(r.failures.size(), 5); ++i)
            msg << "\n  " << r.failures[i];
        ADD_FAILURE() << msg.str();
    }
    if (passed == files.size()) {
        std::cout << "golden: " << passed
                  << " cases passed (tables, attention factor, logit scale in " << logit_checked
                  << ", cos/sin, rotation: half-split, interleaved, "
                  << "ropescale-inspect --json in " << cli_checked << ") from " << dir.string()
                  << "; worst inv_freq rel " << worst_inv << ", worst cos/sin abs " << worst_cs
                  << ", worst rotation abs " << worst_rot << "\n";
    } else {
        std::cout << "golden: " << passed << " of " << files.size() << " cases passed\n";
    }
}

}  // namespace
