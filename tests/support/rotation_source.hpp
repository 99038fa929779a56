// The four ways a test can have the library rotate a tensor (tests/kernels: the cross-ISA and
// signed-zero tests), and the one call that does it: apply_rope from a cache or from a table
// on the fly, or shift_rope (keys only) from a cache or from a table.
#ifndef ROPESCALE_TESTS_SUPPORT_ROTATION_SOURCE_HPP
#define ROPESCALE_TESTS_SUPPORT_ROTATION_SOURCE_HPP

#include <ropescale/apply.hpp>

#include <cstdint>
#include <vector>

namespace kt {  // the test kit

namespace rs = ropescale;

enum class source { cache, on_the_fly, shift_cache, shift_table };

inline const char* source_name(source s) {
    switch (s) {
        case source::cache: return "cache";
        case source::on_the_fly: return "on_the_fly";
        case source::shift_cache: return "shift_cache";
        case source::shift_table: return "shift_table";
    }
    return "?";
}

inline bool is_shift(source s) { return s == source::shift_cache || s == source::shift_table; }

// Rotates q and k (a shift rotates q only: k is ignored) on Arch from `src`: the direction
// applies to apply_rope, the attention-factor mode to apply_rope on the fly (a cache carries
// its own).
template <class Arch, class T>
rs::status rotate(source src, rs::rotation_direction direction, rs::attention_factor_mode mode,
                  const rs::frequency_table& table, const rs::rope_cache& cache,
                  rs::rotary_layout layout, const std::vector<std::int64_t>& pos,
                  rs::rope_operand<T> q, rs::rope_operand<T> k) {
    switch (src) {
        case source::cache: return rs::apply_rope<Arch>(cache, layout, pos, q, k, direction);
        case source::on_the_fly:
            return rs::apply_rope<Arch>(table, layout, pos, q, k, direction, mode);
        case source::shift_cache: return rs::shift_rope<Arch>(cache, layout, pos, q);
        case source::shift_table: return rs::shift_rope<Arch>(table, layout, pos, q);
    }
    return rs::status{};
}

}  // namespace kt

#endif  // ROPESCALE_TESTS_SUPPORT_ROTATION_SOURCE_HPP
