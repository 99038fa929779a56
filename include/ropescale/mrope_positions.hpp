// SPDX-License-Identifier: MIT
//
// M-RoPE position ids: the three position streams (temporal, height, width) of a prompt made
// of text runs, images and videos, as the Qwen-VL models lay them out (transformers'
// `get_rope_index` in modeling_qwen2_vl.py, modeling_qwen2_5_vl.py and modeling_qwen3_vl.py;
// vLLM's `MRotaryEmbedding.get_input_positions`). An engine describes its prompt as spans and
// gets the [3][tokens] ids the rotation takes, plus the delta that continues decoding.
//
//   text run of n tokens:  t = h = w = s, s + 1, ..., s + n - 1
//   image / video span:    grid (grid_t, grid_h, grid_w) patches, merged spatially by m:
//                          T = grid_t, H = grid_h / m, W = grid_w / m; T * H * W tokens in
//                          (i, y, x) order (x fastest), token (i, y, x) at
//                          t = s + time(i),  h = s + y,  w = s + x
//   where s is the span's start (below) and time(i) the model's temporal index.
//
// Exact integers throughout: no floating point except Qwen2.5-VL's video time index, which
// reproduces torch's float32 arithmetic and truncation (mrope_time_rounding).
#ifndef ROPESCALE_MROPE_POSITIONS_HPP
#define ROPESCALE_MROPE_POSITIONS_HPP

#include "config.hpp"
#include "error.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// What a span of the prompt holds.
enum class mrope_span_kind {
    text,   ///< `tokens` ordinary tokens (the vision start / end markers included)
    image,  ///< one image: an image_grid_thw row, grid_t = 1
    video,  ///< one video: a video_grid_thw row, and its second_per_grid_ts entry
};

/// One span of a prompt, in token order. Make them with mrope_text / mrope_image / mrope_video.
struct mrope_span {
    mrope_span_kind kind = mrope_span_kind::text;
    /// text: the number of tokens (>= 0). image / video: 0 (the count follows from the grid),
    /// or the number of placeholder tokens the prompt holds for this span, which must then
    /// equal grid_t * (grid_h / m) * (grid_w / m): a check, not an input.
    std::int64_t tokens = 0;
    /// image / video: the patch grid before spatial merging, as the processor returns it in
    /// image_grid_thw / video_grid_thw (temporal patches, height patches, width patches).
    /// Ignored for text.
    std::int64_t grid_t = 0;
    std::int64_t grid_h = 0;
    std::int64_t grid_w = 0;
    /// video, Qwen2.5-VL: seconds per temporal patch, the span's second_per_grid_ts entry
    /// (temporal_patch_size / fps). 1.0 when the processor gave none, as get_rope_index
    /// defaults it. Ignored for text, images and the other models.
    double second_per_grid_t = 1.0;
};

/// A text run of `tokens` tokens.
inline mrope_span mrope_text(std::int64_t tokens) noexcept {
    mrope_span s;
    s.tokens = tokens;
    return s;
}

/// An image with the patch grid (grid_t, grid_h, grid_w) of image_grid_thw (grid_t is 1).
inline mrope_span mrope_image(std::int64_t grid_t, std::int64_t grid_h,
                              std::int64_t grid_w) noexcept {
    mrope_span s;
    s.kind = mrope_span_kind::image;
    s.grid_t = grid_t;
    s.grid_h = grid_h;
    s.grid_w = grid_w;
    return s;
}

/// A video with the patch grid of video_grid_thw and its seconds per temporal patch.
inline mrope_span mrope_video(std::int64_t grid_t, std::int64_t grid_h, std::int64_t grid_w,
                              double second_per_grid_t = 1.0) noexcept {
    mrope_span s;
    s.kind = mrope_span_kind::video;
    s.grid_t = grid_t;
    s.grid_h = grid_h;
    s.grid_w = grid_w;
    s.second_per_grid_t = second_per_grid_t;
    return s;
}

