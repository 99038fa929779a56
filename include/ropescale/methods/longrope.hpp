// SPDX-License-Identifier: MIT
//
// LongRoPE ("longrope"; "su" in older Phi-3 configs).
#ifndef ROPESCALE_METHODS_LONGROPE_HPP
#define ROPESCALE_METHODS_LONGROPE_HPP

#include "plain.hpp"

#include <cmath>
#include <string>

ROPESCALE_BEGIN_NAMESPACE

/// LongRoPE ("longrope", "su" in older configs; Ding et al. 2024, Phi-3):
/// inv_freq[i] = 1 / (ext[i] * b^(2i/d)) with ext the short or the long list (length d/2).
/// Which list: table_options::longrope if given, else transformers' rule on
/// table_options::seq_len (long iff seq_len > original_max_position_embeddings); with neither,
/// the short list (transformers at init) and a warning on the table, as the dynamic methods
/// warn without a sequence length.
/// Attention factor: `attention_factor` if given, else sqrt(1 + ln f / ln L) for f > 1 and 1
/// otherwise, with f = `factor` if given, else max_position_embeddings / L.
/// References: transformers `_compute_longrope_parameters`; vLLM
/// `Phi3LongRoPEScaledRotaryEmbedding` (always long when the context exceeds L).
/// Precision: within 3 ulp of the formula.
/// config.json: `short_factor`, `long_factor` (required arrays of numbers); `factor`,
/// `attention_factor` optional; `original_max_position_embeddings` (section, else top level;
/// required); `max_position_embeddings` from the top level.
struct longrope {
    std::vector<double> short_factor;                     ///< d/2 entries, each > 0
    std::vector<double> long_factor;                      ///< d/2 entries, each > 0
    std::int64_t original_max_position_embeddings = 0;    ///< L > 0
    std::optional<double> factor;                         ///< > 0
    std::optional<std::int64_t> max_position_embeddings;  ///< needed when factor is absent
    std::optional<double> attention_factor;               ///< > 0, replaces the computed one
};

/// transformers' rule for the LongRoPE list: long iff seq_len > original_max_position_embeddings.
inline longrope_factors longrope_factors_for(
    std::int64_t seq_len, std::int64_t original_max_position_embeddings) noexcept {
    return seq_len > original_max_position_embeddings ? longrope_factors::long_factors
                                                      : longrope_factors::short_factors;
}

namespace detail {
inline std::optional<error> check_factor_list(const char* name, const std::vector<double>& list,
                                              int rotary_dim) {
    if (list.size() != static_cast<std::size_t>(rotary_dim / 2))
        return error{errc::inconsistent, name,
                     "must have rotary_dim / 2 = " + std::to_string(rotary_dim / 2) +
                         " entries (got " + std::to_string(list.size()) + ")"};
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string field = std::string(name) + "[" + std::to_string(i) + "]";
        if (!std::isfinite(list[i]))
            return make_error(errc::not_finite, field, "must be a finite number", list[i]);
        if (!(list[i] > 0)) return make_error(errc::out_of_range, field, "must be > 0", list[i]);
    }
    return std::nullopt;
}
}  // namespace detail

template <>
struct method_traits<longrope> : method_traits_base<longrope> {
    static constexpr const char* name = "longrope";
    /// "su" is its name in older Phi-3 configs.
    static constexpr std::array<const char*, 2> spellings{{"longrope", "su"}};
    static constexpr std::array<config_key<longrope>, 6> keys{{
        {"short_factor", &longrope::short_factor, key_place::section, key_need::required},
        {"long_factor", &longrope::long_factor, key_place::section, key_need::required},
        {"factor", &longrope::factor},
        {"attention_factor", &longrope::attention_factor},
        {"original_max_position_embeddings", &longrope::original_max_position_embeddings,
         key_place::section_or_top, key_need::required},
        {"max_position_embeddings", &longrope::max_position_embeddings, key_place::top},
    }};

    static std::optional<error> validate(const longrope& m, int rotary_dim) {
        if (auto e = detail::check_positive_length("original_max_position_embeddings",
                                                   m.original_max_position_embeddings))
            return e;
        if (auto e = detail::check_factor_list("short_factor", m.short_factor, rotary_dim))
            return e;
        if (auto e = detail::check_factor_list("long_factor", m.long_factor, rotary_dim)) return e;
        if (m.factor) {
            if (auto e = detail::check_above("factor", *m.factor, 0.0)) return e;
        } else if (!m.max_position_embeddings) {
            return error{errc::missing_field, "factor",
                         "longrope needs `factor` or max_position_embeddings (to use "
                         "max_position_embeddings / original_max_position_embeddings)"};
        }
        if (m.max_position_embeddings)
            if (auto e = detail::check_positive_length("max_position_embeddings",
                                                       *m.max_position_embeddings))
                return e;
        if (m.attention_factor)
            if (auto e = detail::check_above("attention_factor", *m.attention_factor, 0.0))
                return e;
        return std::nullopt;
    }

    static void build(const longrope& m, int rotary_dim, double base, const table_options& opt,
                      frequency_table& out) {
        const std::int64_t big_l = m.original_max_position_embeddings;
        const double f =
            m.factor ? *m.factor
                     : static_cast<double>(*m.max_position_embeddings) / static_cast<double>(big_l);
        longrope_factors which = longrope_factors::short_factors;
        if (opt.longrope)
            which = *opt.longrope;
        else if (opt.seq_len)
            which = longrope_factors_for(*opt.seq_len, big_l);
        else
            out.warnings.push_back({"seq_len",
                                    "longrope evaluated without a sequence length or a list "
                                    "choice (table_options::longrope): the short list, as "
                                    "transformers at init"});
        const std::vector<double>& ext =
            which == longrope_factors::long_factors ? m.long_factor : m.short_factor;
        out.inv_freq.resize(static_cast<std::size_t>(rotary_dim / 2));
        for (int i = 0; i < rotary_dim / 2; ++i)
            out.inv_freq[static_cast<std::size_t>(i)] =
                1.0 / (ext[static_cast<std::size_t>(i)] * base_power(base, rotary_dim, i));
        out.scale = f;
        out.longrope_list = which;
        out.attention_factor =
            m.attention_factor ? *m.attention_factor : longrope_attention_factor(f, big_l);
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_LONGROPE_HPP
