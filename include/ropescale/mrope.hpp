// SPDX-License-Identifier: MIT
//
// Multimodal RoPE (M-RoPE): the vocabulary of a rotation whose pairs take their angles from
// three position streams, temporal (t), height (h) and width (w), as Qwen2-VL, Qwen2.5-VL and
// Qwen3-VL rotate text and vision tokens. The frequency table is the model's usual one; only
// the position each pair is rotated by changes:
//
//   pair i of token n is rotated by angle  positions[stream(i)][n] * inv_freq[i],
//
// stream(i) in {0 = t, 1 = h, 2 = w} given by `mrope_section` = (s_t, s_h, s_w), which sums to
// rotary_dim / 2, in one of two forms:
//   chunked     (Qwen2-VL, Qwen2.5-VL; transformers `apply_multimodal_rotary_pos_emb`):
//               pairs [0, s_t) follow t, [s_t, s_t + s_h) follow h, the rest w;
//   interleaved (Qwen3-VL; transformers `apply_interleaved_mrope`, `mrope_interleaved`):
//               pair i follows h if i % 3 == 1 and i < 3 s_h, w if i % 3 == 2 and i < 3 s_w,
//               t otherwise.
// A text token has t = h = w: every form then equals the 1-D rotation at that position.
// Nothing here includes xsimd or computes a rotation (apply.hpp does).
#ifndef ROPESCALE_MROPE_HPP
#define ROPESCALE_MROPE_HPP

#include "config.hpp"
#include "error.hpp"
#include "views.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// The M-RoPE section specification of a model: config.json `mrope_section` (three pair
/// counts, t, h, w) and `mrope_interleaved` (Qwen3-VL). See the file comment for the mapping.
struct mrope_sections {
    std::vector<int> section;  ///< (s_t, s_h, s_w), each >= 0, summing to rotary_dim / 2
    bool interleaved = false;  ///< Qwen3-VL's interleaving; false: chunked (Qwen2/2.5-VL)
};

/// Which position stream pair i follows: 0 (t), 1 (h) or 2 (w). Precondition: the sections
/// are valid (make_mrope_map accepts them) and 0 <= i < rotary_dim / 2.
inline int mrope_stream(const mrope_sections& m, int i) noexcept {
    const int s_t = m.section[0];
    const int s_h = m.section[1];
    const int s_w = m.section[2];
    if (m.interleaved) {
        if (i % 3 == 1 && i < 3 * s_h) return 1;
        if (i % 3 == 2 && i < 3 * s_w) return 2;
        return 0;
    }
    return i < s_t ? 0 : i < s_t + s_h ? 1 : 2;
}

/// The pair -> stream table of a model, checked and built once (an engine keeps it beside its
/// cache or table and passes it to every M-RoPE call).
class mrope_map {
  public:
    mrope_map() = default;

    /// Checks `m` against the rotary dimension and tabulates mrope_stream for every pair.
    /// Errors: errc::invalid_argument "mrope_section" (not three entries),
    /// errc::out_of_range "mrope_section[i]" (negative), errc::inconsistent "mrope_section"
    /// (the sum is not rotary_dim / 2, both given in the message), errc::out_of_range
    /// "rotary_dim" (not even and > 0).
    static expected<mrope_map> make(const mrope_sections& m, int rotary_dim) {
        if (rotary_dim <= 0 || rotary_dim % 2 != 0)
            return make_error(errc::out_of_range, "rotary_dim", "must be even and > 0", rotary_dim);
        if (m.section.size() != 3)
            return error{errc::invalid_argument, "mrope_section",
                         "must have three entries (t, h, w), got " +
                             std::to_string(m.section.size())};
        long long sum = 0;
        for (std::size_t i = 0; i < 3; ++i) {
            if (m.section[i] < 0)
                return make_error(errc::out_of_range, "mrope_section[" + std::to_string(i) + "]",
                                  "must be >= 0", m.section[i]);
            sum += m.section[i];
        }
        if (sum != rotary_dim / 2)
            return error{errc::inconsistent, "mrope_section",
                         "must sum to rotary_dim / 2 = " + std::to_string(rotary_dim / 2) +
                             " (got " + std::to_string(sum) + ")"};
        mrope_map out;
        out.sections_ = m;
        out.streams_.resize(static_cast<std::size_t>(rotary_dim / 2));
        for (int i = 0; i < rotary_dim / 2; ++i)
            out.streams_[static_cast<std::size_t>(i)] =
                static_cast<std::uint8_t>(mrope_stream(m, i));
        return out;
    }

    const mrope_sections& sections() const noexcept { return sections_; }
    /// rotary_dim / 2 entries, each 0, 1 or 2; empty for a default-constructed map.
    const std::vector<std::uint8_t>& streams() const noexcept { return streams_; }
    int rotary_dim() const noexcept { return static_cast<int>(2 * streams_.size()); }
    bool empty() const noexcept { return streams_.empty(); }

  private:
    mrope_sections sections_;
    std::vector<std::uint8_t> streams_;
};

/// The positions of an M-RoPE call: three streams (t, h, w) of one position per token, each
/// int32 or int64, as position_span. Does not own the data.
struct mrope_positions {
    position_span t;
    position_span h;
    position_span w;

    /// The tokens of the call (the t stream's size; the others must match).
    std::int64_t size() const noexcept { return t.size(); }
    /// Stream s (0 t, 1 h, 2 w).
    const position_span& stream(int s) const noexcept { return s == 0 ? t : s == 1 ? h : w; }
    /// Positions [offset, offset + count) of every stream: pairs with heads_view::token_range.
    mrope_positions subspan(std::int64_t offset, std::int64_t count) const noexcept {
        return {t.subspan(offset, count), h.subspan(offset, count), w.subspan(offset, count)};
    }
};

/// The streams of a [3][tokens] buffer (transformers' position_ids of shape (3, batch, seq)
/// for one sequence; vLLM's (3, num_tokens)): row 0 is t, row 1 h, row 2 w.
inline mrope_positions make_mrope_positions(const std::int64_t* data,
                                            std::int64_t tokens) noexcept {
    return {position_span(data, tokens), position_span(data + tokens, tokens),
            position_span(data + 2 * tokens, tokens)};
}
inline mrope_positions make_mrope_positions(const std::int32_t* data,
                                            std::int64_t tokens) noexcept {
    return {position_span(data, tokens), position_span(data + tokens, tokens),
            position_span(data + 2 * tokens, tokens)};
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_MROPE_HPP
