// SPDX-License-Identifier: MIT
//
// Internal: loading and storing the element types (float, double, fp16, bf16) as xsimd batches
// of the work type (float for float/fp16/bf16, double for double). Everything is templated on
// the xsimd arch so that per-ISA translation units never share a symbol (see dispatch.hpp).
//
// Half-precision paths: bf16 uses integer SIMD (16-bit widen + shift; round-to-nearest-even
// with NaNs kept quiet) on SSE2, AVX2 and AVX-512. fp16 uses AVX-512F's vcvtph2ps/vcvtps2ph,
// F16C's on AVX2 (the same instructions also where -mf16c is missing, see the AVX2 struct), and
// on SSE2 integer and float SIMD operations (see "fp16 <-> f32 without F16C" below). Other archs
// convert both types with the portable scalar conversion (half.hpp) through an aligned buffer. All
// paths are bit-identical to half.hpp's conversions.
#ifndef ROPESCALE_DETAIL_SIMD_IO_HPP
#define ROPESCALE_DETAIL_SIMD_IO_HPP

#include "../half.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__SSE2__) || defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
ROPESCALE_BEGIN_NAMESPACE
namespace detail {

template <class Arch>
inline constexpr bool is_avx512_family = std::is_base_of<xsimd::avx512f, Arch>::value;
template <class Arch>
inline constexpr bool is_avx2_family = std::is_base_of<xsimd::avx2, Arch>::value;
template <class Arch>
inline constexpr bool is_sse2_family = std::is_base_of<xsimd::sse2, Arch>::value;

// fp16 <-> f32 without F16C, in SIMD integer and float operations that SSE2 has, bit for bit
// as half.hpp's scalar conversions.
//
// Load, per lane, on the magnitude |h| (the sign ORed back at the end):
//  1. move exponent and fraction to their f32 places (|h| << 13) and add 112 to the exponent:
//     exact for normal numbers;
//  2. exponent 31 (inf, NaN): add 112 more (143 | 112 = 255), the fraction kept;
//  3. exponent 0 (zero, subnormal): step 1 gave o = 2^-15 (1 + f) where the value is 2^-14 f
//     = 2 o - 2^-14 (exact). min(o, 2 o - 2^-14) selects it without a compare: it is below o
//     exactly when o < 2^-14 (for o >= 2^-14 the rounded 2 o - 2^-14 is >= o). The float
//     operations also quiet a NaN, payload kept, as the scalar conversion does. No f32
//     subnormal enters them, so DAZ/FTZ do not change the result.
//
// Store, on a = |x| (the sign put back as bit 15):
//  1. clamp: c = min(a, 65520) (65520 and above round to inf); a NaN lane instead takes a
//     finite stand-in in [2^16, 2^17), 2^16 + (0x200 | top 10 payload bits) * 2^6, which the
//     next steps turn into exponent 31 with the quiet bit and the payload: the scalar NaN
//     result. Two minps do both (minps returns its second operand when either is NaN).
//  2. m = 2^(e + 13), e = max(exponent of c, -14): ulp(m) is the fp16 ulp of c's binade
//     (2^-24 for subnormal results), so the f32 addition c + m rounds c to nearest even at fp16
//     precision, and (c + m) - m in integers is the rounded c in fp16 ulps: 1024 + fraction
//     for a normal result (2048 when the rounding reaches the next binade), the fraction for a
//     subnormal one. Like the scalar subnormal case, this needs round-to-nearest.
//  3. add (e + 14) << 10 = (bits of 2^e >> 13) - (113 << 10): the fp16 bits.
//
// The constants (an enumeration: no symbol that per-ISA units could share).
enum fp16_simd_constant : int {
    fp16_sign_bit = static_cast<int>(0x80000000u),
    fp16_rebias = 112 << 23,                 // load step 1
    fp16_max_finite_magnitude = 0x0f7fffff,  // largest finite |h| << 13
    fp16_inf_nan_rebias = 0x38000000,        // load step 2: 112 << 23
    fp16_nan_payload = 0x007fe000,           // store step 1: f32 fraction bits 22..13
    fp16_nan_stand_in_base = 0x47c00000,     // 2^16 with the quiet bit
    // Store step 3 as computed: h = (r - bits(2^e)) + (bits(2^e) >> 13) + tail, where
    // r - bits(2^e) = (13 << 23) + the rounded c in ulps; the tail removes 13 << 23 and
    // 113 << 10 and, for a negative x, also 0x8000: the 16-bit result sign-extended to 32 bits,
    // so that the signed 32 -> 16-bit pack keeps it.
    fp16_positive_tail = -((13 << 23) + (113 << 10)),
    fp16_negative_tail = -((13 << 23) + (113 << 10)) - 0x8000
};

// Vector 16-bit <-> float conversions for one batch<float, Arch>. native_bf16 / native_fp16
// tell whether the specialisation has them; the primary template has none (callers use the
// scalar fallback).
template <class Arch, class Enable = void>
struct half_simd {
    static constexpr bool native_bf16 = false;
    static constexpr bool native_fp16 = false;
    static constexpr std::size_t stream_bytes = 0;  // streaming stores of packed 16-bit lanes
};

#if XSIMD_WITH_SSE2
template <class Arch>
struct half_simd<Arch, std::enable_if_t<is_sse2_family<Arch>>> {
    using batch = xsimd::batch<float, Arch>;
    static constexpr bool native_bf16 = true;
    static constexpr bool native_fp16 = true;
    static constexpr std::size_t stream_bytes = 0;  // 8-byte results: no SSE2 streaming store

