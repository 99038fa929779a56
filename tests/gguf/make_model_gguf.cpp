// Writes the GGUF file of one bundled config of examples/configs/ the way llama.cpp's converter
// (convert_hf_to_gguf.py: TextModel.set_gguf_parameters, LlamaModel.generate_extra_tensors,
// Phi3MiniModel, DeepseekV2Model, Gemma3Model, GptOssModel, Qwen2VLModel) writes its RoPE
// metadata, with the specification-based writer of gguf_writer.hpp; for the ropescale-inspect
// tests (inspect_gguf.cmake) and the README's GGUF snippet (tests/readme):
//
//     make_model_gguf MODEL CONFIGS_DIR OUT.gguf [TRUNCATE]
//
// MODEL is a config's file name without ".json": Llama-3.1-8B (rope_freqs.weight),
// Yarn-Llama-2-7b-64k (YaRN, finetuned), Phi-3-mini-128k-instruct (LongRoPE lists),
// DeepSeek-V2-Lite (YaRN, yarn_log_multiplier), gemma-3-27b-it (two layer types),
// Qwen2.5-VL-7B-Instruct (dimension_sections), gpt-oss-120b (YaRN, unfloored); or
// refused-no-block-count, a Llama 3.1 file without llama.block_count (CONFIGS_DIR as for
// Llama-3.1-8B). TRUNCATE: write only the first TRUNCATE bytes. Values are taken from the
// config.json (the language model's keys: text_config when there is one); a layer count the
// bundled config leaves out is the model's, as the converter reads it from the full config.
// Exit status 0 when the file is written, 1 otherwise, 2 on a usage error.
#include "gguf_writer.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace gw = gguf_test;
using json = nlohmann::json;

// The language model's keys of a config.json (null when it cannot be read).
json read_config(const std::string& path) {
    std::ifstream in(path);
    json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return nullptr;
    if (j.contains("text_config")) return j["text_config"];
    return j;
}

// The keys every converted model has (TextModel.set_gguf_parameters).
gw::file base_file(const std::string& arch, const json& c, std::uint32_t context_length,
                   std::uint32_t layers) {
    gw::file f;
    f.kv("general.architecture", gw::v_str(arch));
    f.kv(arch + ".block_count", gw::v_u32(c.value("num_hidden_layers", layers)));
    f.kv(arch + ".context_length", gw::v_u32(context_length));
    f.kv(arch + ".embedding_length", gw::v_u32(c.at("hidden_size").get<std::uint32_t>()));
    f.kv(arch + ".attention.head_count",
         gw::v_u32(c.at("num_attention_heads").get<std::uint32_t>()));
    return f;
}

gw::tensor f32_tensor(const char* name, const std::vector<float>& v) {
    return gw::tensor{name, {v.size()}, 0, gw::f32_data(v), std::nullopt};
}

// Llama 3.1: no scaling keys; rope_freqs.weight holds per pair the divisor of
// LlamaModel.generate_extra_tensors: 1 (short wavelengths), the factor (long ones), else
// 1 / ((1 - smooth) / factor + smooth), from the float32 frequencies 1 / base^(2i/d) as torch
// computes them, stored as float32.
gw::file llama_3_1(const json& c, bool with_block_count) {
    const json& r = c.at("rope_scaling");
    const double base = c.at("rope_theta").get<double>();
    const int dim = c.at("hidden_size").get<int>() / c.at("num_attention_heads").get<int>();
    const double factor = r.at("factor").get<double>();
    const double low = r.at("low_freq_factor").get<double>();
    const double high = r.at("high_freq_factor").get<double>();
    const double old_ctx = r.at("original_max_position_embeddings").get<double>();
    std::vector<float> divisors;
    for (int i = 0; i < dim / 2; ++i) {
        const float freq = 1.0f / std::pow(static_cast<float>(base),
                                           static_cast<float>(2 * i) / static_cast<float>(dim));
        const double wavelen = 2 * M_PI / static_cast<double>(freq);
        if (wavelen < old_ctx / high) {
            divisors.push_back(1.0f);
        } else if (wavelen > old_ctx / low) {
            divisors.push_back(static_cast<float>(factor));
        } else {
            const double smooth = (old_ctx / wavelen - low) / (high - low);
            divisors.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
        }
    }
    gw::file f = base_file("llama", c, c.at("max_position_embeddings").get<std::uint32_t>(), 0);
    if (!with_block_count) f.kvs.erase(f.kvs.begin() + 1);
    f.kv("llama.rope.dimension_count", gw::v_u32(static_cast<std::uint32_t>(dim)));
    f.kv("llama.rope.freq_base", gw::v_f32(static_cast<float>(base)));
    f.add(f32_tensor("rope_freqs.weight", divisors));
    return f;
}

