// The scalar formulas against numbers published with the methods (the YaRN paper, the
// DeepSeek and Phi-3 configurations, vLLM's gpt-oss printout) and numbers evaluated
// independently in float64 from the reference implementations' formulas, each written out
// below with its source. Tolerances are those of the published digits, never of this code's
// own output.
#include <gtest/gtest.h>

#include <ropescale/ropescale.hpp>

#include <cmath>

namespace rs = ropescale;

TEST(formulas, plain_inv_freq_is_base_to_the_minus_2i_over_d) {
    EXPECT_EQ(rs::plain_inv_freq(10000.0, 128, 0), 1.0);
    EXPECT_NEAR(rs::plain_inv_freq(10000.0, 128, 32), 0.01, 1e-17);  // 10000^(-1/2)
    EXPECT_NEAR(rs::plain_inv_freq(10000.0, 128, 16), 0.1, 1e-16);   // 10000^(-1/4)
    EXPECT_NEAR(rs::base_power(500000.0, 128, 64), 500000.0, 1e-9);
}

TEST(formulas, wavelength_is_two_pi_over_inv_freq) {
    EXPECT_NEAR(rs::wavelength(1.0), 6.283185307179586, 1e-15);
    EXPECT_NEAR(rs::wavelength(0.01), 628.3185307179586, 1e-12);
}

// YaRN paper, Definition 1: |D| = 128, s = 2, 4, 8, 16 give b' = 20221.3, 40889.9, 82684.6,
// 167198.7 (printed to one decimal).
TEST(formulas, ntk_aware_base_matches_the_yarn_paper) {
    EXPECT_NEAR(rs::ntk_aware_base(10000.0, 2.0, 128), 20221.3, 0.05);
    EXPECT_NEAR(rs::ntk_aware_base(10000.0, 4.0, 128), 40889.9, 0.05);
    EXPECT_NEAR(rs::ntk_aware_base(10000.0, 8.0, 128), 82684.6, 0.05);
    EXPECT_NEAR(rs::ntk_aware_base(10000.0, 16.0, 128), 167198.7, 0.05);
}

TEST(formulas, dynamic_ntk_base_is_plain_up_to_the_original_length) {
    EXPECT_EQ(rs::dynamic_ntk_base(10000.0, 8.0, 100, 4096, 128), 10000.0);
    EXPECT_EQ(rs::dynamic_ntk_base(10000.0, 8.0, 4096, 4096, 128), 10000.0);
    // At l = 2L the bracket is s*2 - (s - 1) = s + 1.
    EXPECT_NEAR(rs::dynamic_ntk_base(10000.0, 2.0, 8192, 4096, 128),
                rs::ntk_aware_base(10000.0, 3.0, 128), 1e-9);
}

// The alpha is the one number behind both the dynamic base and the table's scale.
TEST(formulas, dynamic_ntk_alpha_is_one_up_to_the_original_length) {
    EXPECT_EQ(rs::dynamic_ntk_alpha(8.0, 100, 4096), 1.0);
    EXPECT_EQ(rs::dynamic_ntk_alpha(8.0, 4096, 4096), 1.0);
    EXPECT_EQ(rs::dynamic_ntk_alpha(2.0, 8192, 4096), 3.0);
    EXPECT_EQ(rs::dynamic_ntk_alpha(4.0, 6144, 4096), 3.0);  // 4 * 1.5 - 3
    for (std::int64_t l : {1000, 4096, 5000, 65536})
        EXPECT_EQ(rs::dynamic_ntk_base(10000.0, 4.0, l, 4096, 128),
                  rs::ntk_aware_base(10000.0, rs::dynamic_ntk_alpha(4.0, l, 4096), 128));
}

// YaRN paper Eq. 22 (errata-corrected): sqrt(1/t) = 0.1 ln s + 1; printed to 4 decimals.
TEST(formulas, yarn_mscale_matches_the_paper) {
    EXPECT_NEAR(rs::yarn_get_mscale(2.0), 1.0693, 5e-5);
    EXPECT_NEAR(rs::yarn_get_mscale(4.0), 1.1386, 5e-5);
    EXPECT_NEAR(rs::yarn_get_mscale(8.0), 1.2079, 5e-5);
    EXPECT_NEAR(rs::yarn_get_mscale(16.0), 1.2773, 5e-5);
    EXPECT_NEAR(rs::yarn_get_mscale(32.0), 1.3466, 5e-5);
    EXPECT_NEAR(rs::yarn_get_mscale(40.0), 1.3689, 5e-5);
    EXPECT_EQ(rs::yarn_get_mscale(1.0), 1.0);
    // Guarded below 1, as transformers v5 (its first _compute_yarn_parameters used
    // 0.1 ln f + 1 for every f).
    EXPECT_EQ(rs::yarn_get_mscale(0.5), 1.0);
}

