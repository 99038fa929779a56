# header_stack.cmake must fail, naming the cause, on each kind of break: this copies the headers
# (and README.md), breaks the copy one way, runs the check on it and expects its error.
#
#   cmake -DSCRIPT=<header_stack.cmake> -DINCLUDE_DIR=<dir holding ropescale/>
#         -DREADME=<README.md> -DWORK_DIR=<scratch dir> -DCASE=<case> -P header_stack_selftest.cmake
#
# Cases: upward (a tables header includes a vocabulary header), cycle (two base headers include
# each other: same tier, so only the cycle rule sees it), xsimd (a tables-tier detail header
# includes xsimd: every header above it in the tables and config.json tiers reaches it),
# unlisted (a header in no tier), readme (README.md's Layout leaves a header out).
cmake_minimum_required(VERSION 3.25)

set(dir "${WORK_DIR}/${CASE}")
file(REMOVE_RECURSE "${dir}")
file(COPY "${INCLUDE_DIR}/ropescale" DESTINATION "${dir}")
file(COPY "${README}" DESTINATION "${dir}")
set(h "${dir}/ropescale")

if(CASE STREQUAL "upward")
  file(APPEND "${h}/frequencies.hpp" "#include \"views.hpp\"\n")
  set(expect "frequencies.hpp \\(tier tables\\) includes views.hpp \\(tier vocabulary, higher\\)")
elseif(CASE STREQUAL "cycle")
  file(APPEND "${h}/config.hpp" "#include \"error.hpp\"\n")
  set(expect "include cycle: config.hpp -> error.hpp -> config.hpp")
elseif(CASE STREQUAL "xsimd")
  file(APPEND "${h}/detail/checks.hpp" "#include <xsimd/xsimd.hpp>\n")
  set(expect "hf_config.hpp \\(tier config_json\\) reaches xsimd: hf_config.hpp -> [^\n]*detail/checks.hpp -> <xsimd/")
elseif(CASE STREQUAL "unlisted")
  file(WRITE "${h}/detail/stray.hpp" "#include \"../config.hpp\"\n")
  set(expect "detail/stray.hpp is in no tier of the stack")
elseif(CASE STREQUAL "readme")
  file(READ "${dir}/README.md" text)
  string(REPLACE ", dispatch.hpp" "" text "${text}")
  file(WRITE "${dir}/README.md" "${text}")
  set(expect "README.md's Layout does not name dispatch.hpp")
else()
  message(FATAL_ERROR "header_stack_selftest: unknown CASE '${CASE}'")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" "-DINCLUDE_DIR=${dir}" "-DREADME=${dir}/README.md"
                        -P "${SCRIPT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "header_stack: the ${CASE} break passed the check:\n${out}${err}")
endif()
if(NOT err MATCHES "${expect}")
  message(FATAL_ERROR "header_stack: the ${CASE} break failed without the expected message "
                      "(${expect}):\n${err}")
endif()
message(STATUS "header_stack: the ${CASE} break is reported")
file(REMOVE_RECURSE "${dir}")
