# ropescale-inspect on GGUF files written by make_model_gguf (the bundled configs converted as
# llama.cpp's converter writes them), run as a user would.
#   cmake -DINSPECT=<binary> -DMAKE_GGUF=<make_model_gguf> -DCHECK=<inspect_gguf_check>
#         -DSVG_CHECK=<inspect_svg_check>
#         -DCONFIGS_DIR=<examples/configs> -DWORK_DIR=<dir> -DMODE=<compare|llama_cpp|errors>
#         [-DMODEL=<name> -DARCH=<general.architecture> -DINV_FREQ_REL=<r> -DFACTOR_REL=<r>
#          -DSEQ_LEN=<n> -DFINETUNED=ON] -P inspect_gguf.cmake
# compare: MODEL.gguf --json (and --semantics transformers, the default spelled out) gives the
#          tables of MODEL.json --json within the given relative tolerances (inspect_gguf_check,
#          at --seq-len SEQ_LEN when given); the GGUF fields are those of a GGUF file
#          (model_type ARCH, config_path null, finetuned ON only with -DFINETUNED=ON, sources
#          naming GGUF keys); the text output has the GGUF header lines, the sources and every
#          layer type's table; --svg writes the plot of the same values (inspect_svg_check,
#          tests/hf); the same bytes under a name without ".gguf" are recognised by their magic.
# llama_cpp: MODEL.gguf --semantics llama.cpp --json: the llama_cpp method's table
#          (methods/llama_cpp.hpp), checked by inspect_gguf_check against the reading the
#          rules say it must agree with, within the sum of the two methods' contracts (the
#          llama_cpp method's 4 ulp for inv_freq and the attention factor, the other method's
#          from tests/support/ulp.hpp; n ulp <= n x 2^-52 relative), plus the float32 storage
#          where one side is the config.json; and where llama.cpp's rules differ, the difference
#          (per MODEL below).
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
# Each test writes files of its own (the tests run in parallel).
if(MODE STREQUAL "compare")
  set(extra)
  set(tag "")
  if(SEQ_LEN)
    set(extra --seq-len ${SEQ_LEN})
    set(tag "_seq_len_${SEQ_LEN}")
  endif()
  set(gguf "${WORK_DIR}/${MODEL}${tag}.gguf")
  make_gguf("${MODEL}" "${gguf}")
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
  # The fields of one file kind. rope_theta's source is the key, or llama.cpp's default where
  # the converter writes none (a config.json without rope_theta: Yarn-Llama-2).
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
     OR NOT finetuned_type STREQUAL "BOOLEAN"
     OR NOT theta_source MATCHES "^(${ARCH}\\.rope\\.freq_base$|default 10000 \\(llama\\.cpp load_hparams\\)$)")
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
              "${theta_source}" "layers:" "inv_freq" "wavelength")
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
elseif(MODE STREQUAL "llama_cpp")
  set(gguf "${WORK_DIR}/${MODEL}.llama_cpp.gguf")
  make_gguf("${MODEL}" "${gguf}")
  # `name` = ropescale-inspect FILE --json ARGS..., its output kept in
  # WORK_DIR/MODEL.semantics.name.json.
  function(inspect_json name file)
    expect_status(0 "${file}" --json ${ARGN})
    file(WRITE "${WORK_DIR}/${MODEL}.semantics.${name}.json" "${last_stdout}")
    set(last_json "${last_stdout}" PARENT_SCOPE)
  endfunction()
  # The tables of `got` within the relative tolerances of `want`'s.
  function(expect_tables want got inv_rel factor_rel)
    execute_process(COMMAND "${CHECK}" "${WORK_DIR}/${MODEL}.semantics.${want}.json"
                            "${WORK_DIR}/${MODEL}.semantics.${got}.json"
                            "${inv_rel}" "${factor_rel}"
      RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc STREQUAL "0")
      message(FATAL_ERROR "${got} differs from ${want}:\n${err}")
    endif()
  endfunction()
  set(config "${CONFIGS_DIR}/${MODEL}.json")
  set(l llama_cpp)
  set(t transformers)
  inspect_json(${l} "${gguf}" --semantics llama.cpp)
  set(llama_json "${last_json}")
  string(JSON semantics GET "${llama_json}" semantics)
  string(JSON rope_type GET "${llama_json}" rope_type)
  string(JSON format GET "${llama_json}" format)
  if(NOT semantics STREQUAL "llama.cpp" OR NOT rope_type STREQUAL "llama.cpp"
     OR NOT format STREQUAL "gguf")
    message(FATAL_ERROR "${MODEL}.gguf --semantics llama.cpp: semantics ${semantics}, "
                        "rope_type ${rope_type}, format ${format}")
  endif()
  expect_status(0 "${gguf}" --semantics llama.cpp)
  foreach(needle "file:              GGUF, read with llama.cpp semantics"
                 "method:            llama.cpp (rope_type \"llama.cpp\")")
    string(FIND "${last_stdout}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${MODEL}.gguf: the text output lacks \"${needle}\":\n${last_stdout}")
    endif()
  endforeach()
  if(MODEL STREQUAL "Yarn-Llama-2-7b-64k")
    # YaRN with the floored range transformers uses too: the config.json's table within
    # llama_cpp's 4 + yarn's 8 ulp, the attention factor within 4 + 4 (every key a float32).
    inspect_json(config "${config}")
    expect_tables(config ${l} 0x1.8p-49 0x1p-49)
  elseif(MODEL STREQUAL "DeepSeek-V2-Lite")
    # llama.cpp multiplies the YaRN magnitude in and divides it back out of the attention
    # factor (llm_build_deepseek2): the transformers reading of the same file within 4 + 8 ulp,
    # the factors within 4 + 4.
    inspect_json(${t} "${gguf}")
    expect_tables(${t} ${l} 0x1.8p-49 0x1p-49)
  elseif(MODEL STREQUAL "Llama-3.1-8B" OR MODEL STREQUAL "gemma-3-27b-it")
    # rope_freqs dividing theta / a linear scale (Gemma 3's sliding layers unscaled): the
    # transformers reading of the same file within 4 + 3 ulp; attention factor 1 on both.
    inspect_json(${t} "${gguf}")
    expect_tables(${t} ${l} 0x1.cp-50 0)
  elseif(MODEL STREQUAL "Qwen2.5-VL-7B-Instruct")
    # Plain RoPE and the same sections: the transformers reading within 4 + 2 ulp.
    inspect_json(${t} "${gguf}")
    expect_tables(${t} ${l} 0x1.8p-50 0)
  elseif(MODEL STREQUAL "Phi-3-mini-128k-instruct")
    # The LongRoPE list by the context per sequence (llama_model::get_rope_factors: long iff
    # n_ctx_per_seq > L = 4096), the attention factor the stored float32 of transformers'
    # sqrt(1 + ln(s) / ln(L)): against the config.json at 4096 (the short list, rounded to
    # float32 in the file: 2^-24, plus 2^-47 for the division and the 4 + 3 ulp) and at
    # 131072 (the long list, float32 already: 4 + 3 ulp); the attention factor within 2^-24
    # plus 2^-47 for 4 + 4 ulp.
    inspect_json(config_4096 "${config}" --seq-len 4096)
    inspect_json(config_131072 "${config}" --seq-len 131072)
    inspect_json(${l}_4096 "${gguf}" --semantics llama.cpp --seq-len 4096)
    expect_tables(config_4096 ${l}_4096 0x1.000002p-24 0x1.000002p-24)
    inspect_json(${l}_4097 "${gguf}" --semantics llama.cpp --seq-len 4097)
    expect_tables(config_131072 ${l}_4097 0x1.cp-50 0x1.000002p-24)
    set(long_json "${last_json}")
    # Without --seq-len, llama.cpp's default context: A.context_length = 131072 > L.
    string(JSON a GET "${llama_json}" inv_freq)
    string(JSON b GET "${long_json}" inv_freq)
    if(NOT a STREQUAL b)
      message(FATAL_ERROR "Phi-3 without --seq-len: not the long list")
    endif()
    # With transformers' semantics --seq-len stays the table's sequence length.
    inspect_json(${t}_4096 "${gguf}" --seq-len 4096)
    expect_tables(config_4096 ${t}_4096 0x1.000002p-24 0x1p-50)
  elseif(MODEL STREQUAL "gpt-oss-120b")
    # transformers' GptOssConfig does not floor the correction range; llama.cpp always floors
    # and ceils it (ggml_rope_yarn_corr_dims): [floor(low), ceil(high)] of transformers' range
    # (8.09..., 17.39...: far from integers, where float32 and double agree), and so a
    # different table.
    inspect_json(${t} "${gguf}")
    string(JSON t_low GET "${last_json}" correction_range low)
    string(JSON t_high GET "${last_json}" correction_range high)
    string(JSON l_low GET "${llama_json}" correction_range low)
    string(JSON l_high GET "${llama_json}" correction_range high)
    string(REGEX REPLACE "\\..*" "" floor_low "${t_low}")
    string(REGEX REPLACE "\\..*" "" floor_high "${t_high}")
    math(EXPR ceil_high "${floor_high} + 1")
    if(NOT l_low STREQUAL "${floor_low}.0" OR NOT l_high STREQUAL "${ceil_high}.0"
       OR t_low STREQUAL "${floor_low}.0" OR t_high STREQUAL "${floor_high}.0")
      message(FATAL_ERROR "gpt-oss: llama.cpp's range [${l_low}, ${l_high}], transformers' "
                          "[${t_low}, ${t_high}]")
    endif()
    execute_process(COMMAND "${CHECK}" "${WORK_DIR}/${MODEL}.semantics.${t}.json"
                            "${WORK_DIR}/${MODEL}.semantics.${l}.json" 0x1p-20 0
      RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc STREQUAL "0")
      message(FATAL_ERROR "gpt-oss: llama.cpp's table equals transformers' (the range differs)")
    endif()
  else()
    message(FATAL_ERROR "inspect_gguf.cmake: no llama_cpp check for ${MODEL}")
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
  expect_status(0 "${llama}" --semantics=llama.cpp --json)
  string(JSON semantics GET "${last_stdout}" semantics)
  if(NOT semantics STREQUAL "llama.cpp")
    message(FATAL_ERROR "--semantics=llama.cpp: semantics ${semantics}")
  endif()
  # The last --semantics wins, as the last --seq-len does.
  expect_status(2 "${config}" --semantics transformers --semantics llama.cpp)
  expect_status(0 "${config}" --semantics llama.cpp --semantics transformers)
else()
  message(FATAL_ERROR "inspect_gguf.cmake: MODE must be compare or errors")
endif()
