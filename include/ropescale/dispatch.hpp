// SPDX-License-Identifier: MIT
//
// Optional run-time dispatch over per-instruction-set translation units.
//
// Static dispatch (the default everywhere) compiles the kernels for xsimd::default_arch, the
// best instruction set of the translation unit's -m flags. To ship one binary that uses
// AVX-512 or AVX2 where the CPU has them and SSE2 elsewhere:
//
//   1. One source file per instruction set, compiled with that set's flags and nothing else
//      in it (no other ropescale or Eigen code):
//        // rope_avx2.cpp, compiled with -mavx2 -mfma -mf16c (and -O2 or more)
//        #include <ropescale/dispatch.hpp>
//        ROPESCALE_INSTANTIATE_KERNELS(xsimd::fma3<xsimd::avx2>)
//        // rope_avx512.cpp, -mavx512f -mavx512cd -mavx512dq -mavx512bw
//        ROPESCALE_INSTANTIATE_KERNELS(xsimd::avx512bw)
//        // rope_sse2.cpp, baseline flags
//        ROPESCALE_INSTANTIATE_KERNELS(xsimd::sse2)
//   2. In the (baseline) code that calls the library, declare them and name the list:
//        ROPESCALE_DECLARE_KERNELS(xsimd::fma3<xsimd::avx2>)
//        ROPESCALE_DECLARE_KERNELS(xsimd::avx512bw)
//        ROPESCALE_DECLARE_KERNELS(xsimd::sse2)
//        using rope_isa = ropescale::dynamic_dispatch<xsimd::avx512bw,
//                                                     xsimd::fma3<xsimd::avx2>, xsimd::sse2>;
//        ropescale::apply_rope<rope_isa>(cache, layout, positions, q, k);
//      The first arch of the list that the CPU supports is chosen once (first call) and used
//      for every call; the checked entry points run in the caller's translation unit.
//   Any `Arch` of a declared list can also be forced: apply_rope<xsimd::fma3<xsimd::avx2>>(..)
//   from the baseline unit then runs the AVX2 instantiation (the caller checks the CPU).
//
// Why it is safe: the per-ISA entry points (detail::rope_run<Arch, T>,
// detail::build_cache_rows<Arch>) are non-inline templates, so `extern template` keeps their
// bodies out of the calling unit; every helper they use is templated on Arch, so no symbol is
// shared between units compiled with different flags (tests/kernels checks the object files
// with nm). xsimd 8.1's CPU detection does not check F16C or OS support (XCR0); every AVX2 CPU
// has F16C.
#ifndef ROPESCALE_DISPATCH_HPP
#define ROPESCALE_DISPATCH_HPP

#include "detail/runner.hpp"

#include <xsimd/xsimd.hpp>

#include <cstdint>
#include <type_traits>

// The per-ISA entry points for one arch: explicit instantiation (PREFIX empty) or explicit
// instantiation declaration (PREFIX extern).
#define ROPESCALE_KERNEL_INSTANCES_(PREFIX, ARCH)                                \
    PREFIX template void ::ropescale::detail::rope_run<ARCH, float>(             \
        const ::ropescale::detail::rope_job<float>&) noexcept;                   \
    PREFIX template void ::ropescale::detail::rope_run<ARCH, double>(            \
        const ::ropescale::detail::rope_job<double>&) noexcept;                  \
    PREFIX template void ::ropescale::detail::rope_run<ARCH, ::ropescale::fp16>( \
        const ::ropescale::detail::rope_job<::ropescale::fp16>&) noexcept;       \
    PREFIX template void ::ropescale::detail::rope_run<ARCH, ::ropescale::bf16>( \
        const ::ropescale::detail::rope_job<::ropescale::bf16>&) noexcept;       \
    PREFIX template void ::ropescale::detail::build_cache_rows<ARCH>(            \
        const double*, int, double, std::int64_t, std::int64_t, float*) noexcept;

/// In the translation unit compiled for ARCH: instantiates its kernels.
#define ROPESCALE_INSTANTIATE_KERNELS(ARCH) ROPESCALE_KERNEL_INSTANCES_(, ARCH)
/// In every other translation unit that runs ARCH's kernels: declares them (no bodies here).
#define ROPESCALE_DECLARE_KERNELS(ARCH) ROPESCALE_KERNEL_INSTANCES_(extern, ARCH)

