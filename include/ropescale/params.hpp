// SPDX-License-Identifier: MIT
//
// The parameters of every RoPE scaling method, as named aggregates in the community's
// vocabulary (Hugging Face `rope_parameters` keys; the YaRN authors' constructor arguments
// where transformers has no equivalent). "Not provided" is std::optional, never a sentinel.
//
// Notation used throughout the documentation:
//   d      rotary dimension (even), pairs i = 0 .. d/2 - 1
//   b      base, `rope_theta`
//   theta_i = b^(-2i/d), the plain inverse frequency of pair i
//   s      scale factor (`factor`), L the original (pre-training) context length
#ifndef ROPESCALE_PARAMS_HPP
#define ROPESCALE_PARAMS_HPP

#include "config.hpp"

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Plain RoPE (Su et al. 2021): inv_freq[i] = theta_i, attention factor 1.
/// Matches transformers `_compute_default_rope_parameters` ("default").
struct plain {};

/// Linear scaling / Position Interpolation (Chen et al. 2023, Eq. 4):
/// inv_freq[i] = theta_i / factor. transformers "linear" divides the frequencies; the YaRN
/// authors and vLLM divide positions instead, which is the same angle.
struct linear {
    double factor = 1.0;  ///< s >= 1
};

/// NTK-aware scaling with a fixed alpha (YaRN paper Definition 1, Eq. 16; the YaRN authors'
/// `LlamaNTKScaledRotaryEmbedding`): plain RoPE with base b' = b * alpha^(d / (d - 2)).
struct ntk_aware {
    double alpha = 1.0;  ///< >= 1
};

/// Dynamic NTK (transformers "dynamic", the YaRN authors' `LlamaDynamicScaledRotaryEmbedding`
/// with `ntk=factor`): evaluated at a sequence length l,
///   b' = b * ((s * l' / L) - (s - 1))^(d / (d - 2)),  l' = max(l, L),
/// with L = `max_position_embeddings` (transformers uses the model's max_position_embeddings
/// as the original context here, not `original_max_position_embeddings`).
/// When to re-evaluate is the engine's policy: see dynamic_length_tracker in frequencies.hpp.
struct dynamic_ntk {
    double factor = 1.0;                       ///< s >= 1
    std::int64_t max_position_embeddings = 0;  ///< L > 0
};

/// NTK-by-parts as released by the YaRN authors (`LlamaPartNTKScaledRotaryEmbedding`; YaRN
/// paper Definition 2 with the code's pair-index ramp). Two blends, both ramps floored/ceiled:
///   1. between the linear table theta_i/s and the NTK table (base b*s^(d/(d-2))) over the
///      correction range of (beta_0, beta_1) rotations, weight (1 - ramp) * ntk_factor;
///   2. between that and the plain table over the range of (gamma_0, gamma_1) rotations,
///      weight (1 - ramp) * extrapolation_factor.
/// No attention factor. The four constants are the authors' hard-coded LLaMA values.
struct ntk_by_parts {
    double factor = 1.0;                                ///< s >= 1
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
    double ntk_factor = 1.0;
    double extrapolation_factor = 1.0;
    double beta_0 = 1.25;
    double beta_1 = 0.75;
    double gamma_0 = 16.0;
    double gamma_1 = 2.0;
};

/// YaRN (Peng et al. 2023, Definition 3) with transformers' current semantics, plus the YaRN
/// authors' two extra knobs. Frequencies: inv = (theta_i/s)(1 - w_i) + theta_i w_i with
/// w_i = (1 - ramp(i)) * extrapolation_factor, ramp linear over pair index between the
/// correction dims of beta_fast and beta_slow (floored/ceiled when `truncate`).
/// Attention factor (multiplies cos and sin):
///   `attention_factor` if given; else if `mscale` and `mscale_all_dim` are both non-zero,
///   get_mscale(s, mscale) / get_mscale(s, mscale_all_dim) (DeepSeek); else get_mscale(s);
///   then times `attn_factor` (the YaRN authors' multiplier, 1 in transformers).
/// Logit scale (DeepSeek): get_mscale(s, mscale_all_dim)^2 when `mscale_all_dim` is non-zero.
struct yarn {
    double factor = 1.0;                                ///< s >= 1
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
    double beta_fast = 32.0;                            ///< > 0, >= beta_slow
    double beta_slow = 1.0;                             ///< > 0
    bool truncate = true;                               ///< floor/ceil the correction range
    std::optional<double> attention_factor;             ///< replaces the computed factor
    std::optional<double> mscale;                       ///< DeepSeek
    std::optional<double> mscale_all_dim;               ///< DeepSeek
    double extrapolation_factor = 1.0;                  ///< YaRN authors; 1 in transformers
    double attn_factor = 1.0;                           ///< YaRN authors; multiplies
};

