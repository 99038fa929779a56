// The RoPE part of llama.cpp's converter, convert_hf_to_gguf.py, for the tests: a config.json
// (examples/configs/) -> the GGUF file the converter writes from it, RoPE keys and tensors only
// (TextModel.set_gguf_parameters and the converter classes named at each rule), with the
// bounds of what the file stores in float32. Shared by gguf_rope_test.cpp (every bundled
// config against the config.json reader) and make_model_gguf.cpp (the files the
// ropescale-inspect and README tests read), so that there is one converter.
#ifndef ROPESCALE_TESTS_GGUF_HF_TO_GGUF_HPP
#define ROPESCALE_TESTS_GGUF_HF_TO_GGUF_HPP

#include "gguf_writer.hpp"

#include <ropescale/gguf.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hf_to_gguf {

namespace rs = ropescale;
namespace gw = gguf_test;
using json = nlohmann::json;

inline gw::tensor f32_tensor(const char* name, const std::vector<float>& v) {
    return gw::tensor{name, {v.size()}, 0, gw::f32_data(v), std::nullopt};
}

inline std::vector<gw::value> i32_array(const std::vector<int>& v) {
    std::vector<gw::value> out;
    for (int x : v) out.push_back(gw::v_i32(x));
    return out;
}

// ---- the converter (convert_hf_to_gguf.py), RoPE keys and tensors only --------------------

// A GGUF file under construction: `A.key` for the architecture A; a key written twice keeps
// its last value, as gguf-py's GGUFWriter.add_key_value overwrites a duplicated key.
struct gguf_out {
    std::string arch;
    gw::file file;
    void set(const std::string& key, gw::value v) {
        const std::string k = arch + "." + key;
        for (auto& kv : file.kvs)
            if (kv.first == k) {
                kv.second = std::move(v);
                return;
            }
        file.kv(k, std::move(v));
    }
    void u32(const std::string& key, const json& v) { set(key, gw::v_u32(v.get<std::uint32_t>())); }
    // float32 keys: gguf-py writes a Python float as float32.
    void f32(const std::string& key, double v) { set(key, gw::v_f32(static_cast<float>(v))); }
};

// What the converter reads (ModelBase.load_hparams, TextModel.__init__): the text config merged
// over the top level, and the rope section `rope_parameters` else `rope_scaling` (or {}), with
// rope_theta and rope_type mirrored into it and the local base as its "sliding_attention"
// section. The converter takes the hparams from transformers' AutoConfig(...).to_dict(), which
// keeps the file's keys and adds the configuration class's defaults for absent ones; the
// defaults that reach a RoPE key of a bundled config are added here (`class_defaults`).
struct hparams {
    json c;     // merged hparams
    json rope;  // TextModel.rope_parameters
    json full() const { return rope.contains("full_attention") ? rope["full_attention"] : rope; }
    bool has(const char* k) const { return c.contains(k) && !c[k].is_null(); }
    double num(const char* k) const { return c.at(k).get<double>(); }
    std::int64_t integer(const char* k) const { return c.at(k).get<std::int64_t>(); }
};

// find_hparam: the first of `keys` present (a key present with null counts, as Python's `in`).
inline const json* find_hparam(const json& c, std::initializer_list<const char*> keys) {
    for (const char* k : keys)
        if (c.contains(k)) return &c[k];
    return nullptr;
}

