// Eigen interop: row-major matrices, Maps with outer strides and middleCols blocks bind without
// copies and give exactly the heads_view results; errors name the matrix field.
#include <gtest/gtest.h>

#include <ropescale/cache_build.hpp>
#include <ropescale/eigen.hpp>
#include <ropescale/frequencies.hpp>

#include <cstdint>
#include <vector>

// The test bodies inline Eigen's AVX-512 packet math when built with an AVX-512 -march, where
// GCC < 13 reports its own intrinsics (config.hpp): the same treatment as ropescale's SIMD
// headers.
ROPESCALE_SIMD_DIAGNOSTICS_BEGIN

namespace {

namespace rs = ropescale;
using row_matrix = rs::eigen_row_matrix<float>;

rs::frequency_table table() {
    rs::rope_config c;
    c.head_dim = 64;
    rs::yarn y;
    y.factor = 2;
    y.original_max_position_embeddings = 2048;
    c.scaling = y;
    return rs::compute_frequencies_or_throw(c);
}

TEST(eigen, matrices_maps_and_blocks_match_heads_views) {
    const auto t = table();
    const auto cache = *rs::build_rope_cache(t, 512, rs::attention_factor_mode::folded);
    const int tokens = 7, hq = 4, hk = 2;
    // A fused qkv projection output: [tokens][q heads | k heads | v heads].
    row_matrix qkv = row_matrix::Random(tokens, (hq + 2 * hk) * 64);
    const row_matrix orig = qkv;
    std::vector<std::int64_t> pos{3, 1, 4, 1, 5, 9, 260};

    auto q = qkv.middleCols(0, hq * 64);
    auto k = qkv.middleCols(hq * 64, hk * 64);
    ASSERT_TRUE(rs::apply_rope(cache, rs::rotary_layout::half_split, pos, q, k));

    // Same through heads_views over the original buffer.
    row_matrix expect = orig;
    auto qv = rs::make_heads_view(expect.data(), tokens, hq, 64, expect.cols(), 64);
    auto kv = rs::make_heads_view(expect.data() + hq * 64, tokens, hk, 64, expect.cols(), 64);
    ASSERT_TRUE(rs::apply_rope(cache, rs::rotary_layout::half_split, pos, rs::in_place(qv),
                               rs::in_place(kv)));
    EXPECT_EQ(qkv, expect);
    // v untouched
    EXPECT_EQ(qkv.rightCols(hk * 64), orig.rightCols(hk * 64));

    // A Map with an outer stride, on the fly, q only.
    std::vector<float> buf(tokens * 300, 0.25f);
    Eigen::Map<row_matrix, 0, Eigen::OuterStride<>> m(buf.data(), tokens, 256,
                                                      Eigen::OuterStride<>(300));
    ASSERT_TRUE(rs::apply_rope(t, rs::rotary_layout::interleaved, pos, m));
    for (int r = 0; r < tokens; ++r)
        for (int c = 256; c < 300; ++c) EXPECT_EQ(buf[r * 300 + c], 0.25f);  // padding untouched

    auto v = rs::eigen_heads_view(qkv, 64);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->heads, hq + 2 * hk);
    EXPECT_EQ(v->token_stride, (hq + 2 * hk) * 64);
}

TEST(eigen, errors_name_the_matrix) {
    const auto t = table();
    row_matrix q = row_matrix::Zero(2, 100);
    std::vector<std::int32_t> pos{0, 1};
    auto s = rs::apply_rope(t, rs::rotary_layout::half_split, pos, q);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "q.cols");
    auto v = rs::eigen_heads_view(q, 64);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.err().field, "matrix.cols");
}

TEST(eigen, double_matrices_use_the_double_path) {
    const auto t = table();
    rs::eigen_row_matrix<double> q = rs::eigen_row_matrix<double>::Random(3, 128);
    const auto q0 = q;
    std::vector<std::int64_t> pos{0, 100000, 7};
    ASSERT_TRUE(rs::apply_rope(t, rs::rotary_layout::half_split, pos, q));
    ASSERT_TRUE(
        rs::apply_rope(t, rs::rotary_layout::half_split, pos, q, rs::rotation_direction::inverse));
    EXPECT_LE((q - q0).cwiseAbs().maxCoeff(), 1e-14);
}

// Shifts and the attention factor mode through the Eigen entry points: the same results as
// the heads_view entry points on the same data (a folded cache shift, a separate on-the-fly
// rotation, a table shift).
TEST(eigen, shift_and_mode_match_heads_views) {
    const auto t = table();
    const auto folded = *rs::build_rope_cache(t, 512, rs::attention_factor_mode::folded);
    const int tokens = 3, heads = 2;
    row_matrix keys = row_matrix::Random(tokens, heads * 64);
    row_matrix expect = keys;
    const std::vector<std::int32_t> d{5, -7, 300};
    auto ev = rs::make_heads_view(expect.data(), tokens, heads, 64);

    ASSERT_TRUE(rs::shift_rope(folded, rs::rotary_layout::half_split, d, keys));
    ASSERT_TRUE(rs::shift_rope(folded, rs::rotary_layout::half_split, d, ev));
    EXPECT_EQ(keys, expect);

    ASSERT_TRUE(rs::shift_rope(t, rs::rotary_layout::interleaved, d, keys.middleCols(0, 64)));
    ASSERT_TRUE(rs::shift_rope(t, rs::rotary_layout::interleaved, d,
                               rs::make_strided_view(expect.data(), tokens, 1, 64, 128, 64)));
    EXPECT_EQ(keys, expect);

    const std::vector<std::int32_t> p{1, 2, 3};
    ASSERT_TRUE(rs::apply_rope(t, rs::rotary_layout::half_split, p, keys,
                               rs::rotation_direction::forward,
                               rs::attention_factor_mode::separate));
    ASSERT_TRUE(rs::apply_rope(t, rs::rotary_layout::half_split, p, ev, {},
                               rs::rotation_direction::forward,
                               rs::attention_factor_mode::separate));
    EXPECT_EQ(keys, expect);

    row_matrix bad = row_matrix::Random(tokens, 100);
    const auto s = rs::shift_rope(folded, rs::rotary_layout::half_split, d, bad);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "q.cols");
}

}  // namespace

ROPESCALE_SIMD_DIAGNOSTICS_END
