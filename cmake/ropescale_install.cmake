# Install rules and package files for the header-only library (included when ROPESCALE_INSTALL).
#
#   include/ropescale/...                        every header (the whole tree)
#   share/cmake/ropescale/ropescaleConfig.cmake  xtl shim + find_dependency(xsimd) + targets
#   share/cmake/ropescale/ropescaleConfigVersion.cmake
#   share/cmake/ropescale/ropescaleTargets.cmake ropescale::ropescale
#   share/cmake/ropescale/ropescale_kernels.cmake ropescale_add_kernels()
#   share/pkgconfig/ropescale.pc                 Requires: xsimd; relocatable (${pcfiledir})
#   share/doc/ropescale/LICENSE
#
# Package files go under the data dir, not lib/: the library is headers only, the same for
# every architecture (the version file says so with ARCH_INDEPENDENT), like Eigen and
# nlohmann-json. find_package and pkg-config search <prefix>/share/{cmake,pkgconfig} too.
#
# The build tree gets the same config, version and targets files in the top build directory,
# so `-Dropescale_DIR=<build dir>` works without installing (fmt does the same).
include(CMakePackageConfigHelpers)

set(ROPESCALE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/ropescale"
    CACHE STRING "Install directory of ropescaleConfig.cmake, relative to the prefix")
set(ROPESCALE_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Install directory of ropescale.pc, relative to the prefix")
mark_as_advanced(ROPESCALE_INSTALL_CMAKEDIR ROPESCALE_INSTALL_PKGCONFIGDIR)

# Headers. The whole tree, so detail/ and methods/ come along with the public headers.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/ropescale"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# The target. The export set is named after the package; the exported name (namespace +
# EXPORT_NAME) must equal the alias consumers of add_subdirectory use: ropescale::ropescale.
set_target_properties(ropescale PROPERTIES EXPORT_NAME ropescale)
install(TARGETS ropescale EXPORT ropescaleTargets)
install(EXPORT ropescaleTargets
        NAMESPACE ropescale::
        FILE ropescaleTargets.cmake
        DESTINATION "${ROPESCALE_INSTALL_CMAKEDIR}")
export(EXPORT ropescaleTargets
       NAMESPACE ropescale::
       FILE "${PROJECT_BINARY_DIR}/ropescaleTargets.cmake")

# Config and version files. The config refers to its targets file by CMAKE_CURRENT_LIST_DIR
# only, so the one generated file serves the install tree and the build tree alike.
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/ropescaleConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/ropescaleConfig.cmake"
  INSTALL_DESTINATION "${ROPESCALE_INSTALL_CMAKEDIR}")
# A 0.y release may break the API of 0.(y-1), so below 1.0 a request is met only by the same
# minor version (0.1 accepts 0.1.z, not 0.2); from 1.0 on, by the same major version. The
# inline namespace of the headers (config.hpp) follows the same rule.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_ropescale_compatibility SameMinorVersion)
else()
  set(_ropescale_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/ropescaleConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY ${_ropescale_compatibility}
  ARCH_INDEPENDENT)
install(FILES
          "${PROJECT_BINARY_DIR}/ropescaleConfig.cmake"
          "${PROJECT_BINARY_DIR}/ropescaleConfigVersion.cmake"
          "${PROJECT_SOURCE_DIR}/cmake/ropescale_kernels.cmake"
        DESTINATION "${ROPESCALE_INSTALL_CMAKEDIR}")
# The build tree's config (ropescale_DIR = the build directory) includes it from there too.
configure_file("${PROJECT_SOURCE_DIR}/cmake/ropescale_kernels.cmake"
               "${PROJECT_BINARY_DIR}/ropescale_kernels.cmake" COPYONLY)

# pkg-config. Relocatable when the directories are relative to the prefix (the usual case):
# prefix is found from the .pc file's own location, so `cmake --install --prefix <anywhere>`
# and a moved install tree both give the right -I. Absolute directories are written as given.
if(IS_ABSOLUTE "${ROPESCALE_INSTALL_PKGCONFIGDIR}")
  set(ROPESCALE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # e.g. share/pkgconfig -> ../.. (computed on dummy absolute paths: only the shape matters).
  file(RELATIVE_PATH _ropescale_pc_up "/_/${ROPESCALE_INSTALL_PKGCONFIGDIR}" "/_")
  string(REGEX REPLACE "/$" "" _ropescale_pc_up "${_ropescale_pc_up}")
  set(ROPESCALE_PC_PREFIX "\${pcfiledir}/${_ropescale_pc_up}")
  unset(_ropescale_pc_up)
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ROPESCALE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ROPESCALE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/ropescale.pc.in" "${PROJECT_BINARY_DIR}/ropescale.pc"
               @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ropescale.pc" DESTINATION "${ROPESCALE_INSTALL_PKGCONFIGDIR}")
