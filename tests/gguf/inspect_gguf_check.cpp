// Checks that `ropescale-inspect MODEL.gguf --json` gives the tables of
// `ropescale-inspect config.json --json` for the config the GGUF file was converted from (or
// of another reading of the GGUF file: WANT.json is the wanted side, the one compared against):
//   inspect_gguf_check WANT.json FROM_GGUF.json INV_FREQ_REL FACTOR_REL
// Compared:
//   * per layer type of layer_tables (the same names): head_dim and rotary_dim equal;
//     rope_theta within 2^-24 relative (a float32 key); each inv_freq[i] and multiplier[i]
//     within INV_FREQ_REL relative; attention_factor and logit_scale within FACTOR_REL
//     relative; correction_range within 2^-40 relative (same inputs) when both have one;
//     method, scale, region, original_max_position_embeddings and the presence of a correction
//     range equal, except where a table is "rope_freqs" (llama.cpp's per-pair factors,
//     standing for a config.json method of their own) or "llama.cpp" (llama.cpp's semantics,
//     its own method): then only the numbers can agree. rope_type is not compared otherwise:
//     it is each file's own spelling;
//   * the top level: max_position_embeddings, query_scale and mrope (sections, interleaving,
//     the stream of each pair) equal; the layer map ("layers") equal, or, where the wanted side
//     has no layer count (an empty map), the GGUF's naming its only layer type on every layer.
// The tolerances are the caller's (the GGUF file's float32 storage, the methods' contracts; see
// CMakeLists.txt and inspect_gguf.cmake), given as any strtod number ("0x1p-20"). Exit status 0
// when all holds, 1 with the differences on stderr, 2 on a usage error.
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

using json = nlohmann::json;

int failures = 0;

void fail(const std::string& what) {
    std::fprintf(stderr, "%s\n", what.c_str());
    ++failures;
}

json read(const char* path) {
    std::ifstream in(path);
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        fail(std::string(path) + ": not a JSON object");
        return json::object();
    }
    return j;
}

double relative(double got, double want) {
    if (got == want) return 0.0;
    return std::fabs(got / want - 1.0);
}

void near(const json& g, const json& h, double tol, const std::string& what) {
    if (!g.is_number() || !h.is_number()) {
        if (g != h) fail(what + ": " + g.dump() + " vs " + h.dump());
        return;
    }
    const double got = g.get<double>();
    const double want = h.get<double>();
    if (!(relative(got, want) <= tol))
        fail(what + ": " + g.dump() + " (GGUF) vs " + h.dump() + " (wanted), relative " +
             json(relative(got, want)).dump() + " > " + json(tol).dump());
}

void same(const json& g, const json& h, const std::string& what) {
    if (g != h) fail(what + ": " + g.dump() + " (GGUF) vs " + h.dump() + " (wanted)");
}

void near_array(const json& g, const json& h, double tol, const std::string& what) {
    if (!g.is_array() || !h.is_array() || g.size() != h.size()) {
        fail(what + ": " + std::to_string(g.size()) + " entries (GGUF) vs " +
             std::to_string(h.size()) + " (wanted)");
        return;
    }
    for (std::size_t i = 0; i < g.size(); ++i)
        near(g[i], h[i], tol, what + "[" + std::to_string(i) + "]");
}

void compare_table(const json& g, const json& h, double inv_tol, double factor_tol,
                   const std::string& name) {
    for (const char* key : {"head_dim", "rotary_dim"})
        same(g.value(key, json()), h.value(key, json()), name + "." + key);
    near(g.value("rope_theta", json()), h.value("rope_theta", json()), 0x1p-24,
         name + ".rope_theta");
    near_array(g.value("inv_freq", json()), h.value("inv_freq", json()), inv_tol,
               name + ".inv_freq");
    // multiplier = inv_freq / theta_i, theta_i from the same rope_theta on both sides.
    near_array(g.value("multiplier", json()), h.value("multiplier", json()), inv_tol + 0x1p-50,
               name + ".multiplier");
    for (const char* key : {"attention_factor", "logit_scale"})
        near(g.value(key, json()), h.value(key, json()), factor_tol, name + "." + key);
    const auto own_method = [](const json& t) {
        const std::string type = t.value("rope_type", "");
        return type == "rope_freqs" || type == "llama.cpp";
    };
    const bool same_method = !own_method(g) && !own_method(h);
    const json gc = g.value("correction_range", json());
    const json hc = h.value("correction_range", json());
    if (gc.is_object() && hc.is_object()) {
        near(gc.value("low", json()), hc.value("low", json()), 0x1p-40, name + ".correction.low");
        near(gc.value("high", json()), hc.value("high", json()), 0x1p-40,
             name + ".correction.high");
    } else if (same_method) {
        same(gc, hc, name + ".correction_range");
    }
    if (same_method)
        for (const char* key : {"method", "scale", "region", "original_max_position_embeddings"})
            same(g.value(key, json()), h.value(key, json()), name + "." + key);
}

bool parse_tolerance(const char* text, double& out) {
    char* end = nullptr;
    out = std::strtod(text, &end);
    return *text != '\0' && *end == '\0' && out >= 0.0 && std::isfinite(out);
}

}  // namespace

int main(int argc, char** argv) {
    double inv_tol = 0;
    double factor_tol = 0;
    if (argc != 5 || !parse_tolerance(argv[3], inv_tol) || !parse_tolerance(argv[4], factor_tol)) {
        std::fprintf(stderr,
                     "usage: inspect_gguf_check WANT.json FROM_GGUF.json "
                     "INV_FREQ_REL FACTOR_REL\n");
        return 2;
    }
    const json h = read(argv[1]);
    const json g = read(argv[2]);
    same(g.value("format", json()), "gguf", "format");
    const json gt = g.value("layer_tables", json::object());
    const json ht = h.value("layer_tables", json::object());
    if (gt.size() != ht.size() || gt.empty())
        fail("layer_tables: " + std::to_string(gt.size()) + " layer types (GGUF) vs " +
             std::to_string(ht.size()) + " (wanted)");
    for (auto it = ht.begin(); it != ht.end(); ++it) {
        if (!gt.contains(it.key())) {
            fail("layer_tables: the GGUF reading has no " + it.key());
            continue;
        }
        compare_table(gt[it.key()], it.value(), inv_tol, factor_tol, it.key());
    }
    for (const char* key : {"max_position_embeddings", "query_scale"})
        same(g.value(key, json()), h.value(key, json()), key);
    const json gl = g.value("layers", json());
    const json hl = h.value("layers", json());
    if (hl.is_array() && hl.empty() && gt.size() == 1) {
        if (!gl.is_array() || gl.empty()) fail("layers: the GGUF reading has no layer count");
        for (const json& l : gl)
            if (l != gt.begin().key()) fail("layers: " + l.dump() + " in the GGUF reading");
    } else {
        same(gl, hl, "layers");
    }
    const json gm = g.value("mrope", json());
    const json hm = h.value("mrope", json());
    if (gm.is_object() && hm.is_object()) {
        for (const char* key : {"section", "interleaved", "pair_streams", "pairs"})
            same(gm.value(key, json()), hm.value(key, json()), std::string("mrope.") + key);
    } else {
        same(gm, hm, "mrope");
    }
    if (failures == 0) return 0;
    std::fprintf(stderr, "%d difference(s) between %s and %s\n", failures, argv[2], argv[1]);
    return 1;
}
