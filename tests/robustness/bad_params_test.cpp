// Parameter validation, the library's one place for it: every invalid parameter class of every
// method, through both entry paths a user has,
//   1. a Hugging Face config.json (read_hf_config): the key in its rope section, and
//   2. the C++ aggregate (validate, and compute_frequencies, which validates first),
// must be refused with the errc and the field its error names, never a table, and where a case
// names a text, with that text (the offending value, the rule) in the message on both paths.
// The matrix is exhaustive over (method x key x bad value class); the fields every method shares
// are checked for every method; rules that tie two fields together have their own cases.
// (tests/hf/hf_config_test.cpp covers the reader's semantics.)
//
// Classes: below the domain (0, negative, a factor below 1), not finite (NaN, +-inf: C++
// only, strict JSON has no NaN), inconsistent pairs (beta_fast < beta_slow, high <= low, ...),
// wrong JSON type (a string, a boolean, an array for a number; a number for a boolean),
// non-integral and out-of-int64 lengths, subnormal values (the message must still show them);
// plus, for every method, the shared fields (rope_theta, head_dim, rotary dimension, seq_len).
#include <gtest/gtest.h>

#include "support/method_examples.hpp"

#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

namespace rs = ropescale;
using json = nlohmann::json;

const double k_nan = std::numeric_limits<double>::quiet_NaN();
const double k_inf = std::numeric_limits<double>::infinity();

// ---- the valid starting point of every method, in both vocabularies

struct method_spec {
    const char* name;         // rope_type
    json section;             // a valid rope section
    json top;                 // top-level keys it needs besides hidden_size / heads
    rs::scaling_method cpp;   // the same configuration as the C++ aggregate
    bool config_json = true;  // a rope_type selects it (false: C++ / GGUF only, llama_cpp)
};

// The config.json value of a member (empty for an absent optional).
template <class V>
json to_json(const V& v) {
    return json(v);
}
template <class V>
json to_json(const std::optional<V>& v) {
    return v ? json(*v) : json();
}

// The method's example written as config.json through its key list: every key with a member
// goes to its place (section_or_top: the section); hook keys are left out.
template <class M>
method_spec spec_of(const M& m) {
    method_spec s{rs::method_traits<M>::name,
                  {{"rope_type", rs::method_traits<M>::name}},
                  json::object(),
                  m,
                  rs::reads_config_json<M>()};
    for (const auto& key : rs::method_traits<M>::keys)
        rs::visit_key_target(key, [&](auto target) {
            using T = decltype(target);
            if constexpr (std::is_member_object_pointer<T>::value) {
                const json v = to_json(m.*target);
                if (v.is_null()) return;
                (key.place == rs::key_place::top ? s.top : s.section)[key.name] = v;
            }
        });
    return s;
}

