// The README's smaller code blocks, compiled and run (tests/readme): the README test checks
// that every ```cpp block of README.md appears, line by line and in order, in this file or in
// examples/quickstart/quickstart.cpp, so no snippet in the README can rot.
// The blocks stand at column 0 inside their functions so they match the README verbatim.
#include <ropescale/gguf_rope.hpp>
#include <ropescale/hf_config.hpp>
#include <ropescale/hf_rope.hpp>
#include <ropescale/model_rope.hpp>
#include <ropescale/ropescale.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

// clang-format off
int table_snippet() {
ropescale::rope_config config;
config.head_dim = 128;
config.rope_theta = 500000.0;
config.scaling = ropescale::llama3{8.0, 1.0, 4.0, 8192};   // factor, low, high, original

ropescale::expected<ropescale::frequency_table> table = ropescale::compute_frequencies(config);
if (!table) {
    std::fprintf(stderr, "%s\n", table.err().what().c_str());   // e.g. "factor: must be >= 1 ..."
    return 1;
}
// table->inv_freq (double, rotary_dim / 2 entries), table->attention_factor, table->logit_scale
    return table->inv_freq.size() == 64 ? 0 : 1;
}

int hf_snippet(const std::string& path) {
auto hf = ropescale::load_hf_config(path);      // expected<model_rope_config>
if (!hf) { std::fprintf(stderr, "%s\n", hf.err().what().c_str()); return 1; }
for (const auto& w : hf->warnings) std::puts(w.what().c_str());
ropescale::table_options at_32k;
at_32k.seq_len = 32768;                         // dynamic methods, LongRoPE list
auto table = ropescale::compute_frequencies(hf->config, at_32k);
    return table ? 0 : 1;
}

int engine_snippet() {
ropescale::rope_config config;
config.head_dim = 128;
config.rope_theta = 500000.0;
config.scaling = ropescale::llama3{8.0, 1.0, 4.0, 8192};
// Built once: the table, and cos/sin for every position the engine serves (m folded in).
const auto rope = ropescale::rope::make(config, ropescale::rope_options::cached(131072));
if (!rope) return 1;

// vLLM / FlashInfer shapes: q [num_tokens, 32 * 128], k [num_tokens, 8 * 128], int64 positions.
const std::int64_t num_tokens = 5;
std::vector<float> q(num_tokens * 32 * 128, 0.5f), k(num_tokens * 8 * 128, 0.25f);
const std::vector<std::int64_t> positions = {7, 8, 9, 4000, 3};   // any order, repeats allowed
ropescale::status s = rope->apply(positions, q, k);                // head counts from the sizes
if (!s) { std::fprintf(stderr, "%s\n", s.err().what().c_str()); return 1; }
s = rope->apply(positions, q.data(), 32, k.data(), 8);             // raw pointers, head counts

// Strided tensors: q and k inside one fused qkv buffer [tokens][(32 + 2 * 8) * 128].
std::vector<float> qkv(num_tokens * 48 * 128, 0.5f);
auto q_part = ropescale::make_strided_view(qkv.data(), num_tokens, 32, 128, 48 * 128, 128);
auto k_part = ropescale::make_strided_view(qkv.data() + 32 * 128, num_tokens, 8, 128, 48 * 128, 128);
s = rope->apply(positions, q_part, k_part);

// Your own threads: give each one a token range; the result is bitwise the same.
auto q_view = ropescale::make_heads_view(q.data(), num_tokens, 32, 128);
std::thread worker([&] {
    (void)rope->apply(ropescale::position_span(positions).subspan(0, 2), q_view.token_range(0, 2));
});
(void)rope->apply(ropescale::position_span(positions).subspan(2, 3), q_view.token_range(2, 3));
worker.join();
    return s ? 0 : 1;
}

int shift_snippet() {
ropescale::rope_config config;
config.head_dim = 128;
ropescale::yarn yarn;
yarn.factor = 16.0;
yarn.original_max_position_embeddings = 4096;
config.scaling = yarn;
// llama.cpp-style: int32 positions, interleaved ("NORMAL") layout, angles on the fly.
const auto rope = ropescale::rope::make(
    config, ropescale::rope_options::on_the_fly().with_layout(ropescale::rotary_layout::interleaved));
if (!rope) return 1;
// Keys rotated at 100..103 (with YaRN's m = 1.2773 in cos and sin) ...
std::vector<float> keys(4 * 8 * 128, 1.0f);
const std::vector<std::int32_t> at = {100, 101, 102, 103};
(void)rope->apply(at, keys);
// ... then moved 90 positions back when the context is shifted: a pure rotation, m is not
// applied again (llama.cpp's context shift multiplies it in once more on every shift).
const std::vector<std::int32_t> delta = {-90, -90, -90, -90};
ropescale::status s = rope->shift(delta, keys);
    return s ? 0 : 1;
}

