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
//     on-the-fly kernel (which promises the same contract: detail::sincos_row), rotating unit
//     pairs (1, 0), whose outputs are exactly the f32 (cos, sin).
// Also: the double path (f64 elements on the fly) is within 1e-15 of rotation_sincos; the
// cache_pages option (huge pages advised or not) is honoured and leaves the entries unchanged.
//
// The build computes an exact anchor row every detail::cache_anchor_interval (64) positions
// and rotates it forward in double for the rows between (kernels.hpp, build_cache_rows); the
// on-the-fly f32/f16/bf16 paths use shorter polynomials (angles.hpp, float_output, error
// <= 2.3e-11 m before the rounding to float). Tested here against the same independent
// evaluation (rotation_sincos: exact reduction, std::sin / std::cos):
//   - dense rows over many anchor blocks for large and odd frequencies (steps up to ~pi, above
//     1, 0, tiny) with a folded factor, an odd pair count (partial batches) and rotary_dim
//     > 256 (several chunks per row);
//   - row ranges split at arbitrary row_begin give bitwise the rows of one build;
//   - on the fly, f32, both layouts (the interleaved one writes expanded tables directly):
//     every position of a dense prefix, negative positions and positions near +-2^31, within
//     the contract and rounded like fl32(v) but for a small fraction (~delta / ulp).
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace rs = ropescale;

double contract_excess(float entry, double v) {
    const double err = std::fabs(static_cast<double>(entry) - v);
    return err - (1e-7 + std::ldexp(std::fabs(v), -24));  // must be <= 0
}

// Every entry of rows [0, n) of `data` (layout of rope_cache) against m * rotation_sincos:
// within the contract, and the float rounding of v but for a handful.
void check_entries(const float* data, const rs::frequency_table& table, double m, std::int64_t n) {
    double worst = -1.0;
    std::int64_t not_nearest = 0;
    for (std::int64_t p = 0; p < n; ++p) {
        const float* c = data + p * table.rotary_dim;
        const float* s = c + table.pairs();
        for (int i = 0; i < table.pairs(); ++i) {
            const rs::sin_cos e =
                rs::rotation_sincos(p, table.inv_freq[static_cast<std::size_t>(i)]);
            const double vc = m * e.cos;
            const double vs = m * e.sin;
            worst = std::max({worst, contract_excess(c[i], vc), contract_excess(s[i], vs)});
            not_nearest += (c[i] != static_cast<float>(vc)) + (s[i] != static_cast<float>(vs));
        }
    }
    EXPECT_LE(worst, 0.0) << "contract violated";
    // Entries are the float rounding of a value within ~1e-15 of v (7e-14 at worst after 63
    // recurrence steps): they differ from fl32(v) only when v is that close to a rounding
    // boundary (a handful in millions).
    EXPECT_LE(not_nearest, n * table.pairs() / 100000 + 4) << "entries that are not fl32(v)";
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
    for (std::int64_t p = 0; p < n; ++p) {
        ASSERT_EQ(cache.cos_row(p), cache.data() + p * table.rotary_dim);  // row p = cat(cos, sin)
        ASSERT_EQ(cache.sin_row(p), cache.cos_row(p) + table.pairs());
    }
    check_entries(cache.data(), table, m, n);
}

// A table with the given inverse frequencies (rotary_dim = head_dim = 2 * count).
rs::frequency_table custom_table(std::vector<double> inv_freq, double attention_factor) {
    rs::frequency_table t;
    t.rotary_dim = static_cast<int>(2 * inv_freq.size());
    t.head_dim = t.rotary_dim;
    t.inv_freq = std::move(inv_freq);
    t.attention_factor = attention_factor;
    t.rope_theta = 10000.0;
    t.base = 10000.0;
    return t;
}

// 13 pairs (a partial batch on every arch): steps near pi and above 1 (large rotations per
// row), 1, small, tiny and zero, with a folded factor of 1.37.
rs::frequency_table large_step_table() {
    return custom_table({3.0, 1.0, 3.1405926535897932, 2.9, 0.5, 1e-3, 1e-9, 0.0,
                         0.7071067811865476, 1.999, 2.5, 1.25, 0.123456789},
                        1.37);
}

KT_ISA_TEST(cache_contract, dense_prefix_plain_128) {
    check_dense<Arch>(kt::plain_table(128, 128), rs::attention_factor_mode::separate, 65536);
}