inline hparams make_hparams(const json& raw, const json& class_defaults) {
    hparams h;
    h.c = raw;
    if (raw.contains("text_config") && raw["text_config"].is_object())
        for (auto it = raw["text_config"].begin(); it != raw["text_config"].end(); ++it)
            h.c[it.key()] = it.value();
    for (auto it = class_defaults.begin(); it != class_defaults.end(); ++it)
        if (!h.c.contains(it.key())) h.c[it.key()] = it.value();
    const json& c = h.c;
    // self.hparams.get("rope_parameters", self.hparams.get("rope_scaling")) or {}
    json rope = c.contains("rope_parameters")
                    ? c["rope_parameters"]
                    : (c.contains("rope_scaling") ? c["rope_scaling"] : json());
    if (!rope.is_object()) rope = json::object();
    const json* theta = find_hparam(c, {"global_rope_theta", "rope_global_theta",
                                        "rope_theta_global", "rope_theta", "rotary_emb_base"});
    const json* local = find_hparam(c, {"local_rope_theta", "rope_local_theta", "rope_theta_local",
                                        "swa_rope_theta", "rope_local_base_freq"});
    if (!rope.contains("full_attention") && !rope.contains("sliding_attention")) {
        if (local != nullptr && !local->is_null())
            rope["sliding_attention"] = json{{"rope_theta", *local}};
        if (!rope.contains("rope_theta") && theta != nullptr && !theta->is_null())
            rope["rope_theta"] = *theta;
        if (!rope.contains("rope_type") && rope.contains("type") && !rope["type"].is_null())
            rope["rope_type"] = rope["type"];
    }
    h.rope = rope;
    return h;
}

// TextModel.set_gguf_parameters: the common keys.
inline void text_model(gguf_out& w, const hparams& h, std::uint32_t block_count) {
    const json& c = h.c;
    w.set("block_count", gw::v_u32(block_count));
    if (const json* n = find_hparam(c, {"max_position_embeddings", "n_ctx", "n_positions",
                                        "max_length", "max_sequence_length", "model_max_length"}))
        if (!n->is_null()) w.u32("context_length", *n);
    if (const json* n = find_hparam(c, {"hidden_size", "n_embd", "dim"}))
        w.u32("embedding_length", *n);
    if (const json* n = find_hparam(c, {"num_attention_heads", "n_head", "n_heads"}))
        w.u32("attention.head_count", *n);
    const json rp = h.full();
    if (rp.contains("rope_type") && rp["rope_type"].is_string()) {
        const std::string type = rp["rope_type"];
        const bool has_factor = rp.contains("factor") && !rp["factor"].is_null();
        if (type == "linear" && has_factor) {
            w.set("rope.scaling.type", gw::v_str("linear"));
            w.f32("rope.scaling.factor", rp["factor"].get<double>());
        } else if (type == "yarn" && has_factor) {
            w.set("rope.scaling.type", gw::v_str("yarn"));
            w.f32("rope.scaling.factor", rp["factor"].get<double>());
            w.u32("rope.scaling.original_context_length",
                  rp.at("original_max_position_embeddings"));
            if (rp.contains("extrapolation_factor") && !rp["extrapolation_factor"].is_null())
                w.f32("rope.scaling.yarn_ext_factor", rp["extrapolation_factor"].get<double>());
            const json* af = rp.contains("attention_factor")
                                 ? &rp["attention_factor"]
                                 : (rp.contains("attn_factor") ? &rp["attn_factor"] : nullptr);
            if (af != nullptr && !af->is_null())
                w.f32("rope.scaling.yarn_attn_factor", af->get<double>());
            if (rp.contains("beta_fast") && !rp["beta_fast"].is_null())
                w.f32("rope.scaling.yarn_beta_fast", rp["beta_fast"].get<double>());
            if (rp.contains("beta_slow") && !rp["beta_slow"].is_null())
                w.f32("rope.scaling.yarn_beta_slow", rp["beta_slow"].get<double>());
        } else if (type == "su" || type == "longrope") {
            w.set("rope.scaling.type", gw::v_str("longrope"));
        }
        // "dynamic" (HunYuan, in its class), "llama3" (generate_extra_tensors) and any other
        // type ("mrope", "proportional", "default": a logged warning) write nothing here.
    }
    if (h.rope.contains("mrope_section")) {
        std::vector<int> sec = h.rope["mrope_section"].get<std::vector<int>>();
        while (sec.size() < 4) sec.push_back(0);  // padded to (t, h, w, extra)
        sec.resize(4);
        w.set("rope.dimension_sections", gw::v_array(gw::t_int32, i32_array(sec)));
    }
    if (rp.contains("rope_theta") && !rp["rope_theta"].is_null())
        w.f32("rope.freq_base", rp["rope_theta"].get<double>());
    if (h.rope.contains("sliding_attention") && h.rope["sliding_attention"].contains("rope_theta"))
        w.f32("rope.freq_base_swa", h.rope["sliding_attention"]["rope_theta"].get<double>());
    if (h.has("head_dim")) w.u32("attention.key_length", c["head_dim"]);
}

