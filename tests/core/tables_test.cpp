// Frequency tables: reductions to plain RoPE, per-method behaviour, dynamic evaluation, LongRoPE
// list choice, partial rotary. Expected values come from the definitions (plain RoPE computed
// by pow in the test itself) or from numbers published with the methods and their reference
// implementations.
#include <gtest/gtest.h>

#include <ropescale/ropescale.hpp>

#include <cmath>
#include <vector>

namespace rs = ropescale;

namespace {

rs::rope_config make(rs::scaling_method m, int head_dim = 128, double theta = 10000.0) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.rope_theta = theta;
    c.scaling = std::move(m);
    return c;
}

// Plain RoPE computed independently of the library: 1 / theta^(2i/d) in long double.
std::vector<double> independent_plain(double theta, int d) {
    std::vector<double> v(static_cast<std::size_t>(d / 2));
    for (int i = 0; i < d / 2; ++i)
        v[static_cast<std::size_t>(i)] =
            static_cast<double>(1.0L / std::pow(static_cast<long double>(theta), (2.0L * i) / d));
    return v;
}

void expect_plain(const rs::frequency_table& t, double theta, int d, double rel = 4e-16) {
    const auto want = independent_plain(theta, d);
    ASSERT_EQ(t.inv_freq.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_NEAR(t.inv_freq[i], want[i], rel * want[i]) << "pair " << i;
    EXPECT_EQ(t.attention_factor, 1.0);
    EXPECT_EQ(t.logit_scale, 1.0);
}

rs::longrope unit_longrope(int d) {
    rs::longrope m;
    m.short_factor.assign(static_cast<std::size_t>(d / 2), 1.0);
    m.long_factor.assign(static_cast<std::size_t>(d / 2), 1.0);
    m.original_max_position_embeddings = 4096;
    m.factor = 1.0;
    return m;
}

}  // namespace

TEST(tables, plain_matches_an_independent_evaluation) {
    for (double theta : {10000.0, 500000.0, 1e6}) {
        auto t = rs::compute_frequencies(make(rs::plain{}, 128, theta));
        ASSERT_TRUE(t);
        expect_plain(*t, theta, 128);
        EXPECT_STREQ(t->method, "default");
    }
}

// Issue #2: factor 1 reduces every method to plain RoPE.
TEST(tables, factor_one_reduces_every_method_to_plain) {
    rs::ntk_by_parts parts;
    parts.factor = 1.0;
    parts.original_max_position_embeddings = 4096;
    rs::yarn y;
    y.factor = 1.0;
    y.original_max_position_embeddings = 4096;
    rs::yarn y_deepseek = y;
    y_deepseek.mscale = 0.707;
    y_deepseek.mscale_all_dim = 0.707;
    rs::dynamic_yarn dy;
    // Dynamic YaRN's scale comes from the lengths: finetuned with max == original is s = 1
    // until the sequence outgrows max_position_embeddings.
    dy.original_max_position_embeddings = 1 << 20;
    dy.max_position_embeddings = 1 << 20;
    dy.finetuned = true;
    const std::vector<rs::scaling_method> methods = {
        rs::linear{1.0},
        rs::ntk_aware{1.0},
        rs::dynamic_ntk{1.0, 4096},
        parts,
        y,
        y_deepseek,
        dy,
        rs::llama3{1.0, 1.0, 4.0, 8192},
        unit_longrope(128),
        rs::proportional{1.0},
        rs::llama_cpp{},
    };
    for (const auto& m : methods) {
        SCOPED_TRACE(rs::method_name(m));
        rs::table_options opt;
        // A long sequence must not matter at factor 1, except for dynamic NTK: its bracket
        // s l / L - (s - 1) is l / L at s = 1, so it is plain only up to L (as in transformers).
        opt.seq_len = std::holds_alternative<rs::dynamic_ntk>(m) ? 4096 : 100000;
        auto t = rs::compute_frequencies(make(m), opt);
        ASSERT_TRUE(t) << t.err().what();
        expect_plain(*t, 10000.0, 128, 1e-15);
    }
    // The list covers every method of the registry (plain is the reference itself).
    std::vector<bool> covered(rs::method_count, false);
    covered[rs::scaling_method(rs::plain{}).index()] = true;
    for (const auto& m : methods) covered[m.index()] = true;
    for (std::size_t i = 0; i < rs::method_count; ++i)
        EXPECT_TRUE(covered[i]) << "no factor-1 case for "
                                << rs::method_name(rs::default_method(i));
}

