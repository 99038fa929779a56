// SPDX-License-Identifier: MIT
//
// Multimodal RoPE (M-RoPE) sections: which of three position streams, temporal (t), height
// (h) and width (w), each rotary pair takes its angle from, as Qwen2-VL, Qwen2.5-VL and
// Qwen3-VL rotate text and vision tokens. The frequency table is the model's usual one; only
// the position each pair is rotated by changes:
//
//   pair i of token n is rotated by angle  positions[stream(i)][n] * inv_freq[i],
//
// stream(i) in {0 = t, 1 = h, 2 = w} given by `mrope_section` = (s_t, s_h, s_w), which sums to
// rotary_dim / 2, in one of two forms:
//   chunked     (Qwen2-VL, Qwen2.5-VL; transformers `apply_multimodal_rotary_pos_emb`, which
//               splits cos/sin of both halves of the head into chunks mrope_section * 2 and
//               gives chunk j stream j % 3): pairs [0, s_t) follow t, [s_t, s_t + s_h) follow
//               h, the rest w;
//   interleaved (Qwen3-VL; transformers `apply_interleaved_mrope`, config `mrope_interleaved`:
//               freqs[1 : 3 s_h : 3] from h, freqs[2 : 3 s_w : 3] from w, the rest from t):
//               pair i follows h if i % 3 == 1 and i < 3 s_h, w if i % 3 == 2 and i < 3 s_w,
//               t otherwise.
// A text token has t = h = w: every form then equals the 1-D rotation at that position.
//
// This header holds the specification and its pair -> stream map only (the config.json
// reader returns mrope_sections). The positions of a call are views.hpp's mrope_streams, the
// rotation is apply.hpp's, the position ids of a prompt are mrope_positions.hpp's.
#ifndef ROPESCALE_MROPE_HPP
#define ROPESCALE_MROPE_HPP

#include "config.hpp"
#include "error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// The M-RoPE section specification of a model: config.json `mrope_section` (three pair
/// counts, t, h, w) and `mrope_interleaved` (Qwen3-VL). See the file comment for the mapping.
struct mrope_sections {
    std::vector<int> section;  ///< (s_t, s_h, s_w), each >= 0, summing to rotary_dim / 2
    bool interleaved = false;  ///< Qwen3-VL's interleaving; false: chunked (Qwen2/2.5-VL)
};

/// Checks the form of `m`: three entries, none negative. The field of an error is `field`
/// ("mrope_section" by default; the config.json reader passes the key's path) or
/// `field[i]` for entry i. Errors: errc::invalid_argument `field` (not three entries),
/// errc::out_of_range `field[i]` (negative). Exact (integers).
inline status check_mrope_sections(const mrope_sections& m,
                                   const std::string& field = "mrope_section") {
    if (m.section.size() != 3)
        return error{errc::invalid_argument, field,
                     "must have three entries (t, h, w), got " + std::to_string(m.section.size())};
    for (std::size_t i = 0; i < 3; ++i)
        if (m.section[i] < 0)
            return make_error(errc::out_of_range, field + "[" + std::to_string(i) + "]",
                              "must be >= 0", m.section[i]);
    return {};
}

/// Checks `m` against a rotary dimension: the form (above), then s_t + s_h + s_w ==
/// rotary_dim / 2, the condition under which transformers' chunked split covers the head
/// exactly (torch.split fails otherwise) and every pair has one stream.
/// Errors: those of the form; errc::out_of_range "rotary_dim" (not even and > 0);
/// errc::inconsistent `field` (the sum differs; both numbers in the message). Exact.
inline status check_mrope_sections(const mrope_sections& m, int rotary_dim,
                                   const std::string& field = "mrope_section") {
    if (auto s = check_mrope_sections(m, field); !s) return s;
    if (rotary_dim <= 0 || rotary_dim % 2 != 0)
        return make_error(errc::out_of_range, "rotary_dim", "must be even and > 0", rotary_dim);
    const long long sum =
        static_cast<long long>(m.section[0]) + m.section[1] + static_cast<long long>(m.section[2]);
    if (sum != rotary_dim / 2)
        return error{errc::inconsistent, field,
                     "must sum to rotary_dim / 2 = " + std::to_string(rotary_dim / 2) + " (got " +
                         std::to_string(sum) + ")"};
    return {};
}

/// Which position stream pair i follows: 0 (t), 1 (h) or 2 (w), by the rules of the file
/// comment (transformers `apply_multimodal_rotary_pos_emb` when chunked,
/// `apply_interleaved_mrope` when interleaved). Precondition: check_mrope_sections(m)
/// accepts m and 0 <= i. Exact.
inline int mrope_pair_stream(const mrope_sections& m, int i) noexcept {
    const int s_t = m.section[0];
    const int s_h = m.section[1];
    if (m.interleaved) {
        const int s_w = m.section[2];
        if (i % 3 == 1 && i < 3 * s_h) return 1;
        if (i % 3 == 2 && i < 3 * s_w) return 2;
        return 0;
    }
    return i < s_t ? 0 : i - s_t < s_h ? 1 : 2;
}

/// The pair -> stream table of a model, checked and built once (an engine keeps it beside its
/// cache or table and passes it to every M-RoPE call).
class mrope_map {
  public:
    mrope_map() = default;

    /// Checks `m` against `rotary_dim` (check_mrope_sections, its errors) and tabulates
    /// mrope_pair_stream for pairs [0, rotary_dim / 2). Exact; allocates 5 bytes a pair.
    static expected<mrope_map> make(const mrope_sections& m, int rotary_dim) {
        if (auto s = check_mrope_sections(m, rotary_dim); !s) return s.err();
        mrope_map out;
        out.sections_ = m;
        out.streams_.resize(static_cast<std::size_t>(rotary_dim / 2));
        out.codes_.resize(static_cast<std::size_t>(rotary_dim / 2));
        for (int i = 0; i < rotary_dim / 2; ++i) {
            const int s = mrope_pair_stream(m, i);
            out.streams_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(s);
            out.codes_[static_cast<std::size_t>(i)] = static_cast<float>(s);
        }
        return out;
    }

    /// The sections it was made from.
    const mrope_sections& sections() const noexcept { return sections_; }
    /// rotary_dim / 2 entries, entry i the stream of pair i (0 t, 1 h, 2 w); empty for a
    /// default-constructed map.
    const std::vector<std::uint8_t>& streams() const noexcept { return streams_; }
    /// streams() as floats (0.0f, 1.0f, 2.0f): what the kernels compare lane by lane to pick
    /// each pair's cos/sin row.
    const std::vector<float>& stream_codes() const noexcept { return codes_; }
    /// The rotary dimension it was made for (0 when empty).
    int rotary_dim() const noexcept { return static_cast<int>(2 * streams_.size()); }
    bool empty() const noexcept { return streams_.empty(); }

  private:
    mrope_sections sections_;
    std::vector<std::uint8_t> streams_;
    std::vector<float> codes_;
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_MROPE_HPP
