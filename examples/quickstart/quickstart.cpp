// ropescale quick start: the YaRN table of Yarn-Llama-2-7b-64k, a cos/sin cache, and q and k
// of a GQA model rotated in place. Built and run by ctest (readme.quickstart), which also
// checks that README.md shows this file and its output verbatim.
#include <ropescale/ropescale.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
    // 1. The method and its parameters, in Hugging Face's vocabulary.
    ropescale::yarn yarn;
    yarn.factor = 16.0;
    yarn.original_max_position_embeddings = 4096;
    ropescale::rope_config config;
    config.head_dim = 128;
    config.rope_theta = 10000.0;
    config.scaling = yarn;

    // 2. The frequency table: inverse frequencies and every factor, as values.
    const auto table = ropescale::compute_frequencies(config);
    if (!table) {
        std::fprintf(stderr, "error: %s\n", table.err().what().c_str());
        return 1;
    }
    std::printf("%s: %d pairs, correction range [%g, %g], attention factor %.6f\n", table->method,
                table->pairs(), table->correction->low, table->correction->high,
                table->attention_factor);
    std::printf("inv_freq[0] = %.6g, inv_freq[63] = %.6g (plain: %.6g)\n", table->inv_freq[0],
                table->inv_freq[63], ropescale::plain_inv_freq(10000.0, 128, 63));

    // 3. cos/sin for positions [0, 65536), with the attention factor folded in.
    const auto cache =
        ropescale::build_rope_cache(*table, 65536, ropescale::attention_factor_mode::folded);
    if (!cache) {
        std::fprintf(stderr, "error: %s\n", cache.err().what().c_str());
        return 1;
    }

    // 4. q with 32 heads and k with 8 (GQA), 3 tokens, [tokens][heads][head_dim], in place.
    const int tokens = 3, q_heads = 32, kv_heads = 8, head_dim = 128;
    std::vector<float> q(tokens * q_heads * head_dim, 1.0f);
    std::vector<float> k(tokens * kv_heads * head_dim, 1.0f);
    const std::vector<std::int32_t> positions = {0, 1, 65535};
    const auto status = ropescale::apply_rope(
        *cache, ropescale::rotary_layout::half_split, positions,
        ropescale::in_place(ropescale::make_heads_view(q.data(), tokens, q_heads, head_dim)),
        ropescale::in_place(ropescale::make_heads_view(k.data(), tokens, kv_heads, head_dim)));
    if (!status) {
        std::fprintf(stderr, "error: %s\n", status.err().what().c_str());
        return 1;
    }
    // Pair 0 of token 1 was (1, 1); rotated by 1 rad and scaled by the attention factor.
    std::printf("q[token 1][head 0][0, 64] = %.5f, %.5f\n", q[1 * q_heads * head_dim],
                q[1 * q_heads * head_dim + 64]);

    // 5. A position outside the cache is refused, naming the offending entry.
    const std::vector<std::int32_t> too_far = {0, 1, 70000};
    const auto refused = ropescale::apply_rope(
        *cache, ropescale::rotary_layout::half_split, too_far,
        ropescale::in_place(ropescale::make_heads_view(q.data(), tokens, q_heads, head_dim)));
    std::printf("%s\n", refused ? "accepted?" : refused.err().what().c_str());

    // 6. So is a bad parameter, naming the field and the value.
    yarn.factor = 0.5;
    config.scaling = yarn;
    std::printf("%s\n", ropescale::compute_frequencies(config).err().what().c_str());
    return 0;
}
