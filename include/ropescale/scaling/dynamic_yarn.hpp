// SPDX-License-Identifier: MIT
//
// Dynamic YaRN, the YaRN authors' `LlamaDynamicYaRNScaledRotaryEmbedding` (jquesnelle/yarn
// scaled_rope/), evaluated at sequence length l: YaRN with scale
//   s = l / L if l > max_position_embeddings; else max_position_embeddings / L if finetuned;
//   else plain RoPE with attention factor 1 (the class's untouched initial state).
// Attention factor get_mscale(s) * attn_factor; correction range over L, always truncated.
// transformers, vLLM and llama.cpp have no dynamic YaRN.
// Precision: as static YaRN.
#ifndef ROPESCALE_SCALING_DYNAMIC_YARN_HPP
#define ROPESCALE_SCALING_DYNAMIC_YARN_HPP

#include "yarn.hpp"

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

inline check_result validate_method(const dynamic_yarn& m, int) {
    if (auto e = check_positive_length("original_max_position_embeddings",
                                       m.original_max_position_embeddings))
        return e;
    if (auto e = check_positive_length("max_position_embeddings", m.max_position_embeddings))
        return e;
    if (m.finetuned && m.max_position_embeddings < m.original_max_position_embeddings)
        return error{errc::inconsistent, "max_position_embeddings",
                     "must be >= original_max_position_embeddings for a finetuned dynamic YaRN "
                     "model (its initial scale is their ratio; got " +
                         format_value(static_cast<long long>(m.max_position_embeddings)) + " < " +
                         format_value(static_cast<long long>(m.original_max_position_embeddings)) +
                         ")"};
    if (auto e = check_betas("beta_fast", m.beta_fast, "beta_slow", m.beta_slow)) return e;
    if (auto e = check_at_least("extrapolation_factor", m.extrapolation_factor, 0.0)) return e;
    return check_above("attn_factor", m.attn_factor, 0.0);
}

inline void build(const dynamic_yarn& m, int rotary_dim, double base, const table_options& opt,
                  frequency_table& out) {
    if (!opt.seq_len)
        out.warnings.push_back({"seq_len",
                                "dynamic method evaluated without a sequence length: "
                                "initial table (seq_len = max_position_embeddings)"});
    const std::int64_t l = opt.seq_len.value_or(m.max_position_embeddings);
    const double big_l = static_cast<double>(m.original_max_position_embeddings);
    double s = 1.0;
    if (l > m.max_position_embeddings)
        s = static_cast<double>(l) / big_l;
    else if (m.finetuned)
        s = static_cast<double>(m.max_position_embeddings) / big_l;
    else {
        out.inv_freq = plain_table(base, rotary_dim);
        return;
    }
    out.correction =
        yarn_frequencies(out.inv_freq, rotary_dim, base, s, m.original_max_position_embeddings,
                         m.beta_fast, m.beta_slow, true, m.extrapolation_factor);
    out.scale = s;
    out.attention_factor = yarn_get_mscale(s) * m.attn_factor;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_DYNAMIC_YARN_HPP