/// Which model's temporal rule the vision spans follow.
enum class mrope_model {
    /// Qwen2-VL: temporal patch i of a video has time(i) = i.
    qwen2_vl,
    /// Qwen2.5-VL: time(i) = trunc(i * second_per_grid_t * tokens_per_second), rounded as
    /// mrope_time_rounding says; images time(0) = 0.
    qwen2_5_vl,
    /// Qwen3-VL: a video is split into its temporal patches, one frame of
    /// H * W tokens each (`video_grid_thw` repeated grid_t times with grid_t = 1), every frame
    /// laid out as an image starting past the previous one; time(i) = 0. Its processor puts a
    /// timestamp and the vision start / end markers between frames, so a prompt is described
    /// as text, mrope_video(1, h, w), text, mrope_video(1, h, w), ...; a span with grid_t > 1
    /// is its grid_t frames back to back, with no text between them.
    qwen3_vl,
};

/// "qwen2_vl", "qwen2_5_vl" or "qwen3_vl": the config.json model_type of the class.
inline const char* to_string(mrope_model model) noexcept {
    switch (model) {
        case mrope_model::qwen2_vl: return "qwen2_vl";
        case mrope_model::qwen2_5_vl: return "qwen2_5_vl";
        case mrope_model::qwen3_vl: return "qwen3_vl";
    }
    return "unknown";
}

/// Where the text after a vision span resumes (and where every span starts).
enum class mrope_text_resume {
    /// Every span starts one past the largest position so far, on any stream: s = max + 1
    /// (0 for the first). transformers' get_rope_index up to v5.2 and vLLM's
    /// get_input_positions: the layout of the original Qwen-VL code.
    after_max,
    /// A text run starts where the previous span's cursor stopped: past a text run by its
    /// length, past a vision span by max(H, W) (its spatial extent; a video's temporal extent
    /// does not move it). transformers from v5.3 (get_rope_index over mm_token_type_ids, with
    /// get_vision_position_ids). Differs from after_max only after a video whose temporal extent
    /// exceeds
    /// its spatial one, where the text then reuses temporal positions of the video.
    after_spatial_extent,
};

/// How Qwen2.5-VL's video time index is rounded to an integer.
enum class mrope_time_rounding {
    /// time(i) = trunc(f32(f32(f32(i) * f32(s)) * f32(tps))) with f32 the rounding to the
    /// nearest float32: torch multiplies the int64 index tensor by the float32 second_per_grid_t
    /// (the
    /// processor's tensor; a Python float is also taken as float32) and then by
    /// tokens_per_second, in float32, and `.long()` truncates toward zero. vLLM's
    /// get_input_positions, and transformers' get_rope_index in the releases that multiply in
    /// floating point. Another multiplication order can differ by one where a
    /// product lands within float32 rounding of an integer.
    truncate_product,
    /// time(i) = i * trunc(f32(s)) * tps: second_per_grid_t is cast to an integer first
    /// (0.5 s per patch gives time 0 for every patch). The transformers releases that convert
    /// second_per_grid_t to the index tensor's int64 dtype, or take int() of it, before
    /// multiplying. With a fractional tokens_per_second the second product is formed in
    /// float32 and truncated as above.
    truncate_seconds,
};

/// The layout rules: the model and the two vision_config values the position ids read.
struct mrope_position_rules {
    mrope_model model = mrope_model::qwen2_vl;
    /// vision_config.spatial_merge_size: patches merged per side into one token (2 in every
    /// released Qwen-VL). >= 1; grid_h and grid_w must be multiples of it.
    int spatial_merge_size = 2;
    /// vision_config.tokens_per_second (Qwen2.5-VL; 2 in the released checkpoints): finite,
    /// > 0. Required when a Qwen2.5-VL prompt has a video; unused otherwise. An integral
    /// value is taken as the integer config.json holds.
    std::optional<double> tokens_per_second;
    mrope_text_resume text_resume = mrope_text_resume::after_max;
    mrope_time_rounding time_rounding = mrope_time_rounding::truncate_product;
};