    // fp16 <-> f32: the method above (load steps 1-3, store steps 1-3).
    static batch load_fp16(const std::uint16_t* p) noexcept {
        const __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        const __m128i w = _mm_unpacklo_epi16(_mm_setzero_si128(), h);  // h << 16
        const __m128i sign = _mm_and_si128(w, _mm_set1_epi32(fp16_sign_bit));
        // Exponent and fraction moved to their f32 places (bits 27..13).
        const __m128i magnitude = _mm_srli_epi32(_mm_slli_epi32(w, 1), 4);
        __m128i o = _mm_add_epi32(magnitude, _mm_set1_epi32(fp16_rebias));
        const __m128i inf_nan =
            _mm_cmpgt_epi32(magnitude, _mm_set1_epi32(fp16_max_finite_magnitude));
        o = _mm_or_si128(o, _mm_and_si128(inf_nan, _mm_set1_epi32(fp16_inf_nan_rebias)));
        const __m128 f = _mm_castsi128_ps(o);
        const __m128 d = _mm_sub_ps(f, _mm_set1_ps(0x1p-15f));
        const __m128 r = _mm_min_ps(f, _mm_add_ps(d, d));
        return batch(_mm_or_ps(r, _mm_castsi128_ps(sign)));
    }
    static void store_fp16(std::uint16_t* p, batch v) noexcept {
        const __m128i x = _mm_castps_si128(v);
        const __m128 a = _mm_and_ps(v, _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff)));
        const __m128 nan_stand_in =
            _mm_castsi128_ps(_mm_or_si128(_mm_and_si128(x, _mm_set1_epi32(fp16_nan_payload)),
                                          _mm_set1_epi32(fp16_nan_stand_in_base)));
        // Operand order matters: minps returns its second operand when either is NaN.
        const __m128 c = _mm_min_ps(_mm_min_ps(_mm_set1_ps(65520.0f), a), nan_stand_in);
        const __m128 e = _mm_max_ps(_mm_and_ps(c, _mm_castsi128_ps(_mm_set1_epi32(0x7f800000))),
                                    _mm_set1_ps(0x1p-14f));
        const __m128i ei = _mm_castps_si128(e);
        const __m128i m = _mm_add_epi32(ei, _mm_set1_epi32(13 << 23));
        const __m128i r = _mm_castps_si128(_mm_add_ps(c, _mm_castsi128_ps(m)));
        // The tail (see fp16_positive_tail): x's sign bit selects it.
        const __m128i tail =
            _mm_xor_si128(_mm_set1_epi32(fp16_positive_tail),
                          _mm_and_si128(_mm_srai_epi32(x, 31),
                                        _mm_set1_epi32(fp16_positive_tail ^ fp16_negative_tail)));
        const __m128i h =
            _mm_add_epi32(_mm_sub_epi32(r, ei), _mm_add_epi32(_mm_srli_epi32(ei, 13), tail));
        const __m128i packed = _mm_packs_epi32(h, _mm_setzero_si128());
        _mm_storel_epi64(reinterpret_cast<__m128i*>(p), packed);
    }

    static batch load_bf16(const std::uint16_t* p) noexcept {
        const __m128i h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        return batch(_mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), h)));
    }
    static void store_bf16(std::uint16_t* p, batch v) noexcept {
        const __m128i x = _mm_castps_si128(v);
        const __m128i lsb = _mm_and_si128(_mm_srli_epi32(x, 16), _mm_set1_epi32(1));
        const __m128i rounded = _mm_add_epi32(x, _mm_add_epi32(lsb, _mm_set1_epi32(0x7fff)));
        const __m128i magnitude = _mm_and_si128(x, _mm_set1_epi32(0x7fffffff));
        const __m128i nan = _mm_cmpgt_epi32(magnitude, _mm_set1_epi32(0x7f800000));
        const __m128i quiet = _mm_or_si128(x, _mm_set1_epi32(0x00400000));
        const __m128i r = _mm_or_si128(_mm_and_si128(nan, quiet), _mm_andnot_si128(nan, rounded));
        // Arithmetic shift: the 16-bit result sign-extended, so the signed pack never saturates.
        const __m128i packed = _mm_packs_epi32(_mm_srai_epi32(r, 16), _mm_setzero_si128());
        _mm_storel_epi64(reinterpret_cast<__m128i*>(p), packed);
    }
};
#endif

