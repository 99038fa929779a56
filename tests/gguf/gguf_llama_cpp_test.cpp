// GGUF files read with llama.cpp's semantics (gguf_read_options{gguf_semantics::llama_cpp}):
// every layer type is the llama_cpp method, with the ggml_rope_ext arguments and the table of
// tests/core/llama_cpp_expected.py (mpmath: llama.cpp's rules evaluated independently of this
// code), for files written the way llama.cpp's converter writes these models (gguf_writer.hpp).
// Default options keep transformers' semantics.
#include "gguf_writer.hpp"
#include "support/ulp.hpp"

#include <ropescale/gguf_rope.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;
namespace gw = gguf_test;
using ropescale_test::ulp_distance;

#include "core/llama_cpp_expected.inc"  // expected_params and the values

const std::uint64_t inv_ulps = ropescale_test::inv_freq_ulp("llama.cpp");
const std::uint64_t factor_ulps = ropescale_test::factor_ulp;

template <std::size_t N>
std::vector<float> floats(const double (&a)[N]) {
    return std::vector<float>(a, a + N);
}

gw::file base_file(const std::string& arch, std::uint32_t layers, std::uint32_t context_length,
                   std::uint32_t head_dim, double base, std::uint32_t key_length = 0) {
    gw::file f;
    f.kv("general.architecture", gw::v_str(arch));
    f.kv(arch + ".block_count", gw::v_u32(layers));
    f.kv(arch + ".context_length", gw::v_u32(context_length));
    f.kv(arch + ".attention.key_length", gw::v_u32(key_length ? key_length : head_dim));
    f.kv(arch + ".rope.dimension_count", gw::v_u32(head_dim));
    f.kv(arch + ".rope.freq_base", gw::v_f32(static_cast<float>(base)));
    return f;
}

void yarn_keys(gw::file& f, const std::string& arch, float s, std::uint32_t orig) {
    f.kv(arch + ".rope.scaling.type", gw::v_str("yarn"));
    f.kv(arch + ".rope.scaling.factor", gw::v_f32(s));
    f.kv(arch + ".rope.scaling.original_context_length", gw::v_u32(orig));
}

gw::tensor f32_tensor(const char* name, const std::vector<float>& v) {
    return gw::tensor{name, {v.size()}, 0, gw::f32_data(v), std::nullopt};
}

rs::model_rope_config read(const std::string& bytes, rs::gguf_read_options options) {
    auto f = rs::parse_gguf(bytes);
    EXPECT_TRUE(f) << f.err().what();
    if (!f) return {};
    auto r = rs::read_gguf_rope(*f, bytes, options);
    EXPECT_TRUE(r) << r.err().what();
    return r ? *r : rs::model_rope_config{};
}

const rs::gguf_read_options llama{rs::gguf_semantics::llama_cpp, std::nullopt};

// A layer type read with llama.cpp's semantics: the script's arguments and table.
template <std::size_t N>
void expect_layer(const rs::layer_rope& l, const expected_params& want,
                  const double (&want_inv)[N]) {
    EXPECT_EQ(l.rope_type, "llama.cpp");
    const rs::llama_cpp* p = std::get_if<rs::llama_cpp>(&l.config.scaling);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->freq_scale, want.freq_scale);
    EXPECT_EQ(p->n_ctx_orig, want.n_ctx_orig);
    EXPECT_EQ(p->ext_factor, want.ext_factor);
    EXPECT_EQ(p->beta_fast, want.beta_fast);
    EXPECT_EQ(p->beta_slow, want.beta_slow);
    EXPECT_LE(ulp_distance(p->attn_factor, want.attn_factor), factor_ulps);
    EXPECT_LE(ulp_distance(p->logit_scale, want.logit_scale), factor_ulps);
    auto t = rs::compute_frequencies(l.config);
    ASSERT_TRUE(t) << t.err().what();
    ASSERT_EQ(t->inv_freq.size(), N);
    for (std::size_t i = 0; i < N; ++i)
        EXPECT_LE(ulp_distance(t->inv_freq[i], want_inv[i]), inv_ulps)
            << "pair " << i << ": " << t->inv_freq[i] << " vs " << want_inv[i];
    // The attention factor from the reader's (not the script's) attn_factor: both contracts.
    EXPECT_LE(ulp_distance(t->attention_factor, want.attention), 2 * factor_ulps);
}

