// The exact-angle domain at its boundary, on every ISA, the static default kernel and the
// scalar reference, against an independent quad-precision evaluation (__float128: the product
// of a <= 32-bit position and a double is exact in 113 bits; sinq / cosq of its remainder
// modulo a quad 2 pi).
//
// The rule under test (angle.hpp, frequency_table.hpp): with a table whose largest inverse
// frequency is f, the positions |p| <= L = position_limit(table), L * f <= 2^31 < (L + 1) f
// (or L = 2^31), are accepted and exact; one past them is refused.
//   - on the fly, f64 elements: within 3e-15 (m) of the exact rotation at +-L, +-(L - 1);
//   - on the fly, f32 elements: within the cache contract (1e-7 + 2^-24 |v|) of the exact
//     v = m (cos, sin), both layouts;
//   - the cache: its last rows (up to L) within the cache contract, through build_rope_cache
//     where the whole cache is small, and through its row builder writing only the last rows
//     of a reserved address range for every table;
//   - +-(L + 1) refused by apply_rope and shift_rope on the fly (position_out_of_range,
//     "positions[i]", the limit in the message, nothing written), and a cache of L + 2 rows
//     refused ("positions").
// Tables: one pair at 1024, 2^20 and 1.9375 (limits 2^21, 2^11 and 1108378657), a mixed table
// {1024, 0.5, 1e-3}, and YaRN with the YaRN authors' extrapolation_factor 2 (inv_freq[0] > 1).
#include "../support/quad_reference.hpp"
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(ROPESCALE_TEST_HAVE_QUADMATH)