/// The shape of a layout: token count, largest position, and the decode continuation.
struct mrope_layout {
    /// Tokens of the prompt (the length of each stream).
    std::int64_t tokens = 0;
    /// The largest position on any stream; -1 for an empty prompt.
    std::int64_t max_position = -1;
    /// transformers' mrope_position_deltas / vLLM's mrope_position_delta:
    /// max_position + 1 - tokens (0 for an empty prompt). Token n >= tokens of the generation
    /// (cache position n) has t = h = w = n + delta.
    std::int64_t delta = 0;

    /// The position of the first token generated after the prompt, on all three streams:
    /// tokens + delta = max_position + 1.
    std::int64_t next_position() const noexcept { return tokens + delta; }
    /// The position of cache position n >= tokens (decode continuation): n + delta.
    std::int64_t decode_position(std::int64_t n) const noexcept { return n + delta; }
};

/// Owned position ids: one buffer [3][tokens], stream k (0 = t, 1 = h, 2 = w) of token j at
/// ids[k * tokens + j], so each stream is contiguous and the streams are `tokens` apart.
struct mrope_positions {
    std::vector<std::int64_t> ids;
    mrope_layout layout;

    std::int64_t tokens() const noexcept { return layout.tokens; }
    /// Stream k (0 = t, 1 = h, 2 = w): `tokens()` positions. Precondition: 0 <= k < 3.
    const std::int64_t* stream(int k) const noexcept {
        ROPESCALE_ASSERT(k >= 0 && k < 3);
        return ids.data() + static_cast<std::ptrdiff_t>(k) * layout.tokens;
    }
    const std::int64_t* t() const noexcept { return stream(0); }
    const std::int64_t* h() const noexcept { return stream(1); }
    const std::int64_t* w() const noexcept { return stream(2); }
};