TEST(gguf_llama_cpp, llama_2_yarn) {
    gw::file f = base_file("llama", 32, 16384, 128, 10000.0);
    yarn_keys(f, "llama", 4.0f, 4096);
    const std::string bytes = f.build();
    const rs::model_rope_config g = read(bytes, llama);
    ASSERT_EQ(g.layer_types.size(), 1u);
    expect_layer(g.layer_types[0], llama2_yarn_params, llama2_yarn_inv_freq);
    EXPECT_EQ(g.rope_type, "llama.cpp");
    EXPECT_EQ(g.original_max_position_embeddings, 4096);
    // Default options: transformers' semantics.
    const rs::model_rope_config t = read(bytes, {});
    EXPECT_EQ(t.rope_type, "yarn");
    EXPECT_TRUE(std::holds_alternative<rs::yarn>(t.config.scaling));
}

TEST(gguf_llama_cpp, gpt_oss_both_layer_types) {
    gw::file f = base_file("gpt-oss", 24, 131072, 64, 150000.0);
    yarn_keys(f, "gpt-oss", 32.0f, 4096);
    f.kv("gpt-oss.rope.freq_base_swa", gw::v_f32(500000.0f));  // a second layer type
    const rs::model_rope_config g = read(f.build(), llama);
    ASSERT_EQ(g.layer_types.size(), 2u);
    expect_layer(g.layer_types[0], gpt_oss_params, gpt_oss_inv_freq);
    // The sliding layers: the same arguments (gpt-oss shares the scale), another base.
    const rs::layer_rope& s = g.layer_types[1];
    EXPECT_EQ(s.rope_type, "llama.cpp");
    EXPECT_EQ(s.config.rope_theta, 500000.0);
    const auto* p = std::get_if<rs::llama_cpp>(&s.config.scaling);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->freq_scale, gpt_oss_params.freq_scale);
    EXPECT_EQ(p->ext_factor, 1.0);
    EXPECT_EQ(g.layer(0), &g.layer_types[1]);
    EXPECT_EQ(g.layer(1), &g.layer_types[0]);
}

TEST(gguf_llama_cpp, deepseek_v2_lite) {
    // key_length: kv_lora_rank + the rope slice; head_dim is the slice (rope.dimension_count).
    gw::file f = base_file("deepseek2", 27, 163840, 64, 10000.0, 576);
    yarn_keys(f, "deepseek2", 40.0f, 4096);
    f.kv("deepseek2.rope.scaling.yarn_log_multiplier", gw::v_f32(static_cast<float>(0.1 * 0.707)));
    const rs::model_rope_config g = read(f.build(), llama);
    ASSERT_EQ(g.layer_types.size(), 1u);
    expect_layer(g.layer_types[0], deepseek_v2_lite_params, deepseek_v2_lite_inv_freq);
}

TEST(gguf_llama_cpp, phi3_list_follows_the_context_per_sequence) {
    gw::file f = base_file("phi3", 32, 131072, 96, 10000.0);
    f.kv("phi3.rope.scaling.original_context_length", gw::v_u32(4096));
    f.kv("phi3.rope.scaling.attn_factor", gw::v_f32(static_cast<float>(phi3_rope_attn_factor)));
    f.add(f32_tensor(rs::gguf_rope_factors_long, floats(phi3_long_factor_f32)));
    f.add(f32_tensor(rs::gguf_rope_factors_short, floats(phi3_short_factor_f32)));
    const std::string bytes = f.build();
    // Default n_ctx_per_seq: A.context_length, the long list.
    expect_layer(read(bytes, llama).layer_types[0], phi3_long_params, phi3_long_inv_freq);
    expect_layer(read(bytes, {rs::gguf_semantics::llama_cpp, 4096}).layer_types[0],
                 phi3_short_params, phi3_short_inv_freq);
    expect_layer(read(bytes, {rs::gguf_semantics::llama_cpp, 4097}).layer_types[0],
                 phi3_long_params, phi3_long_inv_freq);
    // n_ctx_per_seq must be > 0.
    auto file = rs::parse_gguf(bytes);
    ASSERT_TRUE(file);
    auto r = rs::read_gguf_rope(*file, bytes, {rs::gguf_semantics::llama_cpp, 0});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().field, "n_ctx_per_seq");
}

