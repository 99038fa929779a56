// Test support for the kernel tests: the instruction sets compiled into the test binary (one
// translation unit per ISA, isa_*.cpp, each built with that ISA's -m flags and holding only the
// kernel instantiations), run-time availability, and comparison helpers with their bounds.
//
// The test code itself is compiled with baseline flags and reaches each ISA's kernels through
// `extern template` declarations (ropescale/dispatch.hpp): one machine exercises every ISA
// its CPU supports; the others are reported as skipped.
#ifndef ROPESCALE_TESTS_KERNELS_SUPPORT_HPP
#define ROPESCALE_TESTS_KERNELS_SUPPORT_HPP

#include <gtest/gtest.h>

#include <ropescale/apply.hpp>
#include <ropescale/cache.hpp>
#include <ropescale/dispatch.hpp>
#include <ropescale/frequencies.hpp>
#include <ropescale/half.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define ROPESCALE_TEST_X86 1
ROPESCALE_DECLARE_KERNELS(xsimd::sse2)
ROPESCALE_DECLARE_KERNELS(xsimd::fma3<xsimd::avx2>)
ROPESCALE_DECLARE_KERNELS(xsimd::avx512bw)
#else
#define ROPESCALE_TEST_X86 0
#endif

namespace kt {

namespace rs = ropescale;

enum class isa { sse2, avx2, avx512bw };

inline const char* isa_name(isa i) {
    switch (i) {
        case isa::sse2: return "sse2";
        case isa::avx2: return "fma3_avx2";
        case isa::avx512bw: return "avx512bw";
    }
    return "?";
}

inline bool isa_available(isa i) {
#if ROPESCALE_TEST_X86
    const auto a = xsimd::available_architectures();
    switch (i) {
        case isa::sse2: return a.sse2;
        case isa::avx2: return a.avx2 && a.fma3_avx2;
        case isa::avx512bw: return a.avx512f && a.avx512cd && a.avx512dq && a.avx512bw;
    }
#endif
    (void)i;
    return false;
}

// Calls f(Arch{}) with the xsimd arch of `i`.
template <class F>
void with_isa(isa i, F&& f) {
#if ROPESCALE_TEST_X86
    switch (i) {
        case isa::sse2: f(xsimd::sse2{}); return;
        case isa::avx2: f(xsimd::fma3<xsimd::avx2>{}); return;
        case isa::avx512bw: f(xsimd::avx512bw{}); return;
    }
#endif
    (void)i;
    (void)f;
}

inline std::string isa_param_name(const ::testing::TestParamInfo<isa>& info) {
    return isa_name(info.param);
}

#define KT_SKIP_UNLESS_AVAILABLE(i)                                                            \
    do {                                                                                       \
        if (!::kt::isa_available(i))                                                           \
            GTEST_SKIP() << ::kt::isa_name(i) << " is not supported by this CPU";            \
    } while (0)

// ---- element types

template <class T>
double to_double(T v) {
    if constexpr (std::is_same<T, rs::fp16>::value || std::is_same<T, rs::bf16>::value)
        return static_cast<double>(rs::to_float(v));
    else
        return static_cast<double>(v);
}

template <class T>
T from_double(double v) {
    if constexpr (std::is_same<T, rs::fp16>::value)
        return rs::to_fp16(static_cast<float>(v));
    else if constexpr (std::is_same<T, rs::bf16>::value)
        return rs::to_bf16(static_cast<float>(v));
    else
        return static_cast<T>(v);
}

template <class T>
const char* type_name() {
    if constexpr (std::is_same<T, float>::value) return "f32";
    else if constexpr (std::is_same<T, double>::value) return "f64";
    else if constexpr (std::is_same<T, rs::fp16>::value) return "f16";
    else return "bf16";
}

// One ulp of the storage format at magnitude |v| (the spacing of representable values there).
template <class T>
double storage_ulp(double v) {
    const double a = std::fabs(v);
    int e = 0;
    std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1): ulp = 2^(e - precision)
    if constexpr (std::is_same<T, float>::value) return std::ldexp(1.0, std::max(e, -125) - 24);
    else if constexpr (std::is_same<T, double>::value) return std::ldexp(1.0, std::max(e, -1021) - 53);
    else if constexpr (std::is_same<T, rs::fp16>::value) return std::ldexp(1.0, std::max(e, -13) - 11);
    else return std::ldexp(1.0, std::max(e, -125) - 8);
}

// Bound on |kernel - reference| for one output of a pair rotation
//   y1 = x1 c - x2 s,  y2 = x2 c + x1 s,  |c|, |s| <= m,
// computed in the work type W (float, or double for f64 elements), with the same c and s given
// to both (both get cos/sin rounded from the same double value, except on the fly where the
// kernel's vector sincos and the reference's std::sin may differ by ~4e-16 before rounding,
// which can flip the f32 rounding of c or s by one W ulp, 2^-24 relative for f32).
// Each of the two products and the sum rounds with relative error <= u = 2^-24 (f32) or 2^-53
// (f64); a fused multiply-add removes one rounding: the two paths differ by at most
// 3u (|x1| + |x2|) m from rounding plus 2u (|x1| + |x2|) m from a one-ulp difference in c or s,
// so 5u (|x1| + |x2|) m < 8u (|x1| + |x2|) m = the bound below (2^-21 for f32, 2^-50 for f64).
// 16-bit storage rounds both results once more: add one storage ulp at the larger magnitude
// (two values within b of each other round to values within b + 1 ulp).
template <class T>
double pair_bound(double x1, double x2, double m, double ref, double got) {
    const double u = std::is_same<T, double>::value ? std::ldexp(1.0, -53) : std::ldexp(1.0, -24);
    double b = 8.0 * u * (std::fabs(x1) + std::fabs(x2)) * m;
    if constexpr (std::is_same<T, rs::fp16>::value || std::is_same<T, rs::bf16>::value)
        b += storage_ulp<T>(std::max(std::fabs(ref), std::fabs(got)));
    return b;
}

// Same bits (for pass-through channels and guard regions).
template <class T>
bool same_bits(const T& a, const T& b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// ---- frequency tables

// A YaRN table (attention factor 1 + 0.1 ln 4 = 1.1386) where YaRN is valid, else plain.
inline rs::frequency_table yarn_or_plain_table(int head_dim, int rotary_dim) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.rotary_dim = rotary_dim;
    c.rope_theta = 10000.0;
    rs::yarn y;
    y.factor = 4.0;
    y.original_max_position_embeddings = 4096;
    c.scaling = y;
    auto t = rs::compute_frequencies(c);
    if (t) return *t;
    c.scaling = rs::plain{};
    return rs::compute_frequencies_or_throw(c);
}

inline rs::frequency_table plain_table(int head_dim, int rotary_dim, double theta = 10000.0) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.rotary_dim = rotary_dim;
    c.rope_theta = theta;
    return rs::compute_frequencies_or_throw(c);
}

// Deterministic pseudo-random numbers (xorshift), no <random> distribution differences.
struct rng {
    std::uint64_t s;
    explicit rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    double uniform(double lo, double hi) {
        return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1p-53;
    }
    std::int64_t integer(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
        return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
    }
};

}  // namespace kt

#endif  // ROPESCALE_TESTS_KERNELS_SUPPORT_HPP
