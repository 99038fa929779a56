// SPDX-License-Identifier: MIT
//
// Internal: one rotation call as the kernels receive it (rope_job), after the entry points
// (apply.hpp) have checked it: the operands' pointers and strides, the positions, and the
// angle source (cache rows or inverse frequencies) with its scales. No xsimd here: the
// scalar reference (reference.hpp) reads the same job as the SIMD kernels.
#ifndef ROPESCALE_DETAIL_JOB_HPP
#define ROPESCALE_DETAIL_JOB_HPP

#include "../config.hpp"
#include "../half.hpp"
#include "../layout.hpp"

#include <cstddef>
#include <cstdint>
#include <type_traits>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// The element types the kernels accept.
template <class T>
inline constexpr bool is_element_type =
    std::is_same<T, float>::value || std::is_same<T, double>::value ||
    std::is_same<T, fp16>::value || std::is_same<T, bf16>::value;

// The work type of an element type (the type of the arithmetic): double for double, float
// otherwise.
template <class T>
using work_t = std::conditional_t<std::is_same<T, double>::value, double, float>;

// Pairs handled per pass: rotary_dim <= 256 (every common model) is one pass per token; larger
// dimensions loop over chunks, so the stack buffers stay small and there is no size limit.
inline constexpr int chunk_pairs = 128;

// One tensor to rotate: input and output views of [tokens][heads][head_dim] (strides in
// elements). In place when in == out (same strides).
template <class T>
struct operand_job {
    const T* in = nullptr;
    T* out = nullptr;
    int heads = 0;
    std::ptrdiff_t in_token_stride = 0;
    std::ptrdiff_t in_head_stride = 0;
    std::ptrdiff_t out_token_stride = 0;
    std::ptrdiff_t out_head_stride = 0;
};

// A complete rotation call. The angle source is the cache when `cache` is set, else the
// inverse frequencies (on the fly). cos and sin are multiplied by cos_scale / sin_scale:
// forward (1, 1) or (m, m) with the attention factor; inverse (1, -1) or (1/m, -1/m).
// With the cache, a negative position p reads row |p| with sin negated (R(-p) = R(p)^T).
template <class T>
struct rope_job {
    operand_job<T> ops[2];
    std::int64_t tokens = 0;
    const std::int32_t* pos32 = nullptr;  // exactly one of pos32 / pos64 when tokens > 0
    const std::int64_t* pos64 = nullptr;
    int head_dim = 0;
    int rotary_dim = 0;
    rotary_layout layout = rotary_layout::half_split;
    const float* cache = nullptr;  // row r: cos at [r*rotary_dim, +d/2), sin at [+d/2, +d)
    std::int64_t cache_rows = 0;
    const double* inv_freq = nullptr;  // rotary_dim / 2 entries
    double cos_scale = 1.0;
    double sin_scale = 1.0;
    bool stream = false;  // output larger than the caches: streaming stores where aligned
    // M-RoPE (mrope.hpp): when set, pair i of token t is rotated by the position of stream
    // pair_stream[i] (rotary_dim / 2 entries, each 0, 1 or 2; pair_code[i] the same as a
    // float), read from stream32[s] or stream64[s] (one of the two per stream); pos32 / pos64
    // then point at stream 0.
    const std::uint8_t* pair_stream = nullptr;
    const float* pair_code = nullptr;
    const std::int32_t* stream32[3] = {nullptr, nullptr, nullptr};
    const std::int64_t* stream64[3] = {nullptr, nullptr, nullptr};
};

// Outputs of more than this many bytes per call are written with streaming (non-temporal)
// stores where the arch, element type and alignment allow: like memcpy for large copies, this
// skips reading the destination lines first (a third of the memory traffic). Below it, regular
// stores keep the rotated q/k in cache for the attention that follows.
inline constexpr std::size_t stream_threshold_bytes = std::size_t{16} << 20;

template <class Arch, class T>
inline std::int64_t job_position(const rope_job<T>& job, std::int64_t t) noexcept {
    return job.pos64 ? job.pos64[t] : job.pos32[t];
}

// Position of token t in M-RoPE stream s.
template <class Arch, class T>
inline std::int64_t stream_position(const rope_job<T>& job, int s, std::int64_t t) noexcept {
    return job.stream64[s] ? job.stream64[s][t] : job.stream32[s][t];
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_JOB_HPP
