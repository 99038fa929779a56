// SPDX-License-Identifier: MIT
//
// YaRN ("yarn").
#ifndef ROPESCALE_METHODS_YARN_HPP
#define ROPESCALE_METHODS_YARN_HPP

#include "plain.hpp"

#include <string>

ROPESCALE_BEGIN_NAMESPACE

/// YaRN (Peng, Quesnelle, Fan, Shippole 2023, arXiv 2309.00071, Definition 3) with
/// transformers' semantics, plus the YaRN authors' two extra knobs. The ramp runs over the
/// pair index, as in the released code (the paper writes it over r = L / wavelength):
///   range  = [low, high] = correction range of (beta_fast, beta_slow) rotations over the
///            original context L (floored/ceiled when `truncate`, clamped to [0, d - 1]);
///   w_i    = (1 - ramp(i)) * extrapolation_factor            (extrapolation weight)
///   inv[i] = (theta_i / s) (1 - w_i) + theta_i w_i           (pairs below low extrapolate)
/// Attention factor (multiplies cos and sin):
///   `attention_factor` if given; else if `mscale` and `mscale_all_dim` are both non-zero,
///   get_mscale(s, mscale) / get_mscale(s, mscale_all_dim) (DeepSeek); else get_mscale(s);
///   then times `attn_factor` (the YaRN authors' multiplier, 1 in transformers).
/// Logit scale (DeepSeek): get_mscale(s, mscale_all_dim)^2 when `mscale_all_dim` is non-zero
/// and `attention_scales_logits` (else 1).
/// References: transformers `_compute_yarn_parameters` (`factor` as configured, `truncate`,
/// `attention_factor` replaces, `mscale`/`mscale_all_dim` ratio); the YaRN authors'
/// `LlamaYaRNScaledRotaryEmbedding` (`extrapolation_factor`, `attn_factor` multiplies);
/// DeepSeek-V2/V3 attention (softmax scale times get_mscale(s, mscale_all_dim)^2).
/// Precision: inv_freq within 8 ulp of the formula; the factors within 4 ulp.
/// config.json: `original_max_position_embeddings` (section, else top level, else
/// max_position_embeddings, as transformers' standardisation); `factor` (else
/// max_position_embeddings / L; a warning when both are given, disagree, and the ratio is not
/// 1); every other member optional. Unlike transformers' `get(...) or 32`, an explicit 0
/// for a beta is passed through (and refused by validation). A null `truncate` reads as false,
/// as transformers' `get("truncate", True)` returns None (the reader warns).
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
    /// Whether the model's attention multiplies its softmax scale by
    /// get_mscale(s, mscale_all_dim)^2 (DeepSeek-V2/V3 attention; not a rope parameter): the
    /// table's logit_scale. The default true reports DeepSeek's factor whenever
    /// `mscale_all_dim` is non-zero; the config.json reader sets it from the model type
    /// (hf_models.hpp), so models whose attention does not do it report 1.
    bool attention_scales_logits = true;
};

namespace detail {
// The YaRN frequency blend, shared by static and dynamic YaRN. Returns the correction range.
inline correction_range yarn_frequencies(std::vector<double>& inv, int rotary_dim, double base,
                                         double scale, std::int64_t original, double beta_fast,
                                         double beta_slow, bool truncate,
                                         double extrapolation_factor) {
    const correction_range range =
        yarn_correction_range(beta_fast, beta_slow, rotary_dim, base, original, truncate);
    inv.resize(static_cast<std::size_t>(rotary_dim / 2));
    for (int i = 0; i < rotary_dim / 2; ++i) {
        const double pos_freq = base_power(base, rotary_dim, i);
        const double w = (1.0 - linear_ramp(i, range)) * extrapolation_factor;
        inv[static_cast<std::size_t>(i)] = blend(1.0 / (scale * pos_freq), 1.0 / pos_freq, w);
    }
    return range;
}

}  // namespace detail

