// SPDX-License-Identifier: MIT
//
// The engine-facing object: everything a model's rotary embedding needs, decided once (the
// frequency table, the channel layout, a cos/sin cache or on-the-fly angles, how the attention
// factor is applied), then one call per forward pass:
//
//   auto rope = ropescale::rope::make(config, ropescale::rope_options::cached(65536));
//   if (!rope) return fail(rope.err());
//   if (auto s = rope->apply(positions, q, k); !s) return fail(s.err());
//
// q and k are contiguous [tokens][heads][head_dim] buffers (std::vector, or any container with
// data() and size(); head counts inferred from the sizes), raw pointers with head counts, or
// the strided views of views.hpp / apply.hpp (rope_operand, heads_view) for tensors inside
// fused buffers. A rope object only forwards to apply_rope / shift_rope (apply.hpp) with the
// arguments it holds: same kernels, same checks, same results to the bit, same precision
// contract; its own cost per call is one division per tensor (the inferred head count).
#ifndef ROPESCALE_ROPE_HPP
#define ROPESCALE_ROPE_HPP

#include "apply.hpp"
#include "cache.hpp"
#include "cache_build.hpp"
#include "error.hpp"
#include "frequencies.hpp"
#include "frequency_table.hpp"
#include "layout.hpp"
#include "mrope.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

ROPESCALE_BEGIN_NAMESPACE

/// Where a rope object's cos/sin come from.
enum class angle_source {
    cached,      ///< a rope_cache of rows [0, positions), built once (cache.hpp)
    on_the_fly,  ///< computed per token from the frequency table, no cache (apply.hpp)
};

/// "cached" or "on_the_fly".
inline const char* to_string(angle_source source) noexcept {
    return source == angle_source::cached ? "cached" : "on_the_fly";
}

/// How a rope object is built. Start from cached(n) or on_the_fly() and chain the with_*
/// setters: `rope_options::cached(65536).with_layout(rotary_layout::interleaved)`.
struct rope_options {
    angle_source source = angle_source::cached;
    /// cached: the cache holds positions [0, positions). Absent: load_rope (hf_rope.hpp) takes
    /// the config's max_position_embeddings; rope::make refuses it (errc::missing_field).
    std::optional<std::int64_t> positions;
    rotary_layout layout = rotary_layout::half_split;  ///< transformers' rotate_half layout
    /// folded: the forward rotation multiplies by the table's attention factor m (transformers,
    /// vLLM); separate: pure rotation, the caller applies m (see rope::attention_factor()).
    attention_factor_mode attention = attention_factor_mode::folded;
    cache_pages pages = cache_pages::standard;  ///< memory of a large cache (cache.hpp)
    table_options table;  ///< where a dynamic or LongRoPE table is evaluated (frequencies.hpp)
    /// M-RoPE sections (mrope.hpp): when set, apply and inverse also take mrope_streams.
    std::optional<mrope_sections> mrope;

    /// A cache of rows [0, positions).
    static rope_options cached(std::int64_t positions) {
        rope_options o;
        o.positions = positions;
        return o;
    }
    /// A cache whose size load_rope takes from the config (max_position_embeddings).
    static rope_options cached() { return rope_options{}; }
    /// No cache: cos/sin computed per token.
    static rope_options on_the_fly() {
        rope_options o;
        o.source = angle_source::on_the_fly;
        return o;
    }
    rope_options with_layout(rotary_layout l) const {
        rope_options o = *this;
        o.layout = l;
        return o;
    }
    rope_options with_attention(attention_factor_mode m) const {
        rope_options o = *this;
        o.attention = m;
        return o;
    }
    rope_options with_pages(cache_pages p) const {
        rope_options o = *this;
        o.pages = p;
        return o;
    }
    rope_options with_table(table_options t) const {
        rope_options o = *this;
        o.table = std::move(t);
        return o;
    }
    /// With M-RoPE sections (mrope.hpp; hf_config.hpp reads them from config.json): make
    /// checks them against the rotary dimension (mrope_map::make) and the rope also applies
    /// to mrope_streams.
    rope_options with_mrope(mrope_sections m) const {
        rope_options o = *this;
        o.mrope = std::move(m);
        return o;
    }
};

