# ropescale-inspect --svg: the plot file of one config, checked against the --json output of
# the same run by inspect_svg_check (well-formed XML; every plotted value carried and equal to
# the JSON's); and --pi-bound, Position Interpolation's bounds, on the paper's LLaMA-7B setting.
#   cmake -DINSPECT=<binary> -DCHECK=<inspect_svg_check> -DMODE=<plot|usage|pi_bound>
#         [-DCONFIG=<file>] [-DSEQ_LEN=<n>] -DWORK_DIR=<dir> -P inspect_svg.cmake
# plot:  CONFIG [--seq-len SEQ_LEN] --json --svg FILE exits 0, and the check passes.
# usage: --svg without a file exits 2; a file that cannot be written exits 1 naming --svg.
# pi_bound: a LLaMA-7B config (d = 128, c = 10000, written into WORK_DIR) with --pi-bound
#       --seq-len 4096 prints the paper's numbers (32 ln c = 294.73, min B(s)/d = 1.116 at
#       s = 3643, max 16.25 at s = 0; the digits compared are those of the mpmath values in
#       tests/core/interpolation_bound_expected.inc, to 1e-11), as text and as JSON.
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
elseif(MODE STREQUAL "pi_bound")
  set(config "${WORK_DIR}/llama-7b.json")
  file(WRITE "${config}" [=[{"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
 "max_position_embeddings": 2048, "rope_theta": 10000.0}]=])
  execute_process(COMMAND "${INSPECT}" "${config}" --pi-bound --seq-len 4096 --json
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "--pi-bound --json: exit ${rc}\n${err}")
  endif()
  string(JSON last GET "${out}" last)
  string(JSON step GET "${out}" step)
  string(JSON argmin GET "${out}" layer_types full_attention b_over_d_argmin)
  string(JSON argmax GET "${out}" layer_types full_attention b_over_d_argmax)
  string(JSON min GET "${out}" layer_types full_attention b_over_d_min)
  string(JSON max GET "${out}" layer_types full_attention b_over_d_max)
  string(JSON denominator GET "${out}" layer_types full_attention 32_ln_c)
  if(NOT last EQUAL 4096 OR NOT step EQUAL 1 OR NOT argmin EQUAL 3643 OR NOT argmax EQUAL 0
     OR NOT max MATCHES "^16\\.25$" OR NOT min MATCHES "^1\\.1159079480(1|2)"
     OR NOT denominator MATCHES "^294\\.73089190")
    message(FATAL_ERROR "--pi-bound --json: not the paper's numbers:\n${out}")
  endif()
  execute_process(COMMAND "${INSPECT}" "${config}" --pi-bound --seq-len 4096
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0" OR NOT out MATCHES "32 ln c = 294\\.7308919"
     OR NOT out MATCHES "B\\(s\\)/d from 1\\.1159079(48|47) \\(s = 3643\\) to 16\\.25 \\(s = 0\\)")
    message(FATAL_ERROR "--pi-bound: exit ${rc}, not the paper's numbers:\n${out}\n${err}")
  endif()
else()
  message(FATAL_ERROR "inspect_svg.cmake: MODE must be plot, usage or pi_bound")
endif()
