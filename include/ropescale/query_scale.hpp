// SPDX-License-Identifier: MIT
//
// Query temperature: a factor, a function of the token's position, that some models multiply
// their queries by before attention (after RoPE, where the layer has it). It is not part of the
// rotation and no frequency table carries it: an engine evaluates query_scale(s, p) per token
// and multiplies it into q (equivalently, into that token's softmax scale).
//
// Positions are the token's absolute index in the sequence, from 0 (transformers'
// `cache_position`). Evaluated in double: the floors are exact (integer arithmetic, or a double
// division that is exact to the floor for |position| < 2^53), so the only roundings are those
// of log1p, one product and one sum. transformers evaluates the same formulas in float32
// (positions, quotient and logarithm), within a few 1e-8 of these values and, for positions
// below 2^24 with a power-of-two divisor, with the same floors.
#ifndef ROPESCALE_QUERY_SCALE_HPP
#define ROPESCALE_QUERY_SCALE_HPP

#include "config.hpp"
#include "detail/checks.hpp"
#include "error.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <variant>

ROPESCALE_BEGIN_NAMESPACE

/// Llama 4's attention temperature tuning (`attn_temperature_tuning`, with `floor_scale` and
/// `attn_scale` from the text config; transformers `Llama4TextConfig` defaults 8192 and 0.1).
/// transformers applies it on the layers without RoPE only (`not self.use_rope`).
struct llama4_attn_temperature {
    double floor_scale = 8192.0;  ///< > 0
    double attn_scale = 0.1;      ///< finite
};

/// Mistral's query scaling (`llama_4_scaling_beta` in the rope section, Ministral 3 /
/// Mistral 3), applied on every layer, with L the rope section's
/// `original_max_position_embeddings`.
struct llama_4_scaling {
    double beta = 0.0;                                  ///< finite; 0 scales nothing
    std::int64_t original_max_position_embeddings = 0;  ///< L > 0
};

/// A model's query temperature.
using query_scaling = std::variant<llama4_attn_temperature, llama_4_scaling>;

/// Llama 4's query scale at `position`:
///   1 + attn_scale * ln(1 + floor((position + 1) / floor_scale))
/// (1 for position < floor_scale - 1, then a step at every multiple of floor_scale of
/// position + 1).
/// Reference: transformers `Llama4TextAttention.forward` (`attn_scales = log1p(floor((positions
/// + 1) / floor_scale)) * attn_scale + 1`); vLLM `Llama4Attention._get_attn_scale` and Meta
/// llama-models (the same with log(floor(...) + 1)).
/// Precision: for attn_scale >= 0 within 2 ulp of the formula at the given inputs (the floor
/// exact for 0 <= position < 2^53 - 1 and an integral floor_scale). position < 0 is outside the
/// domain: NaN.
inline double llama4_attn_scale(std::int64_t position, double floor_scale,
                                double attn_scale) noexcept {
    if (position < 0) return std::numeric_limits<double>::quiet_NaN();
    const double n = std::floor((static_cast<double>(position) + 1.0) / floor_scale);
    return std::log1p(n) * attn_scale + 1.0;
}

/// Mistral's query scale at `position`:
///   1 + beta * ln(1 + floor(position / L)),  L = original_max_position_embeddings
/// (1 below L, then a step at every multiple of L).
/// Reference: transformers `get_llama_4_attn_scale(positions_ids, beta,
/// max_position_embeddings)` (model ministral3, Mistral 3's text model), called with
/// `rope_parameters["llama_4_scaling_beta"]` and `rope_parameters
/// ["original_max_position_embeddings"]` as its last two arguments.
/// Precision: for beta >= 0 within 2 ulp of the formula (the floor is an exact integer
/// division). position < 0 is outside the domain: NaN; L <= 0 too.
inline double get_llama_4_attn_scale(std::int64_t position, double beta,
                                     std::int64_t original_max_position_embeddings) noexcept {
    if (position < 0 || original_max_position_embeddings <= 0)
        return std::numeric_limits<double>::quiet_NaN();
    const std::int64_t n = position / original_max_position_embeddings;  // floor: both >= 0
    return 1.0 + beta * std::log1p(static_cast<double>(n));
}

/// The factor q is multiplied by at `position` (>= 0): llama4_attn_scale or
/// get_llama_4_attn_scale with the struct's values. Precision: theirs. Assumes validate(s)
/// passed; NaN for a negative position.
inline double query_scale(const query_scaling& s, std::int64_t position) noexcept {
    if (const auto* l4 = std::get_if<llama4_attn_temperature>(&s))
        return llama4_attn_scale(position, l4->floor_scale, l4->attn_scale);
    const auto& m = *std::get_if<llama_4_scaling>(&s);
    return get_llama_4_attn_scale(position, m.beta, m.original_max_position_embeddings);
}

/// Checks a query scaling: floor_scale finite and > 0, attn_scale finite (Llama 4); beta
/// finite, original_max_position_embeddings > 0 (Mistral). The error names the field as the
/// config spells it ("floor_scale", "attn_scale", "llama_4_scaling_beta",
/// "original_max_position_embeddings") with the value. transformers checks none of them.
inline std::optional<error> validate(const query_scaling& s) {
    if (const auto* l4 = std::get_if<llama4_attn_temperature>(&s)) {
        if (auto e = detail::check_above("floor_scale", l4->floor_scale, 0.0)) return e;
        return detail::check_finite("attn_scale", l4->attn_scale);
    }
    const auto& m = *std::get_if<llama_4_scaling>(&s);
    if (auto e = detail::check_finite("llama_4_scaling_beta", m.beta)) return e;
    return detail::check_positive_length("original_max_position_embeddings",
                                         m.original_max_position_embeddings);
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_QUERY_SCALE_HPP
