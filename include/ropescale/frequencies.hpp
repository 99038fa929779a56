// SPDX-License-Identifier: MIT
//
// compute_frequencies: rope_config -> frequency_table, for every method, with validation.
#ifndef ROPESCALE_FREQUENCIES_HPP
#define ROPESCALE_FREQUENCIES_HPP

#include "error.hpp"
#include "frequency_table.hpp"
#include "params.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

ROPESCALE_BEGIN_NAMESPACE

/// The rotary dimension d of a configuration (see rope_config), or the error naming
/// head_dim, rotary_dim or partial_rotary_factor. d is even, > 0 and <= head_dim.
inline expected<int> resolve_rotary_dim(const rope_config& c) {
    if (c.head_dim <= 0)
        return make_error(errc::out_of_range, "head_dim", "must be > 0", c.head_dim);
    if (c.head_dim > 65536)
        return make_error(errc::out_of_range, "head_dim", "must be <= 65536", c.head_dim);
    if (c.head_dim % 2 != 0)
        return make_error(errc::out_of_range, "head_dim", "must be even", c.head_dim);
    std::optional<int> from_factor;
    if (c.partial_rotary_factor) {
        const double prf = *c.partial_rotary_factor;
        if (!std::isfinite(prf))
            return make_error(errc::not_finite, "partial_rotary_factor", "must be a finite number",
                              prf);
        if (!(prf > 0.0 && prf <= 1.0))
            return make_error(errc::out_of_range, "partial_rotary_factor", "must be in (0, 1]",
                              prf);
        // Python int() truncation of head_dim * factor, as transformers computes `dim`.
        from_factor = static_cast<int>(static_cast<double>(c.head_dim) * prf);
    }
    int d = c.head_dim;
    const char* field = "rotary_dim";
    if (c.rotary_dim) {
        d = *c.rotary_dim;
        if (from_factor && *from_factor != d)
            return error{errc::inconsistent, "rotary_dim",
                         "disagrees with int(head_dim * partial_rotary_factor) = " +
                             std::to_string(*from_factor) + " (got " + std::to_string(d) + ")"};
    } else if (from_factor) {
        d = *from_factor;
        field = "partial_rotary_factor";
    }
    if (d <= 0)
        return error{errc::out_of_range, field,
                     "gives a rotary dimension of " + std::to_string(d) +
                         " (rotary_dim must be > 0)"};
    if (d % 2 != 0)
        return error{errc::out_of_range, field,
                     "gives an odd rotary dimension " + std::to_string(d) +
                         " (rotary_dim must be even)"};
    if (d > c.head_dim)
        return error{errc::out_of_range, "rotary_dim",
                     "must be <= head_dim = " + std::to_string(c.head_dim) + " (got " +
                         std::to_string(d) + ")"};
    return d;
}

namespace detail {
// The table of a validated configuration as its method builds it, before the usable-table
// check: compute_frequencies' own steps (the robustness tests feed the raw result to every
// entry point that takes a table).
inline frequency_table build_unchecked(const rope_config& config, const table_options& options) {
    frequency_table t;
    t.head_dim = config.head_dim;
    t.rotary_dim = *resolve_rotary_dim(config);
    t.rope_theta = config.rope_theta;
    t.base = config.rope_theta;
    t.method = method_name(config.scaling);
    std::visit(
        [&](const auto& m) {
            method_traits<std::decay_t<decltype(m)>>::build(m, t.rotary_dim, config.rope_theta,
                                                            options, t);
        },
        config.scaling);
    return t;
}

// What compute_frequencies built must be usable (check_usable, the library's one rule for
// tables): its error is the rule's (same field, e.g. "table.inv_freq[0]"), the message saying
// which method's parameters gave the table. A built frequency of 0 among the first
// `rotated_pairs` entries (d / 2, d the configuration's rotary dimension), which the rule
// accepts in a hand-built table (a pair that never rotates), means here that the parameters
// underflow it: refused with the same field. Entries past them exist only in a table that its
// method widens to the whole head (proportional): the pairs it leaves unrotated on purpose,
// exactly 0 by construction.
inline status check_built_table(const frequency_table& t, int rotated_pairs) {
    if (auto s = check_usable(t); !s)
        return error{s.err().code, s.err().field,
                     s.err().message + ": the " + t.method + " parameters give an unusable table"};
    const std::size_t rotated =
        std::min(t.inv_freq.size(), static_cast<std::size_t>(std::max(rotated_pairs, 0)));
    for (std::size_t i = 0; i < rotated; ++i)
        if (!(t.inv_freq[i] > 0.0))
            return make_error(errc::out_of_range, "table.inv_freq[" + std::to_string(i) + "]",
                              std::string("must be > 0: the ") + t.method +
                                  " parameters underflow this pair's frequency",
                              t.inv_freq[i]);
    return {};
}
}  // namespace detail

