// Writes the seed corpus of fuzz_gguf (fuzz/corpus/fuzz_gguf/) with the test writer:
//     build/default/tests/gguf/make_gguf_corpus fuzz/corpus/fuzz_gguf
// Files shaped as llama.cpp's converter writes them (Llama 3.1 with rope_freqs, Phi-3 with the
// LongRoPE factor lists, a version 2 file with every value type and nested arrays, a 64-byte
// alignment, a ggml type newer than the reader's table, an empty file; complete rope metadata
// for gguf_rope.hpp: DeepSeek-V2 YaRN, Gemma 3 sliding layers, Qwen2-VL sections, Llama 3.1
// with its layer count), and a few it must refuse.
#include "gguf_writer.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace gw = gguf_test;

namespace {

void write(const std::string& dir, const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<float> ramp(int n, float base) {
    std::vector<float> v;
    for (int i = 0; i < n; ++i) v.push_back(base + 0.125f * static_cast<float>(i));
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_gguf_corpus <directory>\n");
        return 2;
    }
    const std::string dir = argv[1];

    gw::file llama;
    llama.kv("general.architecture", gw::v_str("llama"))
        .kv("general.alignment", gw::v_u32(32))
        .kv("llama.context_length", gw::v_u32(131072))
        .kv("llama.rope.dimension_count", gw::v_u32(128))
        .kv("llama.rope.freq_base", gw::v_f32(500000.0f))
        .kv("llama.rope.dimension_sections",
            gw::v_array(gw::t_int32, {gw::v_i32(16), gw::v_i32(24), gw::v_i32(24)}))
        .kv("tokenizer.ggml.tokens", gw::v_array(gw::t_string, {gw::v_str("<s>"), gw::v_str("a")}));
    llama.add({"rope_freqs.weight", {64}, 0, gw::f32_data(ramp(64, 1.0f)), {}});
    llama.add({"token_embd.weight", {64, 2}, 2, std::string(2 * 2 * 18, '\x11'), {}});
    write(dir, "llama31.gguf", llama.build());

    gw::file phi3;
    phi3.kv("general.architecture", gw::v_str("phi3"))
        .kv("phi3.rope.scaling.original_context_length", gw::v_u32(4096))
        .kv("phi3.rope.scaling.attn_factor", gw::v_f32(1.19f));
    phi3.add({"rope_factors_long.weight", {48}, 0, gw::f32_data(ramp(48, 1.0f)), {}});
    phi3.add({"rope_factors_short.weight", {48}, 0, gw::f32_data(ramp(48, 0.5f)), {}});
    write(dir, "phi3_longrope.gguf", phi3.build());

    gw::file all;
    all.version = 2;
    all.kv("u8", gw::v_u8(1))
        .kv("i8", gw::v_i8(-1))
        .kv("u16", gw::v_u16(2))
        .kv("i16", gw::v_i16(-2))
        .kv("u32", gw::v_u32(3))
        .kv("i32", gw::v_i32(-3))
        .kv("f32", gw::v_f32(0.5f))
        .kv("bool", gw::v_bool(true))
        .kv("str", gw::v_str("text"))
        .kv("u64", gw::v_u64(4))
        .kv("i64", gw::v_i64(-4))
        .kv("f64", gw::v_f64(0.25))
        .kv("arr", gw::v_array(gw::t_bool, {gw::v_bool(false)}))
        .kv("nested", gw::v_array(gw::t_array, {gw::v_array(gw::t_float64, {gw::v_f64(1.0)})}));
    write(dir, "every_type_v2.gguf", all.build());

    gw::file aligned;
    aligned.alignment = 64;
    aligned.kv("general.alignment", gw::v_u32(64));
    aligned.add({"a", {3}, 1, std::string(6, '\0'), {}});
    aligned.add({"rope_freqs.weight", {4}, 0, gw::f32_data({1.0f, 2.0f, 4.0f, 8.0f}), {}});
    write(dir, "alignment_64.gguf", aligned.build());

    gw::file newer;  // a ggml type newer than the reader's table, beside rope_freqs
    newer.add({"blk.0.attn_q.weight", {128, 2}, 41, std::string(64, '\x33'), {}});
    newer.add({"rope_freqs.weight", {2}, 0, gw::f32_data({1.0f, 3.0f}), {}});
    write(dir, "newer_ggml_type.gguf", newer.build());

    write(dir, "empty.gguf", gw::file{}.build());

    gw::file deepseek;  // read through to a YaRN table with DeepSeek's logit scale
    deepseek.kv("general.architecture", gw::v_str("deepseek2"))
        .kv("deepseek2.block_count", gw::v_u32(3))
        .kv("deepseek2.context_length", gw::v_u32(163840))
        .kv("deepseek2.attention.key_length", gw::v_u32(576))
        .kv("deepseek2.rope.dimension_count", gw::v_u32(64))
        .kv("deepseek2.rope.freq_base", gw::v_f32(10000.0f))
        .kv("deepseek2.rope.scaling.type", gw::v_str("yarn"))
        .kv("deepseek2.rope.scaling.factor", gw::v_f32(40.0f))
        .kv("deepseek2.rope.scaling.original_context_length", gw::v_u32(4096))
        .kv("deepseek2.rope.scaling.yarn_log_multiplier", gw::v_f32(0.0707f))
        .kv("deepseek2.rope.scaling.yarn_beta_fast", gw::v_f32(32.0f))
        .kv("deepseek2.rope.scaling.yarn_beta_slow", gw::v_f32(1.0f))
        .kv("deepseek2.rope.scaling.finetuned", gw::v_bool(false));
    write(dir, "deepseek2_yarn.gguf", deepseek.build());

    gw::file gemma;  // two layer types
    gemma.kv("general.architecture", gw::v_str("gemma3"))
        .kv("gemma3.block_count", gw::v_u32(12))
        .kv("gemma3.context_length", gw::v_u32(131072))
        .kv("gemma3.attention.key_length", gw::v_u32(128))
        .kv("gemma3.rope.freq_base", gw::v_f32(1000000.0f))
        .kv("gemma3.rope.freq_base_swa", gw::v_f32(10000.0f))
        .kv("gemma3.rope.dimension_count_swa", gw::v_u32(64))
        .kv("gemma3.rope.scaling.type", gw::v_str("linear"))
        .kv("gemma3.rope.scaling.factor", gw::v_f32(8.0f));
    write(dir, "gemma3_swa.gguf", gemma.build());

    gw::file qwen;  // sections, head_dim from embedding_length / head_count
    qwen.kv("general.architecture", gw::v_str("qwen2vl"))
        .kv("qwen2vl.block_count", gw::v_u32(2))
        .kv("qwen2vl.context_length", gw::v_u32(128000))
        .kv("qwen2vl.embedding_length", gw::v_u32(3584))
        .kv("qwen2vl.attention.head_count", gw::v_u32(28))
        .kv("qwen2vl.rope.freq_base", gw::v_f32(1000000.0f))
        .kv("qwen2vl.rope.dimension_sections",
            gw::v_array(gw::t_int32, {gw::v_i32(16), gw::v_i32(24), gw::v_i32(24), gw::v_i32(0)}));
    write(dir, "qwen2vl_sections.gguf", qwen.build());

    gw::file llama_full;  // Llama 3.1 read through: rope_freqs as per-pair factors
    llama_full.kv("general.architecture", gw::v_str("llama"))
        .kv("llama.block_count", gw::v_u32(4))
        .kv("llama.context_length", gw::v_u32(131072))
        .kv("llama.embedding_length", gw::v_u32(4096))
        .kv("llama.attention.head_count", gw::v_u32(32))
        .kv("llama.rope.dimension_count", gw::v_u32(128))
        .kv("llama.rope.freq_base", gw::v_f32(500000.0f));
    llama_full.add({"rope_freqs.weight", {64}, 0, gw::f32_data(ramp(64, 1.0f)), {}});
    write(dir, "llama31_full.gguf", llama_full.build());

    gw::file v1;
    v1.version = 1;
    write(dir, "refused_version1.gguf", v1.build());
    gw::file dup;
    dup.kv("a", gw::v_u8(1)).kv("a", gw::v_u8(2));
    write(dir, "refused_duplicate_key.gguf", dup.build());
    gw::file overlap;
    overlap.add({"a", {16}, 0, gw::f32_data(ramp(16, 1.0f)), 0});
    overlap.add({"b", {8}, 0, gw::f32_data(ramp(8, 1.0f)), 32});
    write(dir, "refused_overlap.gguf", overlap.build());
    return 0;
}
