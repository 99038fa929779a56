// The bad-parameter matrix: every invalid parameter class of every method, through both entry
// paths a user has,
//   1. a Hugging Face config.json (read_hf_config): the key in its rope section, and
//   2. the C++ aggregate (compute_frequencies, which validates first),
// must be refused with the errc and the field its error names, never a table. Complements
// tests/core/validation_test.cpp (hand-picked cases per class, C++ path) and
// tests/hf/hf_config_test.cpp (reader semantics): here the matrix is exhaustive over
// (method x key x bad value class) and checks that both paths name the same field.
//
// Classes: below the domain (0, negative, a factor below 1), not finite (NaN, +-inf: C++
// only, strict JSON has no NaN), inconsistent pairs (beta_fast < beta_slow, high <= low, ...),
// wrong JSON type (a string, a boolean, an array for a number; a number for a boolean),
// non-integral and out-of-int64 lengths; plus, for every method, the shared fields
// (rope_theta, head_dim, rotary dimension, seq_len).
#include <gtest/gtest.h>

#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;
using json = nlohmann::json;

const double k_nan = std::numeric_limits<double>::quiet_NaN();
const double k_inf = std::numeric_limits<double>::infinity();

// ---- the valid starting point of every method, in both vocabularies

struct method_spec {
    const char* name;        // rope_type
    json section;            // a valid rope section
    json top;                // top-level keys it needs besides hidden_size / heads
    rs::scaling_method cpp;  // the same configuration as the C++ aggregate
};

std::vector<method_spec> methods() {
    rs::ntk_by_parts nbp;
    nbp.factor = 16.0;
    nbp.original_max_position_embeddings = 4096;
    rs::yarn y;
    y.factor = 16.0;
    y.original_max_position_embeddings = 4096;
    rs::dynamic_yarn dy;
    dy.original_max_position_embeddings = 4096;
    dy.max_position_embeddings = 65536;
    rs::longrope lr;
    lr.short_factor.assign(64, 1.0);
    lr.long_factor.assign(64, 2.0);
    lr.original_max_position_embeddings = 4096;
    lr.max_position_embeddings = 131072;
    return {
        {"default", {{"rope_type", "default"}}, json::object(), rs::plain{}},
        {"linear", {{"rope_type", "linear"}, {"factor", 4.0}}, json::object(), rs::linear{4.0}},
        {"dynamic",
         {{"rope_type", "dynamic"}, {"factor", 2.0}},
         {{"max_position_embeddings", 4096}},
         rs::dynamic_ntk{2.0, 4096}},
        {"ntk_aware",
         {{"rope_type", "ntk_aware"}, {"alpha", 2.0}},
         json::object(),
         rs::ntk_aware{2.0}},
        {"ntk_by_parts",
         {{"rope_type", "ntk_by_parts"},
          {"factor", 16.0},
          {"original_max_position_embeddings", 4096}},
         json::object(),
         nbp},
        {"yarn",
         {{"rope_type", "yarn"}, {"factor", 16.0}, {"original_max_position_embeddings", 4096}},
         json::object(),
         y},
        {"dynamic_yarn",
         {{"rope_type", "dynamic_yarn"}, {"original_max_position_embeddings", 4096}},
         {{"max_position_embeddings", 65536}},
         dy},
        {"llama3",
         {{"rope_type", "llama3"},
          {"factor", 8.0},
          {"low_freq_factor", 1.0},
          {"high_freq_factor", 4.0},
          {"original_max_position_embeddings", 8192}},
         json::object(),
         rs::llama3{8.0, 1.0, 4.0, 8192}},
        {"longrope",
         {{"rope_type", "longrope"},
          {"short_factor", std::vector<double>(64, 1.0)},
          {"long_factor", std::vector<double>(64, 2.0)},
          {"original_max_position_embeddings", 4096}},
         {{"max_position_embeddings", 131072}},
         lr},
    };
}

const method_spec& spec(const std::string& name) {
    static const std::vector<method_spec> all = methods();
    for (const auto& m : all)
        if (name == m.name) return m;
    ADD_FAILURE() << "no method " << name;
    return all.front();
}

json hf_config(const method_spec& m) {
    json c = {{"hidden_size", 4096}, {"num_attention_heads", 32}};  // head_dim 128
    for (auto it = m.top.begin(); it != m.top.end(); ++it) c[it.key()] = it.value();
    c["rope_scaling"] = m.section;
    return c;
}