std::vector<method_spec> methods() {
    std::vector<method_spec> out;
    rs::for_each_method([&](auto tag) { out.push_back(spec_of(ropescale_test::example(tag))); });
    return out;
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

// Sets the numeric member that config key `key` fills (a list element: "short_factor[3]") to
// v; false when the method has no such key.
bool set_field(rs::scaling_method& method, const std::string& key, double v) {
    const auto bracket = key.find('[');
    const std::string name = key.substr(0, bracket);
    bool done = false;
    std::visit(
        [&](auto& m) {
            using M = std::decay_t<decltype(m)>;
            for (const auto& k : rs::method_traits<M>::keys) {
                if (name != k.name) continue;
                rs::visit_key_target(k, [&](auto target) {
                    using T = decltype(target);
                    if constexpr (std::is_same<T, double M::*>::value ||
                                  std::is_same<T, std::optional<double> M::*>::value) {
                        m.*target = v;
                        done = bracket == std::string::npos;
                    } else if constexpr (std::is_same<T, std::int64_t M::*>::value ||
                                         std::is_same<T, std::optional<std::int64_t> M::*>::value) {
                        m.*target = static_cast<std::int64_t>(v);
                        done = bracket == std::string::npos;
                    } else if constexpr (std::is_same<T, std::vector<double> M::*>::value) {
                        if (bracket == std::string::npos) return;
                        (m.*target).at(std::stoul(key.substr(bracket + 1))) = v;
                        done = true;
                    }
                });
            }
        },
        method);
    return done;
}

std::string describe(const rs::error& e) {
    return std::string(rs::to_string(e.code)) + " \"" + e.what() + "\"";
}

// What a method's key list says about each key, for the tests below.
struct key_info {
    std::string method;
    std::string key;
    enum kind_t { number, integer, boolean, numbers } kind;
    bool top;  // read at the top level only
};

std::vector<key_info> every_key() {
    std::vector<key_info> out;
    rs::for_each_method([&](auto tag) {
        using M = typename decltype(tag)::type;
        for (const auto& k : rs::method_traits<M>::keys) {
            key_info info{rs::method_traits<M>::name, k.name, key_info::number,
                          k.place == rs::key_place::top};
            rs::visit_key_target(k, [&](auto target) {
                using T = decltype(target);
                if constexpr (std::is_same<T, std::int64_t M::*>::value ||
                              std::is_same<T, std::optional<std::int64_t> M::*>::value ||
                              std::is_same<T, rs::hook_integer>::value)
                    info.kind = key_info::integer;
                else if constexpr (std::is_same<T, bool M::*>::value)
                    info.kind = key_info::boolean;
                else if constexpr (std::is_same<T, std::vector<double> M::*>::value)
                    info.kind = key_info::numbers;
            });
            out.push_back(info);
        }
    });
    return out;
}

// Where a key lives in config.json: top level for the keys transformers reads there.
bool top_level_key(const std::string& method, const std::string& key) {
    for (const auto& k : every_key())
        if (k.method == method && k.key == key) return k.top;
    return false;
}

// ---- one numeric case: both paths

struct numeric_case {
    const char* method;
    const char* key;
    double value;
    rs::errc code;
    const char* field = nullptr;    // default: key
    const char* message = nullptr;  // a text the message must contain (both paths)
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
    if (c.message) {
        EXPECT_NE(t.err().message.find(c.message), std::string::npos) << describe(t.err());
    }
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
    if (c.message) {
        EXPECT_NE(r.err().message.find(c.message), std::string::npos) << describe(r.err());
    }
}

const std::vector<numeric_case>& numeric_cases() {
    using E = rs::errc;
    static const std::vector<numeric_case> cases = {
        // linear
        {"linear", "factor", 0.999, E::out_of_range, nullptr, "got 0.999"},
        {"linear", "factor", 0.0, E::out_of_range, nullptr, "got 0"},
        {"linear", "factor", -4.0, E::out_of_range, nullptr, "-4"},
        {"linear", "factor", 1e-310, E::out_of_range, nullptr, "1e-310"},  // subnormal
        {"linear", "factor", k_nan, E::not_finite, nullptr, "nan"},
        {"linear", "factor", k_inf, E::not_finite},
        {"linear", "factor", -k_inf, E::not_finite},
        // dynamic
        {"dynamic", "factor", 0.5, E::out_of_range},
        {"dynamic", "factor", k_nan, E::not_finite},
        {"dynamic", "max_position_embeddings", 0, E::out_of_range},
        {"dynamic", "max_position_embeddings", -4096, E::out_of_range},
        {"dynamic", "alpha", -1.0, E::out_of_range},  // 0 is transformers' "no alpha"
        {"dynamic", "alpha", k_nan, E::not_finite},
        // ntk_aware
        {"ntk_aware", "alpha", 0.0, E::out_of_range},
        {"ntk_aware", "alpha", 0.9, E::out_of_range, nullptr, "0.9"},
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
        {"yarn", "factor", 0.5, E::out_of_range, nullptr, "0.5"},
        {"yarn", "factor", k_nan, E::not_finite},
        {"yarn", "factor", k_inf, E::not_finite},
        {"yarn", "original_max_position_embeddings", 0, E::out_of_range, nullptr, "got 0"},
        {"yarn", "beta_fast", 0.5, E::inconsistent, nullptr, "0.5 < 1"},  // < beta_slow = 1
        {"yarn", "beta_fast", -32.0, E::out_of_range, nullptr, "-32"},
        {"yarn", "beta_slow", 0.0, E::out_of_range, nullptr, "got 0"},
        {"yarn", "beta_slow", k_nan, E::not_finite},
        {"yarn", "attention_factor", 0.0, E::out_of_range, nullptr, "got 0"},
        {"yarn", "attention_factor", k_inf, E::not_finite},
        {"yarn", "mscale", -0.707, E::out_of_range, nullptr, "-0.707"},
        {"yarn", "mscale", k_inf, E::not_finite},
        {"yarn", "mscale_all_dim", -0.5, E::out_of_range},
        {"yarn", "mscale_all_dim", k_nan, E::not_finite},
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
        {"llama3", "high_freq_factor", 0.0, E::out_of_range},  // <= low is a warning only
        {"llama3", "high_freq_factor", -4.0, E::out_of_range},
        {"llama3", "original_max_position_embeddings", 0, E::out_of_range},
        {"llama3", "original_max_position_embeddings", -8192, E::out_of_range},
        // longrope: every key
        {"longrope", "original_max_position_embeddings", 0, E::out_of_range},
        {"longrope", "factor", 0.0, E::out_of_range},
        {"longrope", "factor", k_nan, E::not_finite},
        {"longrope", "max_position_embeddings", 0, E::out_of_range},
        {"longrope", "attention_factor", -1.0, E::out_of_range},
        {"longrope", "attention_factor", k_nan, E::not_finite},
        {"longrope", "short_factor[3]", 0.0, E::out_of_range, nullptr, "got 0"},
        {"longrope", "short_factor[3]", -2.0, E::out_of_range},
        {"longrope", "long_factor[0]", k_inf, E::not_finite},
        // proportional
        {"proportional", "factor", 0.0, E::out_of_range},
        {"proportional", "factor", -2.0, E::out_of_range},
        {"proportional", "factor", k_inf, E::not_finite},
    };
    return cases;
}

TEST(bad_params, every_method_and_key_names_its_field_on_both_paths) {
    for (const auto& c : numeric_cases()) check_numeric(c);
}

// Every numeric key of every method, given a JSON value of the wrong type, is refused as
// wrong_type naming the key (and the element, for lists).
TEST(bad_params, wrong_json_types_name_the_key) {
    for (const auto& k : every_key()) {
        if (k.top || (k.kind != key_info::number && k.kind != key_info::integer)) continue;
        for (const json& bad : {json("2"), json(true), json::array({2.0}), json::object()}) {
            SCOPED_TRACE(k.method + " " + k.key + " = " + bad.dump());
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
    for (const auto& k : every_key()) {
        if (k.kind != key_info::boolean) continue;
        for (const json& bad : {json(1), json("true"), json::array()}) {
            json j = hf_config(spec(k.method));
            j["rope_scaling"][k.key] = bad;
            const auto r = rs::read_hf_config(j);
            ASSERT_FALSE(r) << k.method << " " << k.key << " = " << bad.dump();
            EXPECT_EQ(r.err().code, rs::errc::wrong_type) << describe(r.err());
            EXPECT_EQ(r.err().field, k.key) << describe(r.err());
        }
    }
    // Lists: not an array, and a bad element type.
    for (const auto& k : every_key()) {
        if (k.kind != key_info::numbers) continue;
        const std::string& list = k.key;
        json j = hf_config(spec(k.method));
        j["rope_scaling"][list] = 1.0;
        auto r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::wrong_type);
        EXPECT_EQ(r.err().field, list);
        j = hf_config(spec(k.method));
        j["rope_scaling"][list][5] = "1.0";
        r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::wrong_type);
        EXPECT_EQ(r.err().field, list + "[5]");
    }
}

// Lengths: non-integral -> wrong_type; beyond int64 -> out_of_range; every length key.
TEST(bad_params, lengths_must_be_integers_that_fit) {
    for (const auto& k : every_key()) {
        if (k.kind != key_info::integer) continue;
        SCOPED_TRACE(k.method + " " + k.key);
        const auto put = [&](const json& v) {
            json j = hf_config(spec(k.method));
            if (k.top)
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

// A field every method shares set to v in the aggregate.
void set_shared(rs::rope_config& c, const std::string& key, double v) {
    if (key == "rope_theta")
        c.rope_theta = v;
    else if (key == "partial_rotary_factor")
        c.partial_rotary_factor = v;
    else if (key == "head_dim")
        c.head_dim = static_cast<int>(v);
    else if (key == "rotary_dim")
        c.rotary_dim = static_cast<int>(v);
    else
        ADD_FAILURE() << "no shared field " << key;
}

// The fields every method shares, for every method: checked before the method's own, with
// the same field through both paths (config.json: finite values of its top-level keys; the
// aggregate's rotary_dim has no config.json key here).
TEST(bad_params, shared_fields_for_every_method) {
    using E = rs::errc;
    struct shared_case {
        const char* key;
        double value;
        rs::errc code;
        const char* field;
        const char* message;  // a text the message must contain, or nullptr
    };
    const shared_case cases[] = {
        {"rope_theta", 1.0, E::out_of_range, "rope_theta", nullptr},
        {"rope_theta", 0.5, E::out_of_range, "rope_theta", nullptr},
        {"rope_theta", 0.0, E::out_of_range, "rope_theta", nullptr},
        {"rope_theta", -10000.0, E::out_of_range, "rope_theta", nullptr},
        {"rope_theta", k_nan, E::not_finite, "rope_theta", "nan"},
        {"rope_theta", k_inf, E::not_finite, "rope_theta", "inf"},
        {"head_dim", 127, E::out_of_range, "head_dim", "got 127"},
        {"head_dim", 0, E::out_of_range, "head_dim", "got 0"},
        {"head_dim", -4, E::out_of_range, "head_dim", "got -4"},
        {"head_dim", -128, E::out_of_range, "head_dim", nullptr},
        {"partial_rotary_factor", 0.0, E::out_of_range, "partial_rotary_factor", nullptr},
        {"partial_rotary_factor", -0.5, E::out_of_range, "partial_rotary_factor", nullptr},
        {"partial_rotary_factor", 1.25, E::out_of_range, "partial_rotary_factor", nullptr},
        {"partial_rotary_factor", 1.5, E::out_of_range, "partial_rotary_factor", nullptr},
        {"partial_rotary_factor", 0.2, E::out_of_range, "partial_rotary_factor",
         "25"},  // int(25.6) = 25: odd
        {"partial_rotary_factor", -4e-320, E::out_of_range, "partial_rotary_factor",
         "e-320"},  // subnormal
        {"partial_rotary_factor", k_nan, E::not_finite, "partial_rotary_factor", "nan"},
        {"partial_rotary_factor", k_inf, E::not_finite, "partial_rotary_factor", nullptr},
        {"rotary_dim", 0, E::out_of_range, "rotary_dim", nullptr},
        {"rotary_dim", 63, E::out_of_range, "rotary_dim", "63"},
        {"rotary_dim", 33, E::out_of_range, "rotary_dim", nullptr},
        {"rotary_dim", 130, E::out_of_range, "rotary_dim", "130"},
    };
    const auto check = [](const rs::error& e, const shared_case& c) {
        EXPECT_EQ(e.code, c.code) << describe(e);
        EXPECT_EQ(e.field, c.field) << describe(e);
        if (c.message) {
            EXPECT_NE(e.message.find(c.message), std::string::npos) << describe(e);
        }
    };
    for (const auto& m : methods()) {
        SCOPED_TRACE(m.name);
        for (const auto& c : cases) {
            SCOPED_TRACE(std::string(c.key) + " = " + rs::detail::format_value(c.value));
            auto cfg = cpp_config(m);
            set_shared(cfg, c.key, c.value);
            const auto t = rs::compute_frequencies(cfg);
            ASSERT_FALSE(t) << "a table was built";
            check(t.err(), c);
            EXPECT_FALSE(rs::validate(cfg));
            if (!std::isfinite(c.value) || std::string(c.key) == "rotary_dim" || !m.config_json)
                continue;
            json j = hf_config(m);
            if (std::string(c.key) == "head_dim")
                j[c.key] = static_cast<std::int64_t>(c.value);
            else
                j[c.key] = c.value;
            const auto r = rs::read_hf_config(j);
            ASSERT_FALSE(r) << "config.json accepted: " << j.dump();
            check(r.err(), c);
        }
        json j = hf_config(m);
        j["rope_theta"] = "1e4";
        const auto r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().code, rs::errc::wrong_type) << describe(r.err());
        EXPECT_EQ(r.err().field, "rope_theta") << describe(r.err());

        auto cfg = cpp_config(m);
        cfg.partial_rotary_factor = 0.3;          // int(128 * 0.3) = 38: even, accepted...
        if (std::string(m.name) != "longrope") {  // ...except LongRoPE, whose lists have 64
            EXPECT_TRUE(rs::compute_frequencies(cfg)) << m.name;
        } else {
            const auto t = rs::compute_frequencies(cfg);
            ASSERT_FALSE(t);
            EXPECT_EQ(t.err().code, rs::errc::inconsistent);
            EXPECT_EQ(t.err().field, "short_factor");
        }
        // seq_len <= 0 for every method (dynamic ones use it; the others must refuse it too).
        for (std::int64_t bad :
             {std::int64_t{0}, std::int64_t{-1}, std::numeric_limits<std::int64_t>::min()}) {
            const auto t =
                rs::compute_frequencies(cpp_config(m), rs::table_options{bad, std::nullopt});
            ASSERT_FALSE(t) << bad;
            EXPECT_EQ(t.err().code, rs::errc::out_of_range);
            EXPECT_EQ(t.err().field, "seq_len");
        }
    }
}

// Asserts that the aggregate `c` is refused by validate and by compute_frequencies (no table)
// with `code` on `field`, the message containing `text`.
void expect_refused(const rs::rope_config& c, rs::errc code, const std::string& field,
                    const std::string& text = "") {
    const rs::status s = rs::validate(c);
    ASSERT_FALSE(s) << "accepted, expected an error on " << field;
    EXPECT_EQ(s.err().code, code) << describe(s.err());
    EXPECT_EQ(s.err().field, field) << describe(s.err());
    if (!text.empty()) {
        EXPECT_NE(s.err().message.find(text), std::string::npos) << describe(s.err());
    }
    const auto t = rs::compute_frequencies(c);
    ASSERT_FALSE(t) << "a table was built";
    EXPECT_EQ(t.err().field, field) << describe(t.err());
}

template <class M>
rs::rope_config with(const M& m, int head_dim = 128) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.scaling = m;
    return c;
}

// Rules that tie two fields together (the aggregate path; the matrix changes one key at a time).
TEST(bad_params, rules_between_fields_name_the_field_and_both_values) {
    auto c = with(rs::plain{}, 96);
    c.partial_rotary_factor = 0.3333;  // int(96 * 0.3333) = 31: odd
    expect_refused(c, rs::errc::out_of_range, "partial_rotary_factor", "31");
    c = with(rs::plain{});
    c.partial_rotary_factor = 0.5;
    c.rotary_dim = 32;  // disagrees with 64
    expect_refused(c, rs::errc::inconsistent, "rotary_dim", "64");

    auto y = ropescale_test::example(rs::method_tag<rs::yarn>{});
    y.beta_fast = 1.0;
    y.beta_slow = 32.0;
    expect_refused(with(y), rs::errc::inconsistent, "beta_fast", "1 < 32");
    y.beta_fast = y.beta_slow = 4.0;  // equal is fine: the ramp has its 0.001 guard
    EXPECT_TRUE(rs::validate(with(y)));

    // high_freq_factor <= low_freq_factor is accepted with a warning on the table, as
    // transformers does (tests/core/methods_2025_test.cpp); the factors must be > 0.
    EXPECT_TRUE(rs::validate(with(rs::llama3{8.0, 4.0, 4.0, 8192})));
    EXPECT_TRUE(rs::validate(with(rs::llama3{8.0, 4.0, 1.0, 8192})));

    rs::dynamic_yarn dy;
    dy.original_max_position_embeddings = 8192;
    dy.max_position_embeddings = 4096;
    dy.finetuned = true;
    expect_refused(with(dy), rs::errc::inconsistent, "max_position_embeddings");

    const auto good_longrope = ropescale_test::example(rs::method_tag<rs::longrope>{});
    auto lr = good_longrope;
    lr.short_factor.pop_back();
    expect_refused(with(lr), rs::errc::inconsistent, "short_factor", "got 63");
    lr = good_longrope;
    lr.long_factor.push_back(1.0);
    expect_refused(with(lr), rs::errc::inconsistent, "long_factor", "64");
    lr = good_longrope;
    lr.max_position_embeddings.reset();  // and no factor: nothing to derive it from
    expect_refused(with(lr), rs::errc::missing_field, "factor");
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
        EXPECT_NE(t.err().message.find("got 2"), std::string::npos) << describe(t.err());
        json j = hf_config(spec(name));
        j["head_dim"] = 2;
        const auto r = rs::read_hf_config(j);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.err().field, "rotary_dim");
    }
    // YaRN has no d/(d-2) exponent: rotary_dim 2 is fine.
    EXPECT_TRUE(rs::validate(with(ropescale_test::example(rs::method_tag<rs::yarn>{}), 2)));
}