/// Validates a configuration: dimensions, base, and every parameter of its method. The error
/// names the field (HF key vocabulary) and the value. Never throws (except std::bad_alloc).
inline status validate(const rope_config& c) {
    auto d = resolve_rotary_dim(c);
    if (!d) return d.err();
    if (!std::isfinite(c.rope_theta))
        return make_error(errc::not_finite, "rope_theta", "must be a finite number", c.rope_theta);
    if (!(c.rope_theta > 1.0))
        return make_error(errc::out_of_range, "rope_theta",
                          "must be > 1 (the base of the frequency ladder)", c.rope_theta);
    const int rotary_dim = *d;
    auto e = std::visit(
        [&](const auto& m) {
            return method_traits<std::decay_t<decltype(m)>>::validate(m, rotary_dim);
        },
        c.scaling);
    if (e) return *e;
    return {};
}

/// Validates `config` and builds its frequency table at `options` (sequence length for dynamic
/// methods, LongRoPE list choice). Every entry is computed in double; the table's doc and each
/// method's header state the formula, reference and precision.
/// Errors: the configuration's (validate; field in the HF key vocabulary), "seq_len", and a
/// built table that check_usable refuses or with a frequency that underflows to 0 (the
/// parameters are valid one by one but give an unusable table; field "table.inv_freq[i]",
/// "table.attention_factor" or "table.logit_scale", as check_usable names it).
/// Allocates the table; never throws (except std::bad_alloc).
inline expected<frequency_table> compute_frequencies(const rope_config& config,
                                                     const table_options& options = {}) {
    if (auto s = validate(config); !s) return s.err();
    if (options.seq_len && *options.seq_len <= 0)
        return make_error(errc::out_of_range, "seq_len", "must be > 0",
                          static_cast<long long>(*options.seq_len));
    frequency_table t = detail::build_unchecked(config, options);
    if (auto s = detail::check_built_table(t, *resolve_rotary_dim(config) / 2); !s) return s.err();
    return t;
}

#if ROPESCALE_USE_EXCEPTIONS
/// compute_frequencies, throwing error_exception on invalid input.
inline frequency_table compute_frequencies_or_throw(const rope_config& config,
                                                    const table_options& options = {}) {
    return value_or_throw(compute_frequencies(config, options));
}
#endif

/// When a dynamic method's table must be rebuilt, as the references decide it.
enum class dynamic_policy {
    grow_and_reset,  ///< transformers `dynamic_rope_update`: grow past the cached length; reset
                     ///< to the original table when the length drops below the original
    grow_only,       ///< the YaRN authors' classes: grow past the cached length, never shrink
};

/// Tracks the sequence length a dynamic table (dynamic NTK, dynamic YaRN) is evaluated at.
/// Feed it each forward's length (max position + 1); when update() returns true, rebuild the
/// table with table_options{seq_len()}. Keys cached after RoPE keep their old rotation: an
/// engine that wants exactness re-rotates them (see the KV-shift API) or caches keys pre-RoPE.
class dynamic_length_tracker {
  public:
    dynamic_length_tracker(std::int64_t original_length, dynamic_policy policy) noexcept
        : original_(original_length), cached_(original_length), policy_(policy) {}

    /// Records a forward of length `seq_len`; true when the table changed.
    bool update(std::int64_t seq_len) noexcept {
        if (seq_len > cached_) {
            cached_ = seq_len;
            return true;
        }
        if (policy_ == dynamic_policy::grow_and_reset && seq_len < original_ &&
            cached_ > original_) {
            cached_ = original_;
            return true;
        }
        return false;
    }

    /// The length the current table is evaluated at.
    std::int64_t seq_len() const noexcept { return cached_; }

  private:
    std::int64_t original_;
    std::int64_t cached_;
    dynamic_policy policy_;
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_FREQUENCIES_HPP
