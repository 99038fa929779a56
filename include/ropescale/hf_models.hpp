// SPDX-License-Identifier: MIT
//
// What the config.json reader (hf_config.hpp) knows about particular model types, in one place
// and without any JSON dependency: the defaults transformers' configuration classes apply when
// a key is absent, which composite (multimodal) configurations hold their language model under
// which model type, how each family lays out its layers (layer types, layers without RoPE,
// sliding-window tables), which attention code multiplies the softmax scale by DeepSeek's
// get_mscale(s, mscale_all_dim)^2, and which applies a position-dependent query scale.
//
// Every entry names the transformers v5 class (configuration or attention) it comes from. A
// model type not listed here gets the generic rules of transformers' PreTrainedConfig.
#ifndef ROPESCALE_HF_MODELS_HPP
#define ROPESCALE_HF_MODELS_HPP

#include "config.hpp"
#include "mrope_positions.hpp"

#include <cstdint>
#include <string_view>

ROPESCALE_BEGIN_NAMESPACE

/// A default a transformers configuration class applies when config.json lacks the key.
/// `value` is JSON text (a number, `true`, or an object for a whole rope section).
struct hf_model_default {
    const char* model_type;    ///< the configuration class's model_type
    const char* key;           ///< the config.json key
    const char* value;         ///< JSON text of the default
    const char* config_class;  ///< transformers v5 configuration class
};

/// The model-type defaults the reader applies (transformers v5 configuration classes' field
/// defaults, `default_theta` for rope_theta).
inline constexpr hf_model_default hf_model_defaults[] = {
    {"gemma3_text", "rope_theta", "1000000.0", "Gemma3TextConfig"},
    {"gemma3_text", "rope_local_base_freq", "10000.0", "Gemma3TextConfig"},
    {"gemma3_text", "sliding_window_pattern", "6", "Gemma3TextConfig"},
    {"gemma3_text", "head_dim", "256", "Gemma3TextConfig"},
    {"gemma3_text", "num_hidden_layers", "26", "Gemma3TextConfig"},
    {"gemma3_text", "max_position_embeddings", "131072", "Gemma3TextConfig"},
    {"gemma4_text", "head_dim", "256", "Gemma4TextConfig"},
    {"gemma4_text", "global_head_dim", "512", "Gemma4TextConfig"},
    {"gemma4_text", "rope_parameters",
     R"({"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},)"
     R"( "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25,)"
     R"( "rope_theta": 1000000.0}})",
     "Gemma4TextConfig"},
    {"gpt_oss", "rope_theta", "150000.0", "GptOssConfig"},
    {"gpt_oss", "head_dim", "64", "GptOssConfig"},
    {"gpt_oss", "max_position_embeddings", "131072", "GptOssConfig"},
    {"gpt_oss", "rope_parameters",
     R"({"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,)"
     R"( "truncate": false, "original_max_position_embeddings": 4096})",
     "GptOssConfig"},
    {"llama4_text", "rope_theta", "500000.0", "Llama4TextConfig"},
    {"llama4_text", "head_dim", "128", "Llama4TextConfig"},
    {"llama4_text", "num_hidden_layers", "48", "Llama4TextConfig"},
    {"llama4_text", "max_position_embeddings", "131072", "Llama4TextConfig"},
    {"llama4_text", "no_rope_layer_interval", "4", "Llama4TextConfig"},
    {"llama4_text", "attn_temperature_tuning", "true", "Llama4TextConfig"},
    {"llama4_text", "floor_scale", "8192", "Llama4TextConfig"},
    {"llama4_text", "attn_scale", "0.1", "Llama4TextConfig"},
    {"smollm3", "rope_theta", "2000000.0", "SmolLM3Config"},
    {"smollm3", "num_hidden_layers", "36", "SmolLM3Config"},
    {"smollm3", "max_position_embeddings", "32768", "SmolLM3Config"},
    {"smollm3", "no_rope_layer_interval", "4", "SmolLM3Config"},
    {"exaone4", "sliding_window", "4096", "Exaone4Config"},
    {"exaone4", "sliding_window_pattern", "4", "Exaone4Config"},
    {"exaone4", "num_hidden_layers", "32", "Exaone4Config"},
    {"exaone4", "max_position_embeddings", "2048", "Exaone4Config"},
    {"cohere2", "sliding_window", "4096", "Cohere2Config"},
    {"cohere2", "sliding_window_pattern", "4", "Cohere2Config"},
    {"cohere2", "num_hidden_layers", "40", "Cohere2Config"},
    {"cohere2", "max_position_embeddings", "8192", "Cohere2Config"},
    {"olmo3", "rope_theta", "500000.0", "Olmo3Config"},
    {"olmo3", "sliding_window", "4096", "Olmo3Config"},
    {"olmo3", "num_hidden_layers", "32", "Olmo3Config"},
    {"olmo3", "max_position_embeddings", "2048", "Olmo3Config"},
    {"qwen2_vl_text", "rope_theta", "1000000.0", "Qwen2VLTextConfig"},
    {"qwen2_vl_text", "max_position_embeddings", "32768", "Qwen2VLTextConfig"},
};

