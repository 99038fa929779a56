// Signed zeros through the rotation kernels, on each ISA the CPU runs (others skipped).
//
// Every pair of a rotated head holds one of twelve cases: both channels zero (all four sign
// combinations), or one channel +-0 and the other +-0.75 (exact in every element type). The
// kernels compute, in both layouts (detail/kernels.hpp),
//   y1 = x1 c - x2 s,  y2 = x2 c + x1 s,
// where in these cases at least one of the two products of each output is exactly zero (a
// zero channel, or s = +-0 at position 0), so IEEE 754 arithmetic fixes every zero sign
// whatever is fused: a product's sign is the xor of its factors' signs; the sum of two zeros
// is -0 only if both are -0 (round to nearest); a zero plus a non-zero product is that
// product. Expected outputs are derived here from those rules and the signs of c and s:
//   - cached: the cache entries (inputs of the test), forward (c, s), inverse (c, -s) / m^2
//     (m = the folded factor), shift by delta (c, s) of row |delta| with s negated for delta < 0;
//   - on the fly: (c, s) = rotation_sincos(p, f) (angle.hpp, the library's reference; sin 0
//     is +0), forward (m c, m s) with m the folded factor, inverse (c, -s) / m; shift (c, s)
//     of the delta.
// So at position 0 the rotation is not always the identity on zeros: (-0, -0) gives
// y1 = -0 - (-0 * 0) = -0 + +0 = +0. Zero outputs are checked bit for bit (sign included);
// non-zero ones must have the expected sign, equal the input bit for bit at position 0 when
// c = 1 and s = +-0 (scale 1: a product with 1 plus a zero), and elsewhere lie within
// kt::pair_bound of the scalar reference.
//
// Matrix: element type (f32, f64, fp16, bf16) x layout x in / out of place x head_dim
// {8, 72, 136, 264} (tails, grouped and leftover batches, two chunks) x source: cache (folded,
// separate; attention factor 1 and 1.25; forward and inverse), on the fly (the same), shift
// from a cache and from the table (negative deltas); positions 0, 1, 5 (and negative ones on
// the fly / for shifts). q has 9 heads (more than one block of heads), k 2 (GQA).
#include "../support/rotation_source.hpp"
#include "support.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;

using kt::source;

struct config {
    source src;
    double factor;  // the table's attention factor
    rs::attention_factor_mode mode;
    rs::rotation_direction direction;
};

std::string describe(const config& c) {
    return std::string(kt::source_name(c.src)) + " factor " + std::to_string(c.factor) + " " +
           rs::to_string(c.mode) + " " + rs::to_string(c.direction);
}

// Zero-ness and sign of a product or a sum.
struct sign_of {
    bool zero;
    bool negative;
};

sign_of product(double a, double b) {
    return {a == 0.0 || b == 0.0, std::signbit(a) != std::signbit(b)};
}
sign_of negated(sign_of v) { return {v.zero, !v.negative}; }
// a + b where at least one is zero (IEEE 754, round to nearest).
sign_of sum(sign_of a, sign_of b) {
    if (a.zero && b.zero) return {true, a.negative && b.negative};
    return a.zero ? b : a;
}

constexpr double v = 0.75;
constexpr int case_count = 12;
// Case k: (x1, x2).
void case_values(int k, double& x1, double& x2) {
    const double zeros[4][2] = {{0.0, 0.0}, {0.0, -0.0}, {-0.0, 0.0}, {-0.0, -0.0}};
    if (k < 4) {
        x1 = zeros[k][0];
        x2 = zeros[k][1];
    } else if (k < 8) {  // zero x1, non-zero x2
        x1 = (k & 1) ? -0.0 : 0.0;
        x2 = (k & 2) ? -v : v;
    } else {  // non-zero x1, zero x2
        x1 = (k & 2) ? -v : v;
        x2 = (k & 1) ? -0.0 : 0.0;
    }
}

