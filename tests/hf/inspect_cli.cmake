# Runs the built ropescale-inspect the way a user would and checks its exit status and output.
#   cmake -DINSPECT=<binary> -DMODE=<json|table|errors|methods|layers|mrope> [-DCONFIG=<file>]
#         [-DWORK_DIR=<dir>]
#         -P inspect_cli.cmake
# json:   CONFIG with --json must exit 0 and print a JSON object whose inv_freq has
#         rotary_dim / 2 entries (checked with CMake's own JSON parser, not ours).
# table:  CONFIG without --json must exit 0 and print a per-pair table.
# errors: bad configs (written into WORK_DIR) must exit 1 naming the field on stderr; usage
#         mistakes must exit 2.
# methods: --methods must exit 0 and list the methods with their spellings and keys.
# layers: a nested Gemma 3 config (written into WORK_DIR) must print one table per layer type
#         and the layer map, in both forms.
# mrope:  Qwen2.5-VL-like (chunked) and Qwen3-VL-like (interleaved) configs (written into
#         WORK_DIR) must show the sections and the stream of each pair, in both forms; the
#         expected streams are transformers' slicing rules worked out by hand here.
cmake_minimum_required(VERSION 3.21)

function(run_inspect out_rc out_stdout out_stderr)
  execute_process(COMMAND "${INSPECT}" ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE so ERROR_VARIABLE se)
  set(${out_rc} "${rc}" PARENT_SCOPE)
  set(${out_stdout} "${so}" PARENT_SCOPE)
  set(${out_stderr} "${se}" PARENT_SCOPE)
endfunction()

function(expect_status expected)
  run_inspect(rc so se ${ARGN})
  if(NOT rc STREQUAL "${expected}")
    message(FATAL_ERROR "ropescale-inspect ${ARGN}: exit ${rc}, expected ${expected}\nstdout:\n${so}\nstderr:\n${se}")
  endif()
  set(last_stdout "${so}" PARENT_SCOPE)
  set(last_stderr "${se}" PARENT_SCOPE)
endfunction()

# A config that must be refused with exit 1 and "ropescale-inspect: error: <field>: ".
function(expect_refused name field text)
  set(path "${WORK_DIR}/${name}.json")
  file(WRITE "${path}" "${text}")
  expect_status(1 "${path}")
  string(FIND "${last_stderr}" "ropescale-inspect: error: ${field}: " at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "${name}: stderr does not start with the field ${field}:\n${last_stderr}")
  endif()
endfunction()

# Each "PAIR STREAM" argument: --json's mrope.pair_streams[PAIR] of the last output is STREAM.
function(expect_pair_streams)
  foreach(check IN LISTS ARGN)
    string(REPLACE " " ";" check "${check}")
    list(GET check 0 i)
    list(GET check 1 want)
    string(JSON got GET "${last_stdout}" mrope pair_streams ${i})
    if(NOT got STREQUAL want)
      message(FATAL_ERROR "pair ${i} follows ${got}, expected ${want}:\n${last_stdout}")
    endif()
  endforeach()
endfunction()

if(MODE STREQUAL "json")
  expect_status(0 "${CONFIG}" --json)
  string(JSON rotary_dim GET "${last_stdout}" rotary_dim)
  string(JSON pairs LENGTH "${last_stdout}" inv_freq)
  math(EXPR expected_pairs "${rotary_dim} / 2")
  if(NOT pairs EQUAL expected_pairs OR pairs EQUAL 0)
    message(FATAL_ERROR "inv_freq has ${pairs} entries, rotary_dim is ${rotary_dim}")
  endif()
  foreach(key attention_factor logit_scale head_dim method rope_type base scale
              max_position_embeddings original_max_position_embeddings
              correction_range warnings layer_tables layers query_scale mrope sources)
    string(JSON type ERROR_VARIABLE err TYPE "${last_stdout}" ${key})
    if(err)
      message(FATAL_ERROR "--json output lacks ${key}: ${err}")
    endif()
  endforeach()
  # The primary table is also the first of layer_tables, with the same inv_freq.
  string(JSON primary MEMBER "${last_stdout}" layer_tables 0)
  string(JSON primary_inv GET "${last_stdout}" layer_tables "${primary}" inv_freq)
  string(JSON top_inv GET "${last_stdout}" inv_freq)
  if(NOT primary_inv STREQUAL top_inv)
    message(FATAL_ERROR "layer_tables.${primary}.inv_freq differs from the top-level inv_freq")
  endif()
  # With a sequence length too (dynamic methods, the LongRoPE list).
  expect_status(0 "${CONFIG}" --json --seq-len 131072)
