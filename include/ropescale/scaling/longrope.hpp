// SPDX-License-Identifier: MIT
//
// LongRoPE ("longrope", formerly "su"; Ding et al. 2024, Phi-3):
// inv_freq[i] = 1 / (ext[i] * b^(2i/d)) with ext the short or the long factor list.
// Which list: table_options::longrope if given, else transformers' rule (long iff
// seq_len > original_max_position_embeddings; short without a seq_len, as at init).
// Attention factor: `attention_factor` if given, else sqrt(1 + ln f / ln L) for f > 1 (else 1),
// f = `factor` if given, else max_position_embeddings / L (the Phi-3 configuration).
// References: transformers `_compute_longrope_parameters`; vLLM
// `Phi3LongRoPEScaledRotaryEmbedding` (always long when the context exceeds L).
// Precision: within 3 ulp of the formula.
#ifndef ROPESCALE_SCALING_LONGROPE_HPP
#define ROPESCALE_SCALING_LONGROPE_HPP

#include "plain.hpp"

#include <cmath>
#include <string>

ROPESCALE_BEGIN_NAMESPACE

/// transformers' rule for the LongRoPE list: long iff seq_len > original_max_position_embeddings.
inline longrope_factors longrope_factors_for(
    std::int64_t seq_len, std::int64_t original_max_position_embeddings) noexcept {
    return seq_len > original_max_position_embeddings ? longrope_factors::long_factors
                                                      : longrope_factors::short_factors;
}

namespace detail {

inline check_result check_factor_list(const char* name, const std::vector<double>& list,
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

inline check_result validate_method(const longrope& m, int rotary_dim) {
    if (auto e = check_positive_length("original_max_position_embeddings",
                                       m.original_max_position_embeddings))
        return e;
    if (auto e = check_factor_list("short_factor", m.short_factor, rotary_dim)) return e;
    if (auto e = check_factor_list("long_factor", m.long_factor, rotary_dim)) return e;
    if (m.factor) {
        if (auto e = check_above("factor", *m.factor, 0.0)) return e;
    } else if (!m.max_position_embeddings) {
        return error{errc::missing_field, "factor",
                     "longrope needs `factor` or max_position_embeddings (to use "
                     "max_position_embeddings / original_max_position_embeddings)"};
    }
    if (m.max_position_embeddings)
        if (auto e = check_positive_length("max_position_embeddings", *m.max_position_embeddings))
            return e;
    if (m.attention_factor)
        if (auto e = check_above("attention_factor", *m.attention_factor, 0.0)) return e;
    return std::nullopt;
}

inline void build(const longrope& m, int rotary_dim, double base, const table_options& opt,
                  frequency_table& out) {
    const std::int64_t big_l = m.original_max_position_embeddings;
    const double f =
        m.factor ? *m.factor
                 : static_cast<double>(*m.max_position_embeddings) / static_cast<double>(big_l);
    const longrope_factors which = opt.longrope
                                       ? *opt.longrope
                                       : (opt.seq_len ? longrope_factors_for(*opt.seq_len, big_l)
                                                      : longrope_factors::short_factors);
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

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_LONGROPE_HPP