template <>
struct method_traits<yarn> : method_traits_base<yarn> {
    static constexpr const char* name = "yarn";
    static constexpr std::array<const char*, 1> spellings{{"yarn"}};
    static constexpr std::array<config_key<yarn>, 10> keys{{
        {"original_max_position_embeddings", &yarn::original_max_position_embeddings,
         key_place::section_or_top, key_need::optional, "else max_position_embeddings"},
        {"factor", &yarn::factor, key_place::section, key_need::optional,
         "else max_position_embeddings / original_max_position_embeddings"},
        {"beta_fast", &yarn::beta_fast},
        {"beta_slow", &yarn::beta_slow},
        {"truncate", &yarn::truncate},
        {"attention_factor", &yarn::attention_factor},
        {"mscale", &yarn::mscale},
        {"mscale_all_dim", &yarn::mscale_all_dim},
        {"extrapolation_factor", &yarn::extrapolation_factor},
        {"attn_factor", &yarn::attn_factor},
    }};
    static constexpr std::array<key_note, 1> key_notes{{
        {"finetuned", "it only matters to dynamic YaRN; static YaRN has one table"},
    }};

    // L and factor fall back on each other through max_position_embeddings.
    static std::optional<error> resolve(yarn& m, const key_values& v,
                                        std::vector<warning>& warnings) {
        const std::string type = "rope_type \"" + std::string(v.rope_type) + "\"";
        const auto max_pos = v.max_position_embeddings;
        if (!v.given("original_max_position_embeddings")) {
            if (!max_pos)
                return error{errc::missing_field, "original_max_position_embeddings",
                             "is required for " + type +
                                 " (section, top level, or max_position_embeddings as its "
                                 "default)"};
            m.original_max_position_embeddings = *max_pos;
        }
        const std::int64_t big_l = m.original_max_position_embeddings;
        const bool ratio_known = max_pos && big_l > 0;
        const double ratio =
            ratio_known ? static_cast<double>(*max_pos) / static_cast<double>(big_l) : 0.0;
        if (v.given("factor")) {
            if (ratio_known && ratio != m.factor && ratio != 1.0)
                warnings.push_back({"factor", "factor " + detail::format_value(m.factor) +
                                                  " disagrees with max_position_embeddings / "
                                                  "original_max_position_embeddings = " +
                                                  detail::format_value(ratio) +
                                                  " (factor is used, as transformers does)"});
        } else if (ratio_known) {
            m.factor = ratio;
        } else {
            return error{errc::missing_field, "factor",
                         "is required for " + type +
                             " unless max_position_embeddings / "
                             "original_max_position_embeddings can replace it"};
        }
        return std::nullopt;
    }

    static std::optional<error> validate(const yarn& m, int) {
        if (auto e = detail::check_scale_factor("factor", m.factor, "yarn")) return e;
        if (auto e = detail::check_positive_length("original_max_position_embeddings",
                                                   m.original_max_position_embeddings))
            return e;
        if (auto e = detail::check_betas("beta_fast", m.beta_fast, "beta_slow", m.beta_slow))
            return e;
        if (m.attention_factor)
            if (auto e = detail::check_above("attention_factor", *m.attention_factor, 0.0))
                return e;
        if (m.mscale)
            if (auto e = detail::check_at_least("mscale", *m.mscale, 0.0)) return e;
        if (m.mscale_all_dim)
            if (auto e = detail::check_at_least("mscale_all_dim", *m.mscale_all_dim, 0.0)) return e;
        if (auto e = detail::check_at_least("extrapolation_factor", m.extrapolation_factor, 0.0))
            return e;
        return detail::check_above("attn_factor", m.attn_factor, 0.0);
    }

    static void build(const yarn& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        out.correction = detail::yarn_frequencies(out.inv_freq, rotary_dim, base, m.factor,
                                                  m.original_max_position_embeddings, m.beta_fast,
                                                  m.beta_slow, m.truncate, m.extrapolation_factor);
        out.scale = m.factor;
        const double ms = m.mscale.value_or(0.0);
        const double ms_all = m.mscale_all_dim.value_or(0.0);
        double af = 1.0;
        if (m.attention_factor)
            af = *m.attention_factor;
        else if (ms != 0.0 && ms_all != 0.0)
            af = yarn_get_mscale(m.factor, ms) / yarn_get_mscale(m.factor, ms_all);
        else
            af = yarn_get_mscale(m.factor);
        out.attention_factor = af * m.attn_factor;
        if (ms_all != 0.0 && m.attention_scales_logits) {
            const double g = yarn_get_mscale(m.factor, ms_all);
            out.logit_scale = g * g;
        }
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_YARN_HPP
