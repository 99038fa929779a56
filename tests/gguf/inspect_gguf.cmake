# ropescale-inspect on GGUF files written by make_model_gguf (the bundled configs converted as
# llama.cpp's converter writes them), run as a user would.
#   cmake -DINSPECT=<binary> -DMAKE_GGUF=<make_model_gguf> -DCHECK=<inspect_gguf_check>
#         -DSVG_CHECK=<inspect_svg_check>
#         -DCONFIGS_DIR=<examples/configs> -DWORK_DIR=<dir> -DMODE=<compare|errors>
#         [-DMODEL=<name> -DARCH=<general.architecture> -DINV_FREQ_REL=<r> -DFACTOR_REL=<r>
#          -DSEQ_LEN=<n> -DFINETUNED=ON] -P inspect_gguf.cmake
# compare: MODEL.gguf --json (and --semantics transformers, the default spelled out) gives the
#          tables of MODEL.json --json within the given relative tolerances (inspect_gguf_check,
#          at --seq-len SEQ_LEN when given); the GGUF fields are those of a GGUF file
#          (model_type ARCH, config_path null, finetuned ON only with -DFINETUNED=ON, sources
#          naming GGUF keys);
#          the text output has the GGUF header lines, the sources and every layer type's table;
#          --svg writes the plot of the same values (inspect_svg_check, tests/hf);
#          the same bytes under a name without ".gguf" are recognised by their magic.
# errors:  a truncated GGUF file exits 1 naming the item and its byte offset; a file whose
#          keys the reader refuses exits 1 naming the key; a .gguf file that is not GGUF
#          exits 1 naming the magic; --semantics misuse exits 2.
cmake_minimum_required(VERSION 3.21)

function(run_inspect)
  execute_process(COMMAND "${INSPECT}" ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE so ERROR_VARIABLE se)
  set(last_rc "${rc}" PARENT_SCOPE)
  set(last_stdout "${so}" PARENT_SCOPE)
  set(last_stderr "${se}" PARENT_SCOPE)
endfunction()

function(expect_status expected)
  run_inspect(${ARGN})
  if(NOT last_rc STREQUAL "${expected}")
    message(FATAL_ERROR "ropescale-inspect ${ARGN}: exit ${last_rc}, expected ${expected}\n"
                        "stdout:\n${last_stdout}\nstderr:\n${last_stderr}")
  endif()
  set(last_stdout "${last_stdout}" PARENT_SCOPE)
  set(last_stderr "${last_stderr}" PARENT_SCOPE)
endfunction()

# stderr must match `regex` (an error line of ropescale-inspect).
function(expect_stderr regex)
  if(NOT last_stderr MATCHES "${regex}")
    message(FATAL_ERROR "stderr does not match \"${regex}\":\n${last_stderr}")
  endif()
endfunction()

function(make_gguf model out)
  execute_process(COMMAND "${MAKE_GGUF}" "${model}" "${CONFIGS_DIR}" "${out}" ${ARGN}
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "make_model_gguf ${model}: exit ${rc}\n${err}")
  endif()
endfunction()