// head_dim, else hidden_size // num_attention_heads (the converters' rope_dim).
inline std::uint32_t head_dim_of(const hparams& h) {
    if (h.has("head_dim")) return h.c["head_dim"].get<std::uint32_t>();
    return static_cast<std::uint32_t>(h.integer("hidden_size") / h.integer("num_attention_heads"));
}

// Llama 3 per-pair divisors (LlamaModel / Exaone4Model.generate_extra_tensors): the float32
// frequencies 1 / base^(arange(0, dim, 2) / dim), as torch computes them, then per pair 1 (short
// wavelengths), factor (long ones), else 1 / ((1 - smooth) / factor + smooth), stored float32.
inline std::vector<float> llama3_rope_freqs(const json& rp, double base, std::uint32_t dim,
                                            double default_factor, double old_context_len) {
    const double factor = rp.value("factor", default_factor);
    const double low = rp.value("low_freq_factor", 1.0);
    const double high = rp.value("high_freq_factor", 4.0);
    std::vector<float> out;
    for (std::uint32_t i = 0; i < dim; i += 2) {
        const float freq = 1.0f / std::pow(static_cast<float>(base),
                                           static_cast<float>(i) / static_cast<float>(dim));
        const double wavelen = 2 * M_PI / static_cast<double>(freq);
        if (wavelen < old_context_len / high)
            out.push_back(1.0f);
        else if (wavelen > old_context_len / low)
            out.push_back(static_cast<float>(factor));
        else {
            const double smooth = (old_context_len / wavelen - low) / (high - low);
            out.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
        }
    }
    return out;
}

// add_sliding_window_pattern(list of bool).
inline gw::value bool_array(const std::vector<bool>& v) {
    std::vector<gw::value> out;
    for (bool b : v) out.push_back(gw::v_bool(b));
    return gw::v_array(gw::t_bool, out);
}

// What the file stores as float32 moves the table off transformers' by this much, relative,
// on top of both methods' contracts (0: every stored value is a float32).
struct storage_bound {
    double inv_freq = 0.0;  ///< relative, per inv_freq entry
    double factor = 0.0;    ///< relative, attention factor and logit scale
    double beta = 0.0;      ///< relative, the query scale's beta
    const char* why = "every value the file stores is exact";
};

struct converted {
    std::string converter;  // class (method) of convert_hf_to_gguf.py
    gguf_out out;
    storage_bound bound;
};

// Layer counts of the published configs that the RoPE-only bundled files leave out (the
// converter takes num_hidden_layers from the full config.json).
inline std::uint32_t published_layers(const std::string& name) {
    static const std::map<std::string, std::uint32_t> n = {
        {"CodeLlama-7b.json", 32},        {"DeepSeek-V2-Lite.json", 27},
        {"Mistral-7B.json", 32},          {"Phi-3-mini-128k-instruct.json", 32},
        {"Yarn-Llama-2-7b-64k.json", 32}, {"gpt-oss-20b.json", 24},
    };
    auto it = n.find(name);
    return it == n.end() ? 0 : it->second;
}

// The Hugging Face architecture the converter dispatches on (get_model_architecture: the
// config's `architectures[0]`, text_config's when it has one); the RoPE-only bundled files
// that dropped the key name it in their SOURCES.md row (the published value).
inline std::string hf_architecture(const std::string& name, const json& raw) {
    static const std::map<std::string, std::string> published = {
        {"CodeLlama-7b.json", "LlamaForCausalLM"},
        {"DeepSeek-V2-Lite.json", "DeepseekV2ForCausalLM"},
        {"Ministral-3-3B-2512.json", "Mistral3ForConditionalGeneration"},
        {"Mistral-7B.json", "MistralForCausalLM"},
        {"Phi-3-mini-128k-instruct.json", "Phi3ForCausalLM"},
        {"Yarn-Llama-2-7b-64k.json", "LlamaForCausalLM"},
        {"gpt-oss-20b.json", "GptOssForCausalLM"},
    };
    std::string arch;
    if (raw.contains("architectures") && raw["architectures"].is_array() &&
        !raw["architectures"].empty())
        arch = raw["architectures"][0].get<std::string>();
    if (raw.contains("text_config") && raw["text_config"].is_object() &&
        raw["text_config"].contains("architectures") &&
        raw["text_config"]["architectures"].is_array() &&
        !raw["text_config"]["architectures"].empty())
        arch = raw["text_config"]["architectures"][0].get<std::string>();
    if (arch.empty()) {
        auto it = published.find(name);
        if (it != published.end()) arch = it->second;
    }
    return arch;
}

