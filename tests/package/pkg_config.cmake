# package.pkg_config: ropescale.pc from the scratch prefix resolves (with its Requires: xsimd),
# reports the version, points -I at the installed headers, and those flags alone compile,
# link and run the consumer program.
#   cmake -DPKG_CONFIG=<pkg-config> -DPC_DIR=<prefix>/share/pkgconfig
#         -DINCLUDE_DIR=<prefix>/include -DVERSION=<x.y.z> -DCXX_COMPILER=<c++>
#         -DCXX_COMPILER_ID=<GNU|Clang|...> -DSOURCE=<main.cpp> -DBINARY_DIR=<scratch>
#         -P pkg_config.cmake
cmake_minimum_required(VERSION 3.21)
foreach(var PKG_CONFIG PC_DIR INCLUDE_DIR VERSION CXX_COMPILER SOURCE BINARY_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "pkg_config.cmake: -D${var}=... is required")
  endif()
endforeach()

# The scratch prefix first; the system directories stay searched (xsimd.pc lives there).
if(DEFINED ENV{PKG_CONFIG_PATH} AND NOT "$ENV{PKG_CONFIG_PATH}" STREQUAL "")
  set(ENV{PKG_CONFIG_PATH} "${PC_DIR}:$ENV{PKG_CONFIG_PATH}")
else()
  set(ENV{PKG_CONFIG_PATH} "${PC_DIR}")
endif()

function(pkg_config out)
  execute_process(COMMAND "${PKG_CONFIG}" --print-errors ${ARGN} ropescale
                  RESULT_VARIABLE rc OUTPUT_VARIABLE text OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config ${ARGN} ropescale failed (${rc}), PKG_CONFIG_PATH=${PC_DIR}")
  endif()
  message(STATUS "pkg-config ${ARGN} ropescale: ${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

pkg_config(_ --exists)
pkg_config(modversion --modversion)
if(NOT modversion STREQUAL VERSION)
  message(FATAL_ERROR "ropescale.pc says version ${modversion}, the project is ${VERSION}")
endif()
pkg_config(cflags --cflags)
pkg_config(libs --libs)

# The -I must be the installed include directory (the .pc is relocatable: ${pcfiledir}).
separate_arguments(cflags_list UNIX_COMMAND "${cflags}")
file(REAL_PATH "${INCLUDE_DIR}" want)
set(found FALSE)
foreach(flag IN LISTS cflags_list)
  if(flag MATCHES "^-I(.+)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" dir)
    if(dir STREQUAL want)
      set(found TRUE)
    endif()
  endif()
endforeach()
if(NOT found)
  message(FATAL_ERROR "pkg-config --cflags ropescale gives '${cflags}', no -I${want}")
endif()
if(NOT EXISTS "${want}/ropescale/ropescale.hpp")
  message(FATAL_ERROR "${want}/ropescale/ropescale.hpp does not exist")
endif()

# Compile, link and run with nothing but those flags (GCC/Clang command line).
if(NOT CXX_COMPILER_ID MATCHES "GNU|Clang")
  message(STATUS "compiler ${CXX_COMPILER_ID}: compile step skipped")
  return()
endif()
file(REMOVE_RECURSE "${BINARY_DIR}")
file(MAKE_DIRECTORY "${BINARY_DIR}")
separate_arguments(libs_list UNIX_COMMAND "${libs}")
set(exe "${BINARY_DIR}/consumer")
execute_process(
  COMMAND "${CXX_COMPILER}" -std=c++17 ${cflags_list} "${SOURCE}" -o "${exe}" ${libs_list}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "compiling ${SOURCE} with the pkg-config flags failed (${rc})")
endif()
execute_process(COMMAND "${exe}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${exe} failed (${rc})")
endif()