// (c, s) of pair i at position p as the API defines them (file comment), in double.
void angle(const config& c, const rs::frequency_table& table, const rs::rope_cache& cache,
           std::int64_t p, int i, double& cv, double& sv) {
    if (c.src == source::cache || c.src == source::shift_cache) {
        const std::int64_t row = p < 0 ? -p : p;
        cv = cache.cos_row(row)[i];
        sv = cache.sin_row(row)[i];
        if (c.src == source::shift_cache) {
            if (p < 0) sv = -sv;
        } else if (c.direction == rs::rotation_direction::inverse) {
            const double m = cache.folded_factor();
            cv = cv / (m * m);
            sv = -sv / (m * m);
        }
        return;
    }
    const auto e = rs::rotation_sincos(p, table.inv_freq[static_cast<std::size_t>(i)]);
    cv = e.cos;
    sv = e.sin;
    if (c.src == source::shift_table) return;
    const double m = c.mode == rs::attention_factor_mode::folded ? table.attention_factor : 1.0;
    if (c.direction == rs::rotation_direction::forward) {
        cv *= m;
        sv *= m;
    } else {
        cv /= m;
        sv = -sv / m;
    }
}

template <class Arch, class T>
void run_config(const config& c, int head_dim, rs::rotary_layout layout, bool in_place) {
    SCOPED_TRACE(describe(c) + " head_dim " + std::to_string(head_dim) + " " +
                 rs::to_string(layout) + (in_place ? " in_place" : " out_of_place") + " " +
                 kt::type_name<T>());
    const int pairs = head_dim / 2;
    rs::frequency_table table = kt::plain_table(head_dim, head_dim);
    table.attention_factor = c.factor;
    const auto cache = *rs::build_rope_cache<Arch>(
        table, 8, c.src == source::shift_cache ? rs::attention_factor_mode::separate : c.mode);
    const bool shift = kt::is_shift(c.src);

    std::vector<std::int64_t> positions{0, 1, 5};
    if (c.src == source::on_the_fly) positions.push_back(-3);
    if (shift) positions = {0, -1, 5, -7};
    // Token t: position positions[t / case_count]; pair i of head h holds case
    // (t + h + i) % case_count, so every case meets every pair index (every code path).
    const int tokens = static_cast<int>(positions.size()) * case_count;
    std::vector<std::int64_t> pos(static_cast<std::size_t>(tokens));
    for (int t = 0; t < tokens; ++t) pos[t] = positions[static_cast<std::size_t>(t / case_count)];
    const int hq = 9;
    const int hk = shift ? 0 : 2;

    auto fill = [&](int heads) {
        std::vector<T> x(static_cast<std::size_t>(tokens) * heads * head_dim);
        for (int t = 0; t < tokens; ++t)
            for (int h = 0; h < heads; ++h)
                for (int i = 0; i < pairs; ++i) {
                    double x1, x2;
                    case_values((t + h + i) % case_count, x1, x2);
                    const std::size_t base = (static_cast<std::size_t>(t) * heads + h) * head_dim;
                    const bool half = layout == rs::rotary_layout::half_split;
                    x[base + (half ? i : 2 * i)] = kt::from_double<T>(x1);
                    x[base + (half ? i + pairs : 2 * i + 1)] = kt::from_double<T>(x2);
                }
        return x;
    };
    const std::vector<T> q_in = fill(hq), k_in = fill(hk);
    std::vector<T> q_work = q_in, k_work = k_in;
    std::vector<T> q_out(q_in.size(), kt::from_double<T>(7.0)),
        k_out(k_in.size(), kt::from_double<T>(7.0));
    auto operand = [&](std::vector<T>& in, std::vector<T>& out, int heads) {
        if (heads == 0) return rs::rope_operand<T>{};
        const auto vin = rs::make_heads_view(in.data(), tokens, heads, head_dim);
        if (in_place) return rs::in_place(vin);
        return rs::out_of_place(vin, rs::make_heads_view(out.data(), tokens, heads, head_dim));
    };
    auto s = kt::rotate<Arch, T>(c.src, c.direction, c.mode, table, cache, layout, pos,
                                 operand(q_work, q_out, hq), operand(k_work, k_out, hk));
    ASSERT_TRUE(s) << s.err().what();
    // The scalar reference, for the magnitude of the non-zero outputs.
    std::vector<T> q_ref = q_in, k_ref = k_in, q_ref_out = q_out, k_ref_out = k_out;
    auto sr = kt::rotate<rs::scalar_reference, T>(c.src, c.direction, c.mode, table, cache, layout,
                                                  pos, operand(q_ref, q_ref_out, hq),
                                                  operand(k_ref, k_ref_out, hk));
    ASSERT_TRUE(sr) << sr.err().what();

    const double m0 = c.src == source::cache ? cache.folded_factor()
                      : c.src == source::on_the_fly && c.mode == rs::attention_factor_mode::folded
                          ? table.attention_factor
                          : 1.0;
    const double m = std::max(m0, 1.0 / m0);
    int failures = 0;
    std::string first;
    auto check = [&](const std::vector<T>& in, const std::vector<T>& got, const std::vector<T>& ref,
                     int heads, const char* name) {
        for (int t = 0; t < tokens; ++t) {
            for (int h = 0; h < heads; ++h) {
                for (int i = 0; i < pairs; ++i) {
                    const std::size_t base = (static_cast<std::size_t>(t) * heads + h) * head_dim;
                    const bool half = layout == rs::rotary_layout::half_split;
                    const std::size_t i1 = base + (half ? i : 2 * i);
                    const std::size_t i2 = base + (half ? i + pairs : 2 * i + 1);
                    const double x1 = kt::to_double(in[i1]);
                    const double x2 = kt::to_double(in[i2]);
                    double cv, sv;
                    angle(c, table, cache, pos[static_cast<std::size_t>(t)], i, cv, sv);
                    const bool identity = cv == 1.0 && sv == 0.0;
                    const sign_of want[2] = {
                        sum(product(x1, cv), negated(product(x2, sv))),
                        sum(product(x2, cv), product(x1, sv)),
                    };
                    const std::size_t at[2] = {i1, i2};
                    for (int o = 0; o < 2; ++o) {
                        const T y = got[at[o]];
                        const double yd = kt::to_double(y);
                        bool ok =
                            (yd == 0.0) == want[o].zero && std::signbit(yd) == want[o].negative;
                        if (ok && !want[o].zero) {
                            if (identity) {
                                ok = kt::same_bits(y, in[at[o]]);
                            } else {
                                const double r = kt::to_double(ref[at[o]]);
                                ok = std::fabs(yd - r) <= kt::pair_bound<T>(x1, x2, m, r, yd);
                            }
                        }
                        if (!ok && failures++ == 0) {
                            first = std::string(name) + " token " + std::to_string(t) +
                                    " position " + std::to_string(pos[t]) + " head " +
                                    std::to_string(h) + " pair " + std::to_string(i) + " output y" +
                                    std::to_string(o + 1) + ": x1 " + std::to_string(x1) +
                                    (std::signbit(x1) ? " (neg)" : "") + " x2 " +
                                    std::to_string(x2) + (std::signbit(x2) ? " (neg)" : "") +
                                    " c " + std::to_string(cv) + " s " + std::to_string(sv) +
                                    (std::signbit(sv) ? " (neg)" : "") + " got " +
                                    std::to_string(yd) + (std::signbit(yd) ? " (neg)" : "") +
                                    ", want " + (want[o].negative ? "negative" : "positive") +
                                    (want[o].zero ? " zero" : " non-zero");
                        }
                    }
                }
            }
        }
    };
    check(q_in, in_place ? q_work : q_out, in_place ? q_ref : q_ref_out, hq, "q");
    check(k_in, in_place ? k_work : k_out, in_place ? k_ref : k_ref_out, hk, "k");
    EXPECT_EQ(failures, 0) << first;
}