#if XSIMD_WITH_AVX2
template <class Arch>
struct half_simd<Arch, std::enable_if_t<is_avx2_family<Arch> && !is_avx512_family<Arch>>> {
    using batch = xsimd::batch<float, Arch>;
    static constexpr bool native_bf16 = true;
    static constexpr std::size_t stream_bytes = 16;
    static constexpr bool native_fp16 = true;
#if defined(__F16C__) || defined(_MSC_VER)
    static batch load_fp16(const std::uint16_t* p) noexcept {
        return batch(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    }
    static __m128i pack_fp16(batch v) noexcept {
        return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    }
#else
    // Compiled for AVX2 without -mf16c: the same two instructions, written as asm because the
    // compiler refuses their intrinsics without F16C enabled. Safe because every CPU with AVX2
    // has F16C (Intel from Ivy Bridge, AMD from Piledriver, both before AVX2), which the
    // run-time dispatch (dispatch.hpp) assumes as well. Immediate 0 rounds to nearest even,
    // whatever MXCSR says. Both assembler dialects are spelled out for -masm=intel users.
    static batch load_fp16(const std::uint16_t* p) noexcept {
        __m256 f;
        __asm__("vcvtph2ps {%1, %0|%0, %1}"
                : "=x"(f)
                : "m"(*reinterpret_cast<const __m128i_u*>(p)));
        return batch(f);
    }
    static __m128i pack_fp16(batch v) noexcept {
        const __m256 f = v;
        __m128i h;
        __asm__("vcvtps2ph {$0, %1, %0|%0, %1, 0}" : "=x"(h) : "x"(f));
        return h;
    }
#endif
    static void store_fp16(std::uint16_t* p, batch v) noexcept {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), pack_fp16(v));
    }
    static void stream_fp16(std::uint16_t* p, batch v) noexcept {
        _mm_stream_si128(reinterpret_cast<__m128i*>(p), pack_fp16(v));
    }

    static batch load_bf16(const std::uint16_t* p) noexcept {
        const __m256i w =
            _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return batch(_mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
    }
    static __m128i pack_bf16(batch v) noexcept {
        const __m256i x = _mm256_castps_si256(v);
        const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
        const __m256i rounded =
            _mm256_add_epi32(x, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff)));
        // NaN lanes keep their (quieted) top half instead of rounding (which could carry a
        // NaN into inf); the unordered compare stays in the float domain (one op).
        const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        const __m256i quiet = _mm256_or_si256(x, _mm256_set1_epi32(0x00400000));
        const __m256i r = _mm256_srli_epi32(_mm256_blendv_epi8(rounded, quiet, nan), 16);
        // 32 -> 16 bits without a cross-lane permute: pack the two 128-bit halves (SSE4.1).
        return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    }
    static void store_bf16(std::uint16_t* p, batch v) noexcept {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), pack_bf16(v));
    }
    static void stream_bf16(std::uint16_t* p, batch v) noexcept {
        _mm_stream_si128(reinterpret_cast<__m128i*>(p), pack_bf16(v));
    }
};
#endif

