// ropescale quick start: a model's RoPE read once from its config.json, then q and k of a GQA
// model rotated in place at each step of a decode loop. Built and run by ctest (readme_test),
// which also checks that README.md shows this file and its output verbatim.
#include <ropescale/hf_rope.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "examples/configs/Yarn-Llama-2-7b-64k.json";

    // 1. The model's RoPE: its frequency table (every factor as a value) and a cos/sin cache of
    //    the config's max_position_embeddings positions, the attention factor folded in.
    auto rope = ropescale::load_rope(path);
    if (!rope) {
        std::fprintf(stderr, "error: %s\n", rope.err().what().c_str());
        return 1;
    }
    const ropescale::frequency_table& table = rope->table();
    std::printf("%s: %d pairs, correction range [%g, %g], attention factor %.6f\n", table.method,
                table.pairs(), table.correction->low, table.correction->high,
                table.attention_factor);
    std::printf("cache: positions [0, %lld], %zu MiB\n",
                static_cast<long long>(rope->max_position()), rope->cache().bytes() >> 20);

    // 2. A decode loop: one token per step, q with 32 heads and k with 8 (GQA), contiguous
    //    [tokens][heads][head_dim]; the head counts follow from the sizes.
    std::vector<float> q(32 * 128), k(8 * 128);
    for (const std::int32_t position : {0, 1, 65535}) {
        std::fill(q.begin(), q.end(), 1.0f);
        std::fill(k.begin(), k.end(), 1.0f);
        const std::vector<std::int32_t> positions = {position};
        if (auto s = rope->apply(positions, q, k); !s) {
            std::fprintf(stderr, "error: %s\n", s.err().what().c_str());
            return 1;
        }
        // Pair 0 was (1, 1): rotated by `position` radians, scaled by the attention factor.
        std::printf("position %5d: q[head 0][0, 64] = %8.5f, %8.5f\n", position, q[0], q[64]);
    }

    // 3. Refused, naming the offending entry, with nothing written: a position outside the
    //    cache, a buffer that is not whole heads, a bad parameter.
    const std::vector<std::int32_t> too_far = {65536}, first = {0};
    std::printf("%s\n", rope->apply(too_far, q, k).err().what().c_str());
    std::vector<float> ragged(32 * 128 + 1);
    std::printf("%s\n", rope->apply(first, ragged).err().what().c_str());
    ropescale::yarn yarn;  // a configuration written in code instead of read
    yarn.factor = 0.5;
    yarn.original_max_position_embeddings = 4096;
    ropescale::rope_config config;
    config.head_dim = 128;
    config.scaling = yarn;
    const auto bad = ropescale::rope::make(config, ropescale::rope_options::cached(4096));
    std::printf("%s\n", bad.err().what().c_str());
    return 0;
}
