// SPDX-License-Identifier: MIT
//
// Dynamic NTK scaling ("dynamic").
#ifndef ROPESCALE_METHODS_DYNAMIC_NTK_HPP
#define ROPESCALE_METHODS_DYNAMIC_NTK_HPP

#include "plain.hpp"

#include <optional>
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
///
/// With `alpha` (HunYuan's "dynamic" + alpha, one rope_type with two meanings in transformers,
/// hence an optional member here rather than a second method): a static table,
///   b' = b * alpha^(d / (d - 2)),  inv_freq[i] = b'^(-2i/d),  attention factor 1, scale alpha,
/// whatever the sequence length. References: transformers `HunYuanDenseV1RotaryEmbedding` /
/// `HunYuanMoEV1RotaryEmbedding` (taken when `rope_parameters.get("alpha")` is truthy, so an
/// alpha of 0 means "no alpha"); vLLM `DynamicNTKAlphaRotaryEmbedding`. Two places where
/// transformers computes something else, each warned about on the table:
///   - transformers' HunYuan class uses d = head_dim, ignoring a partial rotary dimension;
///     this table uses the rotary dimension d, as vLLM does (a warning when d < head_dim);
///   - past max_position_embeddings, transformers' `dynamic_rope_update` replaces the alpha
///     table by the dynamic NTK table above at `factor` (alpha dropped); this table stays the
///     alpha one (a warning when table_options::seq_len > L).
/// Precision (alpha): the pow of alpha carries the rounding of d/(d-2) scaled by ln alpha:
/// each entry within (6 + 1.5 |ln alpha|) ulp of the formula.
///
/// config.json: `factor` (required without alpha; unused with it); `alpha` (optional);
/// L = top-level `max_position_embeddings` (required); a section
/// `original_max_position_embeddings` is accepted but not used, with a warning if it differs
/// from L.
struct dynamic_ntk {
    double factor = 1.0;                         ///< s >= 1 (without alpha)
    std::int64_t max_position_embeddings = 0;    ///< L > 0
    std::optional<double> alpha = std::nullopt;  ///< > 0: HunYuan's static table (see above)
};

template <>
struct method_traits<dynamic_ntk> : method_traits_base<dynamic_ntk> {
    static constexpr const char* name = "dynamic";
    static constexpr std::array<const char*, 1> spellings{{"dynamic"}};
    static constexpr std::array<config_key<dynamic_ntk>, 4> keys{{
        {"factor", &dynamic_ntk::factor, key_place::section, key_need::optional,
         "required unless alpha is given"},
        {"max_position_embeddings", &dynamic_ntk::max_position_embeddings, key_place::top,
         key_need::required},
        {"original_max_position_embeddings", hook_integer{}, key_place::section, key_need::optional,
         "not used (a warning when it differs from L)"},
        {"alpha", &dynamic_ntk::alpha, key_place::section, key_need::optional,
         "HunYuan: a static table with base b * alpha^(d/(d-2)); 0 means absent"},
    }};
    // HunYuan configs carry YaRN-style keys next to alpha; neither table reads them.
    static constexpr std::array<key_note, 4> key_notes{{
        {"beta_fast", "neither dynamic NTK nor the HunYuan alpha table reads it"},
        {"beta_slow", "neither dynamic NTK nor the HunYuan alpha table reads it"},
        {"mscale", "neither dynamic NTK nor the HunYuan alpha table reads it"},
        {"mscale_all_dim", "neither dynamic NTK nor the HunYuan alpha table reads it"},
    }};

    static std::optional<error> resolve(dynamic_ntk& m, const key_values& v,
                                        std::vector<warning>& warnings) {
        if (m.alpha && *m.alpha == 0.0) {
            // transformers tests `rope_parameters.get("alpha")` for truth: 0 selects dynamic NTK.
            m.alpha.reset();
            warnings.push_back({"alpha",
                                "0 is read as absent (as transformers' HunYuan rotary "
                                "embedding does): dynamic NTK with factor"});
        }
        if (!m.alpha && !v.given("factor"))
            return error{errc::missing_field, "factor",
                         "is required for rope_type \"" + std::string(v.rope_type) +
                             "\" unless alpha is given (absent or null)"};
        const auto original = v.integer("original_max_position_embeddings");
        if (!m.alpha && original && *original != m.max_position_embeddings)
            warnings.push_back({"original_max_position_embeddings",
                                "ignored: transformers' dynamic NTK uses max_position_embeddings "
                                "= " +
                                    std::to_string(m.max_position_embeddings) +
                                    " as the original context"});
        return std::nullopt;
    }

    static std::optional<error> validate(const dynamic_ntk& m, int rotary_dim) {
        if (m.alpha) {
            if (auto e = detail::check_above("alpha", *m.alpha, 0.0)) return e;
        } else if (auto e = detail::check_scale_factor("factor", m.factor, "dynamic")) {
            return e;
        }
        if (auto e =
                detail::check_positive_length("max_position_embeddings", m.max_position_embeddings))
            return e;
        return detail::check_ntk_dim(rotary_dim, "dynamic");
    }

    static void build(const dynamic_ntk& m, int rotary_dim, double base, const table_options& opt,
                      frequency_table& out) {
        if (m.alpha) {
            build_alpha(m, rotary_dim, base, opt, out);
            return;
        }
        const std::int64_t l = detail::dynamic_seq_len(opt, m.max_position_embeddings, out);
        out.scale = dynamic_ntk_alpha(m.factor, l, m.max_position_embeddings);
        out.base = ntk_aware_base(base, out.scale, rotary_dim);
        out.inv_freq = detail::plain_table(out.base, rotary_dim);
    }

  private:
    static void build_alpha(const dynamic_ntk& m, int rotary_dim, double base,
                            const table_options& opt, frequency_table& out) {
        out.scale = *m.alpha;
        out.base = ntk_aware_base(base, *m.alpha, rotary_dim);
        out.inv_freq = detail::plain_table(out.base, rotary_dim);
        if (rotary_dim != out.head_dim)
            out.warnings.push_back(
                {"alpha", "the alpha table uses rotary_dim = " + std::to_string(rotary_dim) +
                              " (as vLLM); transformers' HunYuan rotary embedding uses head_dim "
                              "= " +
                              std::to_string(out.head_dim) + " and rotates the whole head"});
        if (opt.seq_len && *opt.seq_len > m.max_position_embeddings)
            out.warnings.push_back(
                {"seq_len", "the alpha table is static; past max_position_embeddings = " +
                                std::to_string(m.max_position_embeddings) +
                                " transformers' dynamic_rope_update replaces it by dynamic NTK "
                                "at factor " +
                                detail::format_value(m.factor) + " (alpha dropped)"});
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_DYNAMIC_NTK_HPP