// Yarn-Llama-2-7b-64k: type yarn, factor, original context length, finetuned (32 layers).
gw::file yarn_llama_2(const json& c) {
    const json& r = c.at("rope_scaling");
    gw::file f = base_file("llama", c, c.at("max_position_embeddings").get<std::uint32_t>(), 32);
    f.kv("llama.rope.dimension_count", gw::v_u32(128));
    f.kv("llama.rope.freq_base", gw::v_f32(c.value("rope_theta", 10000.0f)));
    f.kv("llama.rope.scaling.type", gw::v_str("yarn"));
    f.kv("llama.rope.scaling.factor", gw::v_f32(r.at("factor").get<float>()));
    f.kv("llama.rope.scaling.original_context_length",
         gw::v_u32(r.at("original_max_position_embeddings").get<std::uint32_t>()));
    f.kv("llama.rope.scaling.finetuned", gw::v_bool(r.at("finetuned").get<bool>()));
    return f;
}

// Phi-3-mini-128k (Phi3MiniModel): original_context_length, attn_factor =
// sqrt(1 + ln(s) / ln(L)) as float32, the two factor lists as float32 tensors (32 layers).
gw::file phi_3(const json& c) {
    const json& r = c.at("rope_scaling");
    const auto n_ctx = c.at("max_position_embeddings").get<std::uint32_t>();
    const auto orig = c.at("original_max_position_embeddings").get<std::uint32_t>();
    const int dim = c.at("hidden_size").get<int>() / c.at("num_attention_heads").get<int>();
    const double scale = static_cast<double>(n_ctx) / orig;
    const double attn = std::sqrt(1 + std::log(scale) / std::log(static_cast<double>(orig)));
    std::vector<float> lf, sf;
    for (const json& x : r.at("long_factor")) lf.push_back(x.get<float>());
    for (const json& x : r.at("short_factor")) sf.push_back(x.get<float>());
    gw::file f = base_file("phi3", c, n_ctx, 32);
    f.kv("phi3.rope.dimension_count", gw::v_u32(static_cast<std::uint32_t>(dim)));
    f.kv("phi3.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("phi3.rope.scaling.original_context_length", gw::v_u32(orig));
    f.kv("phi3.rope.scaling.attn_factor", gw::v_f32(static_cast<float>(attn)));
    f.add(f32_tensor("rope_factors_long.weight", lf));
    f.add(f32_tensor("rope_factors_short.weight", sf));
    return f;
}

// DeepSeek-V2-Lite (DeepseekV2Model): key_length = kv_lora_rank + qk_rope_head_dim (512 +
// 64), dimension_count = qk_rope_head_dim, yarn, yarn_log_multiplier = 0.1 * mscale_all_dim
// (27 layers).
gw::file deepseek_v2_lite(const json& c) {
    const json& r = c.at("rope_scaling");
    const auto rope_dim = c.at("qk_rope_head_dim").get<std::uint32_t>();
    gw::file f =
        base_file("deepseek2", c, c.at("max_position_embeddings").get<std::uint32_t>(), 27);
    f.kv("deepseek2.attention.key_length", gw::v_u32(c.value("kv_lora_rank", 512u) + rope_dim));
    f.kv("deepseek2.rope.dimension_count", gw::v_u32(rope_dim));
    f.kv("deepseek2.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("deepseek2.rope.scaling.type", gw::v_str("yarn"));
    f.kv("deepseek2.rope.scaling.factor", gw::v_f32(r.at("factor").get<float>()));
    f.kv("deepseek2.rope.scaling.original_context_length",
         gw::v_u32(r.at("original_max_position_embeddings").get<std::uint32_t>()));
    f.kv("deepseek2.rope.scaling.yarn_log_multiplier",
         gw::v_f32(static_cast<float>(0.1 * r.at("mscale_all_dim").get<double>())));
    return f;
}

// Gemma 3 27B (Gemma3Model): key_length, Gemma3TextConfig's defaults for what the bundled
// config leaves out (context 131072, base 1e6, sliding base 1e4), linear factor on the full
// layers.
gw::file gemma_3(const json& c) {
    gw::file f = base_file("gemma3", c, c.value("max_position_embeddings", 131072u), 0);
    f.kv("gemma3.attention.key_length", gw::v_u32(c.at("head_dim").get<std::uint32_t>()));
    f.kv("gemma3.rope.freq_base", gw::v_f32(c.value("rope_theta", 1000000.0f)));
    f.kv("gemma3.rope.freq_base_swa", gw::v_f32(c.value("rope_local_base_freq", 10000.0f)));
    f.kv("gemma3.rope.scaling.type", gw::v_str("linear"));
    f.kv("gemma3.rope.scaling.factor", gw::v_f32(c.at("rope_scaling").at("factor").get<float>()));
    return f;
}

// Qwen2.5-VL-7B (Qwen2VLModel): plain RoPE, dimension_sections = mrope_section + [0] (int32).
gw::file qwen2_5_vl(const json& c) {
    std::vector<gw::value> sections;
    for (const json& x : c.at("rope_scaling").at("mrope_section"))
        sections.push_back(gw::v_i32(x.get<std::int32_t>()));
    sections.push_back(gw::v_i32(0));
    gw::file f = base_file("qwen2vl", c, c.at("max_position_embeddings").get<std::uint32_t>(), 0);
    f.kv("qwen2vl.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("qwen2vl.rope.dimension_sections", gw::v_array(gw::t_int32, sections));
    return f;
}

// gpt-oss-120b (GptOssModel): key_length, yarn; sliding and full layers alternate.
gw::file gpt_oss(const json& c) {
    const json& r = c.at("rope_scaling");
    gw::file f = base_file("gpt-oss", c, c.at("max_position_embeddings").get<std::uint32_t>(), 0);
    f.kv("gpt-oss.attention.key_length", gw::v_u32(c.at("head_dim").get<std::uint32_t>()));
    f.kv("gpt-oss.rope.freq_base", gw::v_f32(c.at("rope_theta").get<float>()));
    f.kv("gpt-oss.rope.scaling.type", gw::v_str("yarn"));
    f.kv("gpt-oss.rope.scaling.factor", gw::v_f32(r.at("factor").get<float>()));
    f.kv("gpt-oss.rope.scaling.original_context_length",
         gw::v_u32(r.at("original_max_position_embeddings").get<std::uint32_t>()));
    return f;
}

int usage() {
    std::fprintf(stderr, "usage: make_model_gguf MODEL CONFIGS_DIR OUT.gguf [TRUNCATE]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) return usage();
    const std::string model = argv[1];
    const std::string config =
        std::string(argv[2]) + "/" +
        (model == "refused-no-block-count" ? std::string("Llama-3.1-8B") : model) + ".json";
    const json c = read_config(config);
    if (c.is_null()) {
        std::fprintf(stderr, "make_model_gguf: cannot read %s\n", config.c_str());
        return 1;
    }
    gw::file f;
    if (model == "Llama-3.1-8B")
        f = llama_3_1(c, true);
    else if (model == "refused-no-block-count")
        f = llama_3_1(c, false);
    else if (model == "Yarn-Llama-2-7b-64k")
        f = yarn_llama_2(c);
    else if (model == "Phi-3-mini-128k-instruct")
        f = phi_3(c);
    else if (model == "DeepSeek-V2-Lite")
        f = deepseek_v2_lite(c);
    else if (model == "gemma-3-27b-it")
        f = gemma_3(c);
    else if (model == "Qwen2.5-VL-7B-Instruct")
        f = qwen2_5_vl(c);
    else if (model == "gpt-oss-120b")
        f = gpt_oss(c);
    else
        return usage();
    std::string bytes = f.build();
    if (argc == 5) {
        char* end = nullptr;
        const unsigned long long n = std::strtoull(argv[4], &end, 10);
        if (*argv[4] == '\0' || *end != '\0') return usage();
        if (n < bytes.size()) bytes.resize(static_cast<std::size_t>(n));
    }
    std::ofstream out(argv[3], std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
        std::fprintf(stderr, "make_model_gguf: cannot write %s\n", argv[3]);
        return 1;
    }
    return 0;
}