namespace detail {

constexpr std::int64_t mrope_int64_max = std::numeric_limits<std::int64_t>::max();

inline std::string mrope_field(std::size_t i, const char* member) {
    return "spans[" + std::to_string(i) + "]." + member;
}

// Rounds to the nearest float32, as torch stores a float32 tensor value.
inline float mrope_f32(double v) noexcept { return static_cast<float>(v); }

// A validated vision span: merged grid, per-patch time step rule, token count.
struct mrope_vision {
    std::int64_t frames = 1;         // grid_t: temporal patches
    std::int64_t height = 1;         // H = grid_h / m
    std::int64_t width = 1;          // W = grid_w / m
    bool split_frames = false;       // Qwen3-VL: each temporal patch is its own span
    int time_rule = 0;               // 0: i, 1: Qwen2.5-VL scaled, 2: always 0
    float seconds_f32 = 0.0f;        // f32(second_per_grid_t)
    float tps_f32 = 0.0f;            // f32(tokens_per_second)
    double tps = 0.0;                // tokens_per_second as given
    std::int64_t whole_seconds = 0;  // trunc(f32(second_per_grid_t)) (truncate_seconds)
    bool tps_integral = false;
    mrope_time_rounding rounding = mrope_time_rounding::truncate_product;
};

// time(i) of temporal patch i, or -1 when it does not fit an int64 position offset.
inline std::int64_t mrope_time(const mrope_vision& v, std::int64_t i) noexcept {
    if (v.time_rule == 0) return i;
    if (v.time_rule == 2) return 0;
    // Qwen2.5-VL. float -> int64 truncates toward zero (torch's .long()); values are >= 0 and
    // checked below 2^63 before the conversion.
    constexpr float limit = 9.2233720368547758e18f;  // 2^63
    if (v.rounding == mrope_time_rounding::truncate_product) {
        const float a = static_cast<float>(i) * v.seconds_f32;  // f32(f32(i) * f32(s))
        const float b = a * v.tps_f32;                          // f32(a * f32(tps))
        if (!(b < limit)) return -1;
        return static_cast<std::int64_t>(b);
    }
    // truncate_seconds: i * trunc(s) in int64, then * tps (integer, or float32 if fractional).
    if (v.whole_seconds != 0 && i > mrope_int64_max / v.whole_seconds) return -1;
    const std::int64_t steps = i * v.whole_seconds;
    if (v.tps_integral) {
        const auto tps = static_cast<std::int64_t>(v.tps);
        if (tps != 0 && steps > mrope_int64_max / tps) return -1;
        return steps * tps;
    }
    const float b = static_cast<float>(steps) * v.tps_f32;
    if (!(b < limit)) return -1;
    return static_cast<std::int64_t>(b);
}

// Validates span i as a vision span under `rules`; fills `v` and its token count.
inline status mrope_check_vision(const mrope_span& s, std::size_t i,
                                 const mrope_position_rules& rules, mrope_vision& v,
                                 std::int64_t& count) {
    const char* dims[3] = {"grid_t", "grid_h", "grid_w"};
    const std::int64_t grid[3] = {s.grid_t, s.grid_h, s.grid_w};
    for (int d = 0; d < 3; ++d)
        if (grid[d] < 1)
            return make_error(errc::out_of_range, mrope_field(i, dims[d]), "must be >= 1",
                              static_cast<long long>(grid[d]));
    const std::int64_t m = rules.spatial_merge_size;
    for (int d = 1; d < 3; ++d)
        if (grid[d] % m != 0)
            return make_error(errc::out_of_range, mrope_field(i, dims[d]),
                              "must be a multiple of spatial_merge_size = " + std::to_string(m),
                              static_cast<long long>(grid[d]));
    if (s.kind == mrope_span_kind::image && s.grid_t != 1)
        return make_error(errc::out_of_range, mrope_field(i, "grid_t"),
                          "an image has one temporal patch (grid_t = 1)",
                          static_cast<long long>(s.grid_t));
    v = mrope_vision{};
    v.frames = s.grid_t;
    v.height = s.grid_h / m;
    v.width = s.grid_w / m;
    if (v.height > mrope_int64_max / v.width || v.frames > mrope_int64_max / (v.height * v.width))
        return make_error(errc::out_of_range, mrope_field(i, "grid_t"),
                          "grid_t * (grid_h / m) * (grid_w / m) tokens overflow int64",
                          static_cast<long long>(s.grid_t));
    count = v.frames * v.height * v.width;
    if (s.tokens != 0 && s.tokens != count)
        return error{errc::inconsistent, mrope_field(i, "tokens"),
                     "the grid (" + std::to_string(s.grid_t) + ", " + std::to_string(s.grid_h) +
                         ", " + std::to_string(s.grid_w) + ") merged by " + std::to_string(m) +
                         " gives " + std::to_string(count) + " tokens (got " +
                         std::to_string(s.tokens) + ")"};
    switch (rules.model) {
        case mrope_model::qwen2_vl: v.time_rule = 0; break;
        case mrope_model::qwen3_vl:
            v.time_rule = 2;
            v.split_frames = true;
            break;
        case mrope_model::qwen2_5_vl: {
            if (s.kind == mrope_span_kind::image) {
                v.time_rule = 2;  // grid_t = 1: time(0) = 0 under every rule
                break;
            }
            if (!rules.tokens_per_second)
                return error{errc::missing_field, "tokens_per_second",
                             "Qwen2.5-VL video time steps need vision_config.tokens_per_second "
                             "(video at spans[" +
                                 std::to_string(i) + "])"};
            const double tps = *rules.tokens_per_second;
            const double sec = s.second_per_grid_t;
            if (!std::isfinite(sec))
                return make_error(errc::not_finite, mrope_field(i, "second_per_grid_t"),
                                  "must be a finite number", sec);
            if (!(sec >= 0.0))
                return make_error(errc::out_of_range, mrope_field(i, "second_per_grid_t"),
                                  "must be >= 0", sec);
            v.time_rule = 1;
            v.seconds_f32 = mrope_f32(sec);
            v.tps = tps;
            v.tps_f32 = mrope_f32(tps);
            v.tps_integral = std::floor(tps) == tps && tps < 9.2233720368547758e18;
            v.rounding = rules.time_rounding;
            // trunc(f32(s)) in int64; a value past 2^63 cannot be a finite int64 step.
            if (!(v.seconds_f32 < 9.2233720368547758e18f))
                return make_error(errc::out_of_range, mrope_field(i, "second_per_grid_t"),
                                  "is too large for an int64 time step", sec);
            v.whole_seconds = static_cast<std::int64_t>(v.seconds_f32);
            break;
        }
    }
    return {};
}

inline status mrope_check_rules(const mrope_position_rules& rules) {
    if (rules.spatial_merge_size < 1)
        return make_error(errc::out_of_range, "spatial_merge_size", "must be >= 1",
                          rules.spatial_merge_size);
    if (rules.tokens_per_second) {
        const double tps = *rules.tokens_per_second;
        if (!std::isfinite(tps))
            return make_error(errc::not_finite, "tokens_per_second", "must be a finite number",
                              tps);
        if (!(tps > 0.0))
            return make_error(errc::out_of_range, "tokens_per_second", "must be > 0", tps);
    }
    switch (rules.model) {
        case mrope_model::qwen2_vl:
        case mrope_model::qwen2_5_vl:
        case mrope_model::qwen3_vl: break;
        default:
            return make_error(errc::invalid_argument, "model", "is not an mrope_model",
                              static_cast<int>(rules.model));
    }
    switch (rules.text_resume) {
        case mrope_text_resume::after_max:
        case mrope_text_resume::after_spatial_extent: break;
        default:
            return make_error(errc::invalid_argument, "text_resume", "is not an mrope_text_resume",
                              static_cast<int>(rules.text_resume));
    }
    switch (rules.time_rounding) {
        case mrope_time_rounding::truncate_product:
        case mrope_time_rounding::truncate_seconds: break;
        default:
            return make_error(errc::invalid_argument, "time_rounding",
                              "is not an mrope_time_rounding",
                              static_cast<int>(rules.time_rounding));
    }
    return {};
}

inline error mrope_overflow(std::size_t i, const char* member) {
    return error{errc::out_of_range, mrope_field(i, member),
                 "the positions or token count up to this span overflow int64"};
}

// The one walk over the spans: validates everything and calls emit(j, t, h, w) for token j
// in order when Emit is not std::nullptr_t. Returns the layout.
template <class Emit>
expected<mrope_layout> mrope_walk(const mrope_span* spans, std::size_t count,
                                  const mrope_position_rules& rules, Emit&& emit) {
    if (auto st = mrope_check_rules(rules); !st) return st.err();
    if (count > 0 && spans == nullptr)
        return error{errc::invalid_argument, "spans", "null with a nonzero span count"};
    const bool after_max = rules.text_resume == mrope_text_resume::after_max;
    std::int64_t j = 0;         // tokens laid so far
    std::int64_t cursor = 0;    // after_spatial_extent: where the next span starts
    std::int64_t max_pos = -1;  // largest position so far
    for (std::size_t i = 0; i < count; ++i) {
        const mrope_span& s = spans[i];
        if (s.kind == mrope_span_kind::text) {
            if (s.tokens < 0)
                return make_error(errc::out_of_range, mrope_field(i, "tokens"), "must be >= 0",
                                  static_cast<long long>(s.tokens));
            if (s.tokens == 0) continue;
            const std::int64_t start = after_max ? max_pos + 1 : cursor;
            // The last position start + tokens - 1 stays below INT64_MAX, so max + 1 fits.
            if (j > mrope_int64_max - s.tokens || start > mrope_int64_max - s.tokens)
                return mrope_overflow(i, "tokens");
            if constexpr (!std::is_same_v<std::decay_t<Emit>, std::nullptr_t>)
                for (std::int64_t k = 0; k < s.tokens; ++k)
                    emit(j + k, start + k, start + k, start + k);
            j += s.tokens;
            cursor = start + s.tokens;
            if (start + s.tokens - 1 > max_pos) max_pos = start + s.tokens - 1;
            continue;
        }
        if (s.kind != mrope_span_kind::image && s.kind != mrope_span_kind::video)
            return make_error(errc::invalid_argument, mrope_field(i, "kind"),
                              "is not an mrope_span_kind", static_cast<int>(s.kind));
        mrope_vision v;
        std::int64_t n = 0;
        if (auto st = mrope_check_vision(s, i, rules, v, n); !st) return st.err();
        if (j > mrope_int64_max - n) return mrope_overflow(i, "grid_t");
        const std::int64_t extent = v.height > v.width ? v.height : v.width;  // max(H, W)
        // One block per temporal patch when the model splits frames, else one block.
        const std::int64_t blocks = v.split_frames ? v.frames : 1;
        const std::int64_t block_frames = v.split_frames ? 1 : v.frames;
        for (std::int64_t b = 0; b < blocks; ++b) {
            const std::int64_t start = after_max ? max_pos + 1 : cursor;
            const std::int64_t last_time = mrope_time(v, block_frames - 1);  // time() grows
            if (last_time < 0) return mrope_overflow(i, "second_per_grid_t");
            const std::int64_t reach = last_time > extent - 1 ? last_time : extent - 1;
            if (start > mrope_int64_max - 1 - reach || start > mrope_int64_max - extent)
                return mrope_overflow(i, "grid_t");
            if constexpr (!std::is_same_v<std::decay_t<Emit>, std::nullptr_t>) {
                for (std::int64_t f = 0; f < block_frames; ++f) {
                    const std::int64_t t = start + mrope_time(v, f);
                    for (std::int64_t y = 0; y < v.height; ++y)
                        for (std::int64_t x = 0; x < v.width; ++x)
                            emit(j++, t, start + y, start + x);
                }
            } else {
                j += block_frames * v.height * v.width;
            }
            cursor = start + extent;
            if (start + reach > max_pos) max_pos = start + reach;
        }
    }
    mrope_layout layout;
    layout.tokens = j;
    layout.max_position = max_pos;
    layout.delta = j == 0 ? 0 : max_pos + 1 - j;
    return layout;
}

}  // namespace detail

