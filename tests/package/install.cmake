# package.install: installs the build tree into a fresh scratch prefix and checks the result.
#   cmake -DBUILD_DIR=<build> -DPREFIX=<prefix> -DINCLUDE_DIR=<prefix>/include
#         -DCONFIG_DIR=<prefix>/share/cmake/ropescale -DCONFIG=<build type> -DVERSION=<x.y.z>
#         -P install.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var BUILD_DIR PREFIX INCLUDE_DIR CONFIG_DIR VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install.cmake: -D${var}=... is required")
  endif()
endforeach()

# A fresh prefix, so a header deleted from the source tree cannot pass as installed, and no
# DESTDIR from the caller's environment sends the files elsewhere.
file(REMOVE_RECURSE "${PREFIX}")
unset(ENV{DESTDIR})
set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()

# The files a consumer needs. Headers: every one under the source include/ropescale tree.
get_filename_component(source_include "${CMAKE_CURRENT_LIST_DIR}/../../include" ABSOLUTE)
file(GLOB_RECURSE headers RELATIVE "${source_include}" "${source_include}/ropescale/*")
list(LENGTH headers n_headers)
if(n_headers EQUAL 0)
  message(FATAL_ERROR "no headers found under ${source_include}/ropescale")
endif()
set(missing)
foreach(h IN LISTS headers)
  if(NOT EXISTS "${INCLUDE_DIR}/${h}")
    list(APPEND missing "${INCLUDE_DIR}/${h}")
  endif()
endforeach()
foreach(f ropescaleConfig.cmake ropescaleConfigVersion.cmake ropescaleTargets.cmake ropescale_kernels.cmake)
  if(NOT EXISTS "${CONFIG_DIR}/${f}")
    list(APPEND missing "${CONFIG_DIR}/${f}")
  endif()
endforeach()
if(missing)
  list(JOIN missing "\n  " missing)
  message(FATAL_ERROR "not installed:\n  ${missing}")
endif()

# The version file: below 1.0 SameMinorVersion (0.1.z accepts a request for 0.1, not 0.0 nor
# 0.2), from 1.0 on SameMajorVersion; and ARCH_INDEPENDENT (headers only: a 32-bit consumer
# may use a package installed by a 64-bit build, so the pointer size the consumer reports must
# not matter).
function(check_version requested expect_compatible)
  set(PACKAGE_FIND_VERSION "${requested}")
  string(REPLACE "." ";" parts "${requested}")
  list(GET parts 0 PACKAGE_FIND_VERSION_MAJOR)
  list(GET parts 1 PACKAGE_FIND_VERSION_MINOR)
  set(CMAKE_SIZEOF_VOID_P 2)  # no real build has this: an arch check would reject it
  include("${CONFIG_DIR}/ropescaleConfigVersion.cmake")
  if(NOT PACKAGE_VERSION STREQUAL VERSION)
    message(FATAL_ERROR "version file says ${PACKAGE_VERSION}, the project is ${VERSION}")
  endif()
  if(PACKAGE_VERSION_UNSUITABLE)
    message(FATAL_ERROR "ropescaleConfigVersion.cmake checks the pointer size: not ARCH_INDEPENDENT")
  endif()
  if((PACKAGE_VERSION_COMPATIBLE AND NOT expect_compatible)
     OR (NOT PACKAGE_VERSION_COMPATIBLE AND expect_compatible))
    message(FATAL_ERROR "version ${VERSION} compatible with a request for ${requested}: "
                        "${PACKAGE_VERSION_COMPATIBLE}, expected ${expect_compatible}")
  endif()
endfunction()
string(REPLACE "." ";" version_parts "${VERSION}")
list(GET version_parts 0 major)
list(GET version_parts 1 minor)
math(EXPR next_major "${major} + 1")
math(EXPR next_minor "${minor} + 1")
check_version("${VERSION}" TRUE)
check_version("${major}.${minor}" TRUE)
check_version("${next_major}.0" FALSE)
if(major EQUAL 0)
  check_version("0.${next_minor}" FALSE)
  if(minor GREATER 0)
    math(EXPR previous_minor "${minor} - 1")
    check_version("0.${previous_minor}" FALSE)
  endif()
else()
  check_version("${major}.0" TRUE)
endif()

message(STATUS "installed ${n_headers} headers and the package files into ${PREFIX}")