rs::rope_config cpp_config(const method_spec& m) {
    rs::rope_config c;
    c.head_dim = 128;
    c.scaling = m.cpp;
    return c;
}

// Sets the numeric field `key` of the aggregate to v; false when the method has no such field.
bool set_field(rs::scaling_method& method, const std::string& key, double v) {
    const auto len = [](double x) { return static_cast<std::int64_t>(x); };
    return std::visit(
        [&](auto& m) -> bool {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same<M, rs::linear>::value) {
                if (key == "factor") return m.factor = v, true;
            } else if constexpr (std::is_same<M, rs::ntk_aware>::value) {
                if (key == "alpha") return m.alpha = v, true;
            } else if constexpr (std::is_same<M, rs::dynamic_ntk>::value) {
                if (key == "factor") return m.factor = v, true;
                if (key == "max_position_embeddings")
                    return m.max_position_embeddings = len(v), true;
            } else if constexpr (std::is_same<M, rs::ntk_by_parts>::value) {
                if (key == "factor") return m.factor = v, true;
                if (key == "original_max_position_embeddings")
                    return m.original_max_position_embeddings = len(v), true;
                if (key == "ntk_factor") return m.ntk_factor = v, true;
                if (key == "extrapolation_factor") return m.extrapolation_factor = v, true;
                if (key == "beta_0") return m.beta_0 = v, true;
                if (key == "beta_1") return m.beta_1 = v, true;
                if (key == "gamma_0") return m.gamma_0 = v, true;
                if (key == "gamma_1") return m.gamma_1 = v, true;
            } else if constexpr (std::is_same<M, rs::yarn>::value) {
                if (key == "factor") return m.factor = v, true;
                if (key == "original_max_position_embeddings")
                    return m.original_max_position_embeddings = len(v), true;
                if (key == "beta_fast") return m.beta_fast = v, true;
                if (key == "beta_slow") return m.beta_slow = v, true;
                if (key == "attention_factor") return m.attention_factor = v, true;
                if (key == "mscale") return m.mscale = v, true;
                if (key == "mscale_all_dim") return m.mscale_all_dim = v, true;
                if (key == "extrapolation_factor") return m.extrapolation_factor = v, true;
                if (key == "attn_factor") return m.attn_factor = v, true;
            } else if constexpr (std::is_same<M, rs::dynamic_yarn>::value) {
                if (key == "original_max_position_embeddings")
                    return m.original_max_position_embeddings = len(v), true;
                if (key == "max_position_embeddings")
                    return m.max_position_embeddings = len(v), true;
                if (key == "beta_fast") return m.beta_fast = v, true;
                if (key == "beta_slow") return m.beta_slow = v, true;
                if (key == "extrapolation_factor") return m.extrapolation_factor = v, true;
                if (key == "attn_factor") return m.attn_factor = v, true;
            } else if constexpr (std::is_same<M, rs::llama3>::value) {
                if (key == "factor") return m.factor = v, true;
                if (key == "low_freq_factor") return m.low_freq_factor = v, true;
                if (key == "high_freq_factor") return m.high_freq_factor = v, true;
                if (key == "original_max_position_embeddings")
                    return m.original_max_position_embeddings = len(v), true;
            } else if constexpr (std::is_same<M, rs::longrope>::value) {
                if (key == "factor") return m.factor = v, true;
                if (key == "attention_factor") return m.attention_factor = v, true;
                if (key == "original_max_position_embeddings")
                    return m.original_max_position_embeddings = len(v), true;
                if (key == "max_position_embeddings")
                    return m.max_position_embeddings = len(v), true;
                if (key == "short_factor[3]") return m.short_factor[3] = v, true;
                if (key == "long_factor[0]") return m.long_factor[0] = v, true;
            }
            return false;
        },
        method);
}

std::string describe(const rs::error& e) {
    return std::string(rs::to_string(e.code)) + " \"" + e.what() + "\"";
}

// Where a key lives in config.json: top level for these (transformers reads them there).
bool top_level_key(const std::string& method, const std::string& key) {
    return key == "max_position_embeddings" &&
           (method == "dynamic" || method == "dynamic_yarn" || method == "longrope");
}

// ---- one numeric case: both paths

struct numeric_case {
    const char* method;
    const char* key;
    double value;
    rs::errc code;
    const char* field = nullptr;  // default: key
};

