// The cos/sin cache: precision contract, layout, recorded attention mode, argument errors.
//
// Contract (cache.hpp): for every position p < 2^24 and pair i,
//   |entry - v| <= 1e-7 + 2^-24 |v|,  v = m * rotation_sincos(p, inv_freq[i]) (double, exact
//   to ~2e-15; m = attention factor if folded, else 1).
// Tested on every ISA and the scalar reference:
//   - dense prefix: every entry of a 128-dim table (plain and YaRN with m folded) for every
//     position in [0, 65536);
//   - up to 2^24: a 2-dim table (inv_freq 1, the largest angles) for every position in
//     [0, 2^24) (dense, not sampled, since one pair is cheap);
//   - all 64 pairs up to 2^24: a sample of 4096 random positions in [0, 2^24) through the
//     on-the-fly kernel (the same vectorised angle code: detail::sincos_row), rotating unit
//     pairs (1, 0), whose outputs are exactly the f32 (cos, sin).
// Also: the double path (f64 elements on the fly) is within 1e-15 of rotation_sincos.
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using kt::isa;
namespace rs = ropescale;

double contract_excess(float entry, double v) {
    const double err = std::fabs(static_cast<double>(entry) - v);
    return err - (1e-7 + std::ldexp(std::fabs(v), -24));  // must be <= 0
}

template <class Arch>
void check_dense(const rs::frequency_table& table, rs::attention_factor_mode mode, std::int64_t n) {
    auto built = rs::build_rope_cache<Arch>(table, n, mode);
    ASSERT_TRUE(built) << built.err().what();
    const rs::rope_cache& cache = *built;
    ASSERT_EQ(cache.size(), n);
    ASSERT_EQ(cache.rotary_dim(), table.rotary_dim);
    const double m = mode == rs::attention_factor_mode::folded ? table.attention_factor : 1.0;
    EXPECT_EQ(cache.folded_factor(), m);
    double worst = -1.0;
    std::int64_t not_nearest = 0;
    for (std::int64_t p = 0; p < n; ++p) {
        const float* c = cache.cos_row(p);
        const float* s = cache.sin_row(p);
        ASSERT_EQ(c, cache.data() + p * table.rotary_dim);  // row p = cat(cos, sin)
        ASSERT_EQ(s, c + table.pairs());
        for (int i = 0; i < table.pairs(); ++i) {
            const rs::sin_cos e = rs::rotation_sincos(p, table.inv_freq[static_cast<std::size_t>(i)]);
            const double vc = m * e.cos;
            const double vs = m * e.sin;
            worst = std::max({worst, contract_excess(c[i], vc), contract_excess(s[i], vs)});
            not_nearest += (c[i] != static_cast<float>(vc)) + (s[i] != static_cast<float>(vs));
        }
    }
    EXPECT_LE(worst, 0.0) << "contract violated";
    // Entries are the float rounding of a value within ~1e-15 of v: they differ from fl32(v)
    // only when v is within ~1e-15 of a rounding boundary (a handful in millions).
    EXPECT_LE(not_nearest, n * table.pairs() / 100000 + 4) << "entries that are not fl32(v)";
}

class cache_contract : public ::testing::TestWithParam<isa> {};

TEST_P(cache_contract, dense_prefix_plain_128) {
    KT_SKIP_UNLESS_AVAILABLE(GetParam());
    kt::with_isa(GetParam(), [](auto arch) {
        check_dense<decltype(arch)>(kt::plain_table(128, 128), rs::attention_factor_mode::separate, 65536);
    });
}

TEST_P(cache_contract, dense_prefix_yarn_folded_128) {
    KT_SKIP_UNLESS_AVAILABLE(GetParam());
    kt::with_isa(GetParam(), [](auto arch) {
        const auto t = kt::yarn_or_plain_table(128, 128);
        ASSERT_GT(t.attention_factor, 1.1);
        check_dense<decltype(arch)>(t, rs::attention_factor_mode::folded, 65536);
    });
}

TEST_P(cache_contract, every_position_below_2_pow_24_for_inv_freq_1) {
    KT_SKIP_UNLESS_AVAILABLE(GetParam());
    kt::with_isa(GetParam(), [](auto arch) {
        const auto t = kt::plain_table(2, 2);
        ASSERT_EQ(t.inv_freq[0], 1.0);
        check_dense<decltype(arch)>(t, rs::attention_factor_mode::separate, std::int64_t{1} << 24);
    });
}

template <class Arch>
void sampled_on_the_fly(int head_dim) {
    const auto table = kt::yarn_or_plain_table(head_dim, head_dim);
    const int pairs = head_dim / 2;
    const int n = 4096;
    kt::rng r(42);
    std::vector<std::int64_t> pos(n);
    for (auto& p : pos) p = r.integer(0, (std::int64_t{1} << 24) - 1);
    std::vector<float> x(static_cast<std::size_t>(n) * head_dim, 0.0f);
    for (int t = 0; t < n; ++t)
        for (int i = 0; i < pairs; ++i) x[static_cast<std::size_t>(t) * head_dim + i] = 1.0f;  // half-split (1, 0)
    ASSERT_TRUE(rs::apply_rope<Arch>(table, rs::rotary_layout::half_split, pos,
                                     rs::in_place(rs::make_heads_view(x.data(), n, 1, head_dim))));
    double worst = -1.0;
    for (int t = 0; t < n; ++t) {
        for (int i = 0; i < pairs; ++i) {
            const rs::sin_cos e = rs::rotation_sincos(pos[t], table.inv_freq[static_cast<std::size_t>(i)]);
            const float c = x[static_cast<std::size_t>(t) * head_dim + i];
            const float s = x[static_cast<std::size_t>(t) * head_dim + pairs + i];
            worst = std::max({worst, contract_excess(c, table.attention_factor * e.cos),
                              contract_excess(s, table.attention_factor * e.sin)});
        }
    }
    EXPECT_LE(worst, 0.0);
}

