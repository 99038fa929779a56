// SPDX-License-Identifier: MIT
//
// Dynamic NTK scaling ("dynamic").
#ifndef ROPESCALE_METHODS_DYNAMIC_NTK_HPP
#define ROPESCALE_METHODS_DYNAMIC_NTK_HPP

#include "plain.hpp"

#include <string>

ROPESCALE_BEGIN_NAMESPACE

/// Dynamic NTK (transformers "dynamic", the YaRN authors' `LlamaDynamicScaledRotaryEmbedding`
/// with `ntk=factor`), evaluated at a sequence length l: NTK-aware scaling with
///   alpha = (s * l' / L) - (s - 1),  l' = max(l, L)          (dynamic_ntk_alpha)
///   b'    = b * alpha^(d / (d - 2))                          (dynamic_ntk_base)
/// with L = `max_position_embeddings` (transformers uses the model's max_position_embeddings
/// as the original context here, not `original_max_position_embeddings`); attention factor 1;
/// the table's scale is alpha. For l <= L this is plain RoPE. Without a sequence length the
/// table is the initial one (l = L), with a warning.
/// When to re-evaluate is the engine's policy: see dynamic_length_tracker in frequencies.hpp
/// (the YaRN authors' class gives the same table at the same l; its growth rule differs).
/// Reference: transformers `_compute_dynamic_ntk_parameters`.
/// Precision: each entry within 6 ulp of the formula.
/// config.json: `factor` (required); L = top-level `max_position_embeddings` (required); a
/// section `original_max_position_embeddings` is accepted but not used, with a warning if it
/// differs from L.
struct dynamic_ntk {
    double factor = 1.0;                       ///< s >= 1
    std::int64_t max_position_embeddings = 0;  ///< L > 0
};

template <>
struct method_traits<dynamic_ntk> : method_traits_base<dynamic_ntk> {
    static constexpr const char* name = "dynamic";
    static constexpr std::array<const char*, 1> spellings{{"dynamic"}};
    static constexpr std::array<config_key<dynamic_ntk>, 3> keys{{
        {"factor", &dynamic_ntk::factor, key_place::section, key_need::required},
        {"max_position_embeddings", &dynamic_ntk::max_position_embeddings, key_place::top,
         key_need::required},
        {"original_max_position_embeddings", hook_integer{}, key_place::section, key_need::optional,
         "not used (a warning when it differs from L)"},
    }};

    static std::optional<error> resolve(dynamic_ntk& m, const key_values& v,
                                        std::vector<warning>& warnings) {
        const auto original = v.integer("original_max_position_embeddings");
        if (original && *original != m.max_position_embeddings)
            warnings.push_back({"original_max_position_embeddings",
                                "ignored: transformers' dynamic NTK uses max_position_embeddings "
                                "= " +
                                    std::to_string(m.max_position_embeddings) +
                                    " as the original context"});
        return std::nullopt;
    }

    static std::optional<error> validate(const dynamic_ntk& m, int rotary_dim) {
        if (auto e = detail::check_scale_factor("factor", m.factor, "dynamic")) return e;
        if (auto e =
                detail::check_positive_length("max_position_embeddings", m.max_position_embeddings))
            return e;
        return detail::check_ntk_dim(rotary_dim, "dynamic");
    }

    static void build(const dynamic_ntk& m, int rotary_dim, double base, const table_options& opt,
                      frequency_table& out) {
        const std::int64_t l = detail::dynamic_seq_len(opt, m.max_position_embeddings, out);
        out.scale = dynamic_ntk_alpha(m.factor, l, m.max_position_embeddings);
        out.base = ntk_aware_base(base, out.scale, rotary_dim);
        out.inv_freq = detail::plain_table(out.base, rotary_dim);
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_DYNAMIC_NTK_HPP
