// The YaRN paper's ramp (ramp_form::wavelength_ratio) on YaRN, dynamic YaRN and NTK-by-parts,
// against tests/core/paper_ramp_expected.py (mpmath: the paper's Definition 2 evaluated at 60
// digits, independently of this code), within the methods' inv_freq contracts; the paper's
// LLaMA-2 multipliers next to the released code's; and the code's ramp stays the default.
#include <gtest/gtest.h>

#include "support/ulp.hpp"

#include <ropescale/ropescale.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

namespace rs = ropescale;
using ropescale_test::ulp_distance;

#include "paper_ramp_expected.inc"

rs::frequency_table table_of(rs::scaling_method m, int head_dim, double base,
                             rs::table_options options = {}) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.rope_theta = base;
    c.scaling = std::move(m);
    auto t = rs::compute_frequencies(c, options);
    EXPECT_TRUE(t) << t.err().what();
    return t ? *t : rs::frequency_table{};
}

template <std::size_t N>
void expect_within(const rs::frequency_table& t, const double (&want)[N], std::uint64_t ulps) {
    ASSERT_EQ(t.inv_freq.size(), N);
    for (std::size_t i = 0; i < N; ++i)
        EXPECT_LE(ulp_distance(t.inv_freq[i], want[i]), ulps)
            << "pair " << i << ": " << t.inv_freq[i] << " vs " << want[i];
}

rs::yarn paper_yarn(double s, std::int64_t big_l) {
    rs::yarn y;
    y.factor = s;
    y.original_max_position_embeddings = big_l;
    y.ramp = rs::ramp_form::wavelength_ratio;
    return y;
}

const std::uint64_t yarn_ulps = ropescale_test::inv_freq_ulp("yarn");
const std::uint64_t ntk_by_parts_ulps = ropescale_test::inv_freq_ulp("ntk_by_parts");

TEST(paper_ramp, yarn_matches_the_paper) {
    expect_within(table_of(paper_yarn(16.0, 4096), 128, 10000.0), yarn_llama2_s16, yarn_ulps);
    expect_within(table_of(paper_yarn(32.0, 4096), 128, 10000.0), yarn_llama2_s32, yarn_ulps);
    expect_within(table_of(paper_yarn(8.0, 8192), 128, 10000.0), yarn_mistral_s8, yarn_ulps);
    rs::yarn y = paper_yarn(4.0, 8192);
    y.beta_fast = 16.0;
    y.beta_slow = 2.0;
    y.extrapolation_factor = 0.5;
    y.truncate = false;  // no effect on the paper's ramp
    expect_within(table_of(y, 96, 500000.0), yarn_d96_b5e5_half_extrapolation, yarn_ulps);
    y.truncate = true;
    expect_within(table_of(y, 96, 500000.0), yarn_d96_b5e5_half_extrapolation, yarn_ulps);
}

TEST(paper_ramp, dynamic_yarn_at_its_length_is_static_yarn) {
    rs::dynamic_yarn d;
    d.original_max_position_embeddings = 4096;
    d.max_position_embeddings = 65536;
    d.finetuned = true;  // s = max_position_embeddings / L = 16 up to that length
    d.ramp = rs::ramp_form::wavelength_ratio;
    rs::table_options at;
    at.seq_len = 65536;  // s = 16
    expect_within(table_of(d, 128, 10000.0, at), yarn_llama2_s16, yarn_ulps);
}

TEST(paper_ramp, ntk_by_parts_matches_the_paper) {
    rs::ntk_by_parts definition_2;  // the paper's Definition 2: one blend, alpha 1, beta 32
    definition_2.factor = 16.0;
    definition_2.original_max_position_embeddings = 4096;
    definition_2.ntk_factor = 0.0;
    definition_2.gamma_0 = 32.0;
    definition_2.gamma_1 = 1.0;
    definition_2.ramp = rs::ramp_form::wavelength_ratio;
    expect_within(table_of(definition_2, 128, 10000.0), definition_2_s16, ntk_by_parts_ulps);
    // Definition 2's frequencies are YaRN's (Definition 3 adds only the attention factor).
    expect_within(table_of(definition_2, 128, 10000.0), yarn_llama2_s16, ntk_by_parts_ulps);

    rs::ntk_by_parts authors;  // the authors' constants, both blends in the paper's form
    authors.factor = 8.0;
    authors.original_max_position_embeddings = 2048;
    authors.ramp = rs::ramp_form::wavelength_ratio;
    expect_within(table_of(authors, 128, 10000.0), ntk_by_parts_authors_constants_s8,
                  ntk_by_parts_ulps);
}

// The YaRN paper's comparison for LLaMA 2 at s = 16, L = 4096: the frequency multiplier
// (inv_freq / theta) of both ramps at the pairs it quotes, to its three decimals.
TEST(paper_ramp, multipliers_of_the_paper_against_the_code) {
    rs::yarn code;
    code.factor = 16.0;
    code.original_max_position_embeddings = 4096;
    const auto c = table_of(code, 128, 10000.0);
    const auto p = table_of(paper_yarn(16.0, 4096), 128, 10000.0);
    const auto multiplier = [](const rs::frequency_table& t, int i) {
        return t.inv_freq[static_cast<std::size_t>(i)] * rs::base_power(10000.0, 128, i);
    };
    struct quoted {
        int pair;
        double paper, code;
    };
    for (const quoted q :
         {quoted{24, 0.656, 0.856}, quoted{32, 0.229, 0.567}, quoted{40, 0.095, 0.279}}) {
        EXPECT_NEAR(multiplier(p, q.pair), q.paper, 5e-4) << "pair " << q.pair;
        EXPECT_NEAR(multiplier(c, q.pair), q.code, 5e-4) << "pair " << q.pair;
    }
    int worst_pair = 0;
    double worst = 0.0;
    for (int i = 0; i < 64; ++i) {
        const double diff = std::fabs(multiplier(p, i) - multiplier(c, i));
        if (diff > worst) {
            worst = diff;
            worst_pair = i;
        }
    }
    EXPECT_EQ(worst_pair, 30);
    EXPECT_NEAR(worst, 0.344, 5e-4);
    // The paper's ramp reports the unrounded range: where r crosses beta_fast and beta_slow.
    ASSERT_TRUE(p.correction);
    EXPECT_NEAR(p.correction->low, 20.944, 5e-4);
    EXPECT_NEAR(p.correction->high, 45.027, 5e-4);
}

TEST(paper_ramp, the_code_ramp_is_the_default) {
    EXPECT_EQ(rs::yarn{}.ramp, rs::ramp_form::pair_index);
    EXPECT_EQ(rs::dynamic_yarn{}.ramp, rs::ramp_form::pair_index);
    EXPECT_EQ(rs::ntk_by_parts{}.ramp, rs::ramp_form::pair_index);
}

TEST(paper_ramp, step_when_alpha_equals_beta) {
    const auto theta_at = [](double r) { return r * rs::two_pi / 4096.0; };  // r = L theta / 2pi
    EXPECT_EQ(rs::wavelength_ratio_ramp(theta_at(3.9), 4096, 4.0, 4.0), 0.0);
    EXPECT_EQ(rs::wavelength_ratio_ramp(theta_at(4.1), 4096, 4.0, 4.0), 1.0);
    EXPECT_DOUBLE_EQ(rs::wavelength_ratio_ramp(theta_at(2.5), 4096, 1.0, 4.0), 0.5);
}

}  // namespace