ROPESCALE_BEGIN_NAMESPACE

/// Kernel selector that chooses, at the first call, the first arch of Archs (best first) that
/// the CPU supports, among kernels instantiated in per-ISA translation units (file comment).
/// If none is supported the call runs the last arch of the list (keep a baseline last).
template <class... Archs>
struct dynamic_dispatch {
    static_assert(sizeof...(Archs) > 0, "dynamic_dispatch needs at least one arch");
    static const char* name() noexcept;
};

namespace detail {

template <class Arch>
bool cpu_supports(const xsimd::detail::supported_arch& s) noexcept {
    if constexpr (std::is_same<Arch, xsimd::avx512bw>::value)
        return s.avx512bw && s.avx512dq && s.avx512cd && s.avx512f;
    else if constexpr (std::is_same<Arch, xsimd::avx512dq>::value)
        return s.avx512dq && s.avx512cd && s.avx512f;
    else if constexpr (std::is_same<Arch, xsimd::avx512cd>::value)
        return s.avx512cd && s.avx512f;
    else if constexpr (std::is_same<Arch, xsimd::avx512f>::value)
        return s.avx512f;
    else if constexpr (std::is_same<Arch, xsimd::fma3<xsimd::avx2>>::value)
        return s.fma3_avx2 && s.avx2;
    else if constexpr (std::is_same<Arch, xsimd::avx2>::value)
        return s.avx2;
    else if constexpr (std::is_same<Arch, xsimd::sse2>::value)
        return s.sse2;
    else
        return Arch::version() <= s.best;  // xsimd's own rule for the other archs
}

template <class First, class... Rest>
int first_supported(const xsimd::detail::supported_arch& s, int index = 0) noexcept {
    if (cpu_supports<First>(s)) return index;
    if constexpr (sizeof...(Rest) > 0)
        return first_supported<Rest...>(s, index + 1);
    else
        return index;  // none: the last (baseline) one
}

template <class... Archs>
int selected_arch() noexcept {
    static const int index = first_supported<Archs...>(xsimd::available_architectures());
    return index;
}

template <class T, class First, class... Rest>
void rotate_at(int index, const rope_job<T>& job) noexcept {
    if constexpr (sizeof...(Rest) > 0) {
        if (index != 0) return rotate_at<T, Rest...>(index - 1, job);
    }
    rope_run<First, T>(job);
}

template <class First, class... Rest>
void build_cache_at(int index, const double* inv_freq, int pairs, double scale, std::int64_t begin,
                    std::int64_t end, float* rows) noexcept {
    if constexpr (sizeof...(Rest) > 0) {
        if (index != 0)
            return build_cache_at<Rest...>(index - 1, inv_freq, pairs, scale, begin, end, rows);
    }
    build_cache_rows<First>(inv_freq, pairs, scale, begin, end, rows);
}

template <class First, class... Rest>
const char* name_at(int index) noexcept {
    if constexpr (sizeof...(Rest) > 0) {
        if (index != 0) return name_at<Rest...>(index - 1);
    }
    return First::name();
}

template <class... Archs>
struct kernel_runner<dynamic_dispatch<Archs...>> {
    template <class T>
    static void rotate(const rope_job<T>& job) noexcept {
        rotate_at<T, Archs...>(selected_arch<Archs...>(), job);
    }
    static void build_cache(const double* inv_freq, int pairs, double scale, std::int64_t begin,
                            std::int64_t end, float* rows) noexcept {
        build_cache_at<Archs...>(selected_arch<Archs...>(), inv_freq, pairs, scale, begin, end,
                                 rows);
    }
};

}  // namespace detail

/// Name of the arch chosen on this CPU ("avx512bw", "fma3<avx2>", "sse2" ...).
template <class... Archs>
const char* dynamic_dispatch<Archs...>::name() noexcept {
    return detail::name_at<Archs...>(detail::selected_arch<Archs...>());
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DISPATCH_HPP
