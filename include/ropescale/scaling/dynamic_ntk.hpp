// SPDX-License-Identifier: MIT
//
// Dynamic NTK scaling, evaluated at a sequence length l:
// plain RoPE with base b' = b * ((s l' / L) - (s - 1))^(d / (d - 2)), l' = max(l, L),
// L = max_position_embeddings; attention factor 1. For l <= L this is plain RoPE.
// Reference: transformers `_compute_dynamic_ntk_parameters` (G3, "dynamic"); the YaRN
// authors' `LlamaDynamicScaledRotaryEmbedding(ntk=s)` gives the same table at the same l (its
// growth rule differs: see dynamic_length_tracker).
// Precision: each entry within 6 ulp of the formula.
#ifndef ROPESCALE_SCALING_DYNAMIC_NTK_HPP
#define ROPESCALE_SCALING_DYNAMIC_NTK_HPP

#include "plain.hpp"

#include <algorithm>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

inline check_result validate_method(const dynamic_ntk& m, int rotary_dim) {
    if (auto e = check_scale_factor("factor", m.factor, "dynamic")) return e;
    if (auto e = check_positive_length("max_position_embeddings", m.max_position_embeddings))
        return e;
    return check_ntk_dim(rotary_dim, "dynamic");
}

inline void build(const dynamic_ntk& m, int rotary_dim, double base, const table_options& opt,
                  frequency_table& out) {
    if (!opt.seq_len)
        out.warnings.push_back({"seq_len",
                                "dynamic method evaluated without a sequence length: "
                                "initial table (seq_len = max_position_embeddings)"});
    const std::int64_t l = opt.seq_len.value_or(m.max_position_embeddings);
    out.base = dynamic_ntk_base(base, m.factor, l, m.max_position_embeddings, rotary_dim);
    out.inv_freq = plain_table(out.base, rotary_dim);
    out.scale = dynamic_ntk_alpha(m.factor, l, m.max_position_embeddings);
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_SCALING_DYNAMIC_NTK_HPP
