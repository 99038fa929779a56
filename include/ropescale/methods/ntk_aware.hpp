// SPDX-License-Identifier: MIT
//
// NTK-aware scaling with a fixed alpha ("ntk_aware").
#ifndef ROPESCALE_METHODS_NTK_AWARE_HPP
#define ROPESCALE_METHODS_NTK_AWARE_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// NTK-aware scaling with a fixed alpha (YaRN paper Definition 1, Eq. 16): plain RoPE with
/// base b' = b * alpha^(d / (d - 2)); attention factor 1. Pair 0 is unchanged and the last
/// pair is divided by alpha exactly.
/// Reference: the YaRN authors' `LlamaNTKScaledRotaryEmbedding`. vLLM's "ntk" type is a
/// different formula ((b s)^(-2i/d) s^(-2/d)) and is not this method.
/// Precision: each entry within 4 ulp of the formula.
/// config.json: `alpha`, else `factor` used as alpha (one of them required; alpha wins, with a
/// warning when both are given and differ).
struct ntk_aware {
    double alpha = 1.0;  ///< >= 1
};

template <>
struct method_traits<ntk_aware> : method_traits_base<ntk_aware> {
    static constexpr const char* name = "ntk_aware";
    static constexpr std::array<const char*, 1> spellings{{"ntk_aware"}};
    static constexpr std::array<config_key<ntk_aware>, 2> keys{{
        {"alpha", &ntk_aware::alpha, key_place::section, key_need::optional,
         "else factor (one of them required)"},
        {"factor", hook_number{}, key_place::section, key_need::optional,
         "alpha when alpha is absent"},
    }};

    static std::optional<error> resolve(ntk_aware& m, const key_values& v,
                                        std::vector<warning>& warnings) {
        const auto factor = v.number("factor");
        if (!v.given("alpha")) {
            if (!factor) return missing_key("alpha", key_place::section, v.rope_type);
            m.alpha = *factor;
        } else if (factor && *factor != m.alpha) {
            warnings.push_back({"factor", "ignored: alpha takes precedence"});
        }
        return std::nullopt;
    }

    static std::optional<error> validate(const ntk_aware& m, int rotary_dim) {
        if (auto e = detail::check_scale_factor("alpha", m.alpha, "ntk_aware")) return e;
        return detail::check_ntk_dim(rotary_dim, "ntk_aware");
    }

    static void build(const ntk_aware& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        out.base = ntk_aware_base(base, m.alpha, rotary_dim);
        out.inv_freq = detail::plain_table(out.base, rotary_dim);
        out.scale = m.alpha;
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_NTK_AWARE_HPP
