# Configures, builds and runs one consumer project from an empty build directory.
#   cmake -DSOURCE_DIR=<consumer> -DBINARY_DIR=<scratch> -DCTEST_COMMAND=<ctest>
#         -DGENERATOR=<gen> [-DGENERATOR_PLATFORM=] [-DGENERATOR_TOOLSET=] [-DMAKE_PROGRAM=]
#         [-DCXX_COMPILER=] [-DCONFIG=<build type>] [-DCONFIG_CXX_FLAGS=<its flags>]
#         [-DPREFIX_PATH=<install prefix>] [-DPACKAGE_DIR=<ropescale_DIR>]
#         [-DEXPECTED_DIR=<dir find_package must pick>] [-DEXPECTED_VERSION=<x.y.z>]
#         [-DROPESCALE_SOURCE_DIR=<repo root>]
#         -P run_consumer.cmake
# The consumer registers its program with add_test; ctest runs it in the consumer's build.
cmake_minimum_required(VERSION 3.21)
foreach(var SOURCE_DIR BINARY_DIR CTEST_COMMAND GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run step)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "[${step}] ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer ${step} failed (${rc}): ${SOURCE_DIR}")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY_DIR}")

set(args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}")
if(GENERATOR_PLATFORM)
  list(APPEND args -A "${GENERATOR_PLATFORM}")
endif()
if(GENERATOR_TOOLSET)
  list(APPEND args -T "${GENERATOR_TOOLSET}")
endif()
foreach(pair
    "MAKE_PROGRAM:CMAKE_MAKE_PROGRAM" "CXX_COMPILER:CMAKE_CXX_COMPILER"
    "CONFIG:CMAKE_BUILD_TYPE" "PREFIX_PATH:CMAKE_PREFIX_PATH" "PACKAGE_DIR:ropescale_DIR"
    "EXPECTED_DIR:ROPESCALE_EXPECTED_DIR" "EXPECTED_VERSION:ROPESCALE_EXPECTED_VERSION"
    "ROPESCALE_SOURCE_DIR:ROPESCALE_SOURCE_DIR")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  if(NOT "${${from}}" STREQUAL "")
    list(APPEND args "-D${to}=${${from}}")
  endif()
endforeach()
# The build type's flags as the caller has them (CMAKE_CXX_FLAGS_<CONFIG>), empty included.
if(CONFIG AND DEFINED CONFIG_CXX_FLAGS)
  string(TOUPPER "${CONFIG}" config_upper)
  list(APPEND args "-DCMAKE_CXX_FLAGS_${config_upper}=${CONFIG_CXX_FLAGS}")
endif()
# Only what is passed above may point find_package at ropescale: not a user's environment.
unset(ENV{CMAKE_PREFIX_PATH})
unset(ENV{ropescale_DIR})
unset(ENV{ropescale_ROOT})

set(config_args)
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
set(ctest_config_args)
if(CONFIG)
  set(ctest_config_args -C "${CONFIG}")
endif()
run(configure "${CMAKE_COMMAND}" ${args})
run(build "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${config_args})
run(run "${CTEST_COMMAND}" --test-dir "${BINARY_DIR}" ${ctest_config_args}
    --verbose --no-tests=error)
