// SPDX-License-Identifier: MIT
//
// Position-dependent query scaling (attention temperature) some models apply after the
// rotation: q is multiplied by a factor that depends on the token's absolute position.
// (Stand-in in the reader branch, with the agreed types; the methods branch owns this header.)
#ifndef ROPESCALE_QUERY_SCALE_HPP
#define ROPESCALE_QUERY_SCALE_HPP

#include "config.hpp"
#include "error.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <variant>

ROPESCALE_BEGIN_NAMESPACE

/// Llama 4 attention temperature tuning (transformers Llama4TextAttention, NoPE layers):
/// factor(p) = log(floor((p + 1) / floor_scale) + 1) * attn_scale + 1.
struct llama4_attn_temperature {
    double floor_scale = 8192.0;
    double attn_scale = 0.1;
};

/// Mistral's `llama_4_scaling_beta` (transformers `_get_llama_4_attn_scale`, Ministral 3):
/// factor(p) = 1 + beta * log(1 + floor(p / original_max_position_embeddings)).
struct llama_4_scaling {
    double beta = 0.0;
    std::int64_t original_max_position_embeddings = 0;
};

/// One of the query scalings.
using query_scaling = std::variant<llama4_attn_temperature, llama_4_scaling>;

/// The factor q is multiplied by at absolute position `position`.
inline double query_scale(const query_scaling& s, std::int64_t position) noexcept {
    const double p = static_cast<double>(position);
    if (const auto* t = std::get_if<llama4_attn_temperature>(&s))
        return std::log(std::floor((p + 1.0) / t->floor_scale) + 1.0) * t->attn_scale + 1.0;
    const auto& b = std::get<llama_4_scaling>(s);
    return 1.0 + b.beta * std::log(1.0 + std::floor(p / static_cast<double>(
                                                            b.original_max_position_embeddings)));
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_QUERY_SCALE_HPP