int per_layer_snippet(const std::string& path) {
const std::vector<std::int64_t> positions = {0, 1, 2, 3};
std::vector<float> q(4 * 32 * 128, 0.5f), k(4 * 16 * 128, 0.25f);
const double softmax_scale = 1.0 / std::sqrt(128.0);
// Gemma 3: sliding-window layers and full-attention layers have tables of their own.
auto hf = ropescale::load_hf_config(path);
if (!hf) { std::fprintf(stderr, "%s\n", hf.err().what().c_str()); return 1; }
// One rope per layer type (hf->layer_types: "full_attention", "sliding_attention"), built once.
std::vector<ropescale::rope> ropes;
for (const ropescale::layer_rope& t : hf->layer_types) {
    auto r = ropescale::make_rope(*hf, t.layer_type, ropescale::rope_options::cached(8192));
    if (!r) { std::fprintf(stderr, "%s\n", r.err().what().c_str()); return 1; }
    ropes.push_back(std::move(*r));
}
// Layer i of the forward pass: its table, or none (a layer without RoPE is not rotated).
for (std::size_t i = 0; i < hf->layers.size(); ++i) {
    double layer_softmax_scale = softmax_scale;
    if (const auto t = hf->layers[i]) {
        if (auto s = ropes[*t].apply(positions, q, k); !s) return 1;
        layer_softmax_scale *= ropes[*t].logit_scale();   // 1 except DeepSeek-V2/V3, Kimi-K2
    }
    if (hf->scales_queries(i)) {   // Llama 4's NoPE layers, Ministral 3: q times f(position)
        for (std::size_t token = 0; token < positions.size(); ++token) {
            const auto f = static_cast<float>(ropescale::query_scale(*hf->query_scale, positions[token]));
            for (std::size_t c = 0; c < 32 * 128; ++c) q[token * 32 * 128 + c] *= f;
        }
    }
    (void)layer_softmax_scale;   // ... attention of layer i with it ...
}
    return hf->layer_types.size() == 2 && hf->layers.size() == 62 ? 0 : 1;
}
int pi_bound_snippet() {
ropescale::rope_config llama;   // the paper's LLaMA-7B setting: d = 128, c = 10000
llama.head_dim = 128;
const auto plain = ropescale::compute_frequencies(llama);
if (!plain) return 1;
const auto interpolation = ropescale::interpolation_bound(*plain);         // Theorem 2.1
const auto extrapolation = ropescale::extrapolation_bound(*plain, 0, 4096);  // Eq. 8, s in [0, 4096)
if (!interpolation || !extrapolation) return 1;
std::printf("32 ln c = %.2f, B(s)/d from %.3f (s = %lld) to %.2f (s = %lld)\n",
            interpolation->paper_denominator, extrapolation->min,
            static_cast<long long>(extrapolation->argmin), extrapolation->max,
            static_cast<long long>(extrapolation->argmax));
// 32 ln c = 294.73, B(s)/d from 1.116 (s = 3643) to 16.25 (s = 0)
    return extrapolation->argmin == 3643 && extrapolation->argmax == 0 ? 0 : 1;
}

