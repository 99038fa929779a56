// SPDX-License-Identifier: MIT
//
// Internal: what an entry point of apply.hpp resolved before it reaches a kernel: where cos/sin
// come from and how they are scaled (angle_plan), and the kernels' job made from it and the
// call's arguments (fill_job). No xsimd.
#ifndef ROPESCALE_DETAIL_PLAN_HPP
#define ROPESCALE_DETAIL_PLAN_HPP

#include "../cache.hpp"
#include "../config.hpp"
#include "../frequency_table.hpp"
#include "../layout.hpp"
#include "../views.hpp"
#include "job.hpp"

#include <cstddef>
#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// The angle source of a call (exactly one of cache / table) and the scales of its cos and sin.
struct angle_plan {
    const rope_cache* cache = nullptr;
    const frequency_table* table = nullptr;
    double cos_scale = 1.0;
    double sin_scale = 1.0;
    bool shift = false;  // positions are deltas (cache: |delta| < size)
};

// Forward: the entries as they are, (m c, m s) when m is folded in. Inverse: (c, -s) / m =
// (m c, -m s) / m^2. Shift: the pure rotation (c, s) = (m c, m s) / m.
template <class Arch>
angle_plan cache_plan(const rope_cache& cache, rotation_direction direction,
                      bool shift = false) noexcept {
    angle_plan plan;
    plan.cache = &cache;
    plan.shift = shift;
    const double m = cache.folded_factor();
    if (m == 1.0) {
        if (direction == rotation_direction::inverse) plan.sin_scale = -1.0;
    } else if (shift) {
        plan.cos_scale = 1.0 / m;
        plan.sin_scale = 1.0 / m;
    } else if (direction == rotation_direction::inverse) {
        plan.cos_scale = 1.0 / (m * m);
        plan.sin_scale = -1.0 / (m * m);
    }
    return plan;
}

// Forward: (m c, m s) with m = the table's attention factor if `mode` is folded, else 1;
// inverse: (c, -s) / m.
template <class Arch>
angle_plan table_plan(const frequency_table& table, rotation_direction direction,
                      attention_factor_mode mode) noexcept {
    angle_plan plan;
    plan.table = &table;
    const double m = mode == attention_factor_mode::folded ? table.attention_factor : 1.0;
    if (direction == rotation_direction::forward) {
        plan.cos_scale = m;
        plan.sin_scale = m;
    } else {
        plan.cos_scale = 1.0 / m;
        plan.sin_scale = -1.0 / m;
    }
    return plan;
}

// Fills the job in place, field by field (building it from temporaries made GCC copy it with
// overlapping stores and loads: a store-forwarding stall on every call).
template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE void fill_operand_job(operand_job<T>& j,
                                              const rope_operand<T>& o) noexcept {
    const bool active = !o.empty() && o.out.tokens > 0;
    j.in = active ? o.in.data : nullptr;
    j.out = active ? o.out.data : nullptr;
    j.heads = active ? o.out.heads : 0;
    j.in_token_stride = o.in.token_stride;
    j.in_head_stride = o.in.head_stride;
    j.out_token_stride = o.out.token_stride;
    j.out_head_stride = o.out.head_stride;
}

template <class Arch, class T>
ROPESCALE_ALWAYS_INLINE void fill_job(rope_job<T>& job, const angle_plan& plan,
                                      rotary_layout layout, const position_span& positions,
                                      const rope_operand<T>& q, const rope_operand<T>& k) noexcept {
    fill_operand_job<Arch>(job.ops[0], q);
    fill_operand_job<Arch>(job.ops[1], k);
    job.tokens = positions.size();
    job.pos32 = positions.data32();
    job.pos64 = positions.data64();
    job.layout = layout;
    job.cos_scale = plan.cos_scale;
    job.sin_scale = plan.sin_scale;
    if (plan.cache != nullptr) {
        job.head_dim = plan.cache->head_dim();
        job.rotary_dim = plan.cache->rotary_dim();
        job.cache = plan.cache->data();
        job.cache_rows = plan.cache->size();
        job.inv_freq = nullptr;
    } else {
        job.head_dim = plan.table->head_dim;
        job.rotary_dim = plan.table->rotary_dim;
        job.cache = nullptr;
        job.cache_rows = 0;
        job.inv_freq = plan.table->inv_freq.data();
    }
    const std::size_t out_elements = static_cast<std::size_t>(job.ops[0].heads + job.ops[1].heads) *
                                     static_cast<std::size_t>(job.tokens > 0 ? job.tokens : 0) *
                                     static_cast<std::size_t>(job.head_dim);
    job.stream = out_elements * sizeof(T) > stream_threshold_bytes;
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_PLAN_HPP