void check_numeric(const numeric_case& c) {
    const std::string field = c.field ? c.field : c.key;
    SCOPED_TRACE(std::string(c.method) + " " + c.key + " = " + rs::detail::format_value(c.value));
    const method_spec& m = spec(c.method);

    // 1. the C++ aggregate through compute_frequencies
    rs::rope_config cfg = cpp_config(m);
    ASSERT_TRUE(set_field(cfg.scaling, c.key, c.value)) << "no field " << c.key;
    const auto t = rs::compute_frequencies(cfg);
    ASSERT_FALSE(t) << "a table was built";
    EXPECT_EQ(t.err().code, c.code) << describe(t.err());
    EXPECT_EQ(t.err().field, field) << describe(t.err());
    EXPECT_FALSE(rs::validate(cfg));

    // 2. config.json (finite values only: strict JSON has no NaN or infinity)
    if (!std::isfinite(c.value)) return;
    json j = hf_config(m);
    std::string key = c.key;
    const auto bracket = key.find('[');
    if (bracket != std::string::npos) {  // a list element: "short_factor[3]"
        const std::size_t index = std::stoul(key.substr(bracket + 1));
        j["rope_scaling"][key.substr(0, bracket)][index] = c.value;
    } else if (top_level_key(c.method, key)) {
        j[key] = c.value;
    } else {
        j["rope_scaling"][key] = c.value;
    }
    const auto r = rs::read_hf_config(j);
    ASSERT_FALSE(r) << "config.json accepted: " << j.dump();
    EXPECT_EQ(r.err().code, c.code) << describe(r.err());
    EXPECT_EQ(r.err().field, field) << describe(r.err());
}

