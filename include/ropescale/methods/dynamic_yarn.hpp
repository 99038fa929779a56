// SPDX-License-Identifier: MIT
//
// Dynamic YaRN ("dynamic_yarn").
#ifndef ROPESCALE_METHODS_DYNAMIC_YARN_HPP
#define ROPESCALE_METHODS_DYNAMIC_YARN_HPP

#include "yarn.hpp"

#include <string>

ROPESCALE_BEGIN_NAMESPACE

/// Dynamic YaRN, the YaRN authors' `LlamaDynamicYaRNScaledRotaryEmbedding`, evaluated at
/// sequence length l: YaRN with scale
///   s = l / L                          if l > max_position_embeddings,
///   s = max_position_embeddings / L    otherwise, if `finetuned`,
///   plain RoPE, attention factor 1     otherwise (the class's untouched initial state),
/// attention factor get_mscale(s) * attn_factor; the correction range always uses
/// L = original_max_position_embeddings and is always truncated. Without a sequence length
/// the table is the initial one (l = max_position_embeddings), with a warning.
/// transformers, vLLM and llama.cpp have no dynamic YaRN.
/// Precision: as static YaRN.
/// config.json: `original_max_position_embeddings` (section, else top level; required);
/// top-level `max_position_embeddings` (required); `finetuned`, `beta_fast`, `beta_slow`,
/// `extrapolation_factor`, `attn_factor` optional; a `factor` is accepted (the YaRN authors'
/// configs carry it) but the scale is max_position_embeddings / L, with a warning if they
/// differ.
struct dynamic_yarn {
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
    std::int64_t max_position_embeddings = 0;           ///< > 0
    bool finetuned = false;
    double beta_fast = 32.0;
    double beta_slow = 1.0;
    double extrapolation_factor = 1.0;
    double attn_factor = 1.0;
    /// The blend's ramp, as yarn::ramp (a C++ option, not a config.json key).
    ramp_form ramp = ramp_form::pair_index;
};

template <>
struct method_traits<dynamic_yarn> : method_traits_base<dynamic_yarn> {
    static constexpr const char* name = "dynamic_yarn";
    /// "dynamic-yarn" is the YaRN authors' spelling.
    static constexpr std::array<const char*, 2> spellings{{"dynamic_yarn", "dynamic-yarn"}};
    static constexpr std::array<config_key<dynamic_yarn>, 8> keys{{
        {"original_max_position_embeddings", &dynamic_yarn::original_max_position_embeddings,
         key_place::section_or_top, key_need::required},
        {"max_position_embeddings", &dynamic_yarn::max_position_embeddings, key_place::top,
         key_need::required},
        {"factor", hook_number{}, key_place::section, key_need::optional,
         "not used (a warning when it differs from max / original)"},
        {"finetuned", &dynamic_yarn::finetuned},
        {"beta_fast", &dynamic_yarn::beta_fast},
        {"beta_slow", &dynamic_yarn::beta_slow},
        {"extrapolation_factor", &dynamic_yarn::extrapolation_factor},
        {"attn_factor", &dynamic_yarn::attn_factor},
    }};

    static std::optional<error> resolve(dynamic_yarn& m, const key_values& v,
                                        std::vector<warning>& warnings) {
        const auto factor = v.number("factor");
        if (factor && m.original_max_position_embeddings > 0) {
            const double ratio = static_cast<double>(m.max_position_embeddings) /
                                 static_cast<double>(m.original_max_position_embeddings);
            if (ratio != *factor)
                warnings.push_back({"factor",
                                    "ignored: dynamic YaRN scales by max_position_embeddings / "
                                    "original_max_position_embeddings = " +
                                        detail::format_value(ratio) + " (got factor " +
                                        detail::format_value(*factor) + ")"});
        }
        return std::nullopt;
    }

    static std::optional<error> validate(const dynamic_yarn& m, int) {
        if (auto e = detail::check_positive_length("original_max_position_embeddings",
                                                   m.original_max_position_embeddings))
            return e;
        if (auto e =
                detail::check_positive_length("max_position_embeddings", m.max_position_embeddings))
            return e;
        if (m.finetuned && m.max_position_embeddings < m.original_max_position_embeddings)
            return error{
                errc::inconsistent, "max_position_embeddings",
                "must be >= original_max_position_embeddings for a finetuned dynamic YaRN "
                "model (its initial scale is their ratio; got " +
                    detail::format_value(static_cast<long long>(m.max_position_embeddings)) +
                    " < " +
                    detail::format_value(
                        static_cast<long long>(m.original_max_position_embeddings)) +
                    ")"};
        if (auto e = detail::check_betas("beta_fast", m.beta_fast, "beta_slow", m.beta_slow))
            return e;
        if (auto e = detail::check_at_least("extrapolation_factor", m.extrapolation_factor, 0.0))
            return e;
        return detail::check_above("attn_factor", m.attn_factor, 0.0);
    }

    static void build(const dynamic_yarn& m, int rotary_dim, double base, const table_options& opt,
                      frequency_table& out) {
        const std::int64_t l = detail::dynamic_seq_len(opt, m.max_position_embeddings, out);
        const double big_l = static_cast<double>(m.original_max_position_embeddings);
        double s = 1.0;
        if (l > m.max_position_embeddings)
            s = static_cast<double>(l) / big_l;
        else if (m.finetuned)
            s = static_cast<double>(m.max_position_embeddings) / big_l;
        else {
            out.inv_freq = detail::plain_table(base, rotary_dim);
            return;
        }
        out.correction = detail::yarn_frequencies(
            out.inv_freq, rotary_dim, base, s, m.original_max_position_embeddings, m.beta_fast,
            m.beta_slow, true, m.extrapolation_factor, m.ramp);
        out.scale = s;
        out.attention_factor = yarn_get_mscale(s) * m.attn_factor;
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_DYNAMIC_YARN_HPP