TEST(tables, linear_divides_every_frequency) {
    auto t = rs::compute_frequencies(make(rs::linear{4.0}));
    ASSERT_TRUE(t);
    const auto plain = independent_plain(10000.0, 128);
    for (std::size_t i = 0; i < plain.size(); ++i)
        EXPECT_NEAR(t->inv_freq[i], plain[i] / 4.0, 4e-16 * plain[i]);
    EXPECT_EQ(t->scale, 4.0);
    for (int i = 0; i < 64; ++i)
        EXPECT_EQ(rs::classify_pair(t->multiplier(i), t->scale), rs::pair_region::interpolated);
}

// Definition 1: pair 0 unchanged, the last pair divided by alpha exactly (b'^(-(d-2)/d) =
// b^(-(d-2)/d) / alpha).
TEST(tables, ntk_aware_keeps_pair_zero_and_divides_the_last_by_alpha) {
    auto t = rs::compute_frequencies(make(rs::ntk_aware{8.0}));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->inv_freq[0], 1.0);
    EXPECT_NEAR(t->multiplier(63), 1.0 / 8.0, 1e-14);
    EXPECT_NEAR(t->base, 82684.6, 0.05);
}

TEST(tables, dynamic_ntk_changes_only_past_the_original_length) {
    const rs::rope_config c = make(rs::dynamic_ntk{8.0, 4096});
    rs::table_options at_init;
    auto init = rs::compute_frequencies(c, at_init);
    ASSERT_TRUE(init);
    expect_plain(*init, 10000.0, 128, 1e-15);
    ASSERT_EQ(init->warnings.size(), 1u);  // evaluated without a sequence length
    EXPECT_EQ(init->warnings[0].field, "seq_len");

    rs::table_options at_16k;
    at_16k.seq_len = 16384;
    auto grown = rs::compute_frequencies(c, at_16k);
    ASSERT_TRUE(grown);
    // bracket = 8 * 4 - 7 = 25: the same table as NTK-aware with alpha 25, reported as scale.
    EXPECT_EQ(grown->scale, 25.0);
    EXPECT_EQ(grown->base, rs::ntk_aware_base(10000.0, 25.0, 128));
    auto ntk = rs::compute_frequencies(make(rs::ntk_aware{25.0}));
    ASSERT_TRUE(ntk);
    for (int i = 0; i < 64; ++i)
        EXPECT_NEAR(grown->inv_freq[static_cast<std::size_t>(i)],
                    ntk->inv_freq[static_cast<std::size_t>(i)], 1e-15);
    EXPECT_TRUE(grown->warnings.empty());
}

TEST(tables, yarn_regions_follow_the_correction_range) {
    rs::yarn y;
    y.factor = 16.0;
    y.original_max_position_embeddings = 4096;
    auto t = rs::compute_frequencies(make(y));
    ASSERT_TRUE(t);
    ASSERT_TRUE(t->correction);
    EXPECT_EQ(t->correction->low, 20.0);
    EXPECT_EQ(t->correction->high, 46.0);
    for (int i = 0; i <= 20; ++i)
        EXPECT_EQ(rs::classify_pair(t->multiplier(i), 16.0), rs::pair_region::extrapolated) << i;
    for (int i = 21; i < 46; ++i)
        EXPECT_EQ(rs::classify_pair(t->multiplier(i), 16.0), rs::pair_region::blended) << i;
    for (int i = 46; i < 64; ++i)
        EXPECT_EQ(rs::classify_pair(t->multiplier(i), 16.0), rs::pair_region::interpolated) << i;
    EXPECT_NEAR(t->attention_factor, 0.1 * std::log(16.0) + 1.0, 1e-15);
    EXPECT_EQ(t->logit_scale, 1.0);
}

