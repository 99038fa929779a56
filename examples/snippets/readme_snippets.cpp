// The README's smaller code blocks, compiled and run (tests/readme): the README test checks
// that every ```cpp block of README.md appears, line by line and in order, in this file or in
// examples/quickstart/quickstart.cpp, so no snippet in the README can rot.
// The blocks stand at column 0 inside their functions so they match the README verbatim.
#include <ropescale/hf_config.hpp>
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
const auto table = ropescale::compute_frequencies(config);
if (!table) return 1;
// cos/sin for every position the engine serves; m folded in (here m = 1).
const auto cache = ropescale::build_rope_cache(*table, 131072,
                                               ropescale::attention_factor_mode::folded);
if (!cache) return 1;

// vLLM / FlashInfer shapes: q [num_tokens, 32 * 128], k [num_tokens, 8 * 128], int64 positions.
const std::int64_t num_tokens = 5;
std::vector<float> q(num_tokens * 32 * 128, 0.5f), k(num_tokens * 8 * 128, 0.25f);
const std::vector<std::int64_t> positions = {7, 8, 9, 4000, 3};   // any order, repeats allowed
auto q_view = ropescale::make_heads_view(q.data(), num_tokens, 32, 128);
auto k_view = ropescale::make_heads_view(k.data(), num_tokens, 8, 128);
ropescale::status s = ropescale::apply_rope(*cache, ropescale::rotary_layout::half_split,
                                            positions, ropescale::in_place(q_view),
                                            ropescale::in_place(k_view));
if (!s) { std::fprintf(stderr, "%s\n", s.err().what().c_str()); return 1; }

// Your own threads: give each one a token range; the result is bitwise the same.
std::thread worker([&] {
    (void)ropescale::apply_rope(*cache, ropescale::rotary_layout::half_split,
                                ropescale::position_span(positions).subspan(0, 2),
                                ropescale::in_place(q_view.token_range(0, 2)));
});
(void)ropescale::apply_rope(*cache, ropescale::rotary_layout::half_split,
                            ropescale::position_span(positions).subspan(2, 3),
                            ropescale::in_place(q_view.token_range(2, 3)));
worker.join();
    return 0;
}

int shift_snippet() {
ropescale::rope_config config;
config.head_dim = 128;
ropescale::yarn yarn;
yarn.factor = 16.0;
yarn.original_max_position_embeddings = 4096;
config.scaling = yarn;
const auto table = ropescale::compute_frequencies(config);
if (!table) return 1;
// llama.cpp-style int32 positions, interleaved ("NORMAL") layout, keys rotated at 100..103
// (with YaRN's m = 1.2773 in cos and sin) ...
std::vector<float> keys(4 * 8 * 128, 1.0f);
auto k_view = ropescale::make_heads_view(keys.data(), 4, 8, 128);
const std::vector<std::int32_t> at = {100, 101, 102, 103};
(void)ropescale::apply_rope(*table, ropescale::rotary_layout::interleaved, at,
                            ropescale::in_place(k_view));
// ... then moved 90 positions back when the context is shifted: a pure rotation, m is not
// applied again (llama.cpp's context shift multiplies it in once more on every shift).
const std::vector<std::int32_t> delta = {-90, -90, -90, -90};
ropescale::status s = ropescale::shift_rope(*table, ropescale::rotary_layout::interleaved, delta,
                                            ropescale::in_place(k_view));
    return s ? 0 : 1;
}
// clang-format on

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    return table_snippet() + hf_snippet(argv[1]) + engine_snippet() + shift_snippet();
}