// DeepSeek's YaRN softmax multiplier mscale(40, mscale_all_dim)^2: V3 (mscale_all_dim 1)
// (1 + 0.1 ln 40)^2 = 1.8738542, V2 (0.707) (1 + 0.0707 ln 40)^2 = 1.5896262 (8 significant
// digits).
TEST(formulas, deepseek_logit_scale_values) {
    const double v3 = rs::yarn_get_mscale(40.0, 1.0);
    const double v2 = rs::yarn_get_mscale(40.0, 0.707);
    EXPECT_NEAR(v3 * v3, 1.8738542, 5e-8);
    EXPECT_NEAR(v2 * v2, 1.5896262, 5e-8);
}

// The YaRN paper's setting: L = 4096, b = 1e4, |D| = 128, betas 32/1 -> pairs [20, 46],
// unrounded 20.944, 45.027; L = 2048 -> [16, 41].
TEST(formulas, correction_ranges_of_the_yarn_paper) {
    EXPECT_NEAR(rs::correction_dim(32.0, 128, 10000.0, 4096), 20.944, 5e-4);
    EXPECT_NEAR(rs::correction_dim(1.0, 128, 10000.0, 4096), 45.027, 5e-4);
    auto r = rs::yarn_correction_range(32.0, 1.0, 128, 10000.0, 4096, true);
    EXPECT_EQ(r.low, 20.0);
    EXPECT_EQ(r.high, 46.0);
    r = rs::yarn_correction_range(32.0, 1.0, 128, 10000.0, 2048, true);
    EXPECT_EQ(r.low, 16.0);
    EXPECT_EQ(r.high, 41.0);
}

// Real models' correction ranges, float64 from transformers v5's find_correction_range (the
// gpt-oss pair, truncate false, also matches vLLM PR #28244's printout digit for digit).
TEST(formulas, correction_ranges_of_real_models) {
    auto gpt_oss = rs::yarn_correction_range(32.0, 1.0, 64, 150000.0, 4096, false);
    EXPECT_NEAR(gpt_oss.low, 8.092779115512402, 1e-13);
    EXPECT_NEAR(gpt_oss.high, 17.39802450158856, 1e-13);
    gpt_oss = rs::yarn_correction_range(32.0, 1.0, 64, 150000.0, 4096, true);
    EXPECT_EQ(gpt_oss.low, 8.0);
    EXPECT_EQ(gpt_oss.high, 18.0);

    auto mistral = rs::yarn_correction_range(32.0, 1.0, 128, 10000.0, 8192, true);
    EXPECT_EQ(mistral.low, 25.0);
    EXPECT_EQ(mistral.high, 50.0);
    mistral = rs::yarn_correction_range(128.0, 2.0, 128, 10000.0, 8192, true);
    EXPECT_EQ(mistral.low, 16.0);
    EXPECT_EQ(mistral.high, 46.0);

    auto qwen = rs::yarn_correction_range(32.0, 1.0, 128, 1000000.0, 32768, true);
    EXPECT_EQ(qwen.low, 23.0);
    EXPECT_EQ(qwen.high, 40.0);

    auto deepseek = rs::yarn_correction_range(32.0, 1.0, 64, 10000.0, 4096, true);
    EXPECT_EQ(deepseek.low, 10.0);
    EXPECT_EQ(deepseek.high, 23.0);
}

TEST(formulas, correction_range_is_clamped_to_zero_and_d_minus_one) {
    // A tiny original context puts corr(beta_fast) below 0; a huge one puts corr(beta_slow)
    // above d - 1 (the references clamp in dimension units).
    auto r = rs::yarn_correction_range(32.0, 1.0, 128, 10000.0, 16, true);
    EXPECT_EQ(r.low, 0.0);
    r = rs::yarn_correction_range(32.0, 1.0, 16, 10000.0, std::int64_t{1} << 40, true);
    EXPECT_EQ(r.high, 15.0);
}

TEST(formulas, linear_ramp_and_its_singularity_guard) {
    const rs::correction_range r{20.0, 46.0};
    EXPECT_EQ(rs::linear_ramp(0, r), 0.0);
    EXPECT_EQ(rs::linear_ramp(20, r), 0.0);
    EXPECT_NEAR(rs::linear_ramp(33, r), 0.5, 1e-16);
    EXPECT_EQ(rs::linear_ramp(46, r), 1.0);
    EXPECT_EQ(rs::linear_ramp(63, r), 1.0);
    // low == high: the references add 0.001 to high, so the pair at low is 0 and above is 1.
    const rs::correction_range flat{5.0, 5.0};
    EXPECT_EQ(rs::linear_ramp(5, flat), 0.0);
    EXPECT_EQ(rs::linear_ramp(6, flat), 1.0);
}