const std::vector<numeric_case>& numeric_cases() {
    using E = rs::errc;
    static const std::vector<numeric_case> cases = {
        // linear
        {"linear", "factor", 0.999, E::out_of_range},
        {"linear", "factor", -4.0, E::out_of_range},
        {"linear", "factor", k_inf, E::not_finite},
        {"linear", "factor", -k_inf, E::not_finite},
        // dynamic
        {"dynamic", "factor", 0.5, E::out_of_range},
        {"dynamic", "factor", k_nan, E::not_finite},
        {"dynamic", "max_position_embeddings", 0, E::out_of_range},
        {"dynamic", "max_position_embeddings", -4096, E::out_of_range},
        // ntk_aware
        {"ntk_aware", "alpha", 0.0, E::out_of_range},
        {"ntk_aware", "alpha", k_nan, E::not_finite},
        {"ntk_aware", "alpha", k_inf, E::not_finite},
        // ntk_by_parts: every key
        {"ntk_by_parts", "factor", 0.25, E::out_of_range},
        {"ntk_by_parts", "factor", k_nan, E::not_finite},
        {"ntk_by_parts", "original_max_position_embeddings", 0, E::out_of_range},
        {"ntk_by_parts", "original_max_position_embeddings", -1, E::out_of_range},
        {"ntk_by_parts", "beta_0", 0.0, E::out_of_range},
        {"ntk_by_parts", "beta_0", 0.5, E::inconsistent},  // < beta_1 = 0.75
        {"ntk_by_parts", "beta_1", -0.75, E::out_of_range},
        {"ntk_by_parts", "beta_1", k_inf, E::not_finite},
        {"ntk_by_parts", "gamma_0", k_nan, E::not_finite},
        {"ntk_by_parts", "gamma_1", 0.0, E::out_of_range},
        {"ntk_by_parts", "gamma_1", 32.0, E::inconsistent, "gamma_0"},  // gamma_0 = 16 < 32
        {"ntk_by_parts", "ntk_factor", -0.5, E::out_of_range},
        {"ntk_by_parts", "ntk_factor", k_inf, E::not_finite},
        {"ntk_by_parts", "extrapolation_factor", -1.0, E::out_of_range},
        {"ntk_by_parts", "extrapolation_factor", k_nan, E::not_finite},
        // yarn: every key
        {"yarn", "factor", 0.5, E::out_of_range},
        {"yarn", "factor", k_nan, E::not_finite},
        {"yarn", "factor", k_inf, E::not_finite},
        {"yarn", "original_max_position_embeddings", 0, E::out_of_range},
        {"yarn", "beta_fast", 0.5, E::inconsistent},  // < beta_slow = 1
        {"yarn", "beta_fast", -32.0, E::out_of_range},
        {"yarn", "beta_slow", 0.0, E::out_of_range},
        {"yarn", "beta_slow", k_nan, E::not_finite},
        {"yarn", "attention_factor", 0.0, E::out_of_range},
        {"yarn", "attention_factor", k_inf, E::not_finite},
        {"yarn", "mscale", -1.0, E::out_of_range},
        {"yarn", "mscale", k_inf, E::not_finite},
        {"yarn", "mscale_all_dim", -0.5, E::out_of_range},
        {"yarn", "extrapolation_factor", -1.0, E::out_of_range},
        {"yarn", "extrapolation_factor", k_nan, E::not_finite},
        {"yarn", "attn_factor", 0.0, E::out_of_range},
        {"yarn", "attn_factor", -1.0, E::out_of_range},
        {"yarn", "attn_factor", k_inf, E::not_finite},
        // dynamic_yarn: every key
        {"dynamic_yarn", "original_max_position_embeddings", 0, E::out_of_range},
        {"dynamic_yarn", "max_position_embeddings", 0, E::out_of_range},
        {"dynamic_yarn", "beta_fast", 0.5, E::inconsistent},
        {"dynamic_yarn", "beta_slow", k_nan, E::not_finite},
        {"dynamic_yarn", "beta_slow", -1.0, E::out_of_range},
        {"dynamic_yarn", "extrapolation_factor", -1.0, E::out_of_range},
        {"dynamic_yarn", "attn_factor", 0.0, E::out_of_range},
        {"dynamic_yarn", "attn_factor", k_nan, E::not_finite},
        // llama3: every key
        {"llama3", "factor", 0.5, E::out_of_range},
        {"llama3", "factor", k_inf, E::not_finite},
        {"llama3", "low_freq_factor", 0.0, E::out_of_range},
        {"llama3", "low_freq_factor", k_nan, E::not_finite},
        {"llama3", "high_freq_factor", k_nan, E::not_finite},
        {"llama3", "high_freq_factor", 0.5, E::inconsistent},  // <= low_freq_factor = 1
        {"llama3", "original_max_position_embeddings", 0, E::out_of_range},
        {"llama3", "original_max_position_embeddings", -8192, E::out_of_range},
        // longrope: every key
        {"longrope", "original_max_position_embeddings", 0, E::out_of_range},
        {"longrope", "factor", 0.0, E::out_of_range},
        {"longrope", "factor", k_nan, E::not_finite},
        {"longrope", "max_position_embeddings", 0, E::out_of_range},
        {"longrope", "attention_factor", -1.0, E::out_of_range},
        {"longrope", "attention_factor", k_nan, E::not_finite},
        {"longrope", "short_factor[3]", 0.0, E::out_of_range},
        {"longrope", "short_factor[3]", -2.0, E::out_of_range},
        {"longrope", "long_factor[0]", k_inf, E::not_finite},
    };
    return cases;
}

TEST(bad_params, every_method_and_key_names_its_field_on_both_paths) {
    for (const auto& c : numeric_cases()) check_numeric(c);
}