namespace {

namespace rs = ropescale;

using kt::exact_sincos;
using kt::in_domain;

rs::frequency_table custom_table(std::vector<double> inv_freq) {
    rs::frequency_table t;
    t.rotary_dim = static_cast<int>(2 * inv_freq.size());
    t.head_dim = t.rotary_dim;
    t.inv_freq = std::move(inv_freq);
    return t;
}

rs::frequency_table yarn_extrapolation_2() {
    return rs::compute_frequencies_or_throw(kt::yarn_extrapolation_2_config());
}

std::vector<rs::frequency_table> boundary_tables() {
    return {custom_table({1024.0}), custom_table({0x1p20}), custom_table({1.9375}),
            custom_table({1024.0, 0.5, 1e-3}), yarn_extrapolation_2()};
}

double largest(const rs::frequency_table& t) {
    return *std::max_element(t.inv_freq.begin(), t.inv_freq.end());
}

// |entry - v| <= 1e-7 + 2^-24 |v| (cache.hpp); returns the excess (must be <= 0).
double contract_excess(double entry, double v) {
    return std::fabs(entry - v) - (1e-7 + std::ldexp(std::fabs(v), -24));
}

// On the fly at the positions, unit pairs (1, 0) whose rotation is m (cos, sin): the worst
// excess over the f32 contract, or the worst f64 error divided by 3e-15 m, minus 1.
template <class Arch, class T>
double on_the_fly_excess(const rs::frequency_table& t, const std::vector<std::int64_t>& pos,
                         rs::rotary_layout layout) {
    const int d = t.head_dim;
    const int pairs = t.pairs();
    const auto n = static_cast<std::int64_t>(pos.size());
    std::vector<T> x(static_cast<std::size_t>(n) * static_cast<std::size_t>(d), T(0));
    auto at = [&](std::int64_t tok, int ch) -> T& {
        return x[static_cast<std::size_t>(tok * d + ch)];
    };
    const bool half = layout == rs::rotary_layout::half_split;
    for (std::int64_t tok = 0; tok < n; ++tok)
        for (int i = 0; i < pairs; ++i) at(tok, half ? i : 2 * i) = T(1);
    const auto s =
        rs::apply_rope<Arch>(t, layout, pos, rs::in_place(rs::make_heads_view(x.data(), n, 1, d)));
    EXPECT_TRUE(s) << s.err().what();
    if (!s) return 1.0;
    const double m = t.attention_factor;
    double worst = -1.0;
    for (std::int64_t tok = 0; tok < n; ++tok)
        for (int i = 0; i < pairs; ++i) {
            const auto e = exact_sincos(pos[static_cast<std::size_t>(tok)],
                                        t.inv_freq[static_cast<std::size_t>(i)]);
            const double c = static_cast<double>(at(tok, half ? i : 2 * i));
            const double sn = static_cast<double>(at(tok, half ? i + pairs : 2 * i + 1));
            if constexpr (std::is_same<T, double>::value) {
                const double err = std::max(std::fabs(c - m * e.cos), std::fabs(sn - m * e.sin));
                worst = std::max(worst, err / (3e-15 * m) - 1.0);
            } else {
                worst = std::max(
                    {worst, contract_excess(c, m * e.cos), contract_excess(sn, m * e.sin)});
            }
        }
    return worst;
}

// Rows [first, last] of the cache of `t` (folded) against the exact values.
double rows_excess(const rs::frequency_table& t, const float* rows, std::int64_t first,
                   std::int64_t last) {
    const double m = t.attention_factor;
    const int pairs = t.pairs();
    double worst = -1.0;
    for (std::int64_t p = first; p <= last; ++p) {
        const float* c = rows + (p - first) * t.rotary_dim;
        for (int i = 0; i < pairs; ++i) {
            const auto e = exact_sincos(p, t.inv_freq[static_cast<std::size_t>(i)]);
            worst = std::max({worst, contract_excess(c[i], m * e.cos),
                              contract_excess(c[pairs + i], m * e.sin)});
        }
    }
    return worst;
}

template <class Arch>
void check_boundary(const rs::frequency_table& t) {
    const double f = largest(t);
    SCOPED_TRACE(std::string("largest inv_freq ") + rs::detail::format_value(f));
    ASSERT_TRUE(rs::check_usable(t));
    const std::int64_t l = rs::position_limit(t);
    // The limit is the boundary of the exact product's domain, computed here in quad.
    ASSERT_TRUE(in_domain(l, f)) << l;
    ASSERT_FALSE(in_domain(l + 1, f)) << l;

    // Inside: the largest accepted positions, both signs, on both element paths.
    const std::vector<std::int64_t> edge = {l, -l, l - 1, -(l - 1), l - 64, 0, 1, -l};
    for (const auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
        EXPECT_LE((on_the_fly_excess<Arch, double>(t, edge, layout)), 0.0) << "f64 on the fly";
        EXPECT_LE((on_the_fly_excess<Arch, float>(t, edge, layout)), 0.0) << "f32 on the fly";
    }

    // One past: refused wherever it sits, naming it, nothing written.
    for (const std::int64_t bad : {l + 1, -(l + 1)}) {
        std::vector<std::int64_t> pos = {0, 5, bad, l};
        std::vector<float> q(4 * 2 * static_cast<std::size_t>(t.head_dim), 0.75f);
        const auto before = q;
        const auto view = rs::in_place(rs::make_heads_view(q.data(), 4, 2, t.head_dim));
        for (const bool shift : {false, true}) {
            const auto s = shift
                               ? rs::shift_rope<Arch>(t, rs::rotary_layout::half_split, pos, view)
                               : rs::apply_rope<Arch>(t, rs::rotary_layout::interleaved, pos, view);
            ASSERT_FALSE(s) << "position " << bad << " accepted";
            EXPECT_EQ(s.err().code, rs::errc::position_out_of_range);
            EXPECT_EQ(s.err().field, "positions[2]");
            EXPECT_NE(
                s.err().message.find("[" + std::to_string(-l) + ", " + std::to_string(l) + "]"),
                std::string::npos)
                << s.err().message;
            EXPECT_NE(s.err().message.find(std::to_string(bad)), std::string::npos);
            EXPECT_EQ(q, before) << "a refused call wrote q";
        }
    }

    // The cache: rows up to L, never L + 1.
    const auto refused = rs::build_rope_cache<Arch>(t, l + 2, rs::attention_factor_mode::folded);
    ASSERT_FALSE(refused) << "a cache of " << l + 2 << " rows";
    EXPECT_EQ(refused.err().code, rs::errc::out_of_range);
    EXPECT_EQ(refused.err().field, "positions");
    EXPECT_NE(refused.err().message.find("[0, " + std::to_string(l + 1) + "]"), std::string::npos)
        << refused.err().message;
    const std::int64_t rows = 200;  // the last rows, across several anchor blocks
    if (l + 1 <= (std::int64_t{1} << 22) / t.rotary_dim) {
        const auto cache = rs::build_rope_cache<Arch>(t, l + 1, rs::attention_factor_mode::folded);
        ASSERT_TRUE(cache) << cache.err().what();
        EXPECT_LE(rows_excess(t, cache->cos_row(l - rows + 1), l - rows + 1, l), 0.0)
            << "last rows of the cache";
    }
#if defined(__linux__)
    // Any cache size: the builder of build_rope_cache writing only the last rows of a cache
    // whose address space is reserved but never touched elsewhere.
    const std::size_t bytes = static_cast<std::size_t>(l + 1) * t.rotary_dim * sizeof(float);
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(mem, MAP_FAILED) << "reserving " << bytes << " bytes";
    auto* whole = static_cast<float*>(mem);
    rs::detail::kernel_runner<Arch>::build_cache(t.inv_freq.data(), t.pairs(), t.attention_factor,
                                                 l - rows + 1, l + 1, whole);
    EXPECT_LE(rows_excess(t, whole + (l - rows + 1) * t.rotary_dim, l - rows + 1, l), 0.0)
        << "last rows, row builder";
    munmap(mem, bytes);
#endif
}

KT_ISA_TEST(angle_domain, largest_positions_are_exact_and_one_past_is_refused) {
    ASSERT_GT(largest(yarn_extrapolation_2()), 1.0);
    for (const auto& t : boundary_tables()) check_boundary<Arch>(t);
}

// The kernel of this build's flags (the baseline build: sse2, the split product) and the
// scalar reference.
TEST(angle_domain_static, default_arch_and_reference) {
    for (const auto& t : boundary_tables()) {
        check_boundary<xsimd::default_arch>(t);
        check_boundary<rs::scalar_reference>(t);
    }
}

}  // namespace
#else
TEST(angle_domain, skipped_without_quadmath) { GTEST_SKIP() << "no __float128 / libquadmath"; }
#endif
