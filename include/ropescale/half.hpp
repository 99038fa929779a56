// SPDX-License-Identifier: MIT
//
// 16-bit storage types for the rotation kernels: IEEE binary16 (fp16) and bfloat16 (bf16).
// They are storage only: the kernels load them into float, compute in float and store back
// with round-to-nearest-even. Both are trivially copyable 2-byte structs holding the bit
// pattern, so an engine's own `uint16_t`, `_Float16`, `__bf16`, `Eigen::half`, `at::Half` ...
// buffers can be passed by reinterpret_cast (same size and bit layout).
#ifndef ROPESCALE_HALF_HPP
#define ROPESCALE_HALF_HPP

#include "config.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

ROPESCALE_BEGIN_NAMESPACE

/// IEEE 754 binary16: 1 sign, 5 exponent, 10 fraction bits. Storage only.
struct fp16 {
    std::uint16_t bits = 0;
};

/// bfloat16: the upper 16 bits of an IEEE binary32 (1 sign, 8 exponent, 7 fraction bits).
struct bf16 {
    std::uint16_t bits = 0;
};

static_assert(sizeof(fp16) == 2 && std::is_trivially_copyable<fp16>::value, "fp16 layout");
static_assert(sizeof(bf16) == 2 && std::is_trivially_copyable<bf16>::value, "bf16 layout");

namespace detail {

// The scalar conversions, templated on a tag so that kernels instantiate their own copy per
// instruction set (`Tag` = the xsimd arch): two translation units compiled with different -m
// flags never share one of these symbols (see dispatch.hpp). The public functions use void.

template <class Tag>
inline float bits_to_float(std::uint32_t u) noexcept {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

template <class Tag>
inline std::uint32_t float_to_bits(float f) noexcept {
    std::uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// binary16 -> binary32, exact. NaNs keep their payload and come out quiet (as F16C and a
// `(float)_Float16` conversion do).
template <class Tag>
inline float fp16_to_float(std::uint16_t h) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t fraction = h & 0x3ffu;
    if (exponent == 0x1fu) {  // inf or NaN
        const std::uint32_t quiet = fraction != 0 ? 0x00400000u : 0u;
        return bits_to_float<Tag>(sign | 0x7f800000u | quiet | (fraction << 13));
    }
    if (exponent == 0) {  // zero or subnormal: fraction * 2^-24, exact in float
        const float magnitude = static_cast<float>(fraction) * 0x1p-24f;
        return bits_to_float<Tag>(sign | float_to_bits<Tag>(magnitude));
    }
    return bits_to_float<Tag>(sign | ((exponent + 112u) << 23) | (fraction << 13));
}

// binary32 -> binary16, round to nearest even; overflow to inf; NaN stays a quiet NaN with the
// top 9 payload bits (as F16C `_mm256_cvtps_ph` and a `(_Float16)` cast do).
// Requires the default floating-point environment (round to nearest, no flush-to-zero of
// results in [2^-25, 2^-14): the subnormal case rounds with one float addition).
template <class Tag>
inline std::uint16_t float_to_fp16(float f) noexcept {
    std::uint32_t x = float_to_bits<Tag>(f);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    std::uint32_t h;
    if (x >= 0x7f800000u) {  // inf or NaN
        h = 0x7c00u | (x > 0x7f800000u ? 0x0200u | ((x >> 13) & 0x3ffu) : 0u);
    } else if (x >= 0x477ff000u) {  // >= 65520 rounds to inf
        h = 0x7c00u;
    } else if (x < 0x38800000u) {  // below 2^-14: subnormal result; 0.5 has ulp 2^-24
        const float r = bits_to_float<Tag>(x) + 0.5f;
        h = float_to_bits<Tag>(r) - 0x3f000000u;
    } else {  // normal: rebias the exponent by -112 and round the 13 dropped bits to even
        const std::uint32_t odd = (x >> 13) & 1u;
        h = (x + 0xc8000fffu + odd) >> 13;
    }
    return static_cast<std::uint16_t>(sign | h);
}

// bfloat16 -> binary32: exact (a 16-bit shift).
template <class Tag>
inline float bf16_to_float(std::uint16_t b) noexcept {
    return bits_to_float<Tag>(static_cast<std::uint32_t>(b) << 16);
}

// binary32 -> bfloat16, round to nearest even (subnormals kept, unlike _mm512_cvtneps_pbh);
// NaN stays a quiet NaN. Truncation (u >> 16) would be wrong for half of all inputs.
template <class Tag>
inline std::uint16_t float_to_bf16(float f) noexcept {
    const std::uint32_t x = float_to_bits<Tag>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x0040u);
    return static_cast<std::uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace detail

/// The exact float value of an fp16 (every binary16 is a binary32). NaN payloads kept, quieted.
inline float to_float(fp16 h) noexcept { return detail::fp16_to_float<void>(h.bits); }

/// The exact float value of a bf16.
inline float to_float(bf16 b) noexcept { return detail::bf16_to_float<void>(b.bits); }

/// f rounded to fp16, round to nearest even; |f| >= 65520 gives inf; NaN gives a quiet NaN.
/// Bit-identical to `(_Float16)f` and F16C `_mm256_cvtps_ph(.., _MM_FROUND_TO_NEAREST_INT)`.
inline fp16 to_fp16(float f) noexcept { return fp16{detail::float_to_fp16<void>(f)}; }

/// f rounded to bf16, round to nearest even (subnormals kept); NaN gives a quiet NaN.
inline bf16 to_bf16(float f) noexcept { return bf16{detail::float_to_bf16<void>(f)}; }

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_HALF_HPP
