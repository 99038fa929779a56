// Every compiled instruction set against the scalar reference kernel, over the whole matrix:
// ISA (sse2, fma3<avx2>, avx512bw; skipped when the CPU lacks it) x element type (f32, f64,
// fp16, bf16) x layout x in/out of place x head_dim {2, 6, 18, 64, 80, 96, 128, 256} x
// rotary_dim (full and partial) x cos/sin source (cache, on the fly, and the shift from the
// folded cache) x direction (forward, inverse) x alignment (element offset 0 or 1, padded head
// and token strides).
//
// Each case rotates q (3 heads) and k (2 heads: GQA) for 5 tokens with unordered, repeated
// positions (int32 or int64), through the checked entry point, and checks:
//   - every rotated output within kt::pair_bound of the reference (bound derived in
//     tests/support/tensor_check.hpp: 2^-21 (|x1| + |x2|) m for f32, 2^-50 (|x1| + |x2|) m
//     for f64, plus one storage ulp for fp16 / bf16),
//   - pass-through channels bitwise equal to the input,
//   - no byte outside the output view changed (guards and padding), and an out-of-place input
//     left untouched.
#include "support.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

namespace rs = ropescale;

// cache_shift: shift_rope of q and k by the positions as deltas, with the folded cache (its
// entries divided by m, detail/plan.hpp).
enum class source { cache, on_the_fly, cache_shift };

struct case_spec {
    int head_dim;
    int rotary_dim;
    rs::rotary_layout layout;
    source src;
    rs::rotation_direction direction;
    bool in_place;
    int misalign;
};

std::string describe(const case_spec& c) {
    return "head_dim " + std::to_string(c.head_dim) + " rotary_dim " +
           std::to_string(c.rotary_dim) + " " + rs::to_string(c.layout) +
           (c.src == source::cache         ? " cached"
            : c.src == source::cache_shift ? " cache_shift"
                                           : " on_the_fly") +
           " " + rs::to_string(c.direction) + (c.in_place ? " in_place" : " out_of_place") +
           " misalign " + std::to_string(c.misalign);
}

template <class Arch, class T>
rs::status run(const case_spec& c, const rs::frequency_table& table, const rs::rope_cache& cache,
               const rs::position_span& pos, rs::rope_operand<T> q, rs::rope_operand<T> k) {
    if (c.src == source::cache)
        return rs::apply_rope<Arch>(cache, c.layout, pos, q, k, c.direction);
    if (c.src == source::cache_shift) {
        if (auto s = rs::shift_rope<Arch>(cache, c.layout, pos, q); !s) return s;
        return rs::shift_rope<Arch>(cache, c.layout, pos, k);
    }
    return rs::apply_rope<Arch>(table, c.layout, pos, q, k, c.direction);
}