TEST(tables, yarn_attention_factor_rules) {
    rs::yarn y;
    y.factor = 40.0;
    y.original_max_position_embeddings = 4096;
    // DeepSeek: equal mscale and mscale_all_dim -> cos/sin factor exactly 1, all of the
    // temperature in the logits.
    y.mscale = 0.707;
    y.mscale_all_dim = 0.707;
    auto t = rs::compute_frequencies(make(y, 64));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->attention_factor, 1.0);
    EXPECT_NEAR(t->logit_scale, 1.5896262, 5e-8);
    // Explicit attention_factor replaces (transformers); attn_factor multiplies (YaRN authors).
    y.mscale.reset();
    y.mscale_all_dim.reset();
    y.attention_factor = 1.25;
    y.attn_factor = 2.0;
    t = rs::compute_frequencies(make(y, 64));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->attention_factor, 2.5);
    EXPECT_EQ(t->logit_scale, 1.0);
    // Only mscale set (no mscale_all_dim): transformers falls back to get_mscale(s).
    y.attention_factor.reset();
    y.attn_factor = 1.0;
    y.mscale = 0.707;
    t = rs::compute_frequencies(make(y, 64));
    ASSERT_TRUE(t);
    EXPECT_NEAR(t->attention_factor, 1.3688879, 5e-8);
}

TEST(tables, yarn_truncate_false_keeps_the_fractional_range) {
    rs::yarn y;
    y.factor = 32.0;
    y.original_max_position_embeddings = 4096;
    y.truncate = false;
    auto t = rs::compute_frequencies(make(y, 64, 150000.0));
    ASSERT_TRUE(t);
    EXPECT_NEAR(t->correction->low, 8.092779115512402, 1e-13);
    EXPECT_NEAR(t->correction->high, 17.39802450158856, 1e-13);
    // Pair 8 sits just inside the ramp: it is already blended, unlike the truncated table.
    EXPECT_EQ(rs::classify_pair(t->multiplier(8), 32.0), rs::pair_region::extrapolated);
    EXPECT_EQ(rs::classify_pair(t->multiplier(9), 32.0), rs::pair_region::blended);
}

TEST(tables, dynamic_yarn_scale_rules) {
    rs::dynamic_yarn m;
    m.original_max_position_embeddings = 4096;
    m.max_position_embeddings = 4096;
    rs::table_options opt;
    opt.seq_len = 4096;
    auto t = rs::compute_frequencies(make(m), opt);  // not grown, not finetuned: plain
    ASSERT_TRUE(t);
    expect_plain(*t, 10000.0, 128, 1e-15);
    opt.seq_len = 65536;  // grown: s = 65536 / 4096 = 16
    t = rs::compute_frequencies(make(m), opt);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->scale, 16.0);
    EXPECT_NEAR(t->attention_factor, 1.2772588722239782, 1e-15);
    m.finetuned = true;  // finetuned at 64k: s = 16 from the start
    m.max_position_embeddings = 65536;
    opt.seq_len = 100;
    t = rs::compute_frequencies(make(m), opt);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->scale, 16.0);
}

