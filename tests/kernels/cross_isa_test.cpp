// Bit identity across the instruction sets the CPU runs (needs at least two; skipped otherwise).
//
// The same rotation calls and cache builds run on every available ISA and the outputs are
// compared bit for bit. Two claims are checked:
//   (1) fused ISAs agree everywhere: fma3<avx2> and avx512bw compute every multiply-add of the
//       kernels with one rounding, through the same operations in the same order (detail/
//       fused.hpp: the rotations, their scalar tails, the angle polynomials, the 2 pi
//       reduction and the cache recurrence), and negate by flipping the sign bit, so their
//       outputs are identical, signed zeros included, whatever the batch width or where a
//       head's tail starts.
//   (2) sse2 has no fused multiply-add, so its results may differ from the fused ISAs' in the
//       last bit; but wherever sse2 agrees bit for bit with one fused ISA, every other fused
//       ISA agrees too. (Implied by (1); checked on its own as the weaker guarantee that
//       holds between any of the SIMD paths.)
//
// Inputs: random values over many binades, about 1/8 of them +0 or -0 and 1/16 subnormals of
// the element type; head_dim 64, 72, 128, 136, 256, 264 (batches with and without tails,
// two chunks of pairs), full and partial rotary_dim; q with 9 heads and k with 3 (GQA);
// cached (folded and separate attention factor, forward and inverse), on the fly (same, any
// position of the exact-angle domain, negative ones included), shifts from a cache and from
// the table with negative deltas; both layouts, in and out of place; f32, f64, fp16, bf16.
#include "../support/rotation_source.hpp"
#include "support.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace rs = ropescale;

// Whether the arch computes multiply-adds with one rounding (claim (1)): every compiled set
// but sse2, which has no FMA.
template <class Arch>
constexpr bool fused() {
    return !std::is_same<Arch, xsimd::sse2>::value;
}

template <class T>
std::uint64_t bits_of(const T& v) {
    std::uint64_t b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}

// Outputs of one call per available ISA, as bit patterns.
struct isa_outputs {
    std::vector<const char*> isas;
    std::vector<bool> fused;
    std::vector<std::vector<std::uint64_t>> bits;
};

// Checks claims (1) and (2) on the outputs; returns the number of violations and describes the
// first of each claim (with its count) in `first`.
std::size_t violations(const isa_outputs& o, std::string& first) {
    std::size_t bad = 0;
    const std::size_t n = o.bits.empty() ? 0 : o.bits[0].size();
    for (std::size_t a = 0; a < o.isas.size(); ++a) {
        for (std::size_t b = a + 1; b < o.isas.size(); ++b) {
            if (!o.fused[a] || !o.fused[b]) continue;
            for (std::size_t e = 0; e < n; ++e) {
                if (o.bits[a][e] == o.bits[b][e]) continue;
                if (bad++ == 0)
                    first = std::string("claim (1): ") + o.isas[a] + " and " + o.isas[b] +
                            " differ at output " + std::to_string(e);
            }
        }
    }
    const std::size_t bad1 = bad;
    if (bad1 != 0) first += " (" + std::to_string(bad1) + " outputs); ";
    for (std::size_t u = 0; u < o.isas.size(); ++u) {
        if (o.fused[u]) continue;
        for (std::size_t a = 0; a < o.isas.size(); ++a) {
            if (!o.fused[a]) continue;
            for (std::size_t b = 0; b < o.isas.size(); ++b) {
                if (b == a || !o.fused[b]) continue;
                for (std::size_t e = 0; e < n; ++e) {
                    if (o.bits[u][e] != o.bits[a][e] || o.bits[b][e] == o.bits[a][e]) continue;
                    if (bad++ == bad1)
                        first += std::string("claim (2): ") + o.isas[u] + " and " + o.isas[a] +
                                 " agree at output " + std::to_string(e) + " but " + o.isas[b] +
                                 " differs";
                }
            }
        }
    }
    if (bad != bad1) first += " (" + std::to_string(bad - bad1) + " outputs)";
    return bad;
}

