// SPDX-License-Identifier: MIT
//
// Internal: the config.json reader behind hf_config.hpp's read_hf_config (its rules are
// described at the top of hf_config.hpp): the language model's keys found and merged, the
// model-type defaults, the rope section per layer type, each method's keys read generically
// from its method_traits, the layer map, the query scale and the multimodal sections, with
// where each value came from. Needs nlohmann-json, like hf_config.hpp; never throws.
#ifndef ROPESCALE_DETAIL_HF_READER_HPP
#define ROPESCALE_DETAIL_HF_READER_HPP

#include "../error.hpp"
#include "../frequencies.hpp"
#include "../hf_models.hpp"
#include "../methods.hpp"
#include "../model_rope_config.hpp"
#include "../mrope.hpp"
#include "../params.hpp"
#include "../query_scale.hpp"
#include "hf_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

namespace detail {
namespace hf {

// The keys every method accepts in the rope section.
inline bool is_common_key(const std::string& k) {
    return k == "rope_type" || k == "type" || k == "rope_theta" || k == "partial_rotary_factor" ||
           k == "mrope_section" || k == "mrope_interleaved" || k == "llama_4_scaling_beta";
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

// The original context length L of a method: its member original_max_position_embeddings,
// which its "original_max_position_embeddings" key fills, when it has one. Decided at compile
// time: a run-time walk of the keys made g++ 12 at -O2 report a false maybe-uninitialized for
// the methods without one.
template <class M, class = void>
struct has_original_length : std::false_type {};
template <class M>
struct has_original_length<
    M, std::void_t<decltype(std::declval<const M&>().original_max_position_embeddings)>>
    : std::true_type {};

template <class M>
std::optional<std::int64_t> original_length([[maybe_unused]] const M& m) {
    if constexpr (has_original_length<M>::value)
        return m.original_max_position_embeddings;
    else
        return std::nullopt;
}

// Reads method M from the rope section (and the top level, where a key's place says) into
// out.config.scaling: every key of method_traits<M>::keys (a value of the wrong type is an
// error naming the key), then the required ones, then M's resolve hook, then the
// "unrecognized key" warnings.
template <class M>
std::optional<error> read_method(const json* section, const json& config,
                                 std::optional<std::int64_t> max_position_embeddings,
                                 layer_rope& out, std::vector<warning>& warnings) {
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
    if (auto e = method_traits<M>::resolve(m, found, warnings)) return e;
    warn_unrecognized<M>(section, out.rope_type, warnings);
    out.original_max_position_embeddings = original_length(m);
    out.config.scaling = std::move(m);
    return std::nullopt;
}

// "a.b", or "b" when a is empty.
inline std::string join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

// A key that looks like a RoPE setting (for the "not read" warning).
inline bool looks_like_rope_key(const std::string& k) {
    static constexpr const char* extra[] = {
        "initial_context_length", "attn_temperature_tuning", "floor_scale",   "attn_scale",
        "sliding_window_pattern", "llama_4_scaling_beta",    "mrope_section", "mrope_interleaved",
        "global_head_dim"};
    if (k.find("rope") != std::string::npos || k.find("rotary") != std::string::npos) return true;
    for (const char* e : extra)
        if (k == e) return true;
    return false;
}

// The reader: one pass over a config.json object (see the top of this header).
class config_reader {
  public:
    explicit config_reader(const json& root) : root_(root) {}

    expected<model_rope_config> run() {
        if (!root_.is_object()) return wrong_type("config", "a JSON object", root_);
        if (auto e = locate_text_config()) return *e;
        if (auto e = resolve_model_type()) return at_path(*e);
        fill_defaults();
        if (auto e = read_common()) return at_path(*e);
        if (auto e = read_layer_layout()) return at_path(*e);
        if (auto e = read_sections()) return at_path(*e);
        if (auto e = read_query_scale()) return at_path(*e);
        if (auto e = read_position_rules()) return *e;  // vision_config: at the top level
        decide_logit_scale();
        warn_unread_keys();
        const layer_rope& p = out_.layer_types.front();
        out_.config = p.config;
        out_.rope_type = p.rope_type;
        out_.original_max_position_embeddings = p.original_max_position_embeddings;
        return std::move(out_);
    }

  private:
    // ---- where the language model is -------------------------------------------------------

    std::optional<error> locate_text_config() {
        text_ = &root_;
        if (const json* thinker = find_value(&root_, "thinker_config");
            thinker && thinker->is_object())
            if (const json* t = find_value(thinker, "text_config"); t && t->is_object()) {
                text_ = t;
                out_.config_path = "thinker_config.text_config";
                return std::nullopt;
            }
        std::vector<const char*> found;
        for (const char* name : {"text_config", "decoder", "generator"}) {
            const json* v = find_value(&root_, name);
            if (v == nullptr) continue;
            // `decoder` and `generator` name other things in some files: only objects count.
            if (!v->is_object()) {
                if (std::string_view(name) == "text_config")
                    return wrong_type(name, "a JSON object or null", *v);
                continue;
            }
            found.push_back(name);
        }
        if (found.size() > 1)
            return error{errc::inconsistent, found[1],
                         std::string("and ") + found[0] +
                             " are both nested configs: transformers' get_text_config refuses "
                             "to choose"};
        if (found.size() == 1) {
            text_ = find_value(&root_, found[0]);
            out_.config_path = found[0];
        }
        return std::nullopt;
    }

    error at_path(error e) const {
        if (!out_.config_path.empty() && text_ != &root_)
            e.field = e.field.empty() ? out_.config_path : join_path(out_.config_path, e.field);
        return e;
    }

    void source(const std::string& key, std::string origin) {
        for (value_source& s : out_.sources)
            if (s.key == key) {
                s.origin = std::move(origin);
                return;
            }
        out_.sources.push_back({key, std::move(origin)});
    }

    // Records that `key` (top level of the language model) was read, and where it came from.
    void use(const char* key) {
        const std::string k = key;
        if (std::find(used_.begin(), used_.end(), k) == used_.end()) used_.push_back(k);
        if (find_value(text_, key) != nullptr)
            source(k, join_path(out_.config_path, k));
        else if (const std::string* d = default_origin(k))
            source(k, *d);
    }

    std::optional<error> resolve_model_type() {
        object_reader t(text_);
        const auto own = t.string("model_type");
        if (t.failed()) return t.err();
        if (own) {
            out_.model_type = *own;
            source("model_type", join_path(out_.config_path, "model_type"));
        } else if (text_ != &root_) {
            object_reader r(&root_);
            const auto outer = r.string("model_type");
            if (r.failed()) return r.err();
            if (outer)
                if (const hf_composite_model* c = find_composite_model(*outer)) {
                    out_.model_type = c->text_model_type;
                    source("model_type", std::string("text model of \"") + *outer +
                                             "\" (transformers " + c->config_class + ")");
                }
        }
        // The older flat layout of a composite model (Qwen2-VL): its text class reads the top
        // level.
        if (const hf_composite_model* c = find_composite_model(out_.model_type);
            c && text_ == &root_) {
            source("model_type", std::string("\"") + out_.model_type + "\" read as \"" +
                                     c->text_model_type + "\" (transformers " + c->config_class +
                                     " builds its text configuration from the top level)");
            out_.model_type = c->text_model_type;
        }
        // OpenAI's own gpt-oss schema (a checkpoint's original/config.json) names no model_type
        // and no transformers class: read as transformers' GptOssConfig, whose default YaRN is
        // the one its keys describe (OpenAI gpt_oss RotaryEmbedding: factor rope_scaling_factor,
        // original length initial_context_length, beta_slow rope_ntk_alpha, beta_fast
        // rope_ntk_beta); warn_unread_keys reports a key that disagrees with it.
        if (out_.model_type.empty() && openai_gpt_oss_schema()) {
            out_.model_type = "gpt_oss";
            source("model_type",
                   "absent: OpenAI's gpt-oss schema, read as transformers GptOssConfig");
            warnings_.push_back(
                {"model_type",
                 "absent; the keys are OpenAI's gpt-oss schema (initial_context_length, "
                 "rope_scaling_factor, no rope_scaling), which transformers does not load by "
                 "itself: read as transformers' GptOssConfig (its default YaRN rope_parameters)"});
        }
        rules_ = find_layer_rules(out_.model_type);
        return std::nullopt;
    }

    // OpenAI's gpt-oss schema: initial_context_length and rope_scaling_factor, no rope section.
    bool openai_gpt_oss_schema() const {
        return text_ == &root_ && find_value(text_, "initial_context_length") != nullptr &&
               find_value(text_, "rope_scaling_factor") != nullptr && !has_rope_scaling() &&
               find_value(text_, "rope_parameters") == nullptr;
    }

    // merged_: the language model's config with the model-type defaults of absent keys.
    void fill_defaults() {
        merged_ = *text_;
        const bool has_scaling = has_rope_scaling();
        for (const hf_model_default& d : hf_model_defaults) {
            // Only an absent key: an explicit null is Python's None, not the field default.
            // (rope_parameters: None is the class default too, as `if rope_parameters is None`.)
            const bool rope_default = std::string_view(d.key) == "rope_parameters";
            if (out_.model_type != d.model_type ||
                (rope_default ? find_value(text_, d.key) != nullptr : text_->contains(d.key)))
                continue;
            if (std::string_view(d.key) == "rope_parameters" && has_scaling) continue;
            json v = json::parse(d.value, nullptr, /*allow_exceptions=*/false);
            if (v.is_discarded()) continue;  // the table is constant text; never happens
            merged_[d.key] = std::move(v);
            defaulted_.emplace_back(d.key, std::string("default ") + d.value + " (transformers " +
                                               d.config_class + ")");
        }
    }

    // The origin of a model-type default filled in for `key`, or nullptr.
    const std::string* default_origin(const std::string& key) const {
        for (const auto& d : defaulted_)
            if (d.first == key) return &d.second;
        return nullptr;
    }

    // Where top-level `key` was read: its path, or the default that filled it.
    std::string origin_of(const std::string& key) const {
        if (const std::string* d = default_origin(key)) return *d;
        return join_path(out_.config_path, key);
    }

    bool has_rope_scaling() const {
        const json* s = find_value(text_, "rope_scaling");
        return s != nullptr && !(s->is_object() && s->empty());
    }

    // ---- dimensions ---------------------------------------------------------------------

    std::optional<error> read_common() {
        object_reader top(&merged_);
        use("max_position_embeddings");
        max_pos_ = top.integer("max_position_embeddings");
        (void)top.integer("original_max_position_embeddings");
        if (top.failed()) return top.err();
        out_.max_position_embeddings = max_pos_;

        const auto qk_rope = top.integer("qk_rope_head_dim");
        const auto explicit_head_dim = top.integer("head_dim");
        if (top.failed()) return top.err();
        std::int64_t head_dim = 0;
        if (qk_rope) {
            use("qk_rope_head_dim");
            head_dim = *qk_rope;
            head_dim_field_ = "qk_rope_head_dim";
            if (explicit_head_dim && *explicit_head_dim != *qk_rope)
                warnings_.push_back(
                    {"head_dim", "ignored: qk_rope_head_dim = " + std::to_string(*qk_rope) +
                                     " is the rotated slice (DeepSeek multi-head latent "
                                     "attention)"});
        } else if (explicit_head_dim) {
            use("head_dim");
            head_dim = *explicit_head_dim;
        } else {
            const auto hidden = top.integer("hidden_size");
            const auto heads = top.integer("num_attention_heads");
            if (top.failed()) return top.err();
            if (!hidden)
                return missing("hidden_size",
                               "is required when head_dim is absent (head_dim = "
                               "hidden_size / num_attention_heads)");
            if (!heads)
                return missing("num_attention_heads",
                               "is required when head_dim is absent (head_dim = "
                               "hidden_size / num_attention_heads)");
            if (*heads <= 0)
                return make_error(errc::out_of_range, "num_attention_heads", "must be > 0",
                                  static_cast<long long>(*heads));
            if (*hidden <= 0)
                return make_error(errc::out_of_range, "hidden_size", "must be > 0",
                                  static_cast<long long>(*hidden));
            head_dim = *hidden / *heads;  // Python's //, as transformers
            head_dim_origin_ =
                " (derived as hidden_size / num_attention_heads = " + std::to_string(*hidden) +
                " / " + std::to_string(*heads) + ")";
            source("head_dim", "hidden_size / num_attention_heads = " + std::to_string(*hidden) +
                                   " / " + std::to_string(*heads));
            if (*hidden % *heads != 0)
                warnings_.push_back({"head_dim",
                                     "hidden_size is not a multiple of "
                                     "num_attention_heads: head_dim rounded down to " +
                                         std::to_string(head_dim)});
        }
        if (auto e = check_head_dim(head_dim, head_dim_field_, head_dim_origin_)) return e;
        head_dim_ = static_cast<int>(head_dim);

        if (out_.model_type == "gemma4_text") {
            global_head_dim_ = top.integer("global_head_dim");
            if (top.failed()) return top.err();
            if (global_head_dim_) {
                use("global_head_dim");
                if (auto e = check_head_dim(*global_head_dim_, "global_head_dim", "")) return e;
            }
        }
        // Likewise the top-level partial_rotary_factor, read by every layer type.
        (void)top.number("partial_rotary_factor");
        return top.failed() ? std::optional<error>(top.err()) : std::nullopt;
    }

    static std::optional<error> check_head_dim(std::int64_t d, const char* field,
                                               const std::string& origin) {
        if (d <= 0 || d > std::numeric_limits<int>::max())
            return make_error(errc::out_of_range, field,
                              "must be in (0, " + std::to_string(std::numeric_limits<int>::max()) +
                                  "]" + origin,
                              static_cast<long long>(d));
        return std::nullopt;
    }

    // ---- layers -------------------------------------------------------------------------

    std::optional<error> read_layer_layout() {
        object_reader top(&merged_);
        const auto n_layers = top.integer("num_hidden_layers");
        if (top.failed()) return top.err();
        if (n_layers && *n_layers < 0)
            return make_error(errc::out_of_range, "num_hidden_layers", "must be >= 0",
                              static_cast<long long>(*n_layers));

        // Explicit layer_types.
        if (const json* lt = find_value(&merged_, "layer_types")) {
            use("layer_types");
            if (!lt->is_array()) return wrong_type("layer_types", "an array of strings", *lt);
            for (std::size_t i = 0; i < lt->size(); ++i) {
                if (!(*lt)[i].is_string())
                    return wrong_type("layer_types[" + std::to_string(i) + "]", "a string",
                                      (*lt)[i]);
                layer_names_.push_back((*lt)[i].get<std::string>());
            }
            if (n_layers && static_cast<std::int64_t>(layer_names_.size()) != *n_layers)
                return error{errc::inconsistent, "layer_types",
                             "has " + std::to_string(layer_names_.size()) +
                                 " entries, num_hidden_layers is " + std::to_string(*n_layers)};
            layer_count_ = static_cast<std::int64_t>(layer_names_.size());
            if (auto e = check_pattern_against_layer_types()) return e;
        } else if (n_layers) {
            layer_count_ = *n_layers;
        }
        if (layer_count_) use("num_hidden_layers");
        if (layer_count_ && *layer_count_ > static_cast<std::int64_t>(max_layer_count))
            return make_error(
                errc::out_of_range, layer_names_.empty() ? "num_hidden_layers" : "layer_types",
                "must be <= " + std::to_string(max_layer_count) + " (max_layer_count)",
                static_cast<long long>(*layer_count_));

        const std::size_t n = layer_count_ ? static_cast<std::size_t>(*layer_count_) : 0;
        rotates_.assign(n, true);
        if (rules_ != nullptr && layer_count_) {
            if (auto e = read_nope(top, n)) return e;
            if (layer_names_.empty()) {
                if (auto e = derive_layer_types(top, n)) return e;
            }
            if (rules_->nope == hf_nope_rule::full_if_sliding_window ||
                rules_->nope == hf_nope_rule::unless_sliding) {
                const bool window = find_value(&merged_, "sliding_window") != nullptr;
                use("sliding_window");
                for (std::size_t i = 0; i < n; ++i) {
                    const bool sliding =
                        i < layer_names_.size() && layer_names_[i] == "sliding_attention";
                    rotates_[i] = rules_->nope == hf_nope_rule::full_if_sliding_window
                                      ? (!window || sliding)
                                      : (window && sliding);
                }
                source("layers without RoPE",
                       rules_->nope == hf_nope_rule::full_if_sliding_window
                           ? std::string("full_attention layers when sliding_window is set "
                                         "(transformers ") +
                                 rules_->source + ")"
                           : std::string("every layer but sliding_attention ones with a "
                                         "sliding_window (transformers ") +
                                 rules_->source + ")");
            }
        }
        return std::nullopt;
    }

    // A family's sliding_window_pattern beside an explicit layer_types: layer_types is read
    // (as transformers); a pattern that says otherwise is a warning.
    std::optional<error> check_pattern_against_layer_types() {
        if (rules_ == nullptr || rules_->layer_types != hf_layer_types_rule::sliding_pattern ||
            rules_->pattern_key == nullptr)
            return std::nullopt;
        const json* p = find_value(text_, rules_->pattern_key);
        if (p == nullptr) return std::nullopt;
        use(rules_->pattern_key);
        if (!p->is_number_integer() && !p->is_number_unsigned()) return std::nullopt;
        const std::int64_t period = p->get<std::int64_t>();
        for (std::size_t i = 0; i < layer_names_.size(); ++i) {
            const bool full = period <= 0 || (static_cast<std::int64_t>(i) + 1) % period == 0;
            if ((layer_names_[i] == "full_attention") != full) {
                warnings_.push_back(
                    {rules_->pattern_key, std::to_string(period) +
                                              " disagrees with layer_types at layer " +
                                              std::to_string(i) + ": layer_types is used"});
                break;
            }
        }
        return std::nullopt;
    }

    std::optional<error> read_nope(object_reader& top, std::size_t n) {
        if (rules_->nope == hf_nope_rule::cross_attention_layers) return read_cross_attention(n);
        if (rules_->nope != hf_nope_rule::no_rope_layers) return std::nullopt;
        use("no_rope_layer_interval");  // understood even where the list takes precedence
        const json* list = find_value(&merged_, "no_rope_layers");
        // Llama 4 replaces an empty list too (`no_rope_layers if no_rope_layers else ...`).
        const bool replace_empty = rules_->layer_types == hf_layer_types_rule::rope_chunked;
        if (list != nullptr && !(replace_empty && list->is_array() && list->empty())) {
            use("no_rope_layers");
            if (!list->is_array()) return wrong_type("no_rope_layers", "an array of 0/1", *list);
            if (list->size() < n)
                return error{errc::inconsistent, "no_rope_layers",
                             "has " + std::to_string(list->size()) + " entries, fewer than the " +
                                 std::to_string(n) + " layers"};
            for (std::size_t i = 0; i < n; ++i) {
                const json& v = (*list)[i];
                if (!v.is_number_integer() && !v.is_number_unsigned() && !v.is_boolean())
                    return wrong_type("no_rope_layers[" + std::to_string(i) + "]",
                                      "0 or 1 (1: the layer uses RoPE)", v);
                rotates_[i] = v.is_boolean() ? v.get<bool>() : v.get<std::int64_t>() != 0;
            }
            return std::nullopt;
        }
        use("no_rope_layer_interval");
        const auto interval = top.integer("no_rope_layer_interval");
        if (top.failed()) return top.err();
        if (!interval || *interval <= 0)
            return make_error(errc::out_of_range, "no_rope_layer_interval", "must be > 0",
                              static_cast<long long>(interval.value_or(0)));
        for (std::size_t i = 0; i < n; ++i)
            rotates_[i] = (static_cast<std::int64_t>(i) + 1) % *interval != 0;
        source("no_rope_layers", "every " + std::to_string(*interval) +
                                     "th layer without RoPE (no_rope_layer_interval; "
                                     "transformers " +
                                     rules_->source + ")");
        return std::nullopt;
    }

    // Mllama: the layers `cross_attention_layers` lists attend to the vision states and apply
    // no rotary embedding (MllamaTextCrossAttention); the others rotate.
    std::optional<error> read_cross_attention(std::size_t n) {
        const json* list = find_value(&merged_, "cross_attention_layers");
        if (list == nullptr) return std::nullopt;
        use("cross_attention_layers");
        if (!list->is_array())
            return wrong_type("cross_attention_layers", "an array of layer indices", *list);
        for (std::size_t k = 0; k < list->size(); ++k) {
            const json& v = (*list)[k];
            const std::string field = "cross_attention_layers[" + std::to_string(k) + "]";
            if (!v.is_number_integer() && !v.is_number_unsigned())
                return wrong_type(field, "a layer index", v);
            const std::int64_t i = v.get<std::int64_t>();
            if (i < 0 || static_cast<std::uint64_t>(i) >= n)
                return make_error(errc::out_of_range, field,
                                  "must be a layer index < num_hidden_layers",
                                  static_cast<long long>(i));
            rotates_[static_cast<std::size_t>(i)] = false;
        }
        source("layers without RoPE",
               std::string("cross_attention_layers (transformers ") + rules_->source + ")");
        return std::nullopt;
    }

    std::optional<error> derive_layer_types(object_reader& top, std::size_t n) {
        if (rules_->layer_types == hf_layer_types_rule::sliding_pattern) {
            std::int64_t period = rules_->pattern_default;
            std::string origin = "fixed pattern of " + std::to_string(period);
            if (rules_->pattern_key != nullptr) {
                use(rules_->pattern_key);
                const auto p = top.integer(rules_->pattern_key);
                if (top.failed()) return top.err();
                if (p) period = *p;
                origin = std::string(rules_->pattern_key) + " = " + std::to_string(period);
            }
            if (out_.model_type == "exaone4" && find_value(&merged_, "sliding_window") == nullptr)
                period = 0;  // Exaone4Config: no window, no sliding layers
            if (period < 0)
                return make_error(errc::out_of_range,
                                  rules_->pattern_key ? rules_->pattern_key : "layer_types",
                                  "must be >= 0", static_cast<long long>(period));
            for (std::size_t i = 0; i < n; ++i)
                layer_names_.push_back(period > 0 &&
                                               (static_cast<std::int64_t>(i) + 1) % period != 0
                                           ? "sliding_attention"
                                           : "full_attention");
            source("layer_types", "derived: full_attention every " + std::to_string(period) +
                                      "th layer (" + origin + "; transformers " + rules_->source +
                                      ")");
        } else if (rules_->layer_types == hf_layer_types_rule::rope_chunked) {
            for (std::size_t i = 0; i < n; ++i)
                layer_names_.push_back(rotates_[i] ? "chunked_attention" : "full_attention");
            source("layer_types",
                   std::string("derived: chunked_attention for RoPE layers, full_attention "
                               "for NoPE layers (transformers ") +
                       rules_->source + ")");
        }
        return std::nullopt;
    }

    // ---- rope sections ------------------------------------------------------------------

    // Whether `rp` is a per-layer-type rope_parameters: a non-empty object of objects (or
    // nulls) whose keys are layer types (transformers' standardize_rope_params, case 2).
    bool per_layer_type(const json& rp) const {
        if (!rp.is_object() || rp.empty()) return false;
        for (auto it = rp.begin(); it != rp.end(); ++it) {
            if (!it->is_object() && !it->is_null()) return false;
            if (!layer_names_.empty() &&
                std::find(layer_names_.begin(), layer_names_.end(), it.key()) == layer_names_.end())
                return false;
        }
        return true;
    }

    std::optional<error> read_sections() {
        use("rope_scaling");
        use("rope_parameters");
        const json* rs = find_value(&merged_, "rope_scaling");
        const json* rp = find_value(&merged_, "rope_parameters");
        if (rs && !rs->is_object()) return wrong_type("rope_scaling", "a JSON object or null", *rs);
        if (rp && !rp->is_object())
            return wrong_type("rope_parameters", "a JSON object or null", *rp);
        if (rs && rs->empty()) rs = nullptr;  // `rope_scaling or rope_parameters`
        if (rp && rp->empty()) rp = nullptr;

        const bool legacy = rules_ != nullptr && rules_->legacy != hf_legacy_sliding::none;
        if (rp && per_layer_type(*rp) && !(rs && !legacy)) {
            // One section per layer type; the families with a legacy sliding table merge
            // rope_scaling into full attention (Gemma3TextConfig, Olmo3Config).
            json sections = *rp;
            if (legacy) {
                json& full = sections["full_attention"];
                if (!full.is_object()) full = json{{"rope_type", "default"}};
                if (rs) full.update(*rs);
                json& sliding = sections["sliding_attention"];
                if (!sliding.is_object()) sliding = json{{"rope_type", "default"}};
                if (auto e = legacy_sliding_theta(sliding)) return e;
            }
            return read_per_layer(sections,
                                  origin_of("rope_parameters") + " (per layer type)" +
                                      (rs ? ", rope_scaling merged into full_attention" : ""));
        }
        if (rp && !rs && !legacy) {
            bool all_objects = true;
            for (auto it = rp->begin(); it != rp->end(); ++it)
                if (!it->is_object() && !it->is_null()) all_objects = false;
            if (all_objects)
                return missing("rope_type",
                               "absent: rope_parameters looks like a per-layer-type table "
                               "({\"full_attention\": {...}}) but its keys are not this "
                               "model's layer types");
        }
        const json* flat = rs ? rs : rp;
        const char* flat_name = rs ? "rope_scaling" : "rope_parameters";
        if (rs && rp && *rs != *rp)
            warnings_.push_back({"rope_parameters",
                                 "ignored: rope_scaling takes precedence, as transformers v5 "
                                 "keeps `rope_scaling or rope_parameters`"});
        if (legacy) {
            // The older flat files of a family with a sliding-window table of its own.
            json sections = json::object();
            sections["full_attention"] = json{{"rope_type", "default"}};
            if (flat) sections["full_attention"].update(*flat);
            json sliding = json{{"rope_type", "default"}};
            if (auto e = legacy_sliding_theta(sliding)) return e;
            sections["sliding_attention"] = std::move(sliding);
            return read_per_layer(sections,
                                  std::string("full_attention: ") +
                                      (flat ? origin_of(flat_name) : std::string("plain RoPE")) +
                                      "; sliding_attention: plain RoPE (transformers " +
                                      rules_->source + ")");
        }
        // One section for every layer.
        if (flat) source("rope section", origin_of(flat_name));
        layer_rope entry;
        std::vector<warning> w;
        if (auto e = read_section(flat, flat ? flat_name : "rope_scaling", entry, w, "")) return e;
        warnings_.insert(warnings_.end(), w.begin(), w.end());
        primary_section_ = flat;
        // One entry per rotating layer type name, all with the same rope.
        std::vector<std::string> names;
        for (std::size_t i = 0; i < rotates_.size(); ++i)
            if (rotates_[i] && i < layer_names_.size() &&
                std::find(names.begin(), names.end(), layer_names_[i]) == names.end())
                names.push_back(layer_names_[i]);
        if (names.empty()) names.push_back("full_attention");
        for (const std::string& name : names) {
            entry.layer_type = name;
            out_.layer_types.push_back(entry);
        }
        return finish_layers();
    }

    // The base of the sliding layers of a family with a legacy sliding table, when their
    // section has none: `rope_local_base_freq` (Gemma3TextConfig) or the class default
    // (Olmo3Config, which ignores a top-level rope_theta there).
    std::optional<error> legacy_sliding_theta(json& sliding) {
        if (find_value(&sliding, "rope_theta") != nullptr) return std::nullopt;
        object_reader top(&merged_);
        if (rules_->legacy == hf_legacy_sliding::local_base_freq) {
            use("rope_local_base_freq");
            const auto local = top.number("rope_local_base_freq");
            if (top.failed()) return top.err();
            if (local) {
                sliding["rope_theta"] = *local;
                source("sliding_attention.rope_theta", origin_of("rope_local_base_freq"));
            }
        } else if (const hf_model_default* d = find_model_default(out_.model_type, "rope_theta")) {
            const json v = json::parse(d->value, nullptr, false);
            if (!v.is_number()) return std::nullopt;  // the table is constant text
            sliding["rope_theta"] = v;
            source("sliding_attention.rope_theta",
                   std::string("default ") + d->value + " (transformers " + d->config_class +
                       ": the sliding layers take the class default, not rope_theta)");
            const auto theta = top.number("rope_theta");
            if (top.failed()) return top.err();
            if (theta && *theta != v.get<double>())
                warnings_.push_back({"sliding_attention.rope_theta",
                                     std::string("the sliding layers use the class default ") +
                                         d->value + ", not rope_theta = " + format_value(*theta) +
                                         " (as transformers " + d->config_class + ")"});
        }
        return std::nullopt;
    }

    std::optional<error> read_per_layer(const json& sections, const std::string& origin) {
        std::vector<std::string> names;  // rotating layer types, in layer order
        for (std::size_t i = 0; i < rotates_.size(); ++i)
            if (rotates_[i] && i < layer_names_.size() &&
                std::find(names.begin(), names.end(), layer_names_[i]) == names.end())
                names.push_back(layer_names_[i]);
        if (layer_names_.empty())  // layer count unknown: every section given
            for (auto it = sections.begin(); it != sections.end(); ++it) names.push_back(it.key());
        source("rope section", origin);
        for (const std::string& name : names) {
            const json* s = find_value(&sections, name.c_str());
            if (s == nullptr)
                return missing("rope_parameters." + name, "is required: layer type \"" + name +
                                                              "\" rotates but has no rope section");
            layer_rope entry;
            entry.layer_type = name;
            std::vector<warning> w;
            if (auto e = read_section(s, ("rope_parameters." + name).c_str(), entry, w, name)) {
                e->message += " (layer type " + name + ")";
                return e;
            }
            for (warning& x : w) x.field = name + "." + x.field;
            warnings_.insert(warnings_.end(), w.begin(), w.end());
            out_.layer_types.push_back(std::move(entry));
            section_copies_.push_back(*s);  // in the order of layer_types, for finish_layers
        }
        return finish_layers();
    }

    // Orders the entries (primary first) and maps every layer to its entry.
    std::optional<error> finish_layers() {
        auto& lt = out_.layer_types;
        if (lt.empty())
            return error{errc::inconsistent, "layer_types",
                         "no layer uses RoPE: nothing to build a table for"};
        std::size_t primary = 0;
        for (std::size_t i = 0; i < lt.size(); ++i)
            if (lt[i].layer_type == "full_attention") primary = i;
        if (primary != 0) {
            std::rotate(lt.begin(), lt.begin() + static_cast<std::ptrdiff_t>(primary),
                        lt.begin() + static_cast<std::ptrdiff_t>(primary) + 1);
            if (!section_copies_.empty())
                std::rotate(section_copies_.begin(),
                            section_copies_.begin() + static_cast<std::ptrdiff_t>(primary),
                            section_copies_.begin() + static_cast<std::ptrdiff_t>(primary) + 1);
        }
        if (!section_copies_.empty()) primary_section_ = &section_copies_.front();
        out_.layers.clear();
        // Several tables but no layer names: which layer uses which is unknown.
        if (layer_names_.empty() && lt.size() > 1) return std::nullopt;
        for (std::size_t i = 0; i < rotates_.size(); ++i) {
            if (!rotates_[i]) {
                out_.layers.push_back(std::nullopt);
                continue;
            }
            std::size_t k = 0;
            if (i < layer_names_.size())
                for (std::size_t j = 0; j < lt.size(); ++j)
                    if (lt[j].layer_type == layer_names_[i]) k = j;
            out_.layers.push_back(k);
        }
        return std::nullopt;
    }

    // Reads one rope section into `entry` (the body of the flat reader).
    std::optional<error> read_section(const json* section, const char* section_name,
                                      layer_rope& entry, std::vector<warning>& w,
                                      const std::string& layer_type) {
        if (section != nullptr && !section->is_object())
            return wrong_type(section_name, "a JSON object or null", *section);
        object_reader sec(section);
        object_reader top(&merged_);

        // Method name: `rope_type`, else the older `type`.
        const char* type_key = sec.has("rope_type") ? "rope_type" : "type";
        const auto type_written = sec.string(type_key);
        if (sec.failed()) return sec.err();
        if (const json* other = find_value(section, "type");
            other && type_written && std::string_view(type_key) == "rope_type" &&
            (!other->is_string() || other->get<std::string>() != *type_written))
            w.push_back({"type", "ignored: rope_type \"" + *type_written +
                                     "\" takes precedence over type " + json_text(*other)});
        if (!type_written && section != nullptr) {
            bool scaling_keys = false;
            for (auto it = section->begin(); it != section->end(); ++it)
                if (!it->is_null() && !is_common_key(it.key())) scaling_keys = true;
            if (scaling_keys)
                return missing("rope_type", std::string(section_name) +
                                                " has scaling keys but neither rope_type nor type");
        }
        entry.rope_type = type_written.value_or("default");
        // Qwen2-VL's "mrope": plain RoPE over sections (Qwen2VLTextConfig).
        const std::string type = entry.rope_type == "mrope" ? "default" : entry.rope_type;

        // rope_theta: section first, then top level (model default included), then 10000.
        const auto theta_sec = sec.number("rope_theta");
        const auto theta_top = top.number("rope_theta");
        if (sec.failed()) return sec.err();
        if (top.failed()) return top.err();
        use("rope_theta");
        entry.config.rope_theta = theta_sec ? *theta_sec : theta_top.value_or(10000.0);
        const std::string theta_key =
            layer_type.empty() ? "rope_theta" : layer_type + ".rope_theta";
        if (theta_sec) {
            if (!source_set(theta_key))
                source(theta_key, join_path(out_.config_path, section_name) + ".rope_theta");
        } else if (theta_top) {
            source(theta_key, origin_of("rope_theta"));
        } else {
            source(theta_key, "default 10000 (transformers PreTrainedConfig.default_theta)");
        }
        if (theta_sec && theta_top && *theta_sec != *theta_top && !default_origin("rope_theta"))
            w.push_back({"rope_theta", "top-level value " + format_value(*theta_top) +
                                           " ignored: the rope section's " +
                                           format_value(*theta_sec) + " takes precedence"});

        const auto prf_sec = sec.number("partial_rotary_factor");
        const auto prf_top = top.number("partial_rotary_factor");
        if (sec.failed()) return sec.err();
        if (top.failed()) return top.err();
        if (prf_top) use("partial_rotary_factor");
        entry.config.partial_rotary_factor = prf_sec ? prf_sec : prf_top;
        if (prf_sec && prf_top && *prf_sec != *prf_top)
            w.push_back({"partial_rotary_factor", "top-level value " + format_value(*prf_top) +
                                                      " ignored: the rope section's " +
                                                      format_value(*prf_sec) + " is used"});

        entry.config.head_dim = head_dim_;
        if (global_head_dim_ && layer_type == "full_attention")
            entry.config.head_dim = static_cast<int>(*global_head_dim_);

        // Likewise the section's original_max_position_embeddings.
        (void)sec.integer("original_max_position_embeddings");
        if (sec.failed()) return sec.err();

        std::optional<error> method_error;
        const bool known = visit_rope_type(type, [&](auto tag) {
            method_error =
                read_method<typename decltype(tag)::type>(section, merged_, max_pos_, entry, w);
        });
        if (!known)
            return make_error(errc::unknown_rope_type, type_key,
                              "names no supported method (" + rope_type_spellings() + ")",
                              entry.rope_type);
        if (method_error) return *method_error;

        if (auto* y = std::get_if<yarn>(&entry.config.scaling); y && section != nullptr) {
            const auto t = section->find("truncate");
            if (t != section->end() && t->is_null()) {
                y->truncate = false;
                w.push_back({"truncate",
                             "null read as false: transformers' get(\"truncate\", True) returns "
                             "None, so the correction range is not rounded"});
            }
        }

        if (auto s = validate(entry.config); !s) {
            error e = s.err();
            if (e.field == "head_dim") {
                e.field = head_dim_field_;
                e.message += head_dim_origin_;
            }
            return e;
        }
        return std::nullopt;
    }

    bool source_set(const std::string& key) const {
        for (const value_source& s : out_.sources)
            if (s.key == key) return true;
        return false;
    }

    // ---- query scale, multimodal sections ----------------------------------------------------

    // The position-id rules of a model class with multimodal sections (hf_models.hpp):
    // vision_config's spatial_merge_size (>= 1, else 2, every Qwen-VL vision class's default)
    // and, where the layout reads it, tokens_per_second (finite, > 0, else the class default).
    // Errors name "vision_config.<key>".
    std::optional<error> read_position_rules() {
        const hf_mrope_model* mm = find_mrope_model(out_.model_type);
        if (mm == nullptr || !out_.mrope) return std::nullopt;
        const json* vc = find_value(&root_, "vision_config");
        if (vc != nullptr && !vc->is_object())
            return wrong_type("vision_config", "a JSON object", *vc);
        object_reader v(vc);
        const auto merge = v.integer("spatial_merge_size");
        const auto tps = v.number("tokens_per_second");
        if (v.failed()) {
            error e = v.err();
            e.field = "vision_config." + e.field;
            return e;
        }
        mrope_position_rules r;
        r.model = mm->positions;
        const std::string defaults = std::string(" (transformers ") + mm->vision_class + ")";
        if (merge) {
            if (*merge < 1 || *merge > 1024)
                return make_error(errc::out_of_range, "vision_config.spatial_merge_size",
                                  "must be in [1, 1024]", static_cast<long long>(*merge));
            r.spatial_merge_size = static_cast<int>(*merge);
        }
        source("mrope_positions.spatial_merge_size",
               merge ? "vision_config.spatial_merge_size" : "default 2" + defaults);
        if (mm->tokens_per_second_default > 0.0) {
            if (tps && !(std::isfinite(*tps) && *tps > 0.0))
                return make_error(errc::out_of_range, "vision_config.tokens_per_second",
                                  "must be finite and > 0", *tps);
            r.tokens_per_second = tps.value_or(mm->tokens_per_second_default);
            source("mrope_positions.tokens_per_second",
                   tps ? std::string("vision_config.tokens_per_second")
                       : "default " + json_text(json(mm->tokens_per_second_default)) + defaults);
        }
        out_.mrope_positions = r;
        return std::nullopt;
    }

    std::optional<error> read_query_scale() {
        const json* section = primary_section_;
        object_reader sec(section);
        object_reader top(&merged_);
        const layer_rope& p = out_.layer_types.front();

        // Multimodal sections (Qwen2/2.5-VL, Qwen3-VL). The form is the model class's in
        // transformers (hf_models.hpp), the key's for other model types.
        const hf_mrope_model* mm = find_mrope_model(out_.model_type);
        const json* ms = find_value(section, "mrope_section");
        const auto inter = sec.boolean("mrope_interleaved");
        if (sec.failed()) return sec.err();
        json default_section;
        if (ms == nullptr && mm != nullptr && mm->default_section != nullptr) {
            default_section = json::parse(mm->default_section, nullptr, false);
            ms = &default_section;
            source("mrope_section", std::string("default ") + mm->default_section +
                                        " (transformers " + mm->function + ")");
        }
        if (ms != nullptr) {
            mrope_sections m;
            if (!ms->is_array()) return wrong_type("mrope_section", "an array of integers", *ms);
            for (std::size_t i = 0; i < ms->size(); ++i) {
                const json& v = (*ms)[i];
                const std::string field = "mrope_section[" + std::to_string(i) + "]";
                if (!v.is_number_integer() && !v.is_number_unsigned())
                    return wrong_type(field, "an integer", v);
                const std::int64_t x = v.is_number_unsigned() && v.get<std::uint64_t>() > 65536u
                                           ? 65537
                                           : v.get<std::int64_t>();
                if (x < 0 || x > 65536)
                    return make_error(errc::out_of_range, field, "must be in [0, 65536]",
                                      static_cast<long long>(x));
                m.section.push_back(static_cast<int>(x));
            }
            if (mm != nullptr) {
                m.interleaved = mm->interleaved;
                if (inter && *inter != mm->interleaved)
                    warnings_.push_back({"mrope_interleaved",
                                         std::string("ignored: transformers' ") + mm->function +
                                             " (model_type \"" + out_.model_type +
                                             "\") applies the " +
                                             (mm->interleaved ? "interleaved" : "chunked") +
                                             " form whatever the key says (vLLM follows the key)"});
            } else {
                m.interleaved = inter.value_or(false);
            }
            // Three entries summing to the primary layer type's rotary_dim / 2 (mrope.hpp):
            // transformers' chunked split fails on any other sum, and no pair may be left
            // without a stream.
            const auto d = resolve_rotary_dim(p.config);
            if (auto st = d ? check_mrope_sections(m, *d) : check_mrope_sections(m); !st)
                return st.err();
            out_.mrope = std::move(m);
        } else if (p.rope_type == "mrope" || mm != nullptr) {
            warnings_.push_back(
                {"mrope_section", "absent: read as plain RoPE without multimodal sections (" +
                                      (mm != nullptr ? "model_type \"" + out_.model_type + "\""
                                                     : std::string("rope_type \"mrope\"")) +
                                      ")"});
        }

        // Ministral 3: llama_4_scaling_beta in the rope section, on every layer.
        const auto beta = sec.number("llama_4_scaling_beta");
        if (sec.failed()) return sec.err();
        if (beta) {
            if (!llama_4_scaling_model_type(out_.model_type)) {
                warnings_.push_back(
                    {"llama_4_scaling_beta",
                     "not applied: transformers applies it in Ministral3Attention only, not for "
                     "model_type \"" +
                         out_.model_type + "\""});
            } else {
                llama_4_scaling q;
                q.beta = *beta;
                const auto orig = sec.integer("original_max_position_embeddings");
                if (sec.failed()) return sec.err();
                if (orig)
                    q.original_max_position_embeddings = *orig;
                else if (p.original_max_position_embeddings)
                    q.original_max_position_embeddings = *p.original_max_position_embeddings;
                else if (max_pos_)
                    q.original_max_position_embeddings = *max_pos_;
                if (q.original_max_position_embeddings <= 0)
                    return make_error(errc::out_of_range, "original_max_position_embeddings",
                                      "must be > 0 for llama_4_scaling_beta",
                                      static_cast<long long>(q.original_max_position_embeddings));
                if (!std::isfinite(q.beta) || q.beta < 0.0)
                    return make_error(errc::out_of_range, "llama_4_scaling_beta",
                                      "must be finite and >= 0", q.beta);
                out_.query_scale = q;
                out_.query_scale_layers = query_scale_scope::all;
                source("query_scale",
                       "llama_4_scaling_beta " + format_value(q.beta) +
                           " over original_max_position_embeddings " +
                           std::to_string(q.original_max_position_embeddings) +
                           " (transformers Ministral3Attention, _get_llama_4_attn_scale)");
            }
        }

        // Llama 4: attention temperature on the NoPE layers.
        if (llama4_temperature_model_type(out_.model_type)) {
            use("attn_temperature_tuning");
            use("floor_scale");
            use("attn_scale");
            // A number counts by its truth value, as Python's `if` (Llama 4 files write 4).
            const json* tv = find_value(&merged_, "attn_temperature_tuning");
            std::optional<bool> tuning;
            if (tv != nullptr && tv->is_number())
                tuning = tv->get<double>() != 0.0;
            else
                tuning = top.boolean("attn_temperature_tuning");
            const auto floor_scale = top.number("floor_scale");
            const auto attn_scale = top.number("attn_scale");
            if (top.failed()) return top.err();
            if (tuning.value_or(false)) {
                llama4_attn_temperature t;
                if (floor_scale) t.floor_scale = *floor_scale;
                if (attn_scale) t.attn_scale = *attn_scale;
                if (!(t.floor_scale > 0.0) || !std::isfinite(t.floor_scale))
                    return make_error(errc::out_of_range, "floor_scale", "must be finite and > 0",
                                      t.floor_scale);
                if (!std::isfinite(t.attn_scale))
                    return make_error(errc::not_finite, "attn_scale", "must be finite",
                                      t.attn_scale);
                out_.query_scale = t;
                out_.query_scale_layers = query_scale_scope::nope;
                source("query_scale", "attn_temperature_tuning: floor_scale " +
                                          format_value(t.floor_scale) + ", attn_scale " +
                                          format_value(t.attn_scale) +
                                          " on the NoPE layers (transformers Llama4TextAttention)");
            }
        }
        return std::nullopt;
    }

    // ---- logit scale --------------------------------------------------------------------------

    void decide_logit_scale() {
        bool deepseek = logit_scale_model_type(out_.model_type);
        std::string why = "model_type \"" + out_.model_type + "\"";
        for (const json* obj : {text_, &root_})
            if (const json* a = find_value(obj, "architectures"); a && a->is_array())
                for (const json& x : *a)
                    if (x.is_string() && logit_scale_architecture(x.get<std::string>())) {
                        deepseek = true;
                        why = "architecture " + x.get<std::string>();
                    }
        const bool unknown = out_.model_type.empty() && !deepseek;
        for (layer_rope& l : out_.layer_types) {
            auto* y = std::get_if<yarn>(&l.config.scaling);
            if (y == nullptr || y->mscale_all_dim.value_or(0.0) == 0.0) continue;
            const std::string key =
                &l == &out_.layer_types.front() ? "logit_scale" : l.layer_type + ".logit_scale";
            if (deepseek) {
                y->attention_scales_logits = true;
                source(key, "get_mscale(factor, mscale_all_dim)^2: DeepSeek attention (" + why +
                                ", transformers DeepseekV2Attention, DeepseekV3Attention)");
            } else if (unknown) {
                y->attention_scales_logits = true;
                source(key,
                       "get_mscale(factor, mscale_all_dim)^2: no model_type, read as "
                       "DeepSeek attention would");
                warnings_.push_back(
                    {"logit_scale",
                     "no model_type: mscale_all_dim is read as DeepSeek's softmax-scale "
                     "multiplier get_mscale(factor, mscale_all_dim)^2; other attention code "
                     "ignores it (then use 1)"});
            } else {
                y->attention_scales_logits = false;
                source(key, "1: the attention of " + why +
                                " does not multiply the softmax scale by get_mscale(factor, "
                                "mscale_all_dim)^2 (DeepSeek-V2/V3 attention only)");
            }
        }
    }

    // ---- keys not read ------------------------------------------------------------------------

    void warn_unread_keys() {
        const layer_rope& p = out_.layer_types.front();
        const yarn* y = std::get_if<yarn>(&p.config.scaling);
        for (auto it = text_->begin(); it != text_->end(); ++it) {
            const std::string& k = it.key();
            if (it->is_null() || !looks_like_rope_key(k)) continue;
            if (std::find(used_.begin(), used_.end(), k) != used_.end()) continue;
            // OpenAI's gpt-oss schema beside the transformers keys: no news when they agree.
            std::optional<double> agreed;
            if (y != nullptr) {
                if (k == "rope_scaling_factor") agreed = y->factor;
                if (k == "initial_context_length")
                    agreed = static_cast<double>(y->original_max_position_embeddings);
                if (k == "rope_ntk_alpha") agreed = y->beta_slow;
                if (k == "rope_ntk_beta") agreed = y->beta_fast;
            }
            if (agreed && it->is_number() && it->get<double>() == *agreed) continue;
            std::string message = "looks like a RoPE setting and is not read";
            if (agreed)
                message += " (the value used is " + format_value(*agreed) + ")";
            else if (y == nullptr && (k == "rope_scaling_factor" || k == "rope_ntk_alpha" ||
                                      k == "rope_ntk_beta" || k == "initial_context_length"))
                message += " (OpenAI's gpt-oss schema; transformers reads rope_scaling)";
            warnings_.push_back({k, std::move(message)});
        }
        out_.warnings = std::move(warnings_);
    }

    const json& root_;
    const json* text_ = nullptr;
    json merged_;
    std::vector<std::pair<std::string, std::string>> defaulted_;  // key, origin
    const hf_layer_rules* rules_ = nullptr;
    model_rope_config out_;
    std::vector<warning> warnings_;
    std::vector<std::string> used_;
    std::optional<std::int64_t> max_pos_;
    int head_dim_ = 0;
    std::optional<std::int64_t> global_head_dim_;
    const char* head_dim_field_ = "head_dim";
    std::string head_dim_origin_;
    std::optional<std::int64_t> layer_count_;
    std::vector<std::string> layer_names_;
    std::vector<bool> rotates_;
    const json* primary_section_ = nullptr;
    std::vector<json> section_copies_;
};

}  // namespace hf
}  // namespace detail

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_HF_READER_HPP