TEST_P(cache_contract, sampled_positions_below_2_pow_24_all_pairs_on_the_fly) {
    KT_SKIP_UNLESS_AVAILABLE(GetParam());
    kt::with_isa(GetParam(), [](auto arch) { sampled_on_the_fly<decltype(arch)>(128); });
}

// The double path: f64 elements on the fly keep cos/sin in double.
TEST_P(cache_contract, double_path_is_within_1e_15_of_rotation_sincos) {
    KT_SKIP_UNLESS_AVAILABLE(GetParam());
    kt::with_isa(GetParam(), [](auto arch) {
        using Arch = decltype(arch);
        const auto table = kt::plain_table(128, 128);
        const int n = 2048;
        kt::rng r(3);
        std::vector<std::int64_t> pos(n);
        for (auto& p : pos) p = r.integer(-(std::int64_t{1} << 31), std::int64_t{1} << 31);
        pos[0] = 0;
        pos[1] = 131071;
        std::vector<double> x(static_cast<std::size_t>(n) * 128, 0.0);
        for (int t = 0; t < n; ++t)
            for (int i = 0; i < 64; ++i) x[static_cast<std::size_t>(t) * 128 + 2 * i] = 1.0;  // interleaved (1, 0)
        ASSERT_TRUE(rs::apply_rope<Arch>(table, rs::rotary_layout::interleaved, pos,
                                         rs::in_place(rs::make_heads_view(x.data(), n, 1, 128))));
        double worst = 0.0;
        for (int t = 0; t < n; ++t)
            for (int i = 0; i < 64; ++i) {
                const rs::sin_cos e = rs::rotation_sincos(pos[t], table.inv_freq[static_cast<std::size_t>(i)]);
                worst = std::max({worst, std::fabs(x[static_cast<std::size_t>(t) * 128 + 2 * i] - e.cos),
                                  std::fabs(x[static_cast<std::size_t>(t) * 128 + 2 * i + 1] - e.sin)});
            }
        EXPECT_LE(worst, 1e-15);
    });
}

INSTANTIATE_TEST_SUITE_P(isa, cache_contract, ::testing::Values(isa::sse2, isa::avx2, isa::avx512bw),
                         kt::isa_param_name);

TEST(cache_reference, dense_prefix_scalar_reference) {
    check_dense<rs::scalar_reference>(kt::yarn_or_plain_table(128, 128), rs::attention_factor_mode::folded, 4096);
}

TEST(cache_reference, default_arch_static_dispatch_builds_the_same_cache) {
    const auto t = kt::yarn_or_plain_table(96, 64);
    const auto a = *rs::build_rope_cache(t, 1000, rs::attention_factor_mode::folded);
    const auto b = *rs::build_rope_cache<rs::scalar_reference>(t, 1000, rs::attention_factor_mode::folded);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a.head_dim(), 96);
    EXPECT_EQ(a.rotary_dim(), 64);
    std::int64_t differ = 0;
    for (std::int64_t k = 0; k < 1000 * 64; ++k) differ += a.data()[k] != b.data()[k];
    EXPECT_LE(differ, 2);  // both are fl32 of values within ~1e-15 of each other
}

TEST(cache_errors, arguments_are_reported_with_field_and_value) {
    auto t = kt::plain_table(64, 64);
    auto e = rs::build_rope_cache(t, -1, rs::attention_factor_mode::folded);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.err().code, rs::errc::out_of_range);
    EXPECT_EQ(e.err().field, "positions");
    EXPECT_NE(e.err().message.find("-1"), std::string::npos);
    e = rs::build_rope_cache(t, (std::int64_t{1} << 31) + 1, rs::attention_factor_mode::folded);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.err().field, "positions");

    auto bad = t;
    bad.inv_freq[5] = std::nan("");
    e = rs::build_rope_cache(bad, 16, rs::attention_factor_mode::folded);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.err().field, "table.inv_freq[5]");
    bad = t;
    bad.inv_freq.pop_back();
    e = rs::build_rope_cache(bad, 16, rs::attention_factor_mode::folded);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.err().code, rs::errc::inconsistent);
    EXPECT_EQ(e.err().field, "table.inv_freq");
    bad = t;
    bad.attention_factor = 0.0;
    e = rs::build_rope_cache(bad, 16, rs::attention_factor_mode::folded);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.err().field, "table.attention_factor");

    auto empty = rs::build_rope_cache(t, 0, rs::attention_factor_mode::separate);
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->size(), 0);
    EXPECT_EQ(empty->bytes(), 0u);
}

TEST(cache_modes, folded_and_separate_differ_by_the_factor) {
    const auto t = kt::yarn_or_plain_table(64, 64);
    const double m = t.attention_factor;
    const auto f = *rs::build_rope_cache(t, 100, rs::attention_factor_mode::folded);
    const auto s = *rs::build_rope_cache(t, 100, rs::attention_factor_mode::separate);
    EXPECT_EQ(f.attention(), rs::attention_factor_mode::folded);
    EXPECT_EQ(s.attention(), rs::attention_factor_mode::separate);
    EXPECT_EQ(f.attention_factor(), m);
    EXPECT_EQ(s.attention_factor(), m);
    EXPECT_EQ(s.folded_factor(), 1.0);
    for (int k = 0; k < 100 * 64; ++k)
        EXPECT_NEAR(f.data()[k], m * s.data()[k], 3e-7);
}

}  // namespace
