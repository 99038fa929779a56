// Concurrency beyond the rotation itself, run under ThreadSanitizer by the tsan preset (.ci/run)
// and under ASan by the asan preset:
//
//   - threads build caches from one shared const table concurrently;
//   - the first call of a run-time dispatched kernel from several threads at once (the
//     function-local static that records the chosen ISA is initialised exactly once).
//
// Threads rotating disjoint token ranges through one shared const cache or table, on every ISA,
// are tests/kernels/apply_test.cpp's apply_isa.threads_* (also under the tsan preset).
//
// The threads write into plain vectors, one result slot each (never std::vector<bool>, whose
// elements share bytes).
#include <gtest/gtest.h>

#include "isa_kernels.hpp"

#include <ropescale/dispatch.hpp>
#include <ropescale/ropescale.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

namespace rs = ropescale;

rs::frequency_table yarn_table() {
    rs::rope_config c;
    c.head_dim = 128;
    rs::yarn y;
    y.factor = 8.0;
    y.original_max_position_embeddings = 4096;
    c.scaling = y;
    return *rs::compute_frequencies(c);
}

// Releases every thread at once, so that their calls overlap.
class start_line {
  public:
    explicit start_line(int n) : waiting_(n) {}
    void arrive_and_wait() {
        waiting_.fetch_sub(1);
        while (waiting_.load() > 0) std::this_thread::yield();
    }

  private:
    std::atomic<int> waiting_;
};

constexpr std::int64_t tokens = 96;
constexpr int q_heads = 8, k_heads = 2, head_dim = 128;

struct tensors {
    std::vector<float> q, k;
    std::vector<std::int64_t> pos;
    tensors()
        : q(static_cast<std::size_t>(tokens) * q_heads * head_dim),
          k(static_cast<std::size_t>(tokens) * k_heads * head_dim),
          pos(tokens) {
        for (std::size_t i = 0; i < q.size(); ++i)
            q[i] = static_cast<float>((i * 7919) % 1000) / 500.0f - 1.0f;
        for (std::size_t i = 0; i < k.size(); ++i)
            k[i] = static_cast<float>((i * 104729) % 1000) / 500.0f - 1.0f;
        for (std::int64_t t = 0; t < tokens; ++t)
            pos[static_cast<std::size_t>(t)] = (t * 37) % 1000;
    }
};

// Rotates tokens [b, b + n) of q and k forward through a shared cache.
template <class Arch>
bool rotate_range(const rs::rope_cache& cache, tensors& x, std::int64_t b, std::int64_t n) {
    const auto q = rs::make_heads_view(x.q.data(), tokens, q_heads, head_dim).token_range(b, n);
    const auto k = rs::make_heads_view(x.k.data(), tokens, k_heads, head_dim).token_range(b, n);
    const auto pos = rs::position_span(x.pos).subspan(b, n);
    return static_cast<bool>(rs::apply_rope<Arch>(cache, rs::rotary_layout::half_split, pos,
                                                  rs::in_place(q), rs::in_place(k)));
}

TEST(concurrency, caches_built_concurrently_from_one_table_are_identical) {
    const rs::frequency_table table = yarn_table();
    constexpr int n = 3;
    std::vector<rs::rope_cache> caches(n);
    int ok[n] = {};
    start_line line(n);
    std::vector<std::thread> pool;
    for (int i = 0; i < n; ++i)
        pool.emplace_back([&, i] {
            line.arrive_and_wait();
            auto c = rs::build_rope_cache(table, 700,
                                          i == 0 ? rs::attention_factor_mode::separate
                                                 : rs::attention_factor_mode::folded);
            ok[i] = static_cast<bool>(c);
            if (c) caches[static_cast<std::size_t>(i)] = std::move(*c);
        });
    for (auto& t : pool) t.join();
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ok[i]);
    EXPECT_EQ(std::memcmp(caches[1].data(), caches[2].data(), caches[1].bytes()), 0);
    EXPECT_NE(std::memcmp(caches[0].data(), caches[1].data(), caches[0].bytes()), 0);  // m != 1
}

#if ROPESCALE_TEST_DISPATCH
// The run-time dispatch over the compiled sets, whose first call (the initialisation of its
// selected_arch<> static) happens on several threads at once: no other test of this program
// calls it, so that static is still fresh here.
TEST(concurrency, first_dispatched_call_from_several_threads) {
    using any_isa = robustness::dispatched;
    const rs::frequency_table table = yarn_table();
    const rs::rope_cache cache =
        *rs::build_rope_cache(table, 1000, rs::attention_factor_mode::folded);
    tensors serial, parallel;
    ASSERT_TRUE(rotate_range<xsimd::default_arch>(cache, serial, 0, tokens));
    constexpr int n = 4;
    start_line line(n);
    int ok[n] = {};
    std::vector<std::thread> pool;
    for (int i = 0; i < n; ++i)
        pool.emplace_back([&, i] {
            line.arrive_and_wait();
            ok[i] = rotate_range<any_isa>(cache, parallel, i * tokens / n, tokens / n);
        });
    for (auto& t : pool) t.join();
    for (int i = 0; i < n; ++i) EXPECT_TRUE(ok[i]);
    // Different ISAs round differently (FMA): compare within the f32 bound, not bitwise.
    for (std::size_t i = 0; i < serial.q.size(); ++i)
        ASSERT_NEAR(serial.q[i], parallel.q[i], 1e-5) << i;
}
#endif

}  // namespace