/// Dynamic YaRN, the YaRN authors' `LlamaDynamicYaRNScaledRotaryEmbedding`: at sequence length
/// l the table is YaRN with scale
///   s = l / L                          if l > max_position_embeddings,
///   s = max_position_embeddings / L    otherwise, if `finetuned`,
///   s = 1 (plain RoPE, factor 1)       otherwise.
/// The correction range always uses L = original_max_position_embeddings; always truncated.
struct dynamic_yarn {
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
    std::int64_t max_position_embeddings = 0;           ///< > 0
    bool finetuned = false;
    double beta_fast = 32.0;
    double beta_slow = 1.0;
    double extrapolation_factor = 1.0;
    double attn_factor = 1.0;
};

/// Llama 3.1 ("llama3"; Meta llama-models `apply_scaling`, transformers
/// `_compute_llama3_parameters`). With wavelength w_i = 2 pi / theta_i:
///   w < L/high_freq_factor: theta_i;  w > L/low_freq_factor: theta_i / s;
///   otherwise (1 - a) theta_i / s + a theta_i, a = (L/w - low) / (high - low).
/// No attention factor.
struct llama3 {
    double factor = 1.0;                                ///< s >= 1
    double low_freq_factor = 1.0;                       ///< > 0
    double high_freq_factor = 4.0;                      ///< > low_freq_factor
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
};

/// Which LongRoPE factor list a table uses.
enum class longrope_factors { short_factors, long_factors };

/// LongRoPE ("longrope", formerly "su"; Phi-3). inv_freq[i] = 1 / (ext[i] * b^(2i/d)) with ext
/// the short or long list (length d/2), chosen by the caller (table_options) or, by default,
/// by transformers' rule: long iff seq_len > original_max_position_embeddings.
/// Attention factor: `attention_factor` if given, else sqrt(1 + ln f / ln L) for f > 1 and 1
/// otherwise, with f = `factor` if given, else max_position_embeddings / L.
struct longrope {
    std::vector<double> short_factor;                     ///< d/2 entries, each > 0
    std::vector<double> long_factor;                      ///< d/2 entries, each > 0
    std::int64_t original_max_position_embeddings = 0;    ///< L > 0
    std::optional<double> factor;                         ///< > 0
    std::optional<std::int64_t> max_position_embeddings;  ///< needed when factor is absent
    std::optional<double> attention_factor;               ///< > 0, replaces the computed one
};

/// One of the supported methods.
using scaling_method = std::variant<plain, linear, ntk_aware, dynamic_ntk, ntk_by_parts, yarn,
                                    dynamic_yarn, llama3, longrope>;

/// Everything needed to build a frequency table.
///
/// The rotary dimension d is `rotary_dim` if given, else int(head_dim * partial_rotary_factor)
/// (truncated like Python's int(), as transformers does) if that is given, else head_dim.
/// Channels [d, head_dim) pass through the rotation unchanged (partial rotary).
struct rope_config {
    int head_dim = 0;             ///< even, > 0
    double rope_theta = 10000.0;  ///< b > 1
    scaling_method scaling = plain{};
    std::optional<int> rotary_dim;                ///< even, in (0, head_dim]
    std::optional<double> partial_rotary_factor;  ///< in (0, 1]
};

/// Where a dynamic or switching method is evaluated.
struct table_options {
    /// Current sequence length l (transformers: max(position_ids) + 1). Dynamic methods without
    /// it give their initial table (l = max_position_embeddings), as the references do at init.
    std::optional<std::int64_t> seq_len;
    /// LongRoPE list; when absent it follows transformers' rule on seq_len (short without one).
    std::optional<longrope_factors> longrope;
};

/// The rope_type string of a method as transformers spells it ("default", "linear",
/// "dynamic", "yarn", "llama3", "longrope"); library names for the methods transformers lacks
/// ("ntk_aware", "ntk_by_parts", "dynamic_yarn").
inline const char* method_name(const scaling_method& m) noexcept {
    switch (m.index()) {
        case 0: return "default";
        case 1: return "linear";
        case 2: return "ntk_aware";
        case 3: return "dynamic";
        case 4: return "ntk_by_parts";
        case 5: return "yarn";
        case 6: return "dynamic_yarn";
        case 7: return "llama3";
        case 8: return "longrope";
    }
    return "unknown";
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_PARAMS_HPP