// Every numeric key of every method, given a JSON value of the wrong type, is refused as
// wrong_type naming the key (and the element, for lists).
TEST(bad_params, wrong_json_types_name_the_key) {
    struct key_case {
        const char* method;
        const char* key;
    };
    const key_case keys[] = {
        {"linear", "factor"},
        {"dynamic", "factor"},
        {"ntk_aware", "alpha"},
        {"ntk_by_parts", "factor"},
        {"ntk_by_parts", "ntk_factor"},
        {"ntk_by_parts", "extrapolation_factor"},
        {"ntk_by_parts", "beta_0"},
        {"ntk_by_parts", "beta_1"},
        {"ntk_by_parts", "gamma_0"},
        {"ntk_by_parts", "gamma_1"},
        {"ntk_by_parts", "original_max_position_embeddings"},
        {"yarn", "factor"},
        {"yarn", "beta_fast"},
        {"yarn", "beta_slow"},
        {"yarn", "attention_factor"},
        {"yarn", "mscale"},
        {"yarn", "mscale_all_dim"},
        {"yarn", "extrapolation_factor"},
        {"yarn", "attn_factor"},
        {"yarn", "original_max_position_embeddings"},
        {"dynamic_yarn", "beta_fast"},
        {"dynamic_yarn", "beta_slow"},
        {"dynamic_yarn", "extrapolation_factor"},
        {"dynamic_yarn", "attn_factor"},
        {"dynamic_yarn", "original_max_position_embeddings"},
        {"llama3", "factor"},
        {"llama3", "low_freq_factor"},
        {"llama3", "high_freq_factor"},
        {"llama3", "original_max_position_embeddings"},
        {"longrope", "factor"},
        {"longrope", "attention_factor"},
        {"longrope", "original_max_position_embeddings"},
    };
    for (const auto& k : keys) {
        for (const json& bad : {json("2"), json(true), json::array({2.0}), json::object()}) {
            SCOPED_TRACE(std::string(k.method) + " " + k.key + " = " + bad.dump());
            json j = hf_config(spec(k.method));
            j["rope_scaling"][k.key] = bad;
            const auto r = rs::read_hf_config(j);
            ASSERT_FALSE(r);
            EXPECT_EQ(r.err().code, rs::errc::wrong_type) << describe(r.err());
            EXPECT_EQ(r.err().field, k.key) << describe(r.err());
            // The message shows the JSON value as written.
            EXPECT_NE(r.err().message.find(bad.dump()), std::string::npos) << describe(r.err());
        }
    }
    // Booleans given as something else.
    for (const auto& [method, key] :
         {std::pair<const char*, const char*>{"yarn", "truncate"}, {"dynamic_yarn", "finetuned"}}) {
        for (const json& bad : {json(1), json("true"), json::array()}) {
            json j = hf_config(spec(method));
            j["rope_scaling"][key] = bad;
            const auto r = rs::read_hf_config(j);
            ASSERT_FALSE(r) << method << " " << key << " = " << bad.dump();
            EXPECT_EQ(r.err().code, rs::errc::wrong_type) << describe(r.err());
            EXPECT_EQ(r.err().field, key) << describe(r.err());
        }
    }
    // Lists: not an array, and a bad element type.
    for (const char* list : {"short_factor", "long_factor"}) {
        json j = hf_config(spec("longrope"));
        j["rope_scaling"][list] = 1.0;
        auto r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::wrong_type);
        EXPECT_EQ(r.err().field, list);
        j = hf_config(spec("longrope"));
        j["rope_scaling"][list][5] = "1.0";
        r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::wrong_type);
        EXPECT_EQ(r.err().field, std::string(list) + "[5]");
    }
}

// Lengths: non-integral -> wrong_type; beyond int64 -> out_of_range; every length key.
TEST(bad_params, lengths_must_be_integers_that_fit) {
    struct length_case {
        const char* method;
        const char* key;
    };
    const length_case keys[] = {
        {"dynamic", "max_position_embeddings"},
        {"ntk_by_parts", "original_max_position_embeddings"},
        {"yarn", "original_max_position_embeddings"},
        {"dynamic_yarn", "original_max_position_embeddings"},
        {"dynamic_yarn", "max_position_embeddings"},
        {"llama3", "original_max_position_embeddings"},
        {"longrope", "original_max_position_embeddings"},
        {"longrope", "max_position_embeddings"},
    };
    for (const auto& k : keys) {
        SCOPED_TRACE(std::string(k.method) + " " + k.key);
        const auto put = [&](const json& v) {
            json j = hf_config(spec(k.method));
            if (top_level_key(k.method, k.key))
                j[k.key] = v;
            else
                j["rope_scaling"][k.key] = v;
            return rs::read_hf_config(j);
        };
        auto r = put(4096.5);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::wrong_type) << describe(r.err());
        EXPECT_EQ(r.err().field, k.key);
        r = put(1e30);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::out_of_range) << describe(r.err());
        EXPECT_EQ(r.err().field, k.key);
        r = put(json(std::numeric_limits<std::uint64_t>::max()));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::out_of_range) << describe(r.err());
        EXPECT_EQ(r.err().field, k.key);
    }
}

