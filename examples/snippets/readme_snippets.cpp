// The README's smaller code blocks, compiled and run (tests/readme): the README test checks
// that every ```cpp block of README.md appears, line by line and in order, in this file or in
// examples/quickstart/quickstart.cpp, so no snippet in the README can rot.
// The blocks stand at column 0 inside their functions so they match the README verbatim.
#include <ropescale/hf_config.hpp>
#include <ropescale/ropescale.hpp>

#include <cstdio>
#include <string>

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
// clang-format on

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    return table_snippet() + hf_snippet(argv[1]);
}
