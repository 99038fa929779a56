// Test support for the kernel tests: the instruction sets compiled into the test binary (one
// translation unit per ISA, isa_*.cpp, each built with that ISA's -m flags and holding only the
// kernel instantiations), run-time availability, and frequency tables. The element helpers,
// the bound against the scalar reference, the guarded strided tensor and the comparison are
// tests/support/tensor_check.hpp's (shared with tests/robustness and fuzz/).
//
// The test code itself is compiled with baseline flags and reaches each ISA's kernels through
// `extern template` declarations (ropescale/dispatch.hpp): one machine exercises every ISA
// its CPU supports; the others are reported as skipped.
#ifndef ROPESCALE_TESTS_KERNELS_SUPPORT_HPP
#define ROPESCALE_TESTS_KERNELS_SUPPORT_HPP

#include "../support/tensor_check.hpp"

#include <gtest/gtest.h>

#include <ropescale/apply.hpp>
#include <ropescale/cache_build.hpp>
#include <ropescale/dispatch.hpp>
#include <ropescale/frequencies.hpp>
#include <ropescale/half.hpp>

#include <string>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define ROPESCALE_TEST_X86 1
ROPESCALE_DECLARE_KERNELS(xsimd::sse2)
ROPESCALE_DECLARE_KERNELS(xsimd::fma3<xsimd::avx2>)
ROPESCALE_DECLARE_KERNELS(xsimd::avx512bw)
#else
#define ROPESCALE_TEST_X86 0
#endif

namespace kt {

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

#define KT_SKIP_UNLESS_AVAILABLE(i)                                               \
    do {                                                                          \
        if (!::kt::isa_available(i))                                              \
            GTEST_SKIP() << ::kt::isa_name(i) << " is not supported by this CPU"; \
    } while (0)

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

}  // namespace kt

#endif  // ROPESCALE_TESTS_KERNELS_SUPPORT_HPP