// The key lists and the reader agree: every example, written to config.json through its
// method's key list, reads back as the same aggregate, member by member. A method no rope_type
// selects (llama_cpp) is refused by the reader instead.
TEST(bad_params, every_example_round_trips_through_its_keys) {
    rs::for_each_method([&](auto tag) {
        using M = typename decltype(tag)::type;
        SCOPED_TRACE(rs::method_traits<M>::name);
        if constexpr (!rs::reads_config_json<M>()) {
            const auto r = rs::read_hf_config(hf_config(spec_of(ropescale_test::example(tag))));
            ASSERT_FALSE(r);
            EXPECT_EQ(r.err().code, rs::errc::unknown_rope_type);
            return;
        }
        const M m = ropescale_test::example(tag);
        const auto r = rs::read_hf_config(hf_config(spec_of(m)));
        ASSERT_TRUE(r) << r.err().what();
        const M* back = std::get_if<M>(&r->config.scaling);
        ASSERT_NE(back, nullptr) << rs::method_name(r->config.scaling);
        for (const auto& k : rs::method_traits<M>::keys)
            rs::visit_key_target(k, [&](auto target) {
                if constexpr (std::is_member_object_pointer<decltype(target)>::value) {
                    EXPECT_TRUE(m.*target == back->*target) << k.name;
                }
            });
    });
}

