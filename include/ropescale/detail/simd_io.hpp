// SPDX-License-Identifier: MIT
//
// Internal: loading and storing the element types (float, double, fp16, bf16) as xsimd batches
// of the work type (work_t, detail/job.hpp). Everything is templated on the xsimd arch so that
// per-ISA translation units never share a symbol (see dispatch.hpp).
//
// Half-precision paths: the arch's half_simd (detail/arch/: bf16 in integer SIMD on SSE2,
// AVX2 and AVX-512; fp16 through AVX-512F's and F16C's vcvtph2ps / vcvtps2ph, and in integer
// and float SIMD on SSE2); other archs convert both types with the portable scalar conversion
// (half.hpp) through an aligned buffer. All paths are bit-identical to half.hpp's conversions.
#ifndef ROPESCALE_DETAIL_SIMD_IO_HPP
#define ROPESCALE_DETAIL_SIMD_IO_HPP

#include "../half.hpp"
#include "arch/isa.hpp"
#include "job.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// element_io<Arch, T>: work type, batch load/store of T, scalar conversions (for tails).
template <class Arch, class T>
struct element_io;

template <class Arch>
struct element_io<Arch, float> {
    using work = float;
    using batch = xsimd::batch<float, Arch>;
    static batch load(const float* p) noexcept { return batch::load_unaligned(p); }
    static void store(float* p, batch v) noexcept { v.store_unaligned(p); }
    // Streaming (non-temporal) store of one batch to a stream_bytes-aligned address.
    static constexpr std::size_t stream_bytes = arch_ops<Arch>::stream_float_bytes;
    static void store_stream(float* p, batch v) noexcept { arch_ops<Arch>::stream(p, v); }
    static float to_work(float v) noexcept { return v; }
    static float from_work(float v) noexcept { return v; }
};

template <class Arch>
struct element_io<Arch, double> {
    using work = double;
    using batch = xsimd::batch<double, Arch>;
    static batch load(const double* p) noexcept { return batch::load_unaligned(p); }
    static void store(double* p, batch v) noexcept { v.store_unaligned(p); }
    static constexpr std::size_t stream_bytes = 0;  // f64 outputs: regular stores
    static void store_stream(double* p, batch v) noexcept { v.store_unaligned(p); }
    static double to_work(double v) noexcept { return v; }
    static double from_work(double v) noexcept { return v; }
};

template <class Arch>
struct element_io<Arch, fp16> {
    using work = float;
    using batch = xsimd::batch<float, Arch>;
    using native = half_simd<Arch>;
    static batch load(const fp16* p) noexcept {
        const auto* u = reinterpret_cast<const std::uint16_t*>(p);
        if constexpr (native::native_fp16) {
            return native::load_fp16(u);
        } else {
            alignas(64) float buf[batch::size];
            for (std::size_t i = 0; i < batch::size; ++i) buf[i] = fp16_to_float<Arch>(u[i]);
            return batch::load_aligned(buf);
        }
    }
    static void store(fp16* p, batch v) noexcept {
        auto* u = reinterpret_cast<std::uint16_t*>(p);
        if constexpr (native::native_fp16) {
            native::store_fp16(u, v);
        } else {
            alignas(64) float buf[batch::size];
            v.store_aligned(buf);
            for (std::size_t i = 0; i < batch::size; ++i) u[i] = float_to_fp16<Arch>(buf[i]);
        }
    }
    static constexpr std::size_t stream_bytes = native::native_fp16 ? native::stream_bytes : 0;
    static void store_stream(fp16* p, batch v) noexcept {
        if constexpr (stream_bytes != 0)
            native::stream_fp16(reinterpret_cast<std::uint16_t*>(p), v);
        else
            store(p, v);
    }
    static float to_work(fp16 v) noexcept { return fp16_to_float<Arch>(v.bits); }
    static fp16 from_work(float v) noexcept { return fp16{float_to_fp16<Arch>(v)}; }
};

template <class Arch>
struct element_io<Arch, bf16> {
    using work = float;
    using batch = xsimd::batch<float, Arch>;
    using native = half_simd<Arch>;
    static batch load(const bf16* p) noexcept {
        const auto* u = reinterpret_cast<const std::uint16_t*>(p);
        if constexpr (native::native_bf16) {
            return native::load_bf16(u);
        } else {
            alignas(64) float buf[batch::size];
            for (std::size_t i = 0; i < batch::size; ++i) buf[i] = bf16_to_float<Arch>(u[i]);
            return batch::load_aligned(buf);
        }
    }
    static void store(bf16* p, batch v) noexcept {
        auto* u = reinterpret_cast<std::uint16_t*>(p);
        if constexpr (native::native_bf16) {
            native::store_bf16(u, v);
        } else {
            alignas(64) float buf[batch::size];
            v.store_aligned(buf);
            for (std::size_t i = 0; i < batch::size; ++i) u[i] = float_to_bf16<Arch>(buf[i]);
        }
    }
    static constexpr std::size_t stream_bytes = native::native_bf16 ? native::stream_bytes : 0;
    static void store_stream(bf16* p, batch v) noexcept {
        if constexpr (stream_bytes != 0)
            native::stream_bf16(reinterpret_cast<std::uint16_t*>(p), v);
        else
            store(p, v);
    }
    static float to_work(bf16 v) noexcept { return bf16_to_float<Arch>(v.bits); }
    static bf16 from_work(float v) noexcept { return bf16{float_to_bf16<Arch>(v)}; }
};

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_SIMD_IO_HPP