TEST(tables, longrope_list_choice) {
    rs::longrope m = unit_longrope(8);
    m.short_factor = {1.0, 2.0, 4.0, 8.0};
    m.long_factor = {2.0, 4.0, 8.0, 16.0};
    m.factor.reset();
    m.max_position_embeddings = 131072;
    const auto c = make(m, 8);
    auto multipliers = [](const rs::frequency_table& t) {
        std::vector<double> v;
        for (int i = 0; i < t.pairs(); ++i) v.push_back(t.multiplier(i));
        return v;
    };
    auto near = [](const std::vector<double>& got, const std::vector<double>& inv_ext) {
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], 1.0 / inv_ext[i], 1e-15);
    };
    rs::table_options opt;
    auto t = rs::compute_frequencies(c, opt);  // no seq_len: short, as transformers at init
    ASSERT_TRUE(t);
    near(multipliers(*t), m.short_factor);
    // ... and the table says the list was not chosen, as the dynamic methods do.
    ASSERT_EQ(t->warnings.size(), 1u);
    EXPECT_EQ(t->warnings[0].field, "seq_len");
    EXPECT_NE(t->warnings[0].message.find("short list"), std::string::npos);
    opt.seq_len = 4096;  // seq_len == original: still short, chosen by the rule
    t = rs::compute_frequencies(c, opt);
    near(multipliers(*t), m.short_factor);
    EXPECT_TRUE(t->warnings.empty());
    opt.seq_len = 4097;  // past the original: long
    t = rs::compute_frequencies(c, opt);
    near(multipliers(*t), m.long_factor);
    EXPECT_TRUE(t->warnings.empty());
    opt.longrope = rs::longrope_factors::short_factors;  // an explicit choice wins
    t = rs::compute_frequencies(c, opt);
    near(multipliers(*t), m.short_factor);
    EXPECT_TRUE(t->warnings.empty());
    // factor from max / original = 32: the Phi-3 attention factor, for either list.
    EXPECT_NEAR(t->attention_factor, 1.19023807, 5e-9);
    EXPECT_EQ(rs::longrope_factors_for(4097, 4096), rs::longrope_factors::long_factors);
    // An explicit choice alone, without a sequence length: no warning either.
    t = rs::compute_frequencies(
        c, rs::table_options{std::nullopt, rs::longrope_factors::long_factors});
    ASSERT_TRUE(t);
    near(multipliers(*t), m.long_factor);
    EXPECT_TRUE(t->warnings.empty());
}

TEST(tables, partial_rotary) {
    rs::rope_config c = make(rs::plain{}, 128);
    c.partial_rotary_factor = 0.5;
    auto t = rs::compute_frequencies(c);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->rotary_dim, 64);
    EXPECT_EQ(t->head_dim, 128);
    expect_plain(*t, 10000.0, 64);
    c.partial_rotary_factor.reset();
    c.rotary_dim = 32;
    t = rs::compute_frequencies(c);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->pairs(), 16);
    // Python int() truncation: 80 * 0.4 = 32.000000000000004 -> 32.
    c.rotary_dim.reset();
    c.head_dim = 80;
    c.partial_rotary_factor = 0.4;
    t = rs::compute_frequencies(c);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->rotary_dim, 32);
}

TEST(tables, dynamic_length_tracker_policies) {
    rs::dynamic_length_tracker hf(4096, rs::dynamic_policy::grow_and_reset);
    EXPECT_EQ(hf.seq_len(), 4096);
    EXPECT_FALSE(hf.update(100));
    EXPECT_TRUE(hf.update(8000));
    EXPECT_EQ(hf.seq_len(), 8000);
    EXPECT_FALSE(hf.update(6000));  // between original and cached: keep
    EXPECT_FALSE(hf.update(4096));  // transformers resets only strictly below the original
    EXPECT_TRUE(hf.update(100));
    EXPECT_EQ(hf.seq_len(), 4096);

    rs::dynamic_length_tracker authors(4096, rs::dynamic_policy::grow_only);
    EXPECT_TRUE(authors.update(8000));
    EXPECT_FALSE(authors.update(100));
    EXPECT_EQ(authors.seq_len(), 8000);
}
