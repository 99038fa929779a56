# Finds xsimd (required by the kernels) the way Debian's xsimd 8.1 needs it.
#
# xsimd 8.1's exported target lists `xtl` in INTERFACE_LINK_LIBRARIES but its config never
# finds xtl, so any link fails with "cannot find -lxtl". ropescale uses no part of xtl: an
# empty imported target named xtl satisfies the reference. The installed package config ships
# the same shim (cmake/ropescaleConfig.cmake.in).
if(NOT TARGET xtl)
  add_library(xtl INTERFACE IMPORTED)
endif()
# Oldest xsimd major the kernels are written for; the installed config and ropescale.pc ask
# for the same.
set(ROPESCALE_XSIMD_MIN_VERSION 8)
find_package(xsimd ${ROPESCALE_XSIMD_MIN_VERSION} REQUIRED CONFIG)

# Optional dependencies, used only by optional headers and by the project's own targets:
# nlohmann-json for hf_config.hpp (the HF config.json reader and ropescale-inspect), Eigen for
# eigen.hpp. The core headers never include either.
find_package(nlohmann_json 3 QUIET)
find_package(Eigen3 3.4 QUIET NO_MODULE)
