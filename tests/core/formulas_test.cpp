// Placeholder; replaced by the formula tests.
#include <gtest/gtest.h>
#include <ropescale/ropescale.hpp>
TEST(formulas, builds) { EXPECT_EQ(ropescale::plain_inv_freq(10000.0, 128, 0), 1.0); }
