// SPDX-License-Identifier: MIT
//
// Internal: how an entry point (apply.hpp, cache_build.hpp) reaches a kernel for a given
// "Arch" template argument: an xsimd arch (static dispatch, compiled in the caller's
// translation unit unless declared extern, see dispatch.hpp), ropescale::scalar_reference (the
// reference kernel), or ropescale::dynamic_dispatch<...> (dispatch.hpp, chosen at run time).
#ifndef ROPESCALE_DETAIL_RUNNER_HPP
#define ROPESCALE_DETAIL_RUNNER_HPP

#include "cache_rows.hpp"
#include "drive.hpp"
#include "job.hpp"
#include "reference.hpp"

#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE

/// Kernel selector for the entry points (the `Arch` template argument of apply_rope,
/// shift_rope, build_rope_cache ...): the scalar reference kernel, plain loops and
/// rotation_sincos. For tests and for checking an engine's results; not fast.
struct scalar_reference {
    static constexpr const char* name() noexcept { return "scalar_reference"; }
};

namespace detail {

template <class Arch>
struct kernel_runner {
    template <class T>
    static void rotate(const rope_job<T>& job) noexcept {
        rope_run<Arch, T>(job);
    }
    static void build_cache(const double* inv_freq, int pairs, double scale, std::int64_t begin,
                            std::int64_t end, float* rows) noexcept {
        build_cache_rows<Arch>(inv_freq, pairs, scale, begin, end, rows);
    }
};

template <>
struct kernel_runner<scalar_reference> {
    template <class T>
    static void rotate(const rope_job<T>& job) noexcept {
        reference_run<T>(job);
    }
    static void build_cache(const double* inv_freq, int pairs, double scale, std::int64_t begin,
                            std::int64_t end, float* rows) noexcept {
        reference_cache_rows(inv_freq, pairs, scale, begin, end, rows);
    }
};

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_RUNNER_HPP
