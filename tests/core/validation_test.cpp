// Every invalid parameter class is refused with the field named and the value shown, without
// exceptions; a refused configuration never yields a table.
#include <gtest/gtest.h>

#include "support/method_examples.hpp"

#include <ropescale/ropescale.hpp>

#include <limits>
#include <string>

namespace rs = ropescale;

namespace {

const double k_nan = std::numeric_limits<double>::quiet_NaN();
const double k_inf = std::numeric_limits<double>::infinity();

rs::rope_config make(rs::scaling_method m, int head_dim = 128) {
    rs::rope_config c;
    c.head_dim = head_dim;
    c.scaling = std::move(m);
    return c;
}

rs::yarn good_yarn() { return ropescale_test::example(rs::method_tag<rs::yarn>{}); }

rs::longrope good_longrope() { return ropescale_test::example(rs::method_tag<rs::longrope>{}); }

// Asserts that `c` is refused with `code` on `field`, the message containing `value_text`.
void expect_refused(const rs::rope_config& c, rs::errc code, const std::string& field,
                    const std::string& value_text = "") {
    const rs::status s = rs::validate(c);
    ASSERT_FALSE(s) << "accepted, expected an error on " << field;
    EXPECT_EQ(s.err().code, code) << s.err().what();
    EXPECT_EQ(s.err().field, field) << s.err().what();
    if (!value_text.empty()) {
        EXPECT_NE(s.err().message.find(value_text), std::string::npos) << s.err().what();
    }
    auto t = rs::compute_frequencies(c);
    EXPECT_FALSE(t);  // never a table from a refused config
}

}  // namespace

TEST(validation, good_configs_pass) {
    for (const auto& m : ropescale_test::every_method_example())
        EXPECT_TRUE(rs::validate(make(m))) << rs::method_name(m);
}

TEST(validation, dimensions) {
    expect_refused(make(rs::plain{}, 0), rs::errc::out_of_range, "head_dim", "got 0");
    expect_refused(make(rs::plain{}, -4), rs::errc::out_of_range, "head_dim", "got -4");
    expect_refused(make(rs::plain{}, 127), rs::errc::out_of_range, "head_dim", "got 127");
    auto c = make(rs::plain{});
    c.rotary_dim = 0;
    expect_refused(c, rs::errc::out_of_range, "rotary_dim");
    c.rotary_dim = 63;
    expect_refused(c, rs::errc::out_of_range, "rotary_dim", "63");
    c.rotary_dim = 130;
    expect_refused(c, rs::errc::out_of_range, "rotary_dim", "130");
    c.rotary_dim.reset();
    for (double bad : {0.0, -0.5, 1.5}) {
        c.partial_rotary_factor = bad;
        expect_refused(c, rs::errc::out_of_range, "partial_rotary_factor");
    }
    c.partial_rotary_factor = k_nan;
    expect_refused(c, rs::errc::not_finite, "partial_rotary_factor", "nan");
    c = make(rs::plain{}, 96);
    c.partial_rotary_factor = 0.3333;  // int(96 * 0.3333) = 31: odd
    expect_refused(c, rs::errc::out_of_range, "partial_rotary_factor", "31");
    c = make(rs::plain{});
    c.partial_rotary_factor = 0.5;
    c.rotary_dim = 32;  // disagrees with 64
    expect_refused(c, rs::errc::inconsistent, "rotary_dim", "64");
}

TEST(validation, rope_theta) {
    for (double bad : {1.0, 0.5, 0.0, -10000.0}) {
        auto c = make(rs::plain{});
        c.rope_theta = bad;
        expect_refused(c, rs::errc::out_of_range, "rope_theta");
    }
    auto c = make(rs::plain{});
    c.rope_theta = k_inf;
    expect_refused(c, rs::errc::not_finite, "rope_theta", "inf");
    c.rope_theta = k_nan;
    expect_refused(c, rs::errc::not_finite, "rope_theta", "nan");
}