#if XSIMD_WITH_AVX512F
template <class Arch>
struct half_simd<Arch, std::enable_if_t<is_avx512_family<Arch>>> {
    using batch = xsimd::batch<float, Arch>;
    static constexpr bool native_bf16 = true;
    static constexpr bool native_fp16 = true;
    static constexpr std::size_t stream_bytes = 32;

    static batch load_fp16(const std::uint16_t* p) noexcept {
        return batch(_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
    }
    static __m256i pack_fp16(batch v) noexcept {
        return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
    static void store_fp16(std::uint16_t* p, batch v) noexcept {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), pack_fp16(v));
    }
    static void stream_fp16(std::uint16_t* p, batch v) noexcept {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), pack_fp16(v));
    }
    static batch load_bf16(const std::uint16_t* p) noexcept {
        const __m512i w =
            _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return batch(_mm512_castsi512_ps(_mm512_slli_epi32(w, 16)));
    }
    static __m256i pack_bf16(batch v) noexcept {
        const __m512i x = _mm512_castps_si512(v);
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
        const __m512i rounded =
            _mm512_add_epi32(x, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
        const __m512i magnitude = _mm512_and_si512(x, _mm512_set1_epi32(0x7fffffff));
        const __mmask16 nan = _mm512_cmpgt_epi32_mask(magnitude, _mm512_set1_epi32(0x7f800000));
        const __m512i quiet = _mm512_or_si512(x, _mm512_set1_epi32(0x00400000));
        const __m512i r = _mm512_mask_blend_epi32(nan, rounded, quiet);
        return _mm512_cvtepi32_epi16(_mm512_srli_epi32(r, 16));
    }
    static void store_bf16(std::uint16_t* p, batch v) noexcept {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), pack_bf16(v));
    }
    static void stream_bf16(std::uint16_t* p, batch v) noexcept {
        _mm256_stream_si256(reinterpret_cast<__m256i*>(p), pack_bf16(v));
    }
};
#endif

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
    static constexpr std::size_t stream_bytes =
        (is_sse2_family<Arch> || std::is_base_of<xsimd::avx, Arch>::value || is_avx512_family<Arch>)
            ? sizeof(batch)
            : 0;
    static void store_stream(float* p, batch v) noexcept {
#if XSIMD_WITH_AVX512F
        if constexpr (is_avx512_family<Arch>) {
            _mm512_stream_ps(p, v);
            return;
        }
#endif
#if XSIMD_WITH_AVX
        if constexpr (std::is_base_of<xsimd::avx, Arch>::value) {
            _mm256_stream_ps(p, v);
            return;
        }
#endif
#if XSIMD_WITH_SSE2
        if constexpr (is_sse2_family<Arch>) {
            _mm_stream_ps(p, v);
            return;
        }
#endif
        v.store_unaligned(p);
    }
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

// The work type of an element type: double for double, float otherwise.
template <class T>
using work_t = std::conditional_t<std::is_same<T, double>::value, double, float>;

// The element types the kernels accept.
template <class T>
inline constexpr bool is_element_type =
    std::is_same<T, float>::value || std::is_same<T, double>::value ||
    std::is_same<T, fp16>::value || std::is_same<T, bf16>::value;

}  // namespace detail
ROPESCALE_END_NAMESPACE
ROPESCALE_SIMD_DIAGNOSTICS_END

#endif  // ROPESCALE_DETAIL_SIMD_IO_HPP
