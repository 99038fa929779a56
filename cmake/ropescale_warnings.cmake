# Warning flags for the project's own targets (tests, examples, benchmarks, fuzzers); never
# applied to the INTERFACE library target. ROPESCALE_WERROR turns them into errors (CI sets it).
option(ROPESCALE_WERROR "Treat warnings as errors in the project's own targets" OFF)
# Sanitizers for the project's own targets, e.g. "address,undefined" (the asan preset) or
# "thread" (the tsan preset): a -fsanitize= list added to the compile and link flags of
# every target that links ropescale_warnings, so they never reach consumers through the
# INTERFACE library (an installed or add_subdirectory'd ropescale carries no sanitizer).
# Every diagnostic is fatal (-fno-sanitize-recover=all): a UBSan report fails the test that
# triggered it instead of printing and carrying on.
set(ROPESCALE_SANITIZE "" CACHE STRING
    "Sanitizers for the project's own targets (-fsanitize= list, e.g. address,undefined)")

add_library(ropescale_warnings INTERFACE)
target_compile_options(ropescale_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion)
if(ROPESCALE_WERROR)
  target_compile_options(ropescale_warnings INTERFACE -Werror)
endif()
# No warning is switched off here: the two that GCC < 13 raises inside its own AVX-512
# intrinsics and xsimd's swizzles are silenced where they arise, in the SIMD headers
# (ROPESCALE_SIMD_DIAGNOSTICS_BEGIN, config.hpp), so a user's -Werror build passes too.
if(ROPESCALE_SANITIZE)
  # Frame pointers: cheap, complete stack traces in sanitizer reports.
  target_compile_options(ropescale_warnings INTERFACE -fsanitize=${ROPESCALE_SANITIZE}
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(ropescale_warnings INTERFACE -fsanitize=${ROPESCALE_SANITIZE}
    -fno-sanitize-recover=all)
endif()