// Every spelling of every method selects it; anything else is refused with the list of all.
TEST(bad_params, every_rope_type_spelling_selects_its_method) {
    const std::string all = rs::rope_type_spellings();
    rs::for_each_method([&](auto tag) {
        using M = typename decltype(tag)::type;
        for (const char* spelling : rs::method_traits<M>::spellings) {
            SCOPED_TRACE(spelling);
            json j = hf_config(spec_of(ropescale_test::example(tag)));
            j["rope_scaling"]["rope_type"] = spelling;
            const auto r = rs::read_hf_config(j);
            ASSERT_TRUE(r) << r.err().what();
            EXPECT_TRUE(std::holds_alternative<M>(r->config.scaling));
            EXPECT_EQ(r->rope_type, spelling);
            EXPECT_NE(all.find(spelling), std::string::npos) << all;
        }
    });
    json j = hf_config(spec("yarn"));
    j["rope_scaling"]["rope_type"] = "Yarn";
    const auto r = rs::read_hf_config(j);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, rs::errc::unknown_rope_type);
    EXPECT_NE(r.err().message.find("(" + all + ")"), std::string::npos) << describe(r.err());
}

// The starting points are valid: each case above fails because of its one change.
TEST(bad_params, starting_points_are_valid) {
    for (const auto& m : methods()) {
        EXPECT_TRUE(rs::validate(cpp_config(m))) << m.name;
        EXPECT_TRUE(rs::compute_frequencies(cpp_config(m))) << m.name;
        const auto r = rs::read_hf_config(hf_config(m));
        EXPECT_EQ(static_cast<bool>(r), m.config_json)
            << m.name << ": " << (r ? "" : r.err().what());
    }
}

}  // namespace