// The fields every method shares, for every method: checked before the method's own, with
// the same field through both paths.
TEST(bad_params, shared_fields_for_every_method) {
    for (const auto& m : methods()) {
        SCOPED_TRACE(m.name);
        struct shared_case {
            const char* key;
            json value;
            rs::errc code;
            const char* field;
        };
        const shared_case cases[] = {
            {"rope_theta", 1.0, rs::errc::out_of_range, "rope_theta"},
            {"rope_theta", -10000.0, rs::errc::out_of_range, "rope_theta"},
            {"rope_theta", "1e4", rs::errc::wrong_type, "rope_theta"},
            {"partial_rotary_factor", 0.0, rs::errc::out_of_range, "partial_rotary_factor"},
            {"partial_rotary_factor", 1.25, rs::errc::out_of_range, "partial_rotary_factor"},
            {"partial_rotary_factor", 0.2, rs::errc::out_of_range,
             "partial_rotary_factor"},  // int(25.6) = 25: odd
            {"head_dim", 127, rs::errc::out_of_range, "head_dim"},
            {"head_dim", 0, rs::errc::out_of_range, "head_dim"},
            {"head_dim", -128, rs::errc::out_of_range, "head_dim"},
        };
        for (const auto& c : cases) {
            SCOPED_TRACE(std::string(c.key) + " = " + c.value.dump());
            json j = hf_config(m);
            j[c.key] = c.value;
            const auto r = rs::read_hf_config(j);
            ASSERT_FALSE(r);
            EXPECT_EQ(r.err().code, c.code) << describe(r.err());
            EXPECT_EQ(r.err().field, c.field) << describe(r.err());
        }
        // The same through the aggregate, plus what JSON cannot say.
        auto cfg = cpp_config(m);
        for (double theta : {1.0, 0.0, k_nan, k_inf}) {
            cfg.rope_theta = theta;
            const auto t = rs::compute_frequencies(cfg);
            ASSERT_FALSE(t) << theta;
            EXPECT_EQ(t.err().field, "rope_theta");
            EXPECT_EQ(t.err().code,
                      std::isfinite(theta) ? rs::errc::out_of_range : rs::errc::not_finite);
        }
        cfg = cpp_config(m);
        cfg.rotary_dim = 130;
        auto t = rs::compute_frequencies(cfg);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.err().field, "rotary_dim");
        cfg.rotary_dim = 33;
        t = rs::compute_frequencies(cfg);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.err().field, "rotary_dim");
        cfg = cpp_config(m);
        cfg.partial_rotary_factor = 0.3;          // int(128 * 0.3) = 38: even, accepted...
        if (std::string(m.name) != "longrope") {  // ...except LongRoPE, whose lists have 64
            EXPECT_TRUE(rs::compute_frequencies(cfg)) << m.name;
        } else {
            t = rs::compute_frequencies(cfg);
            ASSERT_FALSE(t);
            EXPECT_EQ(t.err().code, rs::errc::inconsistent);
            EXPECT_EQ(t.err().field, "short_factor");
        }
        cfg.partial_rotary_factor = k_inf;
        t = rs::compute_frequencies(cfg);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.err().code, rs::errc::not_finite);
        EXPECT_EQ(t.err().field, "partial_rotary_factor");
        // seq_len <= 0 for every method (dynamic ones use it; the others must refuse it too).
        for (std::int64_t bad :
             {std::int64_t{0}, std::int64_t{-1}, std::numeric_limits<std::int64_t>::min()}) {
            t = rs::compute_frequencies(cpp_config(m), rs::table_options{bad, std::nullopt});
            ASSERT_FALSE(t) << bad;
            EXPECT_EQ(t.err().code, rs::errc::out_of_range);
            EXPECT_EQ(t.err().field, "seq_len");
        }
    }
}

// The NTK-style methods need rotary_dim > 2 (base exponent d/(d-2)): every one of them, by
// both paths (head_dim 2 in config.json).
TEST(bad_params, ntk_exponent_methods_refuse_rotary_dim_two) {
    for (const char* name : {"dynamic", "ntk_aware", "ntk_by_parts"}) {
        SCOPED_TRACE(name);
        auto cfg = cpp_config(spec(name));
        cfg.head_dim = 2;
        const auto t = rs::compute_frequencies(cfg);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.err().field, "rotary_dim");
        json j = hf_config(spec(name));
        j["head_dim"] = 2;
        const auto r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().field, "rotary_dim");
    }
}

// The starting points are valid: each case above fails because of its one change.
TEST(bad_params, starting_points_are_valid) {
    for (const auto& m : methods()) {
        EXPECT_TRUE(rs::compute_frequencies(cpp_config(m))) << m.name;
        const auto r = rs::read_hf_config(hf_config(m));
        EXPECT_TRUE(r) << m.name << ": " << (r ? "" : r.err().what());
    }
}

}  // namespace
