// SPDX-License-Identifier: MIT
//
// User-overridable macros and the versioned inline namespace. Every macro here may be defined
// by the user before the first ropescale include; the definition given wins.
#ifndef ROPESCALE_CONFIG_HPP
#define ROPESCALE_CONFIG_HPP

#include "version.hpp"

#include <cstdio>
#include <cstdlib>

// Exceptions: on unless the compiler says they are off (-fno-exceptions) or the user forces
// ROPESCALE_USE_EXCEPTIONS to 0. Nothing on the error path of the library needs them: every
// fallible call returns ropescale::expected; only the *_or_throw conveniences throw.
#ifndef ROPESCALE_USE_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define ROPESCALE_USE_EXCEPTIONS 1
#else
#define ROPESCALE_USE_EXCEPTIONS 0
#endif
#endif

// Precondition check for the hot path (kernels). Kernels trust their callers, like Eigen's
// eigen_assert: the check is compiled in debug builds (no NDEBUG) and may be replaced.
#ifndef ROPESCALE_ASSERT
#ifdef NDEBUG
#define ROPESCALE_ASSERT(cond) ((void)0)
#else
#define ROPESCALE_ASSERT(cond)                                                                     \
    ((cond) ? (void)0                                                                              \
            : (std::fprintf(stderr, "%s:%d: ropescale assertion failed: %s\n", __FILE__, __LINE__, \
                            #cond),                                                                \
               std::abort()))
#endif
#endif

// Forced inlining for the few small helpers on the hot path of a checked call (argument
// checks, job set-up): left to GCC 12's heuristics they stay separate functions, about a
// third of the samples of a checked 1x4x128 f32 call (perf, Zen 3). Only for
// plain scalar code: nothing instruction-set-specific may be forced into a caller.
#ifndef ROPESCALE_ALWAYS_INLINE
#if defined(__GNUC__) || defined(__clang__)
#define ROPESCALE_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ROPESCALE_ALWAYS_INLINE __forceinline
#else
#define ROPESCALE_ALWAYS_INLINE inline
#endif
#endif

// The SIMD headers (detail/simd_io.hpp, detail/angles.hpp, detail/kernels.hpp) sit between
// ROPESCALE_SIMD_DIAGNOSTICS_BEGIN and _END. GCC before 13 warns about its own AVX-512
// intrinsics wherever they are inlined into the caller's code: _mm512_undefined_pd() and
// friends are written `__m512d __Y = __Y;` (GCC bug 105593), which -Wuninitialized reports
// through xsimd's avx512 nearbyint, shifts and conversions, and xsimd 8.1's swizzles give GCC
// 12 -Wmaybe-uninitialized false positives at -march=native. Both are in code that is not the
// user's, yet -Werror in the user's build would stop it; so these two warnings are off in
// those headers only, for GCC < 13 only. clang (no such bug) keeps them on over the same code,
// and the project's clang stage builds it with -Werror. Code of one's own that inlines other
// AVX-512 intrinsics (Eigen's packet math, say) may use the same pair.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define ROPESCALE_SIMD_DIAGNOSTICS_BEGIN                                                 \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
        _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define ROPESCALE_SIMD_DIAGNOSTICS_END _Pragma("GCC diagnostic pop")
#else
#define ROPESCALE_SIMD_DIAGNOSTICS_BEGIN
#define ROPESCALE_SIMD_DIAGNOSTICS_END
#endif

// The inline namespace carries the version that may break the API and ABI, so two copies of
// incompatible versions linked into one program never share a mangled name: the major and
// minor version while the major is 0 (0.x releases may break either), the major alone from
// 1.0 on (v0_1 for 0.1.z, v1 for 1.y.z). The package's ConfigVersion file follows the same
// rule (cmake/ropescale_install.cmake).
#define ROPESCALE_PASTE_VERSION_(prefix, major, minor) prefix##major##_##minor
#define ROPESCALE_PASTE_MAJOR_(prefix, major) prefix##major
#define ROPESCALE_VERSION_NAMESPACE_(prefix, major, minor) \
    ROPESCALE_PASTE_VERSION_(prefix, major, minor)
#define ROPESCALE_MAJOR_NAMESPACE_(prefix, major) ROPESCALE_PASTE_MAJOR_(prefix, major)
#if ROPESCALE_VERSION_MAJOR == 0
#define ROPESCALE_ABI_NAMESPACE \
    ROPESCALE_VERSION_NAMESPACE_(v, ROPESCALE_VERSION_MAJOR, ROPESCALE_VERSION_MINOR)
#else
#define ROPESCALE_ABI_NAMESPACE ROPESCALE_MAJOR_NAMESPACE_(v, ROPESCALE_VERSION_MAJOR)
#endif
#define ROPESCALE_BEGIN_NAMESPACE \
    namespace ropescale {         \
    inline namespace ROPESCALE_ABI_NAMESPACE {
#define ROPESCALE_END_NAMESPACE \
    }                           \
    }

#endif  // ROPESCALE_CONFIG_HPP
