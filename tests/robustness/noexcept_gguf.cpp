// The GGUF reader without exceptions (robustness_noexcept: every unit -fno-exceptions): the
// seed files of fuzz_gguf (fuzz/corpus/fuzz_gguf/, written by tests/gguf/make_gguf_corpus.cpp)
// read from disk, the accepted ones down to their RoPE tensors, the refused ones refused with
// their code, field and byte offset; the seeds with complete rope metadata read into their rope
// configuration (gguf_rope.hpp) and tables, a file without a layer count refused naming it.
#include "noexcept_checks.hpp"

#include <ropescale/gguf.hpp>
#include <ropescale/gguf_rope.hpp>

#include <string>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "this translation unit must be compiled with -fno-exceptions"
#endif

namespace {

namespace rs = ropescale;
using noexcept_test::check;

const std::string corpus = ROPESCALE_TEST_GGUF_CORPUS_DIR;

void refused(const char* file, rs::errc code, const char* field) {
    auto r = rs::load_gguf(corpus + "/" + file);
    check(!r && r.err().code == code && r.err().field == field &&
              r.err().message.rfind("at byte ", 0) == 0,
          std::string("gguf: ") + file + " refused (" + (r ? "accepted" : r.err().what()) + ")");
}

}  // namespace

void noexcept_test::gguf_reader_checks() {
    const std::string llama = corpus + "/llama31.gguf";
    auto f = rs::load_gguf(llama);
    check(static_cast<bool>(f), "gguf: llama31.gguf read");
    if (f) {
        auto base = f->get_f32("llama.rope.freq_base");
        check(base && *base == 500000.0f, "gguf: llama.rope.freq_base");
        // The corpus writer's ramp: 1 + 0.125 i, exact in float.
        auto freqs = rs::load_f32_tensor(*f, llama, rs::gguf_rope_freqs, 64);
        check(freqs && freqs->size() == 64 && (*freqs)[0] == 1.0f && (*freqs)[63] == 8.875f,
              "gguf: rope_freqs.weight");
        auto wrong = f->get_u32("llama.rope.freq_base");
        check(!wrong && wrong.err().code == rs::errc::wrong_type, "gguf: wrong type refused");
        auto q = rs::load_f32_tensor(*f, llama, "token_embd.weight");
        check(!q && q.err().code == rs::errc::wrong_type, "gguf: q4_0 tensor refused as f32");
    }
    const std::string phi3 = corpus + "/phi3_longrope.gguf";
    auto p = rs::load_gguf(phi3);
    check(static_cast<bool>(p), "gguf: phi3_longrope.gguf read");
    if (p) {
        auto lng = rs::load_f32_tensor(*p, phi3, rs::gguf_rope_factors_long, 48);
        auto sht = rs::load_f32_tensor(*p, phi3, rs::gguf_rope_factors_short, 48);
        check(lng && sht && (*lng)[47] == 6.875f && (*sht)[0] == 0.5f, "gguf: LongRoPE factors");
    }
    refused("refused_version1.gguf", rs::errc::out_of_range, "version");
    refused("refused_duplicate_key.gguf", rs::errc::inconsistent, "a");
    refused("refused_overlap.gguf", rs::errc::inconsistent, "b");
    struct rope_seed {
        const char* file;
        const char* rope_type;
        std::size_t layer_types;
        std::size_t layers;
    };
    for (const rope_seed& s : {rope_seed{"deepseek2_yarn.gguf", "yarn", 1, 3},
                               rope_seed{"gemma3_swa.gguf", "linear", 2, 12},
                               rope_seed{"qwen2vl_sections.gguf", "default", 1, 2},
                               rope_seed{"llama31_full.gguf", "rope_freqs", 1, 4}}) {
        auto r = rs::load_gguf_rope(corpus + "/" + s.file);
        bool ok = r && r->rope_type == s.rope_type && r->layer_types.size() == s.layer_types &&
                  r->layers.size() == s.layers;
        if (ok)
            for (const rs::layer_rope& l : r->layer_types)
                ok = ok && static_cast<bool>(rs::compute_frequencies(l.config));
        check(ok, std::string("gguf_rope: ") + s.file + (r ? "" : " (" + r.err().what() + ")"));
    }
    auto no_layers = rs::load_gguf_rope(phi3);
    check(!no_layers && no_layers.err().code == rs::errc::missing_field &&
              no_layers.err().field == "phi3.block_count",
          "gguf_rope: phi3_longrope.gguf refused naming phi3.block_count");
    auto missing = rs::load_gguf(corpus + "/absent.gguf");
    check(!missing && missing.err().code == rs::errc::io_error, "gguf: absent file");
}
