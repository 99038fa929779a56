// The README's smaller code blocks, compiled and run (tests/readme): the README test checks
// that every ```cpp block of README.md appears, line by line and in order, in this file or in
// examples/quickstart/quickstart.cpp, so no snippet in the README can rot.
// The blocks stand at column 0 inside their functions so they match the README verbatim.
#include <ropescale/hf_config.hpp>
#include <ropescale/hf_rope.hpp>
#include <ropescale/ropescale.hpp>

#include <cstdint>
#include <cstdio>
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
auto hf = ropescale::load_hf_config(path);      // expected<hf_rope_config>
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
int mrope_snippet(const std::string& qwen2_5_vl_config) {
// Qwen2.5-VL: config.json's rope_scaling {"type": "mrope", "mrope_section": [16, 24, 24]}
// makes an M-RoPE rope (pairs 0-15 follow t, 16-39 h, 40-63 w).
const auto rope = ropescale::load_rope(qwen2_5_vl_config, ropescale::rope_options::cached(32768));
if (!rope) { std::fprintf(stderr, "%s\n", rope.err().what().c_str()); return 1; }

// The prompt: 4 text tokens, one image (image_grid_thw 1 x 8 x 12 patches: 4 x 6 tokens after
// the 2 x 2 merge), 6 text tokens. Position ids as transformers' get_rope_index lays them out.
ropescale::mrope_position_rules rules;
rules.model = ropescale::mrope_model::qwen2_5_vl;
rules.spatial_merge_size = 2;        // vision_config.spatial_merge_size
rules.tokens_per_second = 2;         // vision_config.tokens_per_second (videos only)
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
// clang-format on

int main(int argc, char** argv) {
    if (argc != 3) return 2;
    return table_snippet() + hf_snippet(argv[1]) + engine_snippet() + shift_snippet() +
           mrope_snippet(argv[2]);
}
