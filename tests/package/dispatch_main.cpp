// Package test consumer of ropescale_add_kernels(): the kernels of every instruction set of
// this processor family in their own units, the rope object on the run-time choice. Pair 0 of
// plain RoPE at position 1 turns (1, 1) by 1 radian. Exit status 0 on success.
#include <ropescale/rope.hpp>
#include <ropescale_kernels.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

int main() {  // NOLINT(bugprone-exception-escape): std::bad_alloc fails the test either way
    ropescale::rope_config config;
    config.head_dim = 64;
    const auto rope = ropescale::basic_rope<ropescale_kernels::dispatch>::make(
        config, ropescale::rope_options::cached(16));
    if (!rope) {
        std::fprintf(stderr, "make failed: %s\n", rope.err().what().c_str());
        return 1;
    }
    std::vector<float> q(2 * 64, 1.0f);
    const std::vector<std::int32_t> position = {1};
    if (auto s = rope->apply(position, q); !s) {
        std::fprintf(stderr, "apply failed: %s\n", s.err().what().c_str());
        return 1;
    }
    const double x1 = std::cos(1.0) - std::sin(1.0), x2 = std::sin(1.0) + std::cos(1.0);
    std::printf("kernels %s: q[0], q[32] = %.7f, %.7f\n", ropescale_kernels::dispatch::name(), q[0],
                q[32]);
    if (!(std::fabs(q[0] - x1) <= 1e-6 && std::fabs(q[32] - x2) <= 1e-6)) {
        std::fprintf(stderr, "expected %.7f, %.7f\n", x1, x2);
        return 1;
    }
    return 0;
}