namespace detail {

// Whether C is a contiguous container of elements (data() and size()), e.g. std::vector.
template <class C, class = void>
struct is_contiguous : std::false_type {};
template <class C>
struct is_contiguous<
    C, std::void_t<decltype(std::declval<C&>().data()), decltype(std::declval<C&>().size())>>
    : std::true_type {};

// The in-place operand of a contiguous [tokens][heads][head_dim] buffer of `size` elements,
// heads = size / (tokens * head_dim); errc::inconsistent naming `name` when size is not a
// multiple of tokens * head_dim (or is not 0 when there are no tokens).
template <class T>
expected<rope_operand<T>> contiguous_operand(T* data, std::size_t size, std::int64_t tokens,
                                             int head_dim, const char* name) {
    const std::size_t per_head_row =
        static_cast<std::size_t>(tokens) * static_cast<std::size_t>(head_dim);
    if (tokens == 0 || size == 0) {
        if (size == 0) return rope_operand<T>{};
        return error{errc::inconsistent, name,
                     "has " + std::to_string(size) + " elements for 0 tokens"};
    }
    if (size % per_head_row != 0)
        return error{errc::inconsistent, name,
                     "has " + std::to_string(size) + " elements, not a multiple of tokens * " +
                         "head_dim = " + std::to_string(tokens) + " * " + std::to_string(head_dim) +
                         " (a contiguous [tokens][heads][head_dim] " +
                         "buffer; pass views for other layouts)"};
    const std::size_t heads = size / per_head_row;
    if (heads > static_cast<std::size_t>(1) << 30)
        return make_error(errc::out_of_range, name, "has too many heads",
                          static_cast<long long>(heads));
    return in_place(make_heads_view(data, tokens, static_cast<int>(heads), head_dim));
}

template <class O>
struct operand_element;
template <class T>
struct operand_element<rope_operand<T>> {
    using type = T;
};

// The operand for one tensor argument of rope::apply: a rope_operand or heads_view as given,
// or a contiguous container whose head count is inferred.
template <class X>
auto as_operand(X& x, std::int64_t tokens, int head_dim, const char* name) {
    using D = std::remove_cv_t<X>;
    if constexpr (is_contiguous<D>::value && !std::is_const<X>::value) {
        using T = std::remove_pointer_t<decltype(x.data())>;
        return contiguous_operand<T>(x.data(), static_cast<std::size_t>(x.size()), tokens, head_dim,
                                     name);
    } else {
        static_assert(!is_contiguous<D>::value,
                      "rope::apply rotates in place: pass a non-const container");
        return expected<decltype(rope_operand(x))>(rope_operand(x));
    }
}

}  // namespace detail

/// A model's rotary embedding, built once: the frequency table, the layout, the cos/sin source
/// and the attention-factor mode. Immutable after make(); cheap to move; calls are const and
/// may run concurrently on disjoint outputs. Arch picks the kernels as apply_rope's does
/// (xsimd::default_arch: static dispatch; dynamic_dispatch<...>: run-time choice, dispatch.hpp).
template <class Arch = xsimd::default_arch>
class basic_rope {
  public:
    /// Builds from a frequency table: checks it (check_usable) and, for a cached source, builds
    /// the cache of rows [0, *options.positions) (build_rope_cache's errors; an absent
    /// positions -> errc::missing_field "positions").
    static expected<basic_rope> make(frequency_table table, const rope_options& options) {
        if (auto s = check_usable(table); !s) return s.err();
        basic_rope r;
        r.options_ = options;
        if (options.mrope) {
            auto map = mrope_map::make(*options.mrope, table.rotary_dim);
            if (!map) return map.err();
            r.mrope_ = std::move(*map);
        }
        if (options.source == angle_source::cached) {
            if (!options.positions)
                return error{errc::missing_field, "positions",
                             "is required for a cached rope: rope_options::cached(n) gives "
                             "the cache rows [0, n)"};
            auto cache =
                build_rope_cache<Arch>(table, *options.positions, options.attention, options.pages);
            if (!cache) return cache.err();
            r.cache_ = std::move(*cache);
        }
        r.table_ = std::move(table);
        return r;
    }

