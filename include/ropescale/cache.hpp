// SPDX-License-Identifier: MIT
//
// A cos/sin cache for positions [0, n), built from a frequency_table.
//
// Layout (the vLLM / FlashInfer `cos_sin_cache` layout): row-major [n][rotary_dim] float,
// row p = cat(cos, sin) of the d/2 pair angles:
//
//   row p: [ cos(p f_0) .. cos(p f_{d/2-1}) | sin(p f_0) .. sin(p f_{d/2-1}) ]   (x m if folded)
//
// Each entry is formed in double and rounded once to float. Every 64th row (an anchor, at
// positions that are multiples of 64) is computed directly: the product p * inv_freq[i]
// exactly, reduced modulo 2 pi with angle.hpp's reduction, sin/cos in double, multiplied by the
// attention factor m when it is folded in. The rows in between rotate the previous row's double
// values by the pair's step angle inv_freq[i] (cos and sin of it computed the same way):
// c' = c cos f - s sin f, s' = s cos f + c sin f (detail::build_cache_rows).
//
// Precision contract (tests/kernels/cache_test.cpp: every position of dense prefixes, across
// thousands of anchor blocks, every position up to 2^24 for inv_freq 1, samples of all pairs):
// for every position p < 2^24 and pair i,
//   |entry - fl32(v)| <= 1e-7 + 2^-24 |v|,  v = m * rotation_sincos(p, inv_freq[i]) (exact),
// i.e. the entry is the float rounding of the exact value, give or take 1e-7. The built entries
// are in fact within 7e-14 m of v before the single rounding (worst case after 63 rotation
// steps; ~1e-15 typically, so they equal fl32(v) but for a handful in millions), and the bound
// holds for |p * inv_freq| <= 2^31 (angle.hpp's domain), which build_rope_cache keeps for every
// row: it refuses more rows than position_limit(table) + 1 (frequency_table.hpp). Entries do
// not depend on how the rows were split among calls (bitwise); instruction sets may differ in
// a rare last bit.
#ifndef ROPESCALE_CACHE_HPP
#define ROPESCALE_CACHE_HPP

#include "detail/aligned_buffer.hpp"
#include "detail/runner.hpp"
#include "error.hpp"
#include "frequency_table.hpp"

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Whether a cos/sin source multiplies its entries by the table's attention factor m.
///   folded:   entries are m cos, m sin (transformers, vLLM and the YaRN code put m there), so
///             a forward rotation also scales the rotated channels by m.
///   separate: entries are the pure cos, sin; the caller applies m elsewhere (or m == 1).
/// KV-cache shifts need a pure rotation: shift_rope accepts only `separate` caches (or a folded
/// cache whose factor is exactly 1), and never applies m (see apply.hpp).
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

class rope_cache;

/// Builds a rope_cache (defined below).
template <class Arch = xsimd::default_arch>
expected<rope_cache> build_rope_cache(const frequency_table& table, std::int64_t positions,
                                      attention_factor_mode mode,
                                      cache_pages pages = cache_pages::standard);

/// cos/sin for positions [0, size()) of one frequency table (layout and precision contract in
/// the file comment). Immutable after building; cheap to move; share it across threads freely.
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
    /// Whether the entries' memory was advised as huge pages (cache_pages::huge and >= 4 MiB).
    bool huge_pages() const noexcept { return data_.huge_pages(); }

  private:
    template <class Arch>
    friend expected<rope_cache> build_rope_cache(const frequency_table&, std::int64_t,
                                                 attention_factor_mode, cache_pages);

    detail::aligned_buffer<float> data_;
    std::int64_t size_ = 0;
    int head_dim_ = 0;
    int rotary_dim_ = 0;
    double attention_factor_ = 1.0;
    attention_factor_mode attention_ = attention_factor_mode::separate;
};

/// Builds the cos/sin cache of `table` for positions [0, positions), with the attention factor
/// folded into the entries or not (`mode`; the cache records which). Entries are computed in
/// double and rounded once to float (precision contract in the file comment), vectorised with
/// xsimd double batches on instruction set Arch (default: the compile-time best,
/// xsimd::default_arch; scalar_reference uses rotation_sincos entry by entry).
///
/// Errors: a table that check_usable refuses (its error: errc::out_of_range / inconsistent,
/// field "table.*"); positions outside [0, N] with N = min(2^31, position_limit(table) + 1),
/// so that the last row N - 1 stays in the exact-angle domain |position * inv_freq| <= 2^31
/// (errc::out_of_range, field "positions", the message giving N and, when the table limits
/// it, the largest inv_freq and its index). Allocates positions * rotary_dim floats
/// (64-byte aligned, uninitialised before the build; with `pages` = cache_pages::huge and
/// >= 4 MiB: 2 MiB aligned and advised as transparent huge pages on Linux, see cache_pages);
/// never throws except std::bad_alloc. Cost: about a nanosecond per (position, pair), mostly
/// writing the rows (tables above 16 MiB are written with streaming stores where the arch
/// allows), plus first-touch page faults of the fresh table (bench/RESULTS.md,
/// BM_build_cache_rows / BM_build_cache).
template <class Arch>
expected<rope_cache> build_rope_cache(const frequency_table& table, std::int64_t positions,
                                      attention_factor_mode mode, cache_pages pages) {
    if (auto s = check_usable(table); !s) return s.err();
    const double f_max = detail::scan_table(table).max_inv_freq;
    const std::int64_t limit = exact_position_limit(f_max);
    const std::int64_t rows = limit < max_cache_positions ? limit + 1 : max_cache_positions;
    if (positions < 0 || positions > rows) {
        std::string what = "must be in [0, " + std::to_string(rows) + "]";
        if (rows < max_cache_positions)
            what += ": row " + std::to_string(rows - 1) +
                    " is the last whose angles stay in the exact-angle domain |position * "
                    "inv_freq| <= 2^31 of this table, whose largest inv_freq is table.inv_freq[" +
                    std::to_string(detail::max_inv_freq_index(table)) +
                    "] = " + detail::format_value(f_max);
        return make_error(errc::out_of_range, "positions", what, static_cast<long long>(positions));
    }
    rope_cache cache;
    cache.size_ = positions;
    cache.head_dim_ = table.head_dim;
    cache.rotary_dim_ = table.rotary_dim;
    cache.attention_factor_ = table.attention_factor;
    cache.attention_ = mode;
    cache.data_ = detail::aligned_buffer<float>(static_cast<std::size_t>(positions) *
                                                    static_cast<std::size_t>(table.rotary_dim),
                                                pages == cache_pages::huge);
    detail::kernel_runner<Arch>::build_cache(table.inv_freq.data(), table.pairs(),
                                             cache.folded_factor(), 0, positions,
                                             cache.data_.data());
    return cache;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_CACHE_HPP