template <class Arch, class T>
void run_case(const case_spec& c, const rs::frequency_table& table, const rs::rope_cache& cache,
              std::uint64_t seed) {
    SCOPED_TRACE(describe(c));
    constexpr std::int64_t tokens = 5;
    constexpr int hq = 3;
    constexpr int hk = 2;
    kt::rng r(seed);

    // Positions: unordered, one repeat; int64 when misaligned, else int32.
    std::vector<std::int64_t> p64(tokens);
    const bool cached = c.src != source::on_the_fly;
    const std::int64_t hi = cached ? cache.size() - 1 : (std::int64_t{1} << 31) - 1;
    const std::int64_t lo = c.src == source::cache         ? 0
                            : c.src == source::cache_shift ? -hi
                                                           : -(std::int64_t{1} << 31);
    for (auto& p : p64) p = r.integer(lo, hi);
    p64[3] = p64[1];
    p64[4] = cached ? cache.size() - 1 : 131071;
    std::vector<std::int32_t> p32(p64.begin(), p64.end());
    const rs::position_span pos = c.misalign ? rs::position_span(p64) : rs::position_span(p32);

    auto q_in = kt::padded_tensor<T>(tokens, hq, c.head_dim, 1, 3, c.misalign);
    auto k_in = kt::padded_tensor<T>(tokens, hk, c.head_dim, 2, 1, c.misalign);
    q_in.fill_random(r);
    k_in.fill_random(r);
    // Output tensors for out of place: different padding and alignment than the input.
    auto q_out = kt::padded_tensor<T>(tokens, hq, c.head_dim, 0, 0, 1 - c.misalign);
    auto k_out = kt::padded_tensor<T>(tokens, hk, c.head_dim, 3, 2, 1 - c.misalign);

    auto q_ref_in = q_in, k_ref_in = k_in, q_ref_out = q_out, k_ref_out = k_out;
    const auto q_orig = q_in, k_orig = k_in;

    auto operands = [&](kt::strided_tensor<T>& qi, kt::strided_tensor<T>& ki,
                        kt::strided_tensor<T>& qo, kt::strided_tensor<T>& ko) {
        if (c.in_place) return std::make_pair(rs::in_place(qi.view()), rs::in_place(ki.view()));
        return std::make_pair(rs::out_of_place(qi.view(), qo.view()),
                              rs::out_of_place(ki.view(), ko.view()));
    };
    auto [q, k] = operands(q_in, k_in, q_out, k_out);
    auto [qr, kr] = operands(q_ref_in, k_ref_in, q_ref_out, k_ref_out);
    auto s = run<Arch, T>(c, table, cache, pos, q, k);
    ASSERT_TRUE(s) << s.err().what();
    auto sr = run<rs::scalar_reference, T>(c, table, cache, pos, qr, kr);
    ASSERT_TRUE(sr) << sr.err().what();

    const double m0 = cached ? cache.folded_factor() : table.attention_factor;
    const double m = std::max({m0, 1.0 / m0, 1.0});
    const auto& q_got = c.in_place ? q_in : q_out;
    const auto& k_got = c.in_place ? k_in : k_out;
    EXPECT_EQ(kt::compare_rotated<T>(q_orig, q_got, c.in_place ? q_ref_in : q_ref_out, c.rotary_dim,
                                     c.layout, m, "q"),
              "");
    EXPECT_EQ(kt::compare_rotated<T>(k_orig, k_got, c.in_place ? k_ref_in : k_ref_out, c.rotary_dim,
                                     c.layout, m, "k"),
              "");
    EXPECT_EQ(q_got.guard_damage(), 0u);
    EXPECT_EQ(k_got.guard_damage(), 0u);
    if (!c.in_place) {
        EXPECT_TRUE(q_in.same_bytes(q_orig)) << "out-of-place input modified";
        EXPECT_TRUE(k_in.same_bytes(k_orig)) << "out-of-place input modified";
    }
}

template <class Arch, class T>
void run_matrix() {
    std::uint64_t seed = 1;
    for (int head_dim : {2, 6, 18, 64, 80, 96, 128, 256}) {
        std::vector<int> rotary_dims{head_dim};
        if (head_dim > 2) rotary_dims.push_back(std::max(2, (head_dim / 2) & ~1));
        if (head_dim >= 64) rotary_dims.push_back(head_dim - 2);  // a ragged tail of pairs
        for (int rotary_dim : rotary_dims) {
            const auto table = kt::yarn_or_plain_table(head_dim, rotary_dim);
            const auto cache =
                *rs::build_rope_cache<Arch>(table, 4096, rs::attention_factor_mode::folded);
            for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
                for (auto src : {source::cache, source::on_the_fly, source::cache_shift})
                    for (auto dir :
                         {rs::rotation_direction::forward, rs::rotation_direction::inverse})
                        for (bool in_place : {true, false})
                            if (src != source::cache_shift ||
                                dir == rs::rotation_direction::forward)
                                for (int misalign : {0, 1})
                                    run_case<Arch, T>({head_dim, rotary_dim, layout, src, dir,
                                                       in_place, misalign},
                                                      table, cache, seed++);
        }
    }
}

KT_ISA_TEST(kernel_matrix, f32) { run_matrix<Arch, float>(); }
KT_ISA_TEST(kernel_matrix, f64) { run_matrix<Arch, double>(); }
KT_ISA_TEST(kernel_matrix, f16) { run_matrix<Arch, rs::fp16>(); }
KT_ISA_TEST(kernel_matrix, bf16) { run_matrix<Arch, rs::bf16>(); }

}  // namespace