template <class Arch, class T>
void run_matrix() {
    std::vector<config> configs;
    for (auto src : {source::cache, source::on_the_fly})
        for (double factor : {1.0, 1.25})
            for (auto mode :
                 {rs::attention_factor_mode::folded, rs::attention_factor_mode::separate})
                for (auto dir : {rs::rotation_direction::forward, rs::rotation_direction::inverse})
                    configs.push_back({src, factor, mode, dir});
    configs.push_back({source::shift_cache, 1.25, rs::attention_factor_mode::separate,
                       rs::rotation_direction::forward});
    configs.push_back({source::shift_table, 1.25, rs::attention_factor_mode::separate,
                       rs::rotation_direction::forward});
    for (const auto& c : configs)
        for (int head_dim : {8, 72, 136, 264})
            for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
                for (bool in_place : {false, true})
                    run_config<Arch, T>(c, head_dim, layout, in_place);
}

KT_ISA_TEST(signed_zero, f32) { run_matrix<Arch, float>(); }
KT_ISA_TEST(signed_zero, f64) { run_matrix<Arch, double>(); }
KT_ISA_TEST(signed_zero, fp16) { run_matrix<Arch, rs::fp16>(); }
KT_ISA_TEST(signed_zero, bf16) { run_matrix<Arch, rs::bf16>(); }

}  // namespace
