// SPDX-License-Identifier: MIT
//
// A cos/sin cache for positions [0, n) of one frequency table: the type only, which a caller
// may hand to its own kernel. build_rope_cache (cache_build.hpp) makes it; apply.hpp rotates
// with it.
//
// Layout (the vLLM / FlashInfer `cos_sin_cache` layout): row-major [n][rotary_dim] float,
// row p = cat(cos, sin) of the d/2 pair angles:
//
//   row p: [ cos(p f_0) .. cos(p f_{d/2-1}) | sin(p f_0) .. sin(p f_{d/2-1}) ]   (x m if folded)
//
// Precision contract (tests/kernels/cache_test.cpp: every position of dense prefixes, across
// thousands of anchor blocks, every position up to 2^24 for inv_freq 1, samples of all pairs):
// for every position p < 2^24 and pair i,
//   |entry - fl32(v)| <= 1e-7 + 2^-24 |v|,  v = m * rotation_sincos(p, inv_freq[i]) (exact),
// i.e. the entry is the float rounding of the exact value, give or take 1e-7 (how the builder
// keeps it: cache_build.hpp). The bound holds for |p * inv_freq| <= 2^31 (angle.hpp's domain),
// which build_rope_cache keeps for every row: it refuses more rows than
// position_limit(table) + 1 (frequency_table.hpp). Entries do not depend on how the rows were
// split among calls (bitwise); instruction sets may differ in a rare last bit.
#ifndef ROPESCALE_CACHE_HPP
#define ROPESCALE_CACHE_HPP

#include "angle.hpp"
#include "config.hpp"
#include "detail/aligned_buffer.hpp"

#include <cstddef>
#include <cstdint>

ROPESCALE_BEGIN_NAMESPACE

/// Whether a cos/sin source multiplies its entries by the table's attention factor m.
///   folded:   entries are m cos, m sin (transformers, vLLM and the YaRN code put m there), so
///             a forward rotation also scales the rotated channels by m.
///   separate: entries are the pure cos, sin; the caller applies m elsewhere (or m == 1).
/// Either serves every entry point: the inverse divides m out, and a KV-cache shift
/// (shift_rope, apply.hpp) rotates by the pure angle, never applying m.
enum class attention_factor_mode { folded, separate };

/// "folded" or "separate".
inline const char* to_string(attention_factor_mode mode) noexcept {
    return mode == attention_factor_mode::folded ? "folded" : "separate";
}

/// How build_rope_cache backs the memory of a large cache (>= 4 MiB; smaller ones always use
/// ordinary allocations):
///   standard: an ordinary 64-byte aligned allocation; the system's THP policy applies as to
///             any other memory.
///   huge:     2 MiB aligned and, on Linux, advised MADV_HUGEPAGE: fewer first-touch page faults
///             in the build and fewer TLB misses in calls that read scattered rows, but with THP
///             defrag set to "madvise" a fault on the range may compact or reclaim memory
///             synchronously, and khugepaged works on advised ranges in the background: on some
///             virtual machines that stalls calls for tens of milliseconds. Measure on the
///             target host (bench/RESULTS.md, "Huge pages") before choosing it.
enum class cache_pages { standard, huge };

/// Largest number of positions a cache accepts, whatever its table: 2^31 (max_exact_position,
/// angle.hpp). A table whose largest inverse frequency f exceeds 1 accepts fewer:
/// exact_position_limit(f) + 1, so that every row stays in the exact-angle domain.
inline constexpr std::int64_t max_cache_positions = max_exact_position;

namespace detail {
struct cache_builder;  // cache_build.hpp
}  // namespace detail

/// cos/sin for positions [0, size()) of one frequency table (layout and precision contract in
/// the file comment), made by build_rope_cache (cache_build.hpp). Immutable after building;
/// cheap to move; share it across threads freely.
class rope_cache {
  public:
    rope_cache() = default;

    /// Number of positions: rows [0, size()).
    std::int64_t size() const noexcept { return size_; }
    /// Channels per head of the table it was built from.
    int head_dim() const noexcept { return head_dim_; }
    /// Rotary dimension d (row length); pairs() = d / 2.
    int rotary_dim() const noexcept { return rotary_dim_; }
    int pairs() const noexcept { return rotary_dim_ / 2; }
    /// The table's attention factor m (whether or not it is folded in).
    double attention_factor() const noexcept { return attention_factor_; }
    /// Whether the entries include m.
    attention_factor_mode attention() const noexcept { return attention_; }
    /// The factor actually multiplied into the entries: m when folded, else 1.
    double folded_factor() const noexcept {
        return attention_ == attention_factor_mode::folded ? attention_factor_ : 1.0;
    }
    /// Row-major [size()][rotary_dim()] floats, row p = cat(cos, sin) (file comment).
    const float* data() const noexcept { return data_.data(); }
    /// The d/2 cos entries of position p, 0 <= p < size(); the sin entries follow them.
    const float* cos_row(std::int64_t p) const noexcept {
        ROPESCALE_ASSERT(p >= 0 && p < size_);
        return data_.data() + p * rotary_dim_;
    }
    /// The d/2 sin entries of position p, 0 <= p < size().
    const float* sin_row(std::int64_t p) const noexcept { return cos_row(p) + pairs(); }
    /// Memory held by the entries, in bytes.
    std::size_t bytes() const noexcept { return data_.size() * sizeof(float); }
    /// Whether the entries were allocated for huge pages (cache_pages::huge and >= 4 MiB): 2 MiB
    /// aligned and, on Linux, advised MADV_HUGEPAGE. Whether the system then backs them with
    /// huge pages is its own decision.
    bool huge_pages() const noexcept { return data_.huge_pages(); }

  private:
    friend struct detail::cache_builder;

    detail::aligned_buffer<float> data_;
    std::int64_t size_ = 0;
    int head_dim_ = 0;
    int rotary_dim_ = 0;
    double attention_factor_ = 1.0;
    attention_factor_mode attention_ = attention_factor_mode::separate;
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_CACHE_HPP