// Bundled configs the converter does not convert, each with the reason.
inline const std::map<std::string, std::string>& not_converted() {
    static const std::map<std::string, std::string> m = {
        {"Llama-3.2-90B-Vision-Instruct.json",
         "MllamaForConditionalGeneration: convert_hf_to_gguf.py registers no class for it "
         "(\"Model MllamaForConditionalGeneration is not supported\")"},
        {"gpt-oss-20b-original.json",
         "OpenAI's original/config.json has no `architectures` (get_model_architecture: \"Failed "
         "to detect model architecture\"); the converter reads the checkpoint's transformers "
         "config.json, bundled as gpt-oss-20b.json"},
    };
    return m;
}

// convert_hf_to_gguf.py on one bundled config, RoPE keys and tensors only.
inline std::optional<converted> convert_json(const std::string& name, const json& raw) {
    const std::string hf_arch = hf_architecture(name, raw);
    converted cv;
    gguf_out& w = cv.out;
    json defaults = json::object();
    if (hf_arch == "Gemma3ForConditionalGeneration")
        defaults = {{"rope_local_base_freq", 10000.0}};  // Gemma3TextConfig's default
    const hparams h = make_hparams(raw, defaults);
    const json& c = h.c;
    const json rp = h.full();
    // self.block_count = find_hparam(["n_layers", "num_hidden_layers", "n_layer", "num_layers"])
    const std::uint32_t n_layer = c.contains("num_hidden_layers")
                                      ? c["num_hidden_layers"].get<std::uint32_t>()
                                      : published_layers(name);
    auto start = [&](const char* arch, const char* cls) {
        w.arch = arch;
        w.file.kv("general.architecture", gw::v_str(arch));
        cv.converter = cls;
    };

    if (hf_arch == "LlamaForCausalLM" || hf_arch == "MistralForCausalLM" ||
        hf_arch == "SmolLM3ForCausalLM" || hf_arch == "Mistral3ForConditionalGeneration") {
        if (hf_arch == "SmolLM3ForCausalLM")
            start("smollm3", "SmolLM3Model (LlamaModel)");
        else if (hf_arch == "Mistral3ForConditionalGeneration")
            start("mistral3", "Mistral3Model.Ministral3Model (LlamaModel)");
        else
            start("llama", "LlamaModel");
        text_model(w, h, n_layer);
        // LlamaModel.set_gguf_parameters: rope_dim = head_dim or hidden_size // heads.
        w.set("rope.dimension_count", gw::v_u32(head_dim_of(h)));
        // LlamaModel.generate_extra_tensors: Llama 3's divisors as rope_freqs.weight (base from
        // the rope section, default 10000; the original length from the top level, default
        // 8192; factor default 8).
        if (rp.value("rope_type", "") == "llama3") {
            const auto f =
                llama3_rope_freqs(rp, rp.value("rope_theta", 10000.0), head_dim_of(h), 8.0,
                                  c.value("original_max_position_embeddings", 8192.0));
            w.file.add(f32_tensor(rs::gguf_rope_freqs, f));
            cv.bound = {0x1p-20, 0.0, 0.0,
                        "the blend band's divisors come from float32 frequencies: up to "
                        "(L / wavelen) / (high - low) x 2^-23 x |1 - 1/s| relative, below 2^-20 "
                        "here, plus their float32 storage"};
        }
        if (hf_arch == "Mistral3ForConditionalGeneration") {
            // Ministral3Model.set_gguf_parameters: yarn_log_multiplier = mscale_all_dim,
            // attention.temperature_scale = llama_4_scaling_beta.
            w.f32("rope.scaling.yarn_log_multiplier", h.rope.at("mscale_all_dim").get<double>());
            w.f32("attention.temperature_scale", h.rope.at("llama_4_scaling_beta").get<double>());
            cv.bound.beta = 0x1p-24;
            cv.bound.why = "llama_4_scaling_beta stored as float32 (2^-24 relative)";
        }
    } else if (hf_arch == "DeepseekV2ForCausalLM" || hf_arch == "DeepseekV3ForCausalLM") {
        start("deepseek2", "DeepseekV2Model");
        text_model(w, h, n_layer);
        // key_length = kv_lora_rank (default 512) + qk_rope_head_dim; n_rot = qk_rope_head_dim.
        const std::uint32_t rope_dim = c.at("qk_rope_head_dim").get<std::uint32_t>();
        w.set("attention.key_length", gw::v_u32(c.value("kv_lora_rank", 512u) + rope_dim));
        w.set("rope.dimension_count", gw::v_u32(rope_dim));
        if (h.rope.contains("mscale_all_dim"))
            w.f32("rope.scaling.yarn_log_multiplier", 0.1 * h.rope["mscale_all_dim"].get<double>());
        cv.bound = {0.0, 0x1p-22, 0.0,
                    "mscale_all_dim comes back through float32 and / 0.1: 2^-23 relative, so "
                    "the logit scale (0.1 m ln s + 1)^2 within 2^-22"};
    } else if (hf_arch == "Exaone4ForCausalLM") {
        start("exaone4", "Exaone4Model");
        text_model(w, h, n_layer);
        if (h.has("sliding_window")) {
            w.u32("attention.sliding_window", c["sliding_window"]);
            std::vector<bool> swa;
            for (const json& t : c.at("layer_types")) swa.push_back(t == "sliding_attention");
            w.set("attention.sliding_window_pattern", bool_array(swa));
        }
        // Exaone4Model.generate_extra_tensors: Llama 3's divisors (factor default 16).
        if (rp.value("rope_type", "") == "llama3") {
            const auto f =
                llama3_rope_freqs(rp, rp.value("rope_theta", 10000.0), head_dim_of(h), 16.0,
                                  c.value("original_max_position_embeddings", 8192.0));
            w.file.add(f32_tensor(rs::gguf_rope_freqs, f));
            cv.bound = {0x1p-20, 0.0, 0.0,
                        "the blend band's divisors come from float32 frequencies (below 2^-20 "
                        "relative, as Llama 3.1) plus their float32 storage"};
        }
    } else if (hf_arch == "Glm4MoeForCausalLM") {
        start("glm4moe", "Glm4MoeModel");
        // block_count = num_hidden_layers + num_nextn_predict_layers (the MTP layers).
        text_model(w, h, n_layer + c.value("num_nextn_predict_layers", 0u));
        if (c.contains("num_nextn_predict_layers"))
            w.u32("nextn_predict_layers", c["num_nextn_predict_layers"]);
        w.set("rope.dimension_count", gw::v_u32(static_cast<std::uint32_t>(
                                          head_dim_of(h) * c.value("partial_rotary_factor", 0.5))));
    } else if (hf_arch == "HunYuanMoEV1ForCausalLM") {
        start("hunyuan-moe", "HunYuanMoEModel");
        text_model(w, h, n_layer);
        if (h.rope.value("rope_type", "") == "dynamic") {
            // NTK alpha: base * alpha^(dim / (dim - 2)) in Python floats, written as float32,
            // scaling none with factor 1, 256k context.
            const double alpha = h.rope.value("alpha", 1000.0);
            const double base = h.rope.value("rope_theta", 10000.0);
            const double dim =
                static_cast<double>(h.integer("hidden_size") / h.integer("num_attention_heads"));
            w.f32("rope.freq_base", base * std::pow(alpha, dim / (dim - 2)));
            w.set("rope.scaling.type", gw::v_str("none"));
            w.f32("rope.scaling.factor", 1.0);
            w.set("rope.scaling.original_context_length", gw::v_u32(256 * 1024));
            w.set("context_length", gw::v_u32(256 * 1024));
            cv.bound = {0x1p-24, 0.0, 0.0,
                        "the scaled base b' is not a float32: b'^(-2i/d) moves by at most "
                        "(2i/d) x 2^-24 relative"};
        }
    } else if (hf_arch == "Olmo2ForCausalLM" || hf_arch == "Olmo3ForCausalLM") {
        start("olmo2", "Olmo2Model");
        text_model(w, h, n_layer);
        if (c.contains("sliding_window")) {
            w.u32("attention.sliding_window", c["sliding_window"]);
            std::vector<bool> swa;
            if (c.contains("layer_types"))
                for (const json& t : c["layer_types"]) swa.push_back(t == "sliding_attention");
            else
                for (std::uint32_t i = 0; i < n_layer; ++i) swa.push_back((i + 1) % 4 != 0);
            w.set("attention.sliding_window_pattern", bool_array(swa));
        }
        if (rp.contains("attention_factor"))
            cv.bound = {0.0, 0x1p-24, 0.0, "attention_factor stored as float32 (2^-24 relative)"};
    } else if (hf_arch == "Phi3ForCausalLM") {
        start("phi3", "Phi3MiniModel");
        // Phi3MiniModel.set_gguf_parameters (not TextModel's).
        const auto n_embd = c.at("hidden_size").get<std::uint32_t>();
        const auto n_head = c.at("num_attention_heads").get<std::uint32_t>();
        const double rot_pct = c.value("partial_rotary_factor", 1.0);
        const auto rope_dims = static_cast<std::uint32_t>(rot_pct * n_embd) / n_head;
        const auto max_pos = c.at("max_position_embeddings").get<std::uint32_t>();
        const auto orig = c.at("original_max_position_embeddings").get<std::uint32_t>();
        w.set("context_length", gw::v_u32(max_pos));
        w.set("rope.scaling.original_context_length", gw::v_u32(orig));
        w.set("embedding_length", gw::v_u32(n_embd));
        w.set("block_count", gw::v_u32(n_layer));
        w.set("attention.head_count", gw::v_u32(n_head));
        w.set("rope.dimension_count", gw::v_u32(rope_dims));
        w.f32("rope.freq_base", rp.at("rope_theta").get<double>());
        // generate_extra_tensors: the raw rope_scaling; LongRoPE's attention factor and lists.
        if (c.contains("rope_scaling") && c["rope_scaling"].is_object()) {
            const json& r = c["rope_scaling"];
            const double scale = static_cast<double>(max_pos) / orig;
            const double attn =
                scale > 1.0 ? std::sqrt(1 + std::log(scale) / std::log(static_cast<double>(orig)))
                            : 1.0;
            w.f32("rope.scaling.attn_factor", attn);
            w.file.add(f32_tensor(rs::gguf_rope_factors_long,
                                  r.at("long_factor").get<std::vector<float>>()));
            w.file.add(f32_tensor(rs::gguf_rope_factors_short,
                                  r.at("short_factor").get<std::vector<float>>()));
            cv.bound = {0x1p-24, 0.0, 0.0,
                        "the LongRoPE lists stored as float32: each factor within 2^-24 relative"};
        }
    } else if (hf_arch == "Qwen2ForCausalLM") {
        start("qwen2", "Qwen2Model");
        text_model(w, h, n_layer);
    } else if (hf_arch == "Qwen2_5_VLForConditionalGeneration") {
        start("qwen2vl", "Qwen2VLModel");
        text_model(w, h, n_layer);
    } else if (hf_arch == "Qwen3ForCausalLM") {
        start("qwen3", "Qwen3Model");
        text_model(w, h, n_layer);
    } else if (hf_arch == "Qwen3VLForConditionalGeneration") {
        start("qwen3vl", "Qwen3VLTextModel (Qwen3Model)");
        text_model(w, h, n_layer);
    } else if (hf_arch == "CohereForCausalLM") {
        start("command-r", "CommandR2Model");
        hparams hc = h;  // max_position_embeddings = model_max_length or max_position_embeddings
        if (const json* m = find_hparam(c, {"model_max_length", "max_position_embeddings"}))
            hc.c["max_position_embeddings"] = *m;
        text_model(w, hc, n_layer);
        w.set("rope.scaling.type", gw::v_str("none"));
    } else if (hf_arch == "Gemma2ForCausalLM") {
        start("gemma2", "Gemma2Model");
        w.u32("context_length", c.at("max_position_embeddings"));
        w.u32("embedding_length", c.at("hidden_size"));
        w.set("block_count", gw::v_u32(n_layer));
        w.u32("attention.head_count", c.at("num_attention_heads"));
        w.u32("attention.key_length", c.at("head_dim"));
        w.u32("attention.sliding_window", c.at("sliding_window"));
    } else if (hf_arch == "Gemma3ForConditionalGeneration" ||
               hf_arch == "Gemma4ForConditionalGeneration") {
        const bool g4 = hf_arch == "Gemma4ForConditionalGeneration";
        if (g4)
            start("gemma4", "Gemma4Model (Gemma3Model)");
        else
            start("gemma3", "Gemma3Model");
        // Gemma3Model.set_gguf_parameters: TextModel's, then its own defaults.
        text_model(w, h, n_layer);
        w.set("context_length", gw::v_u32(c.value("max_position_embeddings", 131072u)));
        w.set("attention.head_count", gw::v_u32(c.value("num_attention_heads", 8u)));
        w.set("attention.key_length", gw::v_u32(c.value("head_dim", 256u)));
        w.f32("rope.freq_base", rp.value("rope_theta", 1000000.0));
        if (g4) {
            // Gemma4Model.set_gguf_parameters and generate_extra_tensors.
            std::vector<bool> swa;
            for (const json& t : c.at("layer_types")) swa.push_back(t == "sliding_attention");
            w.set("attention.sliding_window_pattern", bool_array(swa));
            const auto hd_full = c.at("global_head_dim").get<std::uint32_t>();
            const auto hd_swa = c.at("head_dim").get<std::uint32_t>();
            w.set("attention.key_length", gw::v_u32(hd_full));
            w.set("attention.key_length_swa", gw::v_u32(hd_swa));
            w.set("rope.dimension_count", gw::v_u32(hd_full));
            w.set("rope.dimension_count_swa", gw::v_u32(static_cast<std::uint32_t>(
                                                  hd_swa * c.value("partial_rotary_factor", 1.0))));
            const double prf = h.rope.at("full_attention").at("partial_rotary_factor");
            const auto n_rot = static_cast<std::size_t>(hd_full * prf / 2);
            std::vector<float> fr(hd_full / 2, 1e30f);
            std::fill(fr.begin(), fr.begin() + static_cast<std::ptrdiff_t>(n_rot), 1.0f);
            w.file.add(f32_tensor(rs::gguf_rope_freqs, fr));
        }
    } else if (hf_arch == "GptOssForCausalLM") {
        start("gpt-oss", "GptOssModel");
        text_model(w, h, n_layer);
        w.u32("attention.sliding_window", c.at("sliding_window"));
    } else if (hf_arch == "InternLM2ForCausalLM") {
        start("internlm2", "InternLM2Model");
        text_model(w, h, n_layer);
    } else if (hf_arch == "StableLmForCausalLM") {
        start("stablelm", "StableLMModel");
        // StableLMModel.set_gguf_parameters (not TextModel's): no freq_base.
        w.u32("context_length", c.at("max_position_embeddings"));
        w.u32("embedding_length", c.at("hidden_size"));
        w.set("block_count", gw::v_u32(n_layer));
        const json* rf = find_hparam(c, {"partial_rotary_factor", "rope_pct"});
        w.set("rope.dimension_count",
              gw::v_u32(static_cast<std::uint32_t>(
                  rf->get<double>() * static_cast<double>(h.integer("hidden_size") /
                                                          h.integer("num_attention_heads")))));
        w.u32("attention.head_count", c.at("num_attention_heads"));
    } else {
        return std::nullopt;
    }
    return cv;
}

}  // namespace hf_to_gguf

#endif  // ROPESCALE_TESTS_GGUF_HF_TO_GGUF_HPP