// Calls f(Arch{}, name) for every compiled arch this CPU runs.
template <class F>
void for_each_available_arch(F&& f) {
    kt::for_each_arch([&](auto arch, const char* name) {
        if (kt::cpu_supports<decltype(arch)>()) f(arch, name);
    });
}

std::size_t available_isas() {
    std::size_t n = 0;
    for_each_available_arch([&](auto, const char*) { ++n; });
    return n;
}

#define SKIP_UNLESS_TWO_ISAS()                                           \
    do {                                                                 \
        if (available_isas() < 2) GTEST_SKIP() << "fewer than two ISAs"; \
    } while (0)

// Smallest positive normal value of T (below it: subnormals).
template <class T>
double min_normal() {
    if constexpr (std::is_same<T, double>::value)
        return std::numeric_limits<double>::min();
    else if constexpr (std::is_same<T, rs::fp16>::value)
        return 0x1p-14;
    else
        return static_cast<double>(std::numeric_limits<float>::min());  // f32 and bf16
}

template <class T>
T random_element(kt::rng& r) {
    const auto kind = r.next() % 16;
    if (kind == 0) return kt::from_double<T>(0.0);
    if (kind == 1) return kt::from_double<T>(-0.0);
    const double sign = r.chance(128) ? -1.0 : 1.0;
    if (kind == 2) return kt::from_double<T>(sign * r.unit() * min_normal<T>());
    return kt::from_double<T>(sign * r.uniform(0.5, 4.0) *
                              std::ldexp(1.0, static_cast<int>(r.integer(-12, 8))));
}

using kt::source;

struct config {
    source src;
    rs::attention_factor_mode mode;
    rs::rotation_direction direction;
};

std::string describe(const config& c) {
    return std::string(kt::source_name(c.src)) + " " + rs::to_string(c.mode) + " " +
           rs::to_string(c.direction);
}

template <class T>
void rotation_case(const config& c, const rs::frequency_table& table, const rs::rope_cache& cache,
                   rs::rotary_layout layout, bool in_place, std::uint64_t seed) {
    SCOPED_TRACE(describe(c) + " head_dim " + std::to_string(table.head_dim) + " rotary_dim " +
                 std::to_string(table.rotary_dim) + " " + rs::to_string(layout) +
                 (in_place ? " in_place" : " out_of_place") + " " + kt::type_name<T>());
    const int head_dim = table.head_dim;
    const std::int64_t tokens = 6;
    const bool shift = kt::is_shift(c.src);
    const int hq = 9;
    const int hk = shift ? 0 : 3;
    kt::rng r(seed);
    const std::int64_t rows = cache.size();
    const std::int64_t far = (std::int64_t{1} << 31) - 1;
    std::vector<std::int64_t> pos(static_cast<std::size_t>(tokens));
    for (auto& p : pos) {
        switch (c.src) {
            case source::cache: p = r.integer(0, rows - 1); break;
            case source::shift_cache: p = r.integer(-(rows - 1), rows - 1); break;
            default: p = r.chance(64) ? r.integer(-200, 200) : r.integer(-far, far); break;
        }
    }
    pos[0] = 0;
    std::vector<T> q_in(static_cast<std::size_t>(tokens) * hq * head_dim);
    std::vector<T> k_in(static_cast<std::size_t>(tokens) * hk * head_dim);
    for (auto& x : q_in) x = random_element<T>(r);
    for (auto& x : k_in) x = random_element<T>(r);

    isa_outputs outs;
    for_each_available_arch([&](auto arch, const char* name) {
        using Arch = decltype(arch);
        std::vector<T> q = q_in, k = k_in;
        std::vector<T> q_out(q.size()), k_out(k.size());
        auto operand = [&](std::vector<T>& in, std::vector<T>& out, int heads) {
            if (heads == 0) return rs::rope_operand<T>{};
            const auto vin = rs::make_heads_view(in.data(), tokens, heads, head_dim);
            if (in_place) return rs::in_place(vin);
            return rs::out_of_place(vin, rs::make_heads_view(out.data(), tokens, heads, head_dim));
        };
        const auto s = kt::rotate<Arch, T>(c.src, c.direction, c.mode, table, cache, layout, pos,
                                           operand(q, q_out, hq), operand(k, k_out, hk));
        ASSERT_TRUE(s) << s.err().what();
        std::vector<std::uint64_t> bits;
        for (const T& x : in_place ? q : q_out) bits.push_back(bits_of(x));
        for (const T& x : in_place ? k : k_out) bits.push_back(bits_of(x));
        outs.isas.push_back(name);
        outs.fused.push_back(fused<Arch>());
        outs.bits.push_back(std::move(bits));
    });
    std::string first;
    EXPECT_EQ(violations(outs, first), 0u) << first;
}