TEST(gguf_llama_cpp, llama_3_1_rope_freqs) {
    gw::file f = base_file("llama", 32, 131072, 128, 500000.0);
    f.add(f32_tensor(rs::gguf_rope_freqs, floats(llama31_rope_freqs)));
    expect_layer(read(f.build(), llama).layer_types[0], llama31_params, llama31_inv_freq);
}

TEST(gguf_llama_cpp, plain_and_linear) {
    gw::file f = base_file("llama", 32, 4096, 128, 10000.0);
    f.kv("llama.rope.scaling.type", gw::v_str("none"));
    expect_layer(read(f.build(), llama).layer_types[0], plain_params, plain_inv_freq);
    gw::file l = base_file("llama", 32, 16384, 128, 10000.0);
    l.kv("llama.rope.scaling.type", gw::v_str("linear"));
    l.kv("llama.rope.scaling.factor", gw::v_f32(4.0f));
    expect_layer(read(l.build(), llama).layer_types[0], linear_params, linear_inv_freq);
}

// Gemma 3: the sliding layers do not scale (rope_freq_scale_train_swa = 1); the full layers'
// linear factor divides every frequency.
TEST(gguf_llama_cpp, gemma3_sliding_layers) {
    gw::file f = base_file("gemma3", 12, 131072, 128, 1000000.0);
    f.kv("gemma3.rope.scaling.type", gw::v_str("linear"));
    f.kv("gemma3.rope.scaling.factor", gw::v_f32(8.0f));
    const rs::model_rope_config g = read(f.build(), llama);
    ASSERT_EQ(g.layer_types.size(), 2u);
    const auto* full = std::get_if<rs::llama_cpp>(&g.layer_types[0].config.scaling);
    const auto* swa = std::get_if<rs::llama_cpp>(&g.layer_types[1].config.scaling);
    ASSERT_TRUE(full != nullptr && swa != nullptr);
    EXPECT_EQ(full->freq_scale, 0.125);
    EXPECT_EQ(swa->freq_scale, 1.0);
    EXPECT_EQ(swa->ext_factor, 0.0);
    EXPECT_EQ(g.layer_types[1].config.rope_theta, 10000.0);
    EXPECT_EQ(g.layer(5), &g.layer_types[0]);
    EXPECT_EQ(g.layer(0), &g.layer_types[1]);
}

// What transformers has no equivalent for is read as llama.cpp runs it.
TEST(gguf_llama_cpp, yarn_beside_factor_tensors) {
    gw::file f = base_file("llama", 2, 131072, 128, 500000.0);
    yarn_keys(f, "llama", 4.0f, 8192);
    f.add(f32_tensor(rs::gguf_rope_freqs, floats(llama31_rope_freqs)));
    const std::string bytes = f.build();
    auto file = rs::parse_gguf(bytes);
    ASSERT_TRUE(file);
    EXPECT_FALSE(rs::read_gguf_rope(*file, bytes));  // transformers: an error
    const rs::model_rope_config g = read(bytes, llama);
    const auto* p = std::get_if<rs::llama_cpp>(&g.config.scaling);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->ext_factor, 1.0);
    EXPECT_EQ(p->freq_factors.size(), 64u);
    EXPECT_TRUE(rs::compute_frequencies(g.config));
}

}  // namespace