file(MAKE_DIRECTORY "${WORK_DIR}")
if(MODE STREQUAL "compare")
  set(gguf "${WORK_DIR}/${MODEL}.gguf")
  make_gguf("${MODEL}" "${gguf}")
  set(extra)
  set(tag "")
  if(SEQ_LEN)
    set(extra --seq-len ${SEQ_LEN})
    set(tag "_seq_len_${SEQ_LEN}")
  endif()
  set(from_config "${WORK_DIR}/${MODEL}${tag}.config.json")
  set(from_gguf "${WORK_DIR}/${MODEL}${tag}.gguf.json")
  expect_status(0 "${CONFIGS_DIR}/${MODEL}.json" --json ${extra})
  file(WRITE "${from_config}" "${last_stdout}")
  expect_status(0 "${gguf}" --json ${extra})
  file(WRITE "${from_gguf}" "${last_stdout}")
  set(gguf_json "${last_stdout}")
  execute_process(COMMAND "${CHECK}" "${from_config}" "${from_gguf}" "${INV_FREQ_REL}"
                          "${FACTOR_REL}"
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${MODEL}${tag}: the GGUF tables differ from the config.json ones:\n${err}")
  endif()
  # The default semantics spelled out give the same output.
  expect_status(0 "${gguf}" --json ${extra} --semantics transformers)
  if(NOT last_stdout STREQUAL gguf_json)
    message(FATAL_ERROR "--semantics transformers changes the output of ${MODEL}")
  endif()
  # The fields of one file kind.
  string(JSON format GET "${gguf_json}" format)
  string(JSON semantics GET "${gguf_json}" semantics)
  string(JSON model_type GET "${gguf_json}" model_type)
  string(JSON config_path_type TYPE "${gguf_json}" config_path)
  string(JSON finetuned_type TYPE "${gguf_json}" finetuned)
  string(JSON theta_source GET "${gguf_json}" sources rope_theta)
  string(JSON finetuned GET "${gguf_json}" finetuned)
  if(NOT FINETUNED)
    set(FINETUNED OFF)
  endif()
  if(NOT finetuned STREQUAL FINETUNED)
    message(FATAL_ERROR "${MODEL}.gguf: finetuned is ${finetuned}, expected ${FINETUNED}")
  endif()
  if(NOT format STREQUAL "gguf" OR NOT semantics STREQUAL "transformers"
     OR NOT model_type STREQUAL "${ARCH}" OR NOT config_path_type STREQUAL "NULL"
     OR NOT finetuned_type STREQUAL "BOOLEAN" OR NOT theta_source STREQUAL "${ARCH}.rope.freq_base")
    message(FATAL_ERROR "${MODEL}.gguf: unexpected GGUF fields (format ${format}, semantics "
                        "${semantics}, model_type ${model_type}, config_path ${config_path_type}, "
                        "finetuned ${finetuned_type}, sources.rope_theta ${theta_source})")
  endif()
  # The text output.
  expect_status(0 "${gguf}" ${extra})
  string(JSON n_types LENGTH "${gguf_json}" layer_tables)
  math(EXPR last_type "${n_types} - 1")
  set(needles "file:              GGUF, read with transformers semantics"
              "model_type:        ${ARCH} (GGUF general.architecture)" "sources:"
              "${ARCH}.rope.freq_base" "layers:" "inv_freq" "wavelength")
  foreach(k RANGE ${last_type})
    string(JSON name MEMBER "${gguf_json}" layer_tables ${k})
    list(APPEND needles "layer type ${name}")
  endforeach()
  if(FINETUNED)
    list(APPEND needles "finetuned:         true (${ARCH}.rope.scaling.finetuned")
  endif()
  foreach(needle IN LISTS needles)
    string(FIND "${last_stdout}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${MODEL}.gguf: the text output lacks \"${needle}\":\n${last_stdout}")
    endif()
  endforeach()
  # --svg from the GGUF file: the plot carries the --json values (tests/hf's checker).
  set(svg "${WORK_DIR}/${MODEL}${tag}.svg")
  set(svg_json "${WORK_DIR}/${MODEL}${tag}.svg.json")
  execute_process(COMMAND "${INSPECT}" "${gguf}" --json --svg "${svg}" ${extra}
    RESULT_VARIABLE rc OUTPUT_FILE "${svg_json}" ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${MODEL}.gguf --svg: exit ${rc}\n${err}")
  endif()
  execute_process(COMMAND "${SVG_CHECK}" "${svg}" "${svg_json}" RESULT_VARIABLE rc
    ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "${svg}: ${err}")
  endif()
  # Recognised by the magic, whatever the name.
  set(renamed "${WORK_DIR}/${MODEL}${tag}.gguf-named.json")
  file(COPY_FILE "${gguf}" "${renamed}")
  expect_status(0 "${renamed}" --json ${extra})
  if(NOT last_stdout STREQUAL gguf_json)
    message(FATAL_ERROR "${renamed}: not read as the GGUF file it is")
  endif()
elseif(MODE STREQUAL "errors")
  set(llama "${WORK_DIR}/llama.gguf")
  make_gguf(Llama-3.1-8B "${llama}")
  # Cut files: the container reader names the item and its absolute byte offset. The
  # offsets follow from the specification's layout of this file: a 24-byte header, then
  # general.architecture (8 + 20 + 4 + 8 + 5 bytes), llama.block_count (8 + 17 + 4 + 4) and
  # llama.context_length (8 + 20 + 4 + 4): the fourth pair starts at byte 138.
  set(cut "${WORK_DIR}/magic_only.bin")
  make_gguf(Llama-3.1-8B "${cut}" 4)
  expect_status(1 "${cut}")
  expect_stderr("^ropescale-inspect: error: version: at byte 4: truncated")
  set(cut "${WORK_DIR}/truncated_metadata.gguf")
  make_gguf(Llama-3.1-8B "${cut}" 150)
  expect_status(1 "${cut}")
  expect_stderr("^ropescale-inspect: error: metadata\\[3\\]: at byte 138: ")
  expect_status(1 "${cut}" --json)
  expect_stderr("^ropescale-inspect: error: metadata\\[3\\]: at byte 138: ")
  set(cut "${WORK_DIR}/truncated_infos.gguf")
  make_gguf(Llama-3.1-8B "${cut}" 300)
  expect_status(1 "${cut}")
  expect_stderr("^ropescale-inspect: error: tensors\\[0\\]: at byte [0-9]+: truncated")
  # Cut inside the rope_freqs.weight data: named by the tensor.
  file(SIZE "${llama}" size)
  math(EXPR short "${size} - 40")
  set(cut "${WORK_DIR}/truncated_tensor.gguf")
  make_gguf(Llama-3.1-8B "${cut}" ${short})
  expect_status(1 "${cut}")
  expect_stderr("^ropescale-inspect: error: rope_freqs\\.weight: at byte [0-9]+: .*beyond the file")
  # A valid container whose keys the reader refuses: named by the key.
  set(refused "${WORK_DIR}/no_block_count.gguf")
  make_gguf(refused-no-block-count "${refused}")
  expect_status(1 "${refused}")
  expect_stderr("^ropescale-inspect: error: llama\\.block_count: ")
  # A file named .gguf that is not one: the GGUF reader says so (the magic).
  set(not_gguf "${WORK_DIR}/not_gguf.gguf")
  file(WRITE "${not_gguf}" "{\"hidden_size\": 4096, \"num_attention_heads\": 32}")
  expect_status(1 "${not_gguf}")
  expect_stderr("^ropescale-inspect: error: magic: ")
  expect_status(1 "${WORK_DIR}/does-not-exist.gguf")
  expect_stderr("^ropescale-inspect: error: ")
  # --semantics usage.
  set(config "${CONFIGS_DIR}/Llama-3.1-8B.json")
  expect_status(2 "${config}" --semantics llama.cpp)
  expect_stderr("^ropescale-inspect: error: llama\\.cpp semantics need a GGUF file")
  expect_status(2 "${config}" --semantics=llama.cpp --json)
  expect_stderr("llama\\.cpp semantics need a GGUF file")
  expect_status(2 "${llama}" --semantics)
  expect_stderr("--semantics needs a value")
  expect_status(2 "${llama}" --semantics llama_cpp)
  expect_stderr("--semantics must be transformers or llama\\.cpp \\(got \"llama_cpp\"\\)")
  expect_status(2 "${llama}" --semantics=)
  expect_status(0 "${config}" --semantics transformers --json)
  string(JSON semantics GET "${last_stdout}" semantics)
  string(JSON format GET "${last_stdout}" format)
  string(JSON finetuned_type TYPE "${last_stdout}" finetuned)
  if(NOT semantics STREQUAL "transformers" OR NOT format STREQUAL "config.json"
     OR NOT finetuned_type STREQUAL "NULL")
    message(FATAL_ERROR "config.json fields: semantics ${semantics}, format ${format}, "
                        "finetuned ${finetuned_type}")
  endif()
  if(LLAMA_CPP_SEMANTICS)
    expect_status(0 "${llama}" --semantics llama.cpp --json)
  else()
    # This build's GGUF reader has no llama.cpp semantics: refused as such.
    expect_status(2 "${llama}" --semantics llama.cpp)
    expect_stderr("^ropescale-inspect: error: --semantics llama\\.cpp is not available in this build")
  endif()
else()
  message(FATAL_ERROR "inspect_gguf.cmake: MODE must be compare or errors")
endif()