// YaRN, s = 16, L = 4096: the reference code's frequency multipliers are 0.856 (pair 24),
// 0.567 (pair 32), 0.279 (pair 40), where the paper's ramp would give 0.656, 0.229, 0.095.
TEST(formulas, yarn_code_ramp_multipliers_of_the_paper_comparison) {
    rs::rope_config c;
    c.head_dim = 128;
    rs::yarn y;
    y.factor = 16.0;
    y.original_max_position_embeddings = 4096;
    c.scaling = y;
    auto t = rs::compute_frequencies(c);
    ASSERT_TRUE(t);
    EXPECT_NEAR(t->multiplier(24), 0.856, 5e-4);
    EXPECT_NEAR(t->multiplier(32), 0.567, 5e-4);
    EXPECT_NEAR(t->multiplier(40), 0.279, 5e-4);
}

TEST(formulas, llama3_regions) {
    // L = 8192, low 1, high 4: wavelengths below 2048 keep theta, above 8192 get theta / 8.
    const double hi_freq = 2.0 * rs::two_pi / 2048.0;  // wavelength 1024
    EXPECT_EQ(rs::llama3_inv_freq(hi_freq, 8.0, 1.0, 4.0, 8192), hi_freq);
    const double lo_freq = rs::two_pi / 16384.0;  // wavelength 16384
    EXPECT_EQ(rs::llama3_inv_freq(lo_freq, 8.0, 1.0, 4.0, 8192), lo_freq / 8.0);
    // Wavelength 4096: a = (8192/4096 - 1) / 3 = 1/3 -> (2/3) theta/8 + (1/3) theta.
    const double mid = rs::two_pi / 4096.0;
    EXPECT_NEAR(rs::llama3_inv_freq(mid, 8.0, 1.0, 4.0, 8192), mid * (2.0 / 3.0 / 8.0 + 1.0 / 3.0),
                1e-18);
}

// Phi-3-mini-128k (LongRoPE), f = 32, L = 4096: transformers v5's default attention factor
// sqrt(1 + ln 32 / ln 4096) = 1.19023807.
TEST(formulas, longrope_attention_factor_of_phi3) {
    EXPECT_NEAR(rs::longrope_attention_factor(32.0, 4096), 1.19023807, 5e-9);
    EXPECT_EQ(rs::longrope_attention_factor(1.0, 4096), 1.0);
}

TEST(formulas, classify_pair) {
    EXPECT_EQ(rs::classify_pair(1.0, 16.0), rs::pair_region::extrapolated);
    EXPECT_EQ(rs::classify_pair(1.0 / 16.0, 16.0), rs::pair_region::interpolated);
    EXPECT_EQ(rs::classify_pair(0.5, 16.0), rs::pair_region::blended);
    EXPECT_STREQ(rs::to_string(rs::pair_region::blended), "blended");
}

#if defined(ROPESCALE_TEST_HAVE_QUADMATH)
extern "C" {
#include <quadmath.h>
}

// b^(num/den) for quotients that are not doubles (rotary dimensions 6..200 that are not powers
// of two, NTK's d/(d-2)) against __float128: within 2 ulp (pow's one ulp, the correction's
// rounding), where plain pow of the rounded quotient is off by up to x |ln b| / 2 ulp more.
TEST(formulas, power_of_quotient_is_exact_to_two_ulp_for_any_quotient) {
    const auto ulps = [](double got, __float128 exact) {
        const double want = static_cast<double>(exact);
        return std::fabs(got - want) / (std::nextafter(want, HUGE_VAL) - want);
    };
    double worst = 0.0;
    double worst_plain_pow = 0.0;
    for (const double base : {10000.0, 500000.0, 1000000.0, 5000000.0, 1e8, 1.5}) {
        for (const int d : {6, 24, 48, 80, 96, 112, 160, 192, 200}) {
            for (int i = 0; i < d / 2; ++i) {
                const __float128 exact =
                    powq(static_cast<__float128>(base), static_cast<__float128>(2 * i) / d);
                worst = std::fmax(worst, ulps(ropescale::base_power(base, d, i), exact));
                worst_plain_pow =
                    std::fmax(worst_plain_pow, ulps(std::pow(base, 2.0 * i / d), exact));
            }
            const __float128 ntk =
                powq(static_cast<__float128>(base), static_cast<__float128>(d) / (d - 2));
            worst = std::fmax(worst, ulps(ropescale::power_of_quotient(base, d, d - 2.0), ntk));
        }
    }
    EXPECT_LE(worst, 2.0);
    // The sweep reaches the inputs the correction is for.
    EXPECT_GT(worst_plain_pow, 2.0);
}
#endif