elseif(MODE STREQUAL "table")
  expect_status(0 "${CONFIG}")
  foreach(needle "method:" "attention factor:" "logit scale:" "inv_freq" "wavelength"
                 "layers:" "layer type")
    string(FIND "${last_stdout}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "table output lacks \"${needle}\":\n${last_stdout}")
    endif()
  endforeach()
elseif(MODE STREQUAL "errors")
  file(MAKE_DIRECTORY "${WORK_DIR}")
  expect_refused(string_factor factor
    [[{"hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 65536,
       "rope_scaling": {"type": "yarn", "factor": "16", "original_max_position_embeddings": 4096}}]])
  expect_refused(llama3_missing_original original_max_position_embeddings
    [[{"hidden_size": 4096, "num_attention_heads": 32, "rope_scaling": {"rope_type": "llama3",
       "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0}}]])
  expect_refused(unknown_type type
    [[{"hidden_size": 4096, "num_attention_heads": 32, "rope_scaling": {"type": "ntk"}}]])
  expect_refused(zero_heads num_attention_heads
    [[{"hidden_size": 4096, "num_attention_heads": 0}]])
  expect_refused(beta_zero beta_fast
    [[{"head_dim": 128, "rope_scaling": {"rope_type": "yarn", "factor": 4.0,
       "original_max_position_embeddings": 4096, "beta_fast": 0}}]])
  # Not JSON: the path is the field.
  expect_refused(not_json "${WORK_DIR}/not_json.json" [[{"hidden_size": ]])
  expect_status(1 "${WORK_DIR}/does-not-exist.json")
  # Usage errors.
  expect_status(2)
  expect_status(2 "${WORK_DIR}/string_factor.json" --seq-len 0)
  expect_status(2 "${WORK_DIR}/string_factor.json" --seq-len)
  expect_status(2 "${WORK_DIR}/string_factor.json" --seq-len 12x)
  expect_status(2 "${WORK_DIR}/string_factor.json" --bogus)
  expect_status(2 a.json b.json)
  expect_status(0 --help)
elseif(MODE STREQUAL "methods")
  expect_status(0 --methods)
  foreach(needle "default (rope_type default)" "dynamic (rope_type dynamic)"
                 "longrope (rope_type longrope, su)" "dynamic_yarn (rope_type dynamic_yarn, dynamic-yarn)"
                 "beta_fast" "default 32" "required")
    string(FIND "${last_stdout}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "--methods output lacks \"${needle}\":\n${last_stdout}")
    endif()
  endforeach()
elseif(MODE STREQUAL "layers")
  file(MAKE_DIRECTORY "${WORK_DIR}")
  set(path "${WORK_DIR}/gemma3.json")
  file(WRITE "${path}" [[{"model_type": "gemma3", "text_config": {"model_type": "gemma3_text",
    "head_dim": 128, "num_hidden_layers": 6, "rope_scaling": {"rope_type": "linear",
    "factor": 8.0}}}]])
  expect_status(0 "${path}" --json)
  string(JSON n LENGTH "${last_stdout}" layer_tables)
  string(JSON full_theta GET "${last_stdout}" layer_tables full_attention rope_theta)
  string(JSON sliding_theta GET "${last_stdout}" layer_tables sliding_attention rope_theta)
  string(JSON layers LENGTH "${last_stdout}" layers)
  string(JSON layer5 GET "${last_stdout}" layers 5)
  string(JSON layer0 GET "${last_stdout}" layers 0)
  string(JSON config_path GET "${last_stdout}" config_path)
  if(NOT n EQUAL 2 OR NOT full_theta STREQUAL "1000000.0" OR NOT sliding_theta STREQUAL "10000.0"
     OR NOT layers EQUAL 6 OR NOT layer5 STREQUAL "full_attention"
     OR NOT layer0 STREQUAL "sliding_attention" OR NOT config_path STREQUAL "text_config")
    message(FATAL_ERROR "unexpected layer tables:\n${last_stdout}")
  endif()
  # A layer without RoPE is null in "layers" (SmolLM3: every 4th).
  set(path "${WORK_DIR}/smollm3.json")
  file(WRITE "${path}" [[{"model_type": "smollm3", "head_dim": 64, "num_hidden_layers": 4}]])
  expect_status(0 "${path}" --json)
  string(JSON layer3 TYPE "${last_stdout}" layers 3)
  if(NOT layer3 STREQUAL "NULL")
    message(FATAL_ERROR "layer 3 should have no RoPE:\n${last_stdout}")
  endif()
  expect_status(0 "${path}")
  string(FIND "${last_stdout}" "3 no RoPE" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the layer map lacks \"3 no RoPE\":\n${last_stdout}")
  endif()
elseif(MODE STREQUAL "mrope")
  file(MAKE_DIRECTORY "${WORK_DIR}")
  # Chunked [16, 24, 24] (apply_multimodal_rotary_pos_emb): pairs 0-15 t, 16-39 h, 40-63 w.
  set(path "${WORK_DIR}/qwen2_5_vl.json")
  file(WRITE "${path}" [[{"model_type": "qwen2_5_vl", "hidden_size": 3584,
    "num_attention_heads": 28, "rope_theta": 1000000.0,
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}]])
  expect_status(0 "${path}" --json)
  string(JSON n LENGTH "${last_stdout}" mrope pair_streams)
  string(JSON inter GET "${last_stdout}" mrope interleaved)
  if(NOT n EQUAL 64 OR NOT inter STREQUAL "OFF")
    message(FATAL_ERROR "unexpected mrope:\n${last_stdout}")
  endif()
  expect_pair_streams("0 t" "15 t" "16 h" "39 h" "40 w" "63 w")
  string(JSON nh LENGTH "${last_stdout}" mrope pairs h)
  if(NOT nh EQUAL 24)
    message(FATAL_ERROR "${nh} pairs follow h, expected 24")
  endif()
  # The position-id rules: Qwen2_5_VLConfig's class defaults without a vision_config
  # (spatial_merge_size 2, tokens_per_second 4).
  string(JSON model GET "${last_stdout}" mrope positions model)
  string(JSON merge GET "${last_stdout}" mrope positions spatial_merge_size)
  string(JSON tps GET "${last_stdout}" mrope positions tokens_per_second)
  if(NOT model STREQUAL "qwen2_5_vl" OR NOT merge EQUAL 2 OR NOT tps EQUAL 4)
    message(FATAL_ERROR "unexpected mrope.positions:\n${last_stdout}")
  endif()
  expect_status(0 "${path}")
  foreach(needle "mrope sections:    [16, 24, 24] chunked" "t (temporal)     pairs 0-15 (16)"
                 "h (height)       pairs 16-39 (24)" "w (width)        pairs 40-63 (24)"
                 "mrope positions:   qwen2_5_vl layout, spatial_merge_size 2, tokens_per_second 4")
    string(FIND "${last_stdout}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "table output lacks \"${needle}\":\n${last_stdout}")
    endif()
  endforeach()
  # Interleaved [24, 20, 20] (apply_interleaved_mrope): freqs[1:60:3] from h, freqs[2:60:3]
  # from w, the rest (0, 3, ..., 57 and 60-63) from t.
  set(path "${WORK_DIR}/qwen3_vl.json")
  file(WRITE "${path}" [[{"model_type": "qwen3_vl", "text_config": {"model_type": "qwen3_vl_text",
    "head_dim": 128, "rope_theta": 5000000, "rope_scaling": {"rope_type": "default",
    "mrope_section": [24, 20, 20], "mrope_interleaved": true}}}]])
  expect_status(0 "${path}" --json)
  string(JSON inter GET "${last_stdout}" mrope interleaved)
  if(NOT inter STREQUAL "ON")
    message(FATAL_ERROR "unexpected mrope:\n${last_stdout}")
  endif()
  expect_pair_streams("0 t" "1 h" "2 w" "3 t" "57 t" "58 h" "59 w" "60 t" "61 t" "62 t" "63 t")
  # Qwen3-VL's layout reads no tokens_per_second: null.
  string(JSON model GET "${last_stdout}" mrope positions model)
  string(JSON tps_type TYPE "${last_stdout}" mrope positions tokens_per_second)
  if(NOT model STREQUAL "qwen3_vl" OR NOT tps_type STREQUAL "NULL")
    message(FATAL_ERROR "unexpected mrope.positions:\n${last_stdout}")
  endif()
  expect_status(0 "${path}")
  foreach(needle "[24, 20, 20] interleaved" "t (temporal)     pairs 0-60 step 3, 61-63 (24)"
                 "h (height)       pairs 1-58 step 3 (20)" "w (width)        pairs 2-59 step 3 (20)")
    string(FIND "${last_stdout}" "${needle}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "table output lacks \"${needle}\":\n${last_stdout}")
    endif()
  endforeach()
  # Sections that do not cover rotary_dim / 2 are refused, naming the key.
  expect_refused(bad_sum text_config.mrope_section
    [[{"model_type": "qwen3_vl", "text_config": {"model_type": "qwen3_vl_text",
    "head_dim": 128, "rope_scaling": {"rope_type": "default",
    "mrope_section": [24, 20, 24], "mrope_interleaved": true}}}]])
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
