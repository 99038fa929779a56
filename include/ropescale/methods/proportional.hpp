// SPDX-License-Identifier: MIT
//
// Proportional RoPE ("proportional", Gemma 4).
#ifndef ROPESCALE_METHODS_PROPORTIONAL_HPP
#define ROPESCALE_METHODS_PROPORTIONAL_HPP

#include "plain.hpp"

ROPESCALE_BEGIN_NAMESPACE

/// Proportional RoPE (Gemma 4's full-attention layers). With D = head_dim and
/// r = int(partial_rotary_factor * D // 2) rotated pairs (= d / 2 for the rotary dimension d
/// of rope_config, which is even):
///   inv_freq[i] = b^(-2i/D) / s   for i < r   (the exponent runs over the full head_dim D)
///   inv_freq[i] = 0               for r <= i < D/2   (pairs that never rotate: cos 1, sin 0)
/// Attention factor 1. The table spans the whole head: its rotary_dim is D and its last
/// D/2 - r entries are exactly 0, so pair i couples channels (i, i + D/2) in the half-split
/// layout as in transformers (its cos/sin have D entries and rotate_half runs over the head),
/// not the first d channels as a partial rotary table does. Without partial_rotary_factor
/// (or at 1) this is linear scaling of plain RoPE.
/// References: transformers v5 `_compute_proportional_rope_parameters` (`factor` optional,
/// default 1, divides every entry); vLLM `Gemma4RotaryEmbedding` (the same table; it ignores
/// `factor`, which Gemma 4 configs leave at 1 or absent).
/// Precision: each non-zero entry within 3 ulp of b^(-2i/D) / s (one pow, two divisions) when
/// 2i/D is exact (D a power of two); the zero entries are exact.
/// config.json: `factor` (optional, > 0). The rotated part comes from partial_rotary_factor
/// (rope_config; a warning when the config has none, as transformers' validation gives); an
/// int(head_dim * partial_rotary_factor) that is odd is refused (rotary_dim must be even) where
/// transformers would rotate its floor half.
struct proportional {
    double factor = 1.0;  ///< s > 0
};

template <>
struct method_traits<proportional> : method_traits_base<proportional> {
    static constexpr const char* name = "proportional";
    static constexpr std::array<const char*, 1> spellings{{"proportional"}};
    static constexpr std::array<config_key<proportional>, 2> keys{{
        {"factor", &proportional::factor, key_place::section, key_need::optional},
        {"partial_rotary_factor", hook_number{}, key_place::section_or_top, key_need::optional,
         "the rotated part (rope_config); absent: every pair rotates, with a warning"},
    }};

    // transformers' validation warns when partial_rotary_factor is absent.
    static std::optional<error> resolve(proportional&, const key_values& v,
                                        std::vector<warning>& warnings) {
        if (!v.given("partial_rotary_factor"))
            warnings.push_back({"partial_rotary_factor",
                                "absent: every pair rotates, and proportional RoPE is linear "
                                "scaling of plain RoPE (transformers warns the same)"});
        return std::nullopt;
    }

    static std::optional<error> validate(const proportional& m, int) {
        return detail::check_above("factor", m.factor, 0.0);
    }

    // rotary_dim is the rotated part d; the table is widened to the head (out.head_dim).
    static void build(const proportional& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        const int head_dim = out.head_dim;
        out.rotary_dim = head_dim;
        out.inv_freq.assign(static_cast<std::size_t>(head_dim / 2), 0.0);
        for (int i = 0; i < rotary_dim / 2; ++i)
            out.inv_freq[static_cast<std::size_t>(i)] =
                plain_inv_freq(base, head_dim, i) / m.factor;
        out.scale = m.factor;
    }
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_PROPORTIONAL_HPP
