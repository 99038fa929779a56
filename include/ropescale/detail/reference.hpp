// SPDX-License-Identifier: MIT
//
// Internal: the scalar reference kernel. Plain loops, one pair at a time, written from the
// definition (layout.hpp) and nothing else: the math the SIMD kernels are tested against.
//
// Pair i of token t is rotated by the token's position, or with M-RoPE (job.pair_stream) by
// the position of the pair's stream. Its cos/sin are exactly what the SIMD kernels are given,
// rounded the same way: from the cache, W(entry) * W(scale); on the fly,
// W(rotation_sincos(p, inv_freq[i]) * scale), where rotation_sincos (angle.hpp) is the
// library's double-precision reference. W = float for float/fp16/bf16 elements, double for
// double. The rotation is then done in W:
//   x1' = x1 c - x2 s,  x2' = x2 c + x1 s.
// The cache builder's reference, reference_cache_rows, evaluates every entry the same way:
// float(rotation_sincos(p, inv_freq[i]) * scale).
// Not for hot paths; noexcept; no allocation. It reads the kernels' job (job.hpp) and nothing
// else of theirs. Not templated on an instruction set: keep it out of the per-ISA translation
// units (dispatch.hpp), where it would be compiled with their -m flags.
#ifndef ROPESCALE_DETAIL_REFERENCE_HPP
#define ROPESCALE_DETAIL_REFERENCE_HPP

#include "../angle.hpp"
#include "../half.hpp"
#include "../layout.hpp"
#include "job.hpp"

#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Instantiation tag of the reference kernel's helpers: its own symbols, never those of a
// per-ISA kernel (half.hpp's conversions are templated on such a tag).
struct reference_tag {};

template <class T>
struct reference_io {
    using work = work_t<T>;
    static work to_work(T v) noexcept { return static_cast<work>(v); }
    static T from_work(work v) noexcept { return static_cast<T>(v); }
};
template <>
struct reference_io<fp16> {
    using work = float;
    static float to_work(fp16 v) noexcept { return fp16_to_float<reference_tag>(v.bits); }
    static fp16 from_work(float v) noexcept { return fp16{float_to_fp16<reference_tag>(v)}; }
};
template <>
struct reference_io<bf16> {
    using work = float;
    static float to_work(bf16 v) noexcept { return bf16_to_float<bf16>(v.bits); }
    static bf16 from_work(float v) noexcept { return bf16{float_to_bf16<bf16>(v)}; }
};

template <class T>
void reference_run(const rope_job<T>& job) noexcept {
    using io = reference_io<T>;
    using W = typename io::work;
    const int pairs = job.rotary_dim / 2;
    for (std::int64_t t = 0; t < job.tokens; ++t) {
        const std::int64_t p1 = job_position<reference_tag>(job, t);
        for (const auto& op : job.ops) {
            for (int h = 0; h < op.heads; ++h) {
                const T* in = op.in + t * op.in_token_stride + h * op.in_head_stride;
                T* out = op.out + t * op.out_token_stride + h * op.out_head_stride;
                for (int ch = job.rotary_dim; ch < job.head_dim; ++ch) out[ch] = in[ch];
                for (int i = 0; i < pairs; ++i) {
                    const std::int64_t p =
                        job.pair_stream != nullptr
                            ? stream_position<reference_tag>(job, job.pair_stream[i], t)
                            : p1;
                    W c;
                    W s;
                    if (job.cache != nullptr) {
                        ROPESCALE_ASSERT(p < job.cache_rows && -p < job.cache_rows);
                        const std::int64_t row = p < 0 ? -p : p;
                        const double ss = p < 0 ? -job.sin_scale : job.sin_scale;
                        c = static_cast<W>(job.cache[row * job.rotary_dim + i]) *
                            static_cast<W>(job.cos_scale);
                        s = static_cast<W>(job.cache[row * job.rotary_dim + pairs + i]) *
                            static_cast<W>(ss);
                    } else {
                        const sin_cos e = rotation_sincos(p, job.inv_freq[i]);
                        c = static_cast<W>(e.cos * job.cos_scale);
                        s = static_cast<W>(e.sin * job.sin_scale);
                    }
                    const int i1 = job.layout == rotary_layout::half_split ? i : 2 * i;
                    const int i2 = job.layout == rotary_layout::half_split ? i + pairs : 2 * i + 1;
                    const W x1 = io::to_work(in[i1]);
                    const W x2 = io::to_work(in[i2]);
                    out[i1] = io::from_work(x1 * c - x2 * s);
                    out[i2] = io::from_work(x2 * c + x1 * s);
                }
            }
        }
    }
}

// Fills cache rows [begin, end) as build_cache_rows does (cache_rows.hpp), each entry
// evaluated on its own: float(rotation_sincos(p, inv_freq[i]) * scale).
inline void reference_cache_rows(const double* inv_freq, int pairs, double scale,
                                 std::int64_t begin, std::int64_t end, float* rows) noexcept {
    for (std::int64_t p = begin; p < end; ++p) {
        float* row = rows + p * 2 * pairs;
        for (int i = 0; i < pairs; ++i) {
            const sin_cos e = rotation_sincos(p, inv_freq[i]);
            row[i] = static_cast<float>(e.cos * scale);
            row[pairs + i] = static_cast<float>(e.sin * scale);
        }
    }
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_REFERENCE_HPP
