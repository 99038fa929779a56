# ropescale-inspect --svg: the plot file of one config, checked against the --json output of
# the same run by inspect_svg_check (well-formed XML; every plotted value carried and equal to
# the JSON's).
#   cmake -DINSPECT=<binary> -DCHECK=<inspect_svg_check> -DMODE=<plot|usage>
#         [-DCONFIG=<file>] [-DSEQ_LEN=<n>] -DWORK_DIR=<dir> -P inspect_svg.cmake
# plot:  CONFIG [--seq-len SEQ_LEN] --json --svg FILE exits 0, and the check passes.
# usage: --svg without a file exits 2; a file that cannot be written exits 1 naming --svg.
cmake_minimum_required(VERSION 3.21)

file(MAKE_DIRECTORY "${WORK_DIR}")
if(MODE STREQUAL "plot")
  get_filename_component(name "${CONFIG}" NAME_WLE)
  if(SEQ_LEN)
    string(APPEND name "_seq_len_${SEQ_LEN}")
  endif()
  set(svg "${WORK_DIR}/${name}.svg")
  set(json "${WORK_DIR}/${name}.json")
  file(REMOVE "${svg}" "${json}")
  set(args "${CONFIG}" --json --svg "${svg}")
  if(SEQ_LEN)
    list(APPEND args --seq-len ${SEQ_LEN})
  endif()
  execute_process(COMMAND "${INSPECT}" ${args}
    RESULT_VARIABLE rc OUTPUT_FILE "${json}" ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "ropescale-inspect ${args}: exit ${rc}\n${err}")
  endif()
  execute_process(COMMAND "${CHECK}" "${svg}" "${json}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${svg}: ${err}")
  endif()
elseif(MODE STREQUAL "usage")
  execute_process(COMMAND "${INSPECT}" "${CONFIG}" --svg RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc STREQUAL "2" OR NOT err MATCHES "--svg needs a file name")
    message(FATAL_ERROR "--svg without a file: exit ${rc}, expected 2\n${err}")
  endif()
  execute_process(COMMAND "${INSPECT}" "${CONFIG}" --svg "${WORK_DIR}/no/such/dir/x.svg"
    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc STREQUAL "1" OR NOT err MATCHES "^ropescale-inspect: error: --svg: cannot write")
    message(FATAL_ERROR "--svg into a missing folder: exit ${rc}, expected 1\n${err}")
  endif()
else()
  message(FATAL_ERROR "inspect_svg.cmake: MODE must be plot or usage")
endif()
