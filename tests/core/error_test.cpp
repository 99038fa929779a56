// The error vocabulary (error.hpp): how an error renders, the throwing convenience, and
// expected<T>'s value semantics. Which parameters are refused, with which field and message, is
// tests/robustness/bad_params_test.cpp.
#include <gtest/gtest.h>

#include <ropescale/ropescale.hpp>

#include <string>

namespace rs = ropescale;

namespace {

rs::rope_config linear(double factor) {
    rs::rope_config c;
    c.head_dim = 128;
    c.scaling = rs::linear{factor};
    return c;
}

}  // namespace

TEST(errors, errors_render_as_field_colon_message) {
    const rs::status s = rs::validate(linear(0.5));
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().what().rfind("factor: ", 0), 0u) << s.err().what();
    EXPECT_STREQ(rs::to_string(rs::errc::out_of_range), "out_of_range");
}

#if ROPESCALE_USE_EXCEPTIONS
TEST(errors, throwing_convenience) {
    EXPECT_THROW((void)rs::compute_frequencies_or_throw(linear(0.5)), rs::error_exception);
    try {
        (void)rs::compute_frequencies_or_throw(linear(0.5));
    } catch (const rs::error_exception& e) {
        EXPECT_EQ(e.get().field, "factor");
    }
    EXPECT_NO_THROW((void)rs::compute_frequencies_or_throw(linear(1.0)));
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

TEST(errors, dereferencing_a_temporary_expected_moves_its_value) {
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