KT_ISA_TEST(cache_contract, dense_prefix_yarn_folded_128) {
    const auto t = kt::yarn_or_plain_table(128, 128);
    ASSERT_GT(t.attention_factor, 1.1);
    check_dense<Arch>(t, rs::attention_factor_mode::folded, 65536);
}

KT_ISA_TEST(cache_contract, every_position_below_2_pow_24_for_inv_freq_1) {
    const auto t = kt::plain_table(2, 2);
    ASSERT_EQ(t.inv_freq[0], 1.0);
    check_dense<Arch>(t, rs::attention_factor_mode::separate, std::int64_t{1} << 24);
}

// 2^18 positions: 4096 anchor blocks, each 63 recurrence steps of up to ~pi per row.
KT_ISA_TEST(cache_contract, recurrence_across_anchors_large_and_odd_frequencies_folded) {
    check_dense<Arch>(large_step_table(), rs::attention_factor_mode::folded, std::int64_t{1} << 18);
}

// rotary_dim > 2 * chunk_pairs (several chunks per row), with an odd pair count, and a folded
// YaRN table of rotary_dim 640.
KT_ISA_TEST(cache_contract, rotary_dim_above_256_and_odd_pair_counts) {
    check_dense<Arch>(kt::plain_table(522, 522), rs::attention_factor_mode::separate, 1000);
    const auto t = kt::yarn_or_plain_table(640, 640);
    ASSERT_GT(t.attention_factor, 1.1);
    check_dense<Arch>(t, rs::attention_factor_mode::folded, 1000);
    check_dense<Arch>(kt::plain_table(6, 6), rs::attention_factor_mode::separate, 1000);
}

// Callers may fill a cache by row ranges (threads): any split gives the rows of one build,
// bitwise, since anchors sit at absolute multiples of the interval.
KT_ISA_TEST(cache_contract, row_ranges_split_anywhere_give_the_rows_of_one_build) {
    using runner = rs::detail::kernel_runner<Arch>;
    const std::int64_t n = 300;
    for (const auto& table : {large_step_table(), kt::yarn_or_plain_table(640, 522)}) {
        const std::size_t row = static_cast<std::size_t>(table.rotary_dim);
        const double m = table.attention_factor;
        std::vector<float> whole(static_cast<std::size_t>(n) * row, -5.0f);
        runner::build_cache(table.inv_freq.data(), table.pairs(), m, 0, n, whole.data());
        check_entries(whole.data(), table, m, n);
        const std::vector<std::int64_t> cuts = {0,   1,   2,   63,  64,  65, 127,
                                                130, 191, 200, 257, 299, 300};
        std::vector<float> split(whole.size(), -5.0f);
        for (std::size_t k = 0; k + 1 < cuts.size(); ++k)
            runner::build_cache(table.inv_freq.data(), table.pairs(), m, cuts[k], cuts[k + 1],
                                split.data());
        EXPECT_EQ(std::memcmp(whole.data(), split.data(), whole.size() * sizeof(float)), 0);
        // One row alone, mid-block: only that row is written.
        std::vector<float> one(whole.size(), -5.0f);
        runner::build_cache(table.inv_freq.data(), table.pairs(), m, 150, 151, one.data());
        for (std::size_t k = 0; k < one.size(); ++k) {
            const bool in_row = k / row == 150;
            ASSERT_EQ(one[k], in_row ? whole[k] : -5.0f) << "entry " << k;
        }
    }
}