int mrope_snippet(const std::string& qwen2_5_vl_config) {
// Qwen2.5-VL: config.json's rope_scaling {"type": "mrope", "mrope_section": [16, 24, 24]}
// makes an M-RoPE rope (pairs 0-15 follow t, 16-39 h, 40-63 w).
const auto hf = ropescale::load_hf_config(qwen2_5_vl_config);
if (!hf) { std::fprintf(stderr, "%s\n", hf.err().what().c_str()); return 1; }
const auto rope = ropescale::make_rope(*hf, ropescale::rope_options::cached(32768));
if (!rope) { std::fprintf(stderr, "%s\n", rope.err().what().c_str()); return 1; }

// The prompt: 4 text tokens, one image (image_grid_thw 1 x 8 x 12 patches: 4 x 6 tokens after
// the 2 x 2 merge), 6 text tokens. Position ids as transformers' get_rope_index lays them out,
// with the config's rules: Qwen2.5-VL's layout, vision_config's spatial_merge_size (2) and
// tokens_per_second (2, for videos).
const ropescale::mrope_position_rules& rules = *hf->mrope_positions;
const std::vector<ropescale::mrope_span> prompt = {
    ropescale::mrope_text(4), ropescale::mrope_image(1, 8, 12), ropescale::mrope_text(6)};
const auto ids = ropescale::build_mrope_positions(prompt, rules);   // [3][34] int64: t, h, w
if (!ids) { std::fprintf(stderr, "%s\n", ids.err().what().c_str()); return 1; }
// text 0-3 (t = h = w); image t = 4, h = 4..7, w = 4..9; text 10-15; decoding goes on at 16.

// Prefill: q [34][28 heads][128], k [34][4 heads][128]; three cos/sin rows per token.
const std::int64_t tokens = ids->tokens();
std::vector<ropescale::bf16> q(tokens * 28 * 128), k(tokens * 4 * 128);
ropescale::status s = rope->apply(ropescale::make_mrope_streams(*ids), q, k);
if (!s) { std::fprintf(stderr, "%s\n", s.err().what().c_str()); return 1; }

// Decode: a generated token has t = h = w = next_position(), the 1-D rotation.
std::vector<ropescale::bf16> q1(28 * 128), k1(4 * 128);
const std::vector<std::int64_t> next = {ids->layout.next_position()};
s = rope->apply(next, q1, k1);
    const std::int64_t* t = ids->t();
    const std::int64_t* h = ids->h();
    const std::int64_t* w = ids->w();
    const bool layout_ok = tokens == 34 && t[4] == 4 && h[4 + 23] == 7 && w[4 + 23] == 9 &&
                           t[28] == 10 && h[33] == 15 && next[0] == 16;
    return s && layout_ok ? 0 : 1;
}

int gguf_snippet(const std::string& gguf_path) {
auto m = ropescale::load_gguf_rope(gguf_path);  // expected<model_rope_config>, as load_hf_config
if (!m) { std::fprintf(stderr, "%s\n", m.err().what().c_str()); return 1; }
for (const auto& w : m->warnings) std::puts(w.what().c_str());
// m->model_type is the architecture ("llama"), m->sources names the GGUF keys read.
auto rope = ropescale::make_rope(*m);           // the primary layer type; make_rope(*m, "sliding_attention") ...
if (!rope) { std::fprintf(stderr, "%s\n", rope.err().what().c_str()); return 1; }

// The tables llama.cpp computes from the same file instead (the llama_cpp method):
ropescale::gguf_read_options as_llama_cpp;
as_llama_cpp.semantics = ropescale::gguf_semantics::llama_cpp;
as_llama_cpp.n_ctx_per_seq = 8192;              // llama.cpp's n_ctx / n_seq_max (LongRoPE list)
auto l = ropescale::load_gguf_rope(gguf_path, as_llama_cpp);   // rope_type "llama.cpp"
    // Llama 3.1 as llama.cpp's converter writes it: rope_freqs.weight, 32 layers.
    const bool ok = m->model_type == "llama" && m->rope_type == "rope_freqs" &&
                    m->layers.size() == 32 && rope->table().inv_freq.size() == 64 && l &&
                    l->rope_type == "llama.cpp";
    return ok ? 0 : 1;
}
// clang-format on

int main(int argc, char** argv) {
    if (argc != 4) return 2;
    // argv[1]: examples/configs/Llama-3.1-8B.json; the per-layer snippet reads Gemma 3 beside it.
    // argv[2]: the Qwen2.5-VL config. argv[3]: Llama 3.1 as a GGUF file (tests/gguf's
    // make_model_gguf).
    const std::string gemma3 =
        std::filesystem::path(argv[1]).parent_path().string() + "/gemma-3-27b-it.json";
    return table_snippet() + hf_snippet(argv[1]) + engine_snippet() + shift_snippet() +
           per_layer_snippet(gemma3) + pi_bound_snippet() + mrope_snippet(argv[2]) +
           gguf_snippet(argv[3]);
}
