// Package test consumer: builds a YaRN table through the public API and checks the attention
// factor, 0.1 ln(16) + 1 for factor 16. Exit status 0 on success.
#include <ropescale/ropescale.hpp>

#include <cmath>
#include <cstdio>

int main() {  // NOLINT(bugprone-exception-escape): std::bad_alloc fails the test either way
    ropescale::rope_config c;
    c.head_dim = 128;
    ropescale::yarn y;
    y.factor = 16;
    y.original_max_position_embeddings = 4096;
    c.scaling = y;

    const auto table = ropescale::compute_frequencies(c);
    if (!table) {
        std::fprintf(stderr, "compute_frequencies failed: %s\n", table.err().what().c_str());
        return 1;
    }
    const double expected = 1.2772588722239782;
    const double got = table->attention_factor;
    std::printf("ropescale %d.%d.%d: yarn factor 16, %zu frequencies, attention factor %.17g\n",
                ROPESCALE_VERSION_MAJOR, ROPESCALE_VERSION_MINOR, ROPESCALE_VERSION_PATCH,
                table->inv_freq.size(), got);
    if (!(std::fabs(got - expected) <= 1e-12) || table->inv_freq.size() != 64) {
        std::fprintf(stderr, "expected attention factor %.17g and 64 frequencies\n", expected);
        return 1;
    }
    return 0;
}