/// Validates a prompt's spans under `rules` and returns its layout (token count, largest
/// position, decode delta) without writing positions: how an engine sizes its buffer before
/// write_mrope_positions. The error names the field ("spans[2].grid_h",
/// "spatial_merge_size", "tokens_per_second", ...) and the value: a grid side < 1 or not a
/// multiple of spatial_merge_size, an image with grid_t != 1, a placeholder count that
/// disagrees with the grid, a missing or non-finite tokens_per_second (Qwen2.5-VL videos), a
/// negative or non-finite second_per_grid_t, positions or token counts that overflow int64.
/// Rules: see mrope_model, mrope_text_resume, mrope_time_rounding. Exact integers. Does not
/// allocate (except the error's message); never throws.
inline expected<mrope_layout> measure_mrope_positions(const mrope_span* spans, std::size_t count,
                                                      const mrope_position_rules& rules) {
    return detail::mrope_walk(spans, count, rules, nullptr);
}
inline expected<mrope_layout> measure_mrope_positions(const std::vector<mrope_span>& spans,
                                                      const mrope_position_rules& rules) {
    return measure_mrope_positions(spans.data(), spans.size(), rules);
}

/// Writes the position ids of a prompt into a caller's buffer: stream k (0 = t, 1 = h,
/// 2 = w) of token j at out[k * stream_stride + j], int32 (llama.cpp) or int64 (transformers,
/// vLLM). transformers' get_rope_index (Qwen2-VL, Qwen2.5-VL, Qwen3-VL) for one unpadded
/// prompt; vLLM's MRotaryEmbedding.get_input_positions. Validates first (the errors of
/// measure_mrope_positions; stream_stride < tokens, a null `out` with tokens > 0, and with
/// int32 a largest position above INT32_MAX are refused too, field "stream_stride", "out",
/// "positions") and writes nothing on error. Exact integers; does not allocate (except an
/// error's message); never throws.
template <class Int>
expected<mrope_layout> write_mrope_positions(const mrope_span* spans, std::size_t count,
                                             const mrope_position_rules& rules, Int* out,
                                             std::ptrdiff_t stream_stride) {
    static_assert(std::is_same_v<Int, std::int32_t> || std::is_same_v<Int, std::int64_t>,
                  "positions are int32 or int64");
    auto layout = measure_mrope_positions(spans, count, rules);
    if (!layout) return layout;
    const mrope_layout l = *layout;
    if (l.tokens == 0) return l;
    if (out == nullptr) return error{errc::invalid_argument, "out", "null with tokens > 0"};
    if (stream_stride < l.tokens)
        return make_error(errc::invalid_argument, "stream_stride",
                          "must be >= tokens = " + std::to_string(l.tokens) +
                              " (the streams would overlap)",
                          static_cast<long long>(stream_stride));
    if (std::is_same_v<Int, std::int32_t> && l.max_position > std::numeric_limits<Int>::max())
        return make_error(errc::out_of_range, "positions",
                          "the largest position does not fit int32",
                          static_cast<long long>(l.max_position));
    auto written = detail::mrope_walk(
        spans, count, rules,
        [out, stream_stride](std::int64_t j, std::int64_t t, std::int64_t h, std::int64_t w) {
            out[j] = static_cast<Int>(t);
            out[stream_stride + j] = static_cast<Int>(h);
            out[2 * stream_stride + j] = static_cast<Int>(w);
        });
    return written;
}
template <class Int>
expected<mrope_layout> write_mrope_positions(const std::vector<mrope_span>& spans,
                                             const mrope_position_rules& rules, Int* out,
                                             std::ptrdiff_t stream_stride) {
    return write_mrope_positions(spans.data(), spans.size(), rules, out, stream_stride);
}

