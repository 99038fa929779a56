// Writes the GGUF file of one bundled config of examples/configs/ the way llama.cpp's converter
// writes its RoPE keys and tensors (hf_to_gguf.hpp: the one transcription of
// convert_hf_to_gguf.py, with which gguf_rope_test checks every bundled config), for the
// ropescale-inspect tests (inspect_gguf.cmake) and the README's GGUF snippet (tests/readme):
//
//     make_model_gguf MODEL CONFIGS_DIR OUT.gguf [TRUNCATE]
//
// MODEL is a config's file name without ".json"; or refused-no-block-count, the Llama-3.1-8B
// file without llama.block_count (a file the reader refuses). Yarn-Llama-2-7b-64k's file also
// gets llama.rope.scaling.finetuned, its rope section's `finetuned`: a key llama.cpp reads and
// the converter does not write, so that the inspect tests see the reader report it.
// TRUNCATE: write only the first TRUNCATE bytes. Exit status 0 when the file is written, 1
// otherwise (a config that cannot be read or converted), 2 on a usage error.
#include "gguf_writer.hpp"
#include "hf_to_gguf.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

namespace gw = gguf_test;
using json = nlohmann::json;

int usage() {
    std::fputs("usage: make_model_gguf MODEL CONFIGS_DIR OUT.gguf [TRUNCATE]\n", stderr);
    return 2;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "make_model_gguf: %s\n", what.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) return usage();
    const std::string model = argv[1];
    const bool without_block_count = model == "refused-no-block-count";
    const std::string name = (without_block_count ? std::string("Llama-3.1-8B") : model) + ".json";
    const std::string path = std::string(argv[2]) + "/" + name;
    std::ifstream in(path);
    const json raw = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (raw.is_discarded() || !raw.is_object()) return fail("cannot read " + path);
    auto cv = hf_to_gguf::convert_json(name, raw);
    if (!cv) return fail("no converter rule for " + name);
    hf_to_gguf::gguf_out& out = cv->out;
    if (without_block_count) {
        const std::string key = out.arch + ".block_count";
        for (auto it = out.file.kvs.begin(); it != out.file.kvs.end(); ++it)
            if (it->first == key) {
                out.file.kvs.erase(it);
                break;
            }
    }
    if (model == "Yarn-Llama-2-7b-64k") {
        const json& rope = raw.at("rope_scaling");
        out.set("rope.scaling.finetuned", gw::v_bool(rope.at("finetuned").get<bool>()));
    }
    std::string bytes = out.file.build();
    if (argc == 5) {
        char* end = nullptr;
        const unsigned long long n = std::strtoull(argv[4], &end, 10);
        if (*argv[4] == '\0' || *end != '\0') return usage();
        if (n < bytes.size()) bytes.resize(static_cast<std::size_t>(n));
    }
    std::ofstream o(argv[3], std::ios::binary);
    o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    o.close();
    if (!o) return fail(std::string("cannot write ") + argv[3]);
    return 0;
}
