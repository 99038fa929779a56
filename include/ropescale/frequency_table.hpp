// SPDX-License-Identifier: MIT
//
// The result of building a frequency table: every factor the rotation needs, as values, and
// the one rule that decides whether a table is usable (check_usable): compute_frequencies,
// build_rope_cache and every on-the-fly entry point (apply.hpp) apply it, the last through
// its message-free core detail::scan_table on every call.
#ifndef ROPESCALE_FREQUENCY_TABLE_HPP
#define ROPESCALE_FREQUENCY_TABLE_HPP

#include "angle.hpp"
#include "error.hpp"
#include "formulas.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Which LongRoPE factor list a table uses.
enum class longrope_factors { short_factors, long_factors };

/// Where a dynamic or switching method is evaluated.
struct table_options {
    /// Current sequence length l (transformers: max(position_ids) + 1). Dynamic methods without
    /// it give their initial table (l = max_position_embeddings), as the references do at init.
    std::optional<std::int64_t> seq_len;
    /// LongRoPE list; when absent it follows transformers' rule on seq_len (the short list,
    /// with a warning, without one).
    std::optional<longrope_factors> longrope;
};

/// A frequency table and the factors that go with it. Nothing is hidden in a kernel: a rotation
/// of pair i at position p is (cos, sin)(p * inv_freq[i]) * attention_factor, and DeepSeek-style
/// attention additionally multiplies its softmax scale by logit_scale.
struct frequency_table {
    std::vector<double> inv_freq;   ///< rotary_dim / 2 inverse frequencies, double precision
    double attention_factor = 1.0;  ///< multiplies both cos and sin (YaRN mscale, LongRoPE)
    double logit_scale = 1.0;       ///< multiplies the softmax scale (DeepSeek); 1 when unused
    int head_dim = 0;               ///< channels per head
    int rotary_dim = 0;             ///< rotated channels d; [d, head_dim) pass through
    double rope_theta = 0.0;        ///< the configured base b (plain RoPE reference)
    double base = 0.0;              ///< the base actually used (b' for NTK methods, else b)
    double scale = 1.0;             ///< the effective scale s (dynamic methods: at seq_len)
    std::optional<correction_range> correction;     ///< YaRN / NTK-by-parts blend range, pairs
    std::optional<longrope_factors> longrope_list;  ///< the list a LongRoPE table used
    const char* method = "default";                 ///< method_name() of the method that built it
    std::vector<warning> warnings;                  ///< what the references would only log

    /// Number of rotated pairs, rotary_dim / 2.
    int pairs() const noexcept { return rotary_dim / 2; }

    /// Multiplier of pair i against plain RoPE with the configured base: inv_freq[i] / theta_i.
    double multiplier(int pair) const noexcept {
        return inv_freq[static_cast<std::size_t>(pair)] /
               plain_inv_freq(rope_theta, rotary_dim, pair);
    }
};

/// Largest inverse frequency of a usable table. Every position |p| <= exact_position_limit(f)
/// is accepted with a table whose largest inverse frequency is f (angle.hpp), so the bound
/// keeps at least 2^11 positions: a larger frequency comes from broken parameters (an
/// overflowing extrapolation factor, a LongRoPE factor near 0), not from a model.
inline constexpr double max_table_inv_freq = 0x1p20;
/// Range of a usable table's attention_factor and logit_scale: m, 1/m and 1/m^2 (the inverse
/// rotation of a folded cache) stay finite normal floats once folded into float entries.
inline constexpr double min_table_factor = 0x1p-32;
inline constexpr double max_table_factor = 0x1p32;

namespace detail {

// The per-value parts of the rule (check_usable). NaN fails both.
inline bool usable_inv_freq(double f) noexcept { return f >= 0.0 && f <= max_table_inv_freq; }
inline bool usable_factor(double m) noexcept {
    return m >= min_table_factor && m <= max_table_factor;
}

// What scan_table finds: whether the table is usable, and its largest inverse frequency
// (meaningful when usable; 0 for a table without pairs).
struct table_scan {
    bool usable = false;
    double max_inv_freq = 0.0;
};

// The rule of check_usable without messages: the on-the-fly fast path runs it on every call (a
// frequency_table's fields are public, so the kernels cannot trust them), check_usable runs it
// first and only then looks for the field to name. Per inverse frequency, three accumulations
// and no compare-and-branch: z += v * 0 stays +-0 for finite values and becomes NaN at the
// first infinity or NaN (inf * 0 = NaN, NaN propagates); the running minimum finds a negative
// value (-0.0 < 0.0 is false, so -0.0 passes) and the running maximum one above
// max_table_inv_freq and the largest frequency (both skip NaN, which z catches). Four
// independent chains. Plain scalar code on purpose: it runs in the caller's translation unit,
// whatever its -m flags, so nothing instruction-set-specific belongs here.
inline table_scan scan_table(const frequency_table& t) noexcept {
    table_scan s;
    if (t.head_dim <= 0 || t.rotary_dim <= 0 || t.rotary_dim % 2 != 0 ||
        t.rotary_dim > t.head_dim || t.inv_freq.size() != static_cast<std::size_t>(t.pairs()) ||
        !usable_factor(t.attention_factor) || !usable_factor(t.logit_scale))
        return s;
    const double* v = t.inv_freq.data();
    const std::size_t n = t.inv_freq.size();
    double z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0;
    double lo0 = 0.0, lo1 = 0.0, lo2 = 0.0, lo3 = 0.0;
    double hi0 = 0.0, hi1 = 0.0, hi2 = 0.0, hi3 = 0.0;
    const auto low = [](double m, double x) { return x < m ? x : m; };
    const auto high = [](double m, double x) { return x > m ? x : m; };
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        z0 += v[i] * 0.0;
        z1 += v[i + 1] * 0.0;
        z2 += v[i + 2] * 0.0;
        z3 += v[i + 3] * 0.0;
        lo0 = low(lo0, v[i]);
        lo1 = low(lo1, v[i + 1]);
        lo2 = low(lo2, v[i + 2]);
        lo3 = low(lo3, v[i + 3]);
        hi0 = high(hi0, v[i]);
        hi1 = high(hi1, v[i + 1]);
        hi2 = high(hi2, v[i + 2]);
        hi3 = high(hi3, v[i + 3]);
    }
    for (; i < n; ++i) {
        z0 += v[i] * 0.0;
        lo0 = low(lo0, v[i]);
        hi0 = high(hi0, v[i]);
    }
    const double z = (z0 + z1) + (z2 + z3);
    const double lo = low(low(lo0, lo1), low(lo2, lo3));
    s.max_inv_freq = high(high(hi0, hi1), high(hi2, hi3));
    s.usable = z == 0.0 && !(lo < 0.0) && s.max_inv_freq <= max_table_inv_freq;
    return s;
}