/// The default of `key` for `model_type`, or nullptr.
inline const hf_model_default* find_model_default(std::string_view model_type,
                                                  std::string_view key) noexcept {
    for (const hf_model_default& d : hf_model_defaults)
        if (model_type == d.model_type && key == d.key) return &d;
    return nullptr;
}

/// A composite configuration whose language model is a configuration class of its own: the
/// model type of its text part when the nested config (or, for the flat older layout, the
/// top level) does not name one.
struct hf_composite_model {
    const char* model_type;       ///< the outer model_type
    const char* text_model_type;  ///< the model_type of its text configuration class
    const char* config_class;     ///< transformers v5 class whose sub_configs say so
};

inline constexpr hf_composite_model hf_composite_models[] = {
    {"gemma3", "gemma3_text", "Gemma3Config"},
    {"gemma4", "gemma4_text", "Gemma4Config"},
    {"llama4", "llama4_text", "Llama4Config"},
    {"qwen2_vl", "qwen2_vl_text", "Qwen2VLConfig"},
};

/// The text model type of a composite model type, or nullptr.
inline const hf_composite_model* find_composite_model(std::string_view model_type) noexcept {
    for (const hf_composite_model& c : hf_composite_models)
        if (model_type == c.model_type) return &c;
    return nullptr;
}

/// The M-RoPE form a model's rotary code applies, whatever config.json's `mrope_interleaved`
/// says (transformers decides by the model class; vLLM reads the key), and the sections it
/// takes when `mrope_section` is absent (nullptr: none, the key is required).
/// Also the model's position-id rules (mrope_positions.hpp): its layout, and the defaults of
/// its vision configuration class for the two keys the layout reads.
struct hf_mrope_model {
    const char* model_type;       ///< the text model's model_type
    bool interleaved;             ///< Qwen3-VL's interleaving (else chunked)
    const char* default_section;  ///< JSON text of the default `mrope_section`, or nullptr
    const char* function;         ///< the transformers v5 code that rotates
    mrope_model positions;        ///< the position-id layout (get_rope_index)
    const char* vision_class;     ///< the transformers vision configuration class
    /// vision_config.tokens_per_second when absent (0: the layout does not read it).
    double tokens_per_second_default;
};

inline constexpr hf_mrope_model hf_mrope_models[] = {
    {"qwen2_vl_text", false, nullptr, "Qwen2VL apply_multimodal_rotary_pos_emb",
     mrope_model::qwen2_vl, "Qwen2VLVisionConfig", 0.0},
    {"qwen2_5_vl", false, nullptr, "Qwen2_5_VL apply_multimodal_rotary_pos_emb",
     mrope_model::qwen2_5_vl, "Qwen2_5_VLVisionConfig", 4.0},
    {"qwen2_5_vl_text", false, nullptr, "Qwen2_5_VL apply_multimodal_rotary_pos_emb",
     mrope_model::qwen2_5_vl, "Qwen2_5_VLVisionConfig", 4.0},
    {"qwen3_vl_text", true, "[24, 20, 20]", "Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope",
     mrope_model::qwen3_vl, "Qwen3VLVisionConfig", 0.0},
    {"qwen3_vl_moe_text", true, nullptr, "Qwen3VLMoeTextRotaryEmbedding.apply_interleaved_mrope",
     mrope_model::qwen3_vl, "Qwen3VLMoeVisionConfig", 0.0},
};

/// The M-RoPE rule of a text model type, or nullptr (the keys then decide).
inline const hf_mrope_model* find_mrope_model(std::string_view model_type) noexcept {
    for (const hf_mrope_model& m : hf_mrope_models)
        if (model_type == m.model_type) return &m;
    return nullptr;
}

/// How a family names its layers when config.json has no `layer_types` list.
enum class hf_layer_types_rule {
    given_only,       ///< only an explicit `layer_types` list
    sliding_pattern,  ///< full_attention iff (i + 1) % n == 0, else sliding_attention
    rope_chunked,     ///< Llama 4: chunked_attention for RoPE layers, full_attention for NoPE
};

/// Which layers apply no rotation at all.
enum class hf_nope_rule {
    none,                    ///< every layer rotates
    no_rope_layers,          ///< `no_rope_layers[i] == 0` (else from no_rope_layer_interval)
    full_if_sliding_window,  ///< full_attention layers when `sliding_window` is set (EXAONE 4)
    unless_sliding,          ///< every layer but sliding_attention ones with a window (Cohere 2)
    cross_attention_layers,  ///< the layers `cross_attention_layers` lists (Mllama cross-attention)
};

