# Warning flags for the project's own targets (tests, examples, benchmarks); never applied to
# the INTERFACE library target. ROPESCALE_WERROR turns them into errors (CI sets it).
option(ROPESCALE_WERROR "Treat warnings as errors in the project's own targets" OFF)

add_library(ropescale_warnings INTERFACE)
target_compile_options(ropescale_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  -Wno-sign-conversion)
if(ROPESCALE_WERROR)
  target_compile_options(ropescale_warnings INTERFACE -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # xsimd 8.1's swizzle/zip paths trip GCC 12's -Wmaybe-uninitialized at -march=native
  # (see XSIMD-8.1 notes); the warning is in xsimd's code, not ours.
  target_compile_options(ropescale_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