template <class T>
void rotation_matrix() {
    std::uint64_t seed = 1;
    std::vector<config> configs;
    for (auto mode : {rs::attention_factor_mode::folded, rs::attention_factor_mode::separate})
        for (auto dir : {rs::rotation_direction::forward, rs::rotation_direction::inverse}) {
            configs.push_back({source::cache, mode, dir});
            configs.push_back({source::on_the_fly, mode, dir});
        }
    configs.push_back({source::shift_cache, rs::attention_factor_mode::separate,
                       rs::rotation_direction::forward});
    configs.push_back({source::shift_table, rs::attention_factor_mode::separate,
                       rs::rotation_direction::forward});
    for (int head_dim : {64, 72, 128, 136, 256, 264}) {
        for (int rotary_dim : {head_dim, head_dim - 8}) {
            const auto table = kt::yarn_or_plain_table(head_dim, rotary_dim);
            // Built by the scalar reference: the same cache for every ISA, so the comparison is
            // of the rotations alone (the builds are compared in cache_build below).
            const auto folded = *rs::build_rope_cache<rs::scalar_reference>(
                table, 1000, rs::attention_factor_mode::folded);
            const auto separate = *rs::build_rope_cache<rs::scalar_reference>(
                table, 1000, rs::attention_factor_mode::separate);
            for (const auto& c : configs) {
                const auto& cache = c.mode == rs::attention_factor_mode::folded ? folded : separate;
                for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
                    for (bool in_place : {false, true})
                        rotation_case<T>(c, table, cache, layout, in_place, seed++);
            }
        }
    }
}

TEST(cross_isa, f32_rotations) {
    SKIP_UNLESS_TWO_ISAS();
    rotation_matrix<float>();
}
TEST(cross_isa, f64_rotations) {
    SKIP_UNLESS_TWO_ISAS();
    rotation_matrix<double>();
}
TEST(cross_isa, fp16_rotations) {
    SKIP_UNLESS_TWO_ISAS();
    rotation_matrix<rs::fp16>();
}
TEST(cross_isa, bf16_rotations) {
    SKIP_UNLESS_TWO_ISAS();
    rotation_matrix<rs::bf16>();
}

// The cache build (anchors by the full-precision sincos, rows between them by the rotation
// recurrence), both attention-factor modes, 300 rows (several anchor blocks, a partial last
// one).
TEST(cross_isa, cache_build) {
    SKIP_UNLESS_TWO_ISAS();
    for (int head_dim : {8, 64, 72, 136, 264}) {
        const auto table = kt::yarn_or_plain_table(head_dim, head_dim);
        for (auto mode : {rs::attention_factor_mode::folded, rs::attention_factor_mode::separate}) {
            SCOPED_TRACE("head_dim " + std::to_string(head_dim) + " " + rs::to_string(mode));
            isa_outputs outs;
            for_each_available_arch([&](auto arch, const char* name) {
                const auto cache = rs::build_rope_cache<decltype(arch)>(table, 300, mode);
                ASSERT_TRUE(cache);
                std::vector<std::uint64_t> bits;
                const std::size_t n = static_cast<std::size_t>(cache->size()) *
                                      static_cast<std::size_t>(cache->rotary_dim());
                for (std::size_t e = 0; e < n; ++e) bits.push_back(bits_of(cache->data()[e]));
                outs.isas.push_back(name);
                outs.fused.push_back(fused<decltype(arch)>());
                outs.bits.push_back(std::move(bits));
            });
            std::string first;
            EXPECT_EQ(violations(outs, first), 0u) << first;
        }
    }
}

}  // namespace