/// How the older flat files (one `rope_scaling`, no per-layer-type `rope_parameters`) give the
/// sliding-window layers their own table.
enum class hf_legacy_sliding {
    none,             ///< one table for every layer type
    local_base_freq,  ///< sliding layers: plain RoPE with base `rope_local_base_freq`
    class_theta,      ///< sliding layers: plain RoPE with the class default rope_theta
};

/// A family's layer layout.
struct hf_layer_rules {
    const char* model_type;
    hf_layer_types_rule layer_types;
    const char* pattern_key;       ///< key of n for sliding_pattern (nullptr: fixed)
    std::int64_t pattern_default;  ///< n when the key is absent
    hf_nope_rule nope;
    hf_legacy_sliding legacy;
    const char* source;  ///< transformers v5 classes the rule comes from
};

inline constexpr hf_layer_rules hf_layer_rule_table[] = {
    {"gemma3_text", hf_layer_types_rule::sliding_pattern, "sliding_window_pattern", 6,
     hf_nope_rule::none, hf_legacy_sliding::local_base_freq, "Gemma3TextConfig"},
    {"cohere2", hf_layer_types_rule::sliding_pattern, "sliding_window_pattern", 4,
     hf_nope_rule::unless_sliding, hf_legacy_sliding::none, "Cohere2Config, Cohere2Attention"},
    {"exaone4", hf_layer_types_rule::sliding_pattern, "sliding_window_pattern", 4,
     hf_nope_rule::full_if_sliding_window, hf_legacy_sliding::none,
     "Exaone4Config, Exaone4Attention"},
    {"gemma2", hf_layer_types_rule::sliding_pattern, nullptr, 2, hf_nope_rule::none,
     hf_legacy_sliding::none, "Gemma2Config"},
    {"olmo3", hf_layer_types_rule::sliding_pattern, nullptr, 4, hf_nope_rule::none,
     hf_legacy_sliding::class_theta, "Olmo3Config"},
    {"llama4_text", hf_layer_types_rule::rope_chunked, nullptr, 0, hf_nope_rule::no_rope_layers,
     hf_legacy_sliding::none, "Llama4TextConfig, Llama4TextAttention"},
    {"smollm3", hf_layer_types_rule::given_only, nullptr, 0, hf_nope_rule::no_rope_layers,
     hf_legacy_sliding::none, "SmolLM3Config, SmolLM3Attention"},
    {"mllama_text_model", hf_layer_types_rule::given_only, nullptr, 0,
     hf_nope_rule::cross_attention_layers, hf_legacy_sliding::none,
     "MllamaTextConfig, MllamaTextCrossAttention"},
};

/// The layer rules of `model_type`, or nullptr (generic: every layer rotates, one table unless
/// `rope_parameters` is per layer type).
inline const hf_layer_rules* find_layer_rules(std::string_view model_type) noexcept {
    for (const hf_layer_rules& r : hf_layer_rule_table)
        if (model_type == r.model_type) return &r;
    return nullptr;
}

/// Model types (and architectures) whose attention multiplies the softmax scale by
/// get_mscale(s, mscale_all_dim)^2 when the rope section has a non-zero `mscale_all_dim`
/// (transformers DeepseekV2Attention / DeepseekV3Attention; Kimi-K2 ships as DeepSeek-V3).
inline constexpr const char* hf_logit_scale_model_types[] = {"deepseek_v2", "deepseek_v3",
                                                             "kimi_k2"};
inline constexpr const char* hf_logit_scale_architectures[] = {"DeepseekV2ForCausalLM",
                                                               "DeepseekV3ForCausalLM"};

/// Whether model type `t` is in hf_logit_scale_model_types.
inline bool logit_scale_model_type(std::string_view t) noexcept {
    for (const char* m : hf_logit_scale_model_types)
        if (t == m) return true;
    return false;
}

/// Whether architecture `a` is in hf_logit_scale_architectures.
inline bool logit_scale_architecture(std::string_view a) noexcept {
    for (const char* m : hf_logit_scale_architectures)
        if (a == m) return true;
    return false;
}

/// Model types whose attention multiplies q by transformers `_get_llama_4_attn_scale` with the
/// rope section's `llama_4_scaling_beta` (Ministral3Attention).
inline constexpr const char* hf_llama_4_scaling_model_types[] = {"ministral3"};

/// Whether model type `t` is in hf_llama_4_scaling_model_types.
inline bool llama_4_scaling_model_type(std::string_view t) noexcept {
    for (const char* m : hf_llama_4_scaling_model_types)
        if (t == m) return true;
    return false;
}

/// Model types whose NoPE layers scale q by Llama 4's attention temperature
/// (Llama4TextAttention: `attn_temperature_tuning`, `floor_scale`, `attn_scale`).
inline bool llama4_temperature_model_type(std::string_view t) noexcept {
    return t == "llama4_text";
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_HF_MODELS_HPP