// The index of the first largest inverse frequency (for messages; 0 for an empty table).
inline std::size_t max_inv_freq_index(const frequency_table& t) noexcept {
    std::size_t j = 0;
    for (std::size_t i = 1; i < t.inv_freq.size(); ++i)
        if (t.inv_freq[i] > t.inv_freq[j]) j = i;
    return j;
}

}  // namespace detail

/// Whether `table` can drive the rotation: the one rule of the library for a usable table,
/// applied by compute_frequencies (to what it built), build_rope_cache, and every on-the-fly
/// apply_rope / shift_rope call. A table is usable when
///   - head_dim > 0, rotary_dim even, > 0 and <= head_dim, inv_freq.size() == rotary_dim / 2;
///   - every inv_freq[i] is in [0, max_table_inv_freq = 2^20] (finite; -0.0 counts as 0, a
///     pair that never rotates);
///   - attention_factor and logit_scale are in [min_table_factor, max_table_factor] =
///     [2^-32, 2^32] (finite, > 0).
/// The error names the first offending field: errc::out_of_range or errc::inconsistent,
/// field "table.head_dim", "table.rotary_dim", "table.inv_freq" (its size),
/// "table.inv_freq[i]", "table.attention_factor" or "table.logit_scale", with the value.
/// A usable table accepts the positions |p| <= position_limit(table) (the exact-angle domain,
/// angle.hpp). Allocates only for the message; never throws except std::bad_alloc.
inline status check_usable(const frequency_table& t) {
    if (detail::scan_table(t).usable) return {};
    if (t.head_dim <= 0)
        return make_error(errc::out_of_range, "table.head_dim", "must be > 0", t.head_dim);
    if (t.rotary_dim <= 0 || t.rotary_dim % 2 != 0 || t.rotary_dim > t.head_dim)
        return error{errc::inconsistent, "table.rotary_dim",
                     "must be even, > 0 and <= head_dim = " + std::to_string(t.head_dim) +
                         " (got " + std::to_string(t.rotary_dim) + ")"};
    if (t.inv_freq.size() != static_cast<std::size_t>(t.pairs()))
        return error{errc::inconsistent, "table.inv_freq",
                     "must have rotary_dim / 2 = " + std::to_string(t.pairs()) + " entries (got " +
                         std::to_string(t.inv_freq.size()) + ")"};
    for (std::size_t i = 0; i < t.inv_freq.size(); ++i)
        if (!detail::usable_inv_freq(t.inv_freq[i]))
            return make_error(errc::out_of_range, "table.inv_freq[" + std::to_string(i) + "]",
                              "must be finite and in [0, 2^20]", t.inv_freq[i]);
    if (!detail::usable_factor(t.attention_factor))
        return make_error(errc::out_of_range, "table.attention_factor",
                          "must be finite and in [2^-32, 2^32]", t.attention_factor);
    if (!detail::usable_factor(t.logit_scale))
        return make_error(errc::out_of_range, "table.logit_scale",
                          "must be finite and in [2^-32, 2^32]", t.logit_scale);
    // scan_table and the checks above test the same predicates: unreachable.
    ROPESCALE_ASSERT(false);
    return error{errc::invalid_argument, "table", "is not usable"};
}

/// The largest |position| the on-the-fly entry points accept with `table`:
/// exact_position_limit(largest inv_freq) (angle.hpp), 2^31 when every inv_freq <= 1, at
/// least 2^11 for a usable table; -1 for a table check_usable refuses (no position is
/// accepted). A cache of the table holds at most min(position_limit + 1, 2^31) rows.
/// noexcept; no allocation.
inline std::int64_t position_limit(const frequency_table& t) noexcept {
    const detail::table_scan s = detail::scan_table(t);
    return s.usable ? exact_position_limit(s.max_inv_freq) : -1;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_FREQUENCY_TABLE_HPP