// On the fly with f32 elements: cos/sin from the float_output polynomials, rotated unit pairs
// (1, 0) give exactly the f32 (cos, sin) in both layouts. Every entry within the contract;
// fl32(v) but for a fraction ~delta / ulp(v) (delta <= 2.3e-11 m: < 1e-3 of the entries).
template <class Arch>
void on_the_fly_unit_pairs(rs::rotary_layout layout, const std::vector<std::int64_t>& pos,
                           const rs::frequency_table& table) {
    const int head_dim = table.head_dim;
    const int pairs = table.pairs();
    const auto n = static_cast<std::int64_t>(pos.size());
    const bool half = layout == rs::rotary_layout::half_split;
    std::vector<float> x(static_cast<std::size_t>(n) * static_cast<std::size_t>(head_dim), 0.0f);
    const auto at = [&](std::int64_t t, int k) {
        return static_cast<std::size_t>(t) * head_dim + static_cast<std::size_t>(k);
    };
    for (std::int64_t t = 0; t < n; ++t)
        for (int i = 0; i < pairs; ++i) x[at(t, half ? i : 2 * i)] = 1.0f;
    ASSERT_TRUE(rs::apply_rope<Arch>(table, layout, pos,
                                     rs::in_place(rs::make_heads_view(x.data(), n, 1, head_dim))));
    double worst = -1.0;
    std::int64_t not_nearest = 0;
    for (std::int64_t t = 0; t < n; ++t) {
        for (int i = 0; i < pairs; ++i) {
            const rs::sin_cos e = rs::rotation_sincos(pos[static_cast<std::size_t>(t)],
                                                      table.inv_freq[static_cast<std::size_t>(i)]);
            const double vc = table.attention_factor * e.cos;
            const double vs = table.attention_factor * e.sin;
            const float c = x[at(t, half ? i : 2 * i)];
            const float s = x[at(t, half ? pairs + i : 2 * i + 1)];
            worst = std::max({worst, contract_excess(c, vc), contract_excess(s, vs)});
            not_nearest += (c != static_cast<float>(vc)) + (s != static_cast<float>(vs));
        }
    }
    EXPECT_LE(worst, 0.0) << "contract violated (" << rs::to_string(layout) << ")";
    EXPECT_LE(not_nearest, 2 * n * pairs / 1000 + 4)
        << "entries that are not fl32(v) (" << rs::to_string(layout) << ")";
}

KT_ISA_TEST(cache_contract, on_the_fly_f32_dense_prefix_and_extreme_positions_both_layouts) {
    std::vector<std::int64_t> pos;
    for (std::int64_t p = 0; p < 32768; ++p) pos.push_back(p);
    const std::int64_t big = std::int64_t{1} << 31;
    for (std::int64_t d = 0; d < 512; ++d) {
        pos.push_back(-1 - d);
        pos.push_back(big - d);
        pos.push_back(-big + d);
    }
    for (const auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
        on_the_fly_unit_pairs<Arch>(layout, pos, kt::yarn_or_plain_table(128, 128));
        // Odd pair count (partial batches) and a factor of 1.37.
        on_the_fly_unit_pairs<Arch>(
            layout, std::vector<std::int64_t>(pos.begin(), pos.begin() + 4096),
            custom_table({1.0, 0.999, 0.5, 1e-3, 1e-9, 0.0, 0.7071067811865476}, 1.37));
    }
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
        for (int i = 0; i < pairs; ++i)
            x[static_cast<std::size_t>(t) * head_dim + i] = 1.0f;  // half-split (1, 0)
    ASSERT_TRUE(rs::apply_rope<Arch>(table, rs::rotary_layout::half_split, pos,
                                     rs::in_place(rs::make_heads_view(x.data(), n, 1, head_dim))));
    double worst = -1.0;
    for (int t = 0; t < n; ++t) {
        for (int i = 0; i < pairs; ++i) {
            const rs::sin_cos e =
                rs::rotation_sincos(pos[t], table.inv_freq[static_cast<std::size_t>(i)]);
            const float c = x[static_cast<std::size_t>(t) * head_dim + i];
            const float s = x[static_cast<std::size_t>(t) * head_dim + pairs + i];
            worst = std::max({worst, contract_excess(c, table.attention_factor * e.cos),
                              contract_excess(s, table.attention_factor * e.sin)});
        }
    }
    EXPECT_LE(worst, 0.0);
}

KT_ISA_TEST(cache_contract, sampled_positions_below_2_pow_24_all_pairs_on_the_fly) {
    sampled_on_the_fly<Arch>(128);
}

// The double path: f64 elements on the fly keep cos/sin in double.
KT_ISA_TEST(cache_contract, double_path_is_within_1e_15_of_rotation_sincos) {
    const auto table = kt::plain_table(128, 128);
    const int n = 2048;
    kt::rng r(3);
    std::vector<std::int64_t> pos(n);
    for (auto& p : pos) p = r.integer(-(std::int64_t{1} << 31), std::int64_t{1} << 31);
    pos[0] = 0;
    pos[1] = 131071;
    std::vector<double> x(static_cast<std::size_t>(n) * 128, 0.0);
    for (int t = 0; t < n; ++t)
        for (int i = 0; i < 64; ++i)
            x[static_cast<std::size_t>(t) * 128 + 2 * i] = 1.0;  // interleaved (1, 0)
    ASSERT_TRUE(rs::apply_rope<Arch>(table, rs::rotary_layout::interleaved, pos,
                                     rs::in_place(rs::make_heads_view(x.data(), n, 1, 128))));
    double worst = 0.0;
    for (int t = 0; t < n; ++t)
        for (int i = 0; i < 64; ++i) {
            const rs::sin_cos e =
                rs::rotation_sincos(pos[t], table.inv_freq[static_cast<std::size_t>(i)]);
            worst =
                std::max({worst, std::fabs(x[static_cast<std::size_t>(t) * 128 + 2 * i] - e.cos),
                          std::fabs(x[static_cast<std::size_t>(t) * 128 + 2 * i + 1] - e.sin)});
        }
    EXPECT_LE(worst, 1e-15);
}