    /// Builds from a configuration: compute_frequencies(config, options.table), then make().
    static expected<basic_rope> make(const rope_config& config, const rope_options& options) {
        auto table = compute_frequencies(config, options.table);
        if (!table) return table.err();
        return make(std::move(*table), options);
    }

    /// Rotates q and k in place at `positions` (one per token): pair (x1, x2) ->
    /// m (x1 c - x2 s, x2 c + x1 s) with m the attention factor when folded, else 1.
    /// q and k: contiguous containers (heads inferred; an empty one is skipped), views
    /// (rope_operand, heads_view: any strides, in or out of place). Errors: apply_rope's, and
    /// errc::inconsistent "q" / "k" for a container whose size is not a multiple of
    /// tokens * head_dim.
    template <class Q, class K>
    status apply(position_span positions, Q&& q, K&& k) const {
        return run(rotation_direction::forward, positions, q, k);
    }
    /// Rotates one tensor (q or k alone).
    template <class Q>
    status apply(position_span positions, Q&& q) const {
        return run_one(rotation_direction::forward, positions, q);
    }
    /// Rotates contiguous raw buffers with given head counts (either pointer may be null with
    /// 0 heads).
    template <class T>
    status apply(position_span positions, T* q, int q_heads, T* k, int k_heads) const {
        return run_raw(rotation_direction::forward, positions, q, q_heads, k, k_heads);
    }

    /// M-RoPE (a rope built with rope_options::with_mrope): pair i of token n rotated by the
    /// position of its stream, positions.stream(mrope().streams()[i])[n] (mrope.hpp;
    /// transformers `apply_multimodal_rotary_pos_emb` / Qwen3-VL `apply_interleaved_mrope`).
    /// Precision: each pair bitwise as the 1-D apply at that position, a token with t = h = w
    /// exactly as the 1-D apply. Same operand forms as apply; errors:
    /// the M-RoPE apply_rope's (apply.hpp), and errc::invalid_argument "mrope" for a rope
    /// built without sections. The 1-D apply of such a rope rotates every pair by one
    /// position (text-only input).
    template <class Q, class K>
    status apply(const mrope_streams& positions, Q&& q, K&& k) const {
        return run_mrope(rotation_direction::forward, positions, q, k);
    }
    template <class Q>
    status apply(const mrope_streams& positions, Q&& q) const {
        auto qo = detail::as_operand(q, positions.size(), table_.head_dim, "q");
        if (!qo) return qo.err();
        using T = typename detail::operand_element<std::decay_t<decltype(*qo)>>::type;
        rope_operand<T> none;
        return run_mrope(rotation_direction::forward, positions, *qo, none);
    }
    /// The exact inverse of the M-RoPE apply with the same arguments.
    template <class Q, class K>
    status inverse(const mrope_streams& positions, Q&& q, K&& k) const {
        return run_mrope(rotation_direction::inverse, positions, q, k);
    }

    /// The exact inverse of apply with the same arguments (un-rotates, divides the attention
    /// factor out when folded). Same forms and errors as apply.
    template <class Q, class K>
    status inverse(position_span positions, Q&& q, K&& k) const {
        return run(rotation_direction::inverse, positions, q, k);
    }
    template <class Q>
    status inverse(position_span positions, Q&& q) const {
        return run_one(rotation_direction::inverse, positions, q);
    }
    template <class T>
    status inverse(position_span positions, T* q, int q_heads, T* k, int k_heads) const {
        return run_raw(rotation_direction::inverse, positions, q, q_heads, k, k_heads);
    }

    /// Rotates already-rotated keys by a per-token position delta (the pure rotation, never
    /// the attention factor): keys rotated at p become the keys rotated at p + delta. From the
    /// cache (|delta| < cache().size(); a folded cache's entries divided by m) or on the fly
    /// from the table. Errors: shift_rope's (apply.hpp), and the container size error "q" of
    /// apply (the keys are shift_rope's one operand, named "q" in its errors).
    template <class K>
    status shift(position_span deltas, K&& keys) const {
        auto op = detail::as_operand(keys, deltas.size(), table_.head_dim, "q");
        if (!op) return op.err();
        if (options_.source == angle_source::cached)
            return shift_rope<Arch>(cache_, options_.layout, deltas, *op);
        return shift_rope<Arch>(table_, options_.layout, deltas, *op);
    }
    template <class T>
    status shift(position_span deltas, T* keys, int heads) const {
        return shift(deltas, rope_operand<T>(heads > 0 ? make_heads_view(keys, deltas.size(), heads,
                                                                         table_.head_dim)
                                                       : heads_view<T>{}));
    }