TEST(validation, factors_below_one_and_non_positive) {
    expect_refused(make(rs::linear{0.5}), rs::errc::out_of_range, "factor", "0.5");
    expect_refused(make(rs::linear{0.0}), rs::errc::out_of_range, "factor", "got 0");
    expect_refused(make(rs::linear{-2.0}), rs::errc::out_of_range, "factor", "-2");
    expect_refused(make(rs::linear{k_nan}), rs::errc::not_finite, "factor", "nan");
    expect_refused(make(rs::ntk_aware{0.9}), rs::errc::out_of_range, "alpha", "0.9");
    expect_refused(make(rs::dynamic_ntk{0.5, 4096}), rs::errc::out_of_range, "factor");
    expect_refused(make(rs::llama3{0.5, 1.0, 4.0, 8192}), rs::errc::out_of_range, "factor");
    auto y = good_yarn();
    y.factor = 0.25;
    expect_refused(make(y), rs::errc::out_of_range, "factor", "0.25");
    rs::ntk_by_parts p;
    p.factor = 0.5;
    p.original_max_position_embeddings = 4096;
    expect_refused(make(p), rs::errc::out_of_range, "factor");
    auto lr = good_longrope();
    lr.factor = 0.0;  // LongRoPE's factor only sets the attention factor: any f > 0
    expect_refused(make(lr), rs::errc::out_of_range, "factor");
}

TEST(validation, ntk_methods_need_rotary_dim_above_two) {
    expect_refused(make(rs::ntk_aware{2.0}, 2), rs::errc::out_of_range, "rotary_dim", "got 2");
    expect_refused(make(rs::dynamic_ntk{2.0, 4096}, 2), rs::errc::out_of_range, "rotary_dim");
    EXPECT_TRUE(rs::validate(make(good_yarn(), 2)));  // YaRN has no d/(d-2) exponent
}

TEST(validation, lengths) {
    auto y = good_yarn();
    y.original_max_position_embeddings = 0;
    expect_refused(make(y), rs::errc::out_of_range, "original_max_position_embeddings", "got 0");
    expect_refused(make(rs::dynamic_ntk{2.0, -1}), rs::errc::out_of_range,
                   "max_position_embeddings");
    expect_refused(make(rs::llama3{8.0, 1.0, 4.0, 0}), rs::errc::out_of_range,
                   "original_max_position_embeddings");
    rs::dynamic_yarn dy;
    dy.original_max_position_embeddings = 8192;
    dy.max_position_embeddings = 4096;
    dy.finetuned = true;
    expect_refused(make(dy), rs::errc::inconsistent, "max_position_embeddings");
    auto t = rs::compute_frequencies(make(rs::plain{}), rs::table_options{0, std::nullopt});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.err().field, "seq_len");
}

TEST(validation, betas) {
    auto y = good_yarn();
    y.beta_fast = 1.0;
    y.beta_slow = 32.0;
    expect_refused(make(y), rs::errc::inconsistent, "beta_fast", "1 < 32");
    y = good_yarn();
    y.beta_fast = 0.0;
    expect_refused(make(y), rs::errc::out_of_range, "beta_fast", "got 0");
    y = good_yarn();
    y.beta_slow = -1.0;
    expect_refused(make(y), rs::errc::out_of_range, "beta_slow", "-1");
    y = good_yarn();
    y.beta_slow = k_inf;
    expect_refused(make(y), rs::errc::not_finite, "beta_slow");
    y = good_yarn();
    y.beta_fast = y.beta_slow = 4.0;  // equal is fine: the ramp has its 0.001 guard
    EXPECT_TRUE(rs::validate(make(y)));
    rs::ntk_by_parts p;
    p.factor = 4.0;
    p.original_max_position_embeddings = 4096;
    p.gamma_0 = 1.0;
    expect_refused(make(p), rs::errc::inconsistent, "gamma_0");
}

TEST(validation, attention_factors) {
    auto y = good_yarn();
    y.attention_factor = -1.0;
    expect_refused(make(y), rs::errc::out_of_range, "attention_factor", "-1");
    y.attention_factor = 0.0;
    expect_refused(make(y), rs::errc::out_of_range, "attention_factor");
    y = good_yarn();
    y.mscale = -0.707;
    expect_refused(make(y), rs::errc::out_of_range, "mscale", "-0.707");
    y = good_yarn();
    y.mscale_all_dim = k_nan;
    expect_refused(make(y), rs::errc::not_finite, "mscale_all_dim");
    y = good_yarn();
    y.attn_factor = 0.0;
    expect_refused(make(y), rs::errc::out_of_range, "attn_factor");
    y = good_yarn();
    y.extrapolation_factor = -0.1;
    expect_refused(make(y), rs::errc::out_of_range, "extrapolation_factor");
    auto lr = good_longrope();
    lr.attention_factor = -2.0;
    expect_refused(make(lr), rs::errc::out_of_range, "attention_factor");
}