TEST(cache_reference, dense_prefix_scalar_reference) {
    check_dense<rs::scalar_reference>(kt::yarn_or_plain_table(128, 128),
                                      rs::attention_factor_mode::folded, 4096);
}

TEST(cache_reference, default_arch_static_dispatch_builds_the_same_cache) {
    const auto t = kt::yarn_or_plain_table(96, 64);
    const auto a = *rs::build_rope_cache(t, 1000, rs::attention_factor_mode::folded);
    const auto b =
        *rs::build_rope_cache<rs::scalar_reference>(t, 1000, rs::attention_factor_mode::folded);
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
    for (int k = 0; k < 100 * 64; ++k) EXPECT_NEAR(f.data()[k], m * s.data()[k], 3e-7);
}

// Whether the mapping holding `p` carries the MADV_HUGEPAGE flag ("hg" in its VmFlags in
// /proc/self/smaps); false where there is no smaps.
bool mapping_advised_huge(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto a = reinterpret_cast<std::uintptr_t>(p);
    bool holds = false;
    std::string line;
    while (std::getline(smaps, line)) {
        unsigned long begin = 0, end = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2)
            holds = begin <= a && a < end;
        else if (holds && line.rfind("VmFlags:", 0) == 0)
            return (line + " ").find(" hg ") != std::string::npos;
    }
    return false;
}

// 40 MiB: above glibc's largest mmap threshold, so each cache is a mapping of its own and the
// flag seen is this cache's advice, not that of heap memory an earlier allocation advised.
constexpr std::int64_t large_positions = 81920;

TEST(cache_pages, huge_advises_large_caches_and_standard_does_not) {
    const auto t = kt::yarn_or_plain_table(128, 128);
    const auto standard =
        *rs::build_rope_cache(t, large_positions, rs::attention_factor_mode::folded);
    const auto huge = *rs::build_rope_cache(t, large_positions, rs::attention_factor_mode::folded,
                                            rs::cache_pages::huge);
    EXPECT_FALSE(standard.huge_pages());
    EXPECT_TRUE(huge.huge_pages());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(huge.data()) % (std::uintptr_t{2} << 20), 0u);
    ASSERT_EQ(standard.bytes(), huge.bytes());
    EXPECT_EQ(std::memcmp(standard.data(), huge.data(), huge.bytes()), 0);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (std::ifstream("/proc/self/smaps")) {
        EXPECT_FALSE(mapping_advised_huge(standard.data()));
        EXPECT_TRUE(mapping_advised_huge(huge.data()));
        EXPECT_TRUE(mapping_advised_huge(huge.data() + huge.bytes() / sizeof(float) - 1));
    }
#endif
    const rs::rope_cache copy = huge;  // a copy keeps the choice
    EXPECT_TRUE(copy.huge_pages());
    EXPECT_EQ(std::memcmp(copy.data(), huge.data(), huge.bytes()), 0);
}

TEST(cache_pages, small_caches_and_the_default_are_ordinary_allocations) {
    const auto t = kt::yarn_or_plain_table(128, 128);
    // 4096 x 128 floats = 2 MiB, below the 4 MiB from which huge pages are advised.
    const auto small =
        *rs::build_rope_cache(t, 4096, rs::attention_factor_mode::folded, rs::cache_pages::huge);
    EXPECT_FALSE(small.huge_pages());
    const auto by_default = *rs::build_rope_cache(t, 8192, rs::attention_factor_mode::folded);
    EXPECT_FALSE(by_default.huge_pages());
    const auto advised =
        *rs::build_rope_cache(t, 8192, rs::attention_factor_mode::folded, rs::cache_pages::huge);
    EXPECT_TRUE(advised.huge_pages());
    const auto empty =
        *rs::build_rope_cache(t, 0, rs::attention_factor_mode::folded, rs::cache_pages::huge);
    EXPECT_FALSE(empty.huge_pages());
    EXPECT_EQ(empty.bytes(), 0u);
}

}  // namespace