    /// The frequency table (inverse frequencies, factors, the warnings of its build).
    const frequency_table& table() const noexcept { return table_; }
    /// The cache (empty for an on-the-fly rope).
    const rope_cache& cache() const noexcept { return cache_; }
    const rope_options& options() const noexcept { return options_; }
    /// The M-RoPE pair -> stream map (empty unless built with rope_options::with_mrope).
    const mrope_map& mrope() const noexcept { return mrope_; }
    int head_dim() const noexcept { return table_.head_dim; }
    int rotary_dim() const noexcept { return table_.rotary_dim; }
    rotary_layout layout() const noexcept { return options_.layout; }
    /// The table's attention factor m: in the rotation when folded; the caller's otherwise.
    double attention_factor() const noexcept { return table_.attention_factor; }
    /// Multiplier of the softmax scale (DeepSeek YaRN; 1 otherwise): always the caller's.
    double logit_scale() const noexcept { return table_.logit_scale; }
    /// Positions a call accepts: [0, cache().size()) cached; |p| <= position_limit(table())
    /// on the fly.
    std::int64_t max_position() const noexcept {
        return options_.source == angle_source::cached ? cache_.size() - 1 : position_limit(table_);
    }

  private:
    basic_rope() = default;

    template <class T>
    status rotate(rotation_direction direction, position_span positions, rope_operand<T> q,
                  rope_operand<T> k) const {
        if (options_.source == angle_source::cached)
            return apply_rope<Arch>(cache_, options_.layout, positions, q, k, direction);
        return apply_rope<Arch>(table_, options_.layout, positions, q, k, direction,
                                options_.attention);
    }

    template <class Q, class K>
    status run_mrope(rotation_direction direction, const mrope_streams& positions, Q& q,
                     K& k) const {
        if (mrope_.empty())
            return error{errc::invalid_argument, "mrope",
                         "this rope has no M-RoPE sections: build it with "
                         "rope_options::with_mrope (or load a config with mrope_section)"};
        auto qo = detail::as_operand(q, positions.size(), table_.head_dim, "q");
        if (!qo) return qo.err();
        auto ko = detail::as_operand(k, positions.size(), table_.head_dim, "k");
        if (!ko) return ko.err();
        if (options_.source == angle_source::cached)
            return apply_rope<Arch>(cache_, options_.layout, mrope_, positions, *qo, *ko,
                                    direction);
        return apply_rope<Arch>(table_, options_.layout, mrope_, positions, *qo, *ko, direction,
                                options_.attention);
    }

    template <class Q, class K>
    status run(rotation_direction direction, position_span positions, Q& q, K& k) const {
        auto qo = detail::as_operand(q, positions.size(), table_.head_dim, "q");
        if (!qo) return qo.err();
        auto ko = detail::as_operand(k, positions.size(), table_.head_dim, "k");
        if (!ko) return ko.err();
        return rotate(direction, positions, *qo, *ko);
    }

    template <class Q>
    status run_one(rotation_direction direction, position_span positions, Q& q) const {
        auto qo = detail::as_operand(q, positions.size(), table_.head_dim, "q");
        if (!qo) return qo.err();
        using T = typename detail::operand_element<std::decay_t<decltype(*qo)>>::type;
        return rotate(direction, positions, *qo, rope_operand<T>{});
    }

    template <class T>
    status run_raw(rotation_direction direction, position_span positions, T* q, int q_heads, T* k,
                   int k_heads) const {
        const auto view = [&](T* p, int heads) {
            return heads > 0 ? make_heads_view(p, positions.size(), heads, table_.head_dim)
                             : heads_view<T>{};
        };
        return rotate(direction, positions, rope_operand<T>(view(q, q_heads)),
                      rope_operand<T>(view(k, k_heads)));
    }

    frequency_table table_;
    rope_cache cache_;
    rope_options options_;
    mrope_map mrope_;
};

/// The rope object with static dispatch (the best instruction set of this translation unit).
using rope = basic_rope<>;

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_ROPE_HPP