TEST(validation, llama3_frequency_factors) {
    // high_freq_factor <= low_freq_factor is accepted with a warning on the table, as
    // transformers does (tests/core/methods_2025_test.cpp); the factors must be > 0.
    EXPECT_TRUE(rs::validate(make(rs::llama3{8.0, 4.0, 4.0, 8192})));
    EXPECT_TRUE(rs::validate(make(rs::llama3{8.0, 4.0, 1.0, 8192})));
    expect_refused(make(rs::llama3{8.0, 4.0, 0.0, 8192}), rs::errc::out_of_range,
                   "high_freq_factor");
    expect_refused(make(rs::llama3{8.0, 0.0, 4.0, 8192}), rs::errc::out_of_range,
                   "low_freq_factor");
}

TEST(validation, longrope_lists) {
    auto lr = good_longrope();
    lr.short_factor.pop_back();
    expect_refused(make(lr), rs::errc::inconsistent, "short_factor", "got 63");
    lr = good_longrope();
    lr.long_factor.push_back(1.0);
    expect_refused(make(lr), rs::errc::inconsistent, "long_factor", "64");
    lr = good_longrope();
    lr.long_factor[17] = 0.0;
    expect_refused(make(lr), rs::errc::out_of_range, "long_factor[17]", "got 0");
    lr = good_longrope();
    lr.short_factor[3] = -1.0;
    expect_refused(make(lr), rs::errc::out_of_range, "short_factor[3]");
    lr = good_longrope();
    lr.short_factor[5] = k_nan;
    expect_refused(make(lr), rs::errc::not_finite, "short_factor[5]");
    lr = good_longrope();
    lr.max_position_embeddings.reset();  // and no factor: nothing to derive it from
    expect_refused(make(lr), rs::errc::missing_field, "factor");
}

TEST(validation, subnormal_values_are_reported_not_crashed_on) {
    // Message formatting must handle every double (std::stod-based formatting threw here).
    expect_refused(make(rs::linear{1e-310}), rs::errc::out_of_range, "factor", "1e-310");
    auto c = make(rs::plain{});
    c.partial_rotary_factor = -4e-320;
    expect_refused(c, rs::errc::out_of_range, "partial_rotary_factor", "e-320");
}

TEST(validation, errors_render_as_field_colon_message) {
    const rs::status s = rs::validate(make(rs::linear{0.5}));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().what().rfind("factor: ", 0), 0u) << s.err().what();
    EXPECT_STREQ(rs::to_string(rs::errc::out_of_range), "out_of_range");
}

#if ROPESCALE_USE_EXCEPTIONS
TEST(validation, throwing_convenience) {
    EXPECT_THROW((void)rs::compute_frequencies_or_throw(make(rs::linear{0.5})),
                 rs::error_exception);
    try {
        (void)rs::compute_frequencies_or_throw(make(rs::linear{0.5}));
    } catch (const rs::error_exception& e) {
        EXPECT_EQ(e.get().field, "factor");
    }
    EXPECT_NO_THROW((void)rs::compute_frequencies_or_throw(make(rs::plain{})));
}
#endif

namespace {
// Counts copies, so the test below can tell a move from a copy.
struct copy_counter {
    static inline int copies = 0;
    copy_counter() = default;
    copy_counter(const copy_counter&) { ++copies; }
    copy_counter(copy_counter&&) noexcept = default;
    copy_counter& operator=(const copy_counter&) {
        ++copies;
        return *this;
    }
    copy_counter& operator=(copy_counter&&) noexcept = default;
};
ropescale::expected<copy_counter> make_counter() { return copy_counter{}; }
}  // namespace

TEST(validation, dereferencing_a_temporary_expected_moves_its_value) {
    copy_counter::copies = 0;
    const copy_counter a = *make_counter();         // operator* on an rvalue
    const copy_counter b = make_counter().value();  // value() on an rvalue
    auto kept = make_counter();
    const copy_counter c = *kept;  // an lvalue is still copied, as it must be
    (void)a;
    (void)b;
    (void)c;
    EXPECT_EQ(copy_counter::copies, 1);
}
