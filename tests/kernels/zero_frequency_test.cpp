// Pairs with inverse frequency 0 (proportional RoPE's pairs that never rotate) through every
// rotation path, on each ISA the CPU runs (others skipped): the angle is p * 0 = 0 exactly, so
// (cos, sin) = (1, 0) and the pair is copied bit for bit, whatever the position, the layout, the
// element type and the path (cache, on the fly, inverse, shift from a cache or a table). The
// cos of the float-output polynomial at 0 is 1 - 9.4e-13, which rounds to exactly 1 in f32.
#include "support.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;

// Gemma 4's proportional table at a head with tails: head_dim 136, a quarter rotated (34
// channels: 17 pairs), the other 51 pairs exactly 0.
rs::frequency_table proportional_table() {
    rs::rope_config c;
    c.head_dim = 136;
    c.rope_theta = 1e6;
    c.partial_rotary_factor = 0.25;
    c.scaling = rs::proportional{};
    return rs::compute_frequencies_or_throw(c);
}

template <class Arch, class T>
void check_paths(rs::rotary_layout layout) {
    SCOPED_TRACE(std::string(rs::to_string(layout)) + " " + kt::type_name<T>());
    const rs::frequency_table table = proportional_table();
    ASSERT_EQ(table.rotary_dim, 136);
    ASSERT_GT(table.inv_freq[16], 0.0);
    ASSERT_EQ(table.inv_freq[17], 0.0);
    const int head_dim = 136;
    const int heads = 3;
    const std::vector<std::int64_t> pos = {0, 1, 5, 4097, 65535};
    const std::vector<std::int64_t> deltas = {0, -1, 5, -4097, 65535};
    const auto n = static_cast<std::int64_t>(pos.size());
    const auto cache = rs::build_rope_cache<Arch>(table, 65536, rs::attention_factor_mode::folded);
    ASSERT_TRUE(cache) << cache.err().what();
    std::vector<T> in(static_cast<std::size_t>(n * heads * head_dim));
    for (std::size_t k = 0; k < in.size(); ++k)
        in[k] = kt::from_double<T>(std::sin(0.61 * static_cast<double>(k) + 0.3) * 1.5);
    // Whether channel ch is in a pair that never rotates.
    const auto still = [&](int ch) {
        const int pair = layout == rs::rotary_layout::half_split ? ch % (head_dim / 2) : ch / 2;
        return pair >= 17;
    };
    for (int path = 0; path < 5; ++path) {
        SCOPED_TRACE(path);
        std::vector<T> x = in;
        auto view = rs::make_heads_view(x.data(), n, heads, head_dim);
        rs::status s;
        switch (path) {
            case 0: s = rs::apply_rope<Arch>(*cache, layout, pos, view); break;
            case 1: s = rs::apply_rope<Arch>(table, layout, pos, view); break;
            case 2:
                s = rs::apply_rope<Arch>(*cache, layout, pos, rs::in_place(view),
                                         rs::rope_operand<T>{}, rs::rotation_direction::inverse);
                break;
            case 3: s = rs::shift_rope<Arch>(*cache, layout, deltas, view); break;
            default: s = rs::shift_rope<Arch>(table, layout, deltas, view); break;
        }
        ASSERT_TRUE(s) << s.err().what();
        int changed_rotated = 0;
        for (std::size_t k = 0; k < x.size(); ++k) {
            const int ch = static_cast<int>(k % static_cast<std::size_t>(head_dim));
            if (still(ch)) {
                EXPECT_TRUE(kt::same_bits(x[k], in[k])) << "element " << k;
            } else if (!kt::same_bits(x[k], in[k])) {
                ++changed_rotated;
            }
        }
        EXPECT_GT(changed_rotated, 0);  // the rotated pairs did rotate
    }
}

}  // namespace

KT_ISA_TEST(zero_frequency, pairs_are_copied_bit_for_bit) {
    for (const auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved}) {
        check_paths<Arch, float>(layout);
        check_paths<Arch, double>(layout);
        check_paths<Arch, rs::bf16>(layout);
        check_paths<Arch, rs::fp16>(layout);
    }
}