/// The position ids of a prompt in an owned [3][tokens] int64 buffer (mrope_positions), with
/// its layout: write_mrope_positions into a buffer of 3 * tokens. Same rules, reference,
/// errors and precision; allocates the buffer (std::bad_alloc is the only exception, and a
/// prompt whose 3 * tokens exceeds the vector's max_size is an error, field "tokens").
inline expected<mrope_positions> build_mrope_positions(const mrope_span* spans, std::size_t count,
                                                       const mrope_position_rules& rules) {
    auto layout = measure_mrope_positions(spans, count, rules);
    if (!layout) return layout.err();
    mrope_positions p;
    const std::int64_t n = layout->tokens;
    if (static_cast<std::uint64_t>(n) > p.ids.max_size() / 3)
        return make_error(errc::out_of_range, "tokens", "3 * tokens exceed a vector's max_size",
                          static_cast<long long>(n));
    p.ids.resize(3 * static_cast<std::size_t>(n));
    auto written =
        write_mrope_positions(spans, count, rules, p.ids.data(), static_cast<std::ptrdiff_t>(n));
    if (!written) return written.err();
    p.layout = *written;
    return p;
}
inline expected<mrope_positions> build_mrope_positions(const std::vector<mrope_span>& spans,
                                                       const mrope_position_rules& rules) {
    return build_mrope_positions(spans.data(), spans.size(), rules);
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_MROPE_POSITIONS_HPP
