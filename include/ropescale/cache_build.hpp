// SPDX-License-Identifier: MIT
//
// build_rope_cache: the cos/sin cache (cache.hpp) of a frequency table, computed by the
// kernels of an instruction set (detail/cache_rows.hpp).
//
// Each entry is formed in double and rounded once to float. Every 64th row (an anchor, at
// positions that are multiples of 64) is computed directly: the product p * inv_freq[i]
// exactly, reduced modulo 2 pi with angle.hpp's reduction, sin/cos in double, multiplied by the
// attention factor m when it is folded in. The rows in between rotate the previous row's double
// values by the pair's step angle inv_freq[i] (cos and sin of it computed the same way):
// c' = c cos f - s sin f, s' = s cos f + c sin f (detail::build_cache_rows). The values are
// within 7e-14 m of the exact ones before the single rounding (worst case after 63 rotation
// steps; ~1e-15 typically), so the entries equal fl32(v) but for a handful in millions: well
// inside the contract of cache.hpp.
#ifndef ROPESCALE_CACHE_BUILD_HPP
#define ROPESCALE_CACHE_BUILD_HPP

#include "cache.hpp"
#include "detail/runner.hpp"
#include "error.hpp"
#include "frequency_table.hpp"

#include <xsimd/xsimd.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

ROPESCALE_BEGIN_NAMESPACE

namespace detail {

// The one way to make a rope_cache: its shape from the table, the entries left for the
// builder to write.
struct cache_builder {
    static rope_cache allocate(const frequency_table& table, std::int64_t positions,
                               attention_factor_mode mode, cache_pages pages) {
        rope_cache cache;
        cache.size_ = positions;
        cache.head_dim_ = table.head_dim;
        cache.rotary_dim_ = table.rotary_dim;
        cache.attention_factor_ = table.attention_factor;
        cache.attention_ = mode;
        cache.data_ = aligned_buffer<float>(static_cast<std::size_t>(positions) *
                                                static_cast<std::size_t>(table.rotary_dim),
                                            pages == cache_pages::huge);
        return cache;
    }
    static float* rows(rope_cache& cache) noexcept { return cache.data_.data(); }
};

}  // namespace detail

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
/// never throws except std::bad_alloc. Cost: mostly writing the rows (tables above 16 MiB with
/// streaming stores where the arch allows) and the first-touch page faults of the fresh table
/// (bench/RESULTS.md: BM_build_cache_rows, BM_build_cache).
template <class Arch = xsimd::default_arch>
expected<rope_cache> build_rope_cache(const frequency_table& table, std::int64_t positions,
                                      attention_factor_mode mode,
                                      cache_pages pages = cache_pages::standard) {
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
    rope_cache cache = detail::cache_builder::allocate(table, positions, mode, pages);
    detail::kernel_runner<Arch>::build_cache(table.inv_freq.data(), table.pairs(),
                                             cache.folded_factor(), 0, positions,
                                             detail::cache_builder::rows(cache));
    return cache;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_CACHE_BUILD_HPP
