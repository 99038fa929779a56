// SPDX-License-Identifier: MIT
//
// The vocabulary of a rotation call, without the kernels: strided views of [tokens][heads]
// [head_dim] tensors, the positions of their tokens, and the operands (input and output view)
// the entry points of apply.hpp rotate. Nothing here includes xsimd or computes anything.
//
//   view of one tensor, strides in elements:
//     element (t, h, c) = data[t * token_stride + h * head_stride + c],  c < head_dim
//
// Threads: a view or a position_span is a pointer and a shape; an engine that splits one call
// across its threads gives each thread a token range [b, b + n) of every view
// (heads_view::token_range) and of the positions (position_span::subspan,
// mrope_streams::subspan).
//
// M-RoPE positions (mrope_streams): three position_spans, t, h and w, one position per token
// each; make_mrope_streams views a [3][tokens] buffer (mrope_positions.hpp builds one).
#ifndef ROPESCALE_VIEWS_HPP
#define ROPESCALE_VIEWS_HPP

#include "config.hpp"
#include "mrope_positions.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// A strided view of one tensor shaped [tokens][heads][head_dim] (strides in elements, may be
/// any value including 0 or negative for inputs): element (t, h, c) is
/// data[t * token_stride + h * head_stride + c]. Any pointer alignment (alignof(T)).
/// A view does not own its data. Default: empty (no heads), which the APIs skip.
template <class T>
struct heads_view {
    T* data = nullptr;
    std::int64_t tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;  ///< elements from token t to t + 1
    std::ptrdiff_t head_stride = 0;   ///< elements from head h to h + 1

    /// Pointer to channel 0 of (token t, head h).
    T* head(std::int64_t t, int h) const noexcept {
        return data + t * token_stride + static_cast<std::ptrdiff_t>(h) * head_stride;
    }
    /// The tokens [begin, begin + count) of this view (same heads and strides): how an engine
    /// hands a token range to one of its threads. Precondition: the range is inside the view.
    heads_view token_range(std::int64_t begin, std::int64_t count) const noexcept {
        ROPESCALE_ASSERT(begin >= 0 && count >= 0 && begin + count <= tokens);
        heads_view v = *this;
        v.data = count > 0 ? data + begin * token_stride : data;
        v.tokens = count;
        return v;
    }
    /// The same view, read-only.
    operator heads_view<const T>() const noexcept {  // NOLINT: implicit on purpose
        return {data, tokens, heads, head_dim, token_stride, head_stride};
    }
};

/// A strided view with explicit strides in elements (e.g. heads-major [heads][tokens][dim]:
/// token_stride = head_dim, head_stride = tokens * head_dim; or q inside a fused qkv buffer:
/// token_stride = (heads_q + 2 heads_kv) * head_dim).
template <class T>
heads_view<T> make_strided_view(T* data, std::int64_t tokens, int heads, int head_dim,
                                std::ptrdiff_t token_stride, std::ptrdiff_t head_stride) noexcept {
    return {data, tokens, heads, head_dim, token_stride, head_stride};
}

/// A contiguous [tokens][heads][head_dim] view: token_stride = heads * head_dim,
/// head_stride = head_dim (vLLM / FlashInfer [num_tokens, heads * head_size] and llama.cpp's
/// [head_dim, n_head, n_tokens] in ggml order).
template <class T>
heads_view<T> make_heads_view(T* data, std::int64_t tokens, int heads, int head_dim) noexcept {
    return make_strided_view(
        data, tokens, heads, head_dim,
        static_cast<std::ptrdiff_t>(heads) * static_cast<std::ptrdiff_t>(head_dim), head_dim);
}

/// make_strided_view under the name of the contiguous form (the same view).
template <class T>
heads_view<T> make_heads_view(T* data, std::int64_t tokens, int heads, int head_dim,
                              std::ptrdiff_t token_stride, std::ptrdiff_t head_stride) noexcept {
    return make_strided_view(data, tokens, heads, head_dim, token_stride, head_stride);
}

/// One position per token, int32 (llama.cpp) or int64 (vLLM, transformers), any order,
/// repeats allowed. Does not own the data.
class position_span {
  public:
    position_span() = default;
    position_span(const std::int32_t* data, std::int64_t size) noexcept : p32_(data), size_(size) {}
    position_span(const std::int64_t* data, std::int64_t size) noexcept : p64_(data), size_(size) {}
    template <class Alloc>
    position_span(const std::vector<std::int32_t, Alloc>& v) noexcept  // NOLINT: implicit
        : p32_(v.data()), size_(static_cast<std::int64_t>(v.size())) {}
    template <class Alloc>
    position_span(const std::vector<std::int64_t, Alloc>& v) noexcept  // NOLINT: implicit
        : p64_(v.data()), size_(static_cast<std::int64_t>(v.size())) {}

    std::int64_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const std::int32_t* data32() const noexcept { return p32_; }
    const std::int64_t* data64() const noexcept { return p64_; }
    /// Position of token i, widened to int64. Precondition: 0 <= i < size().
    std::int64_t operator[](std::int64_t i) const noexcept {
        ROPESCALE_ASSERT(i >= 0 && i < size_);
        return p64_ ? p64_[i] : p32_[i];
    }
    /// Positions [offset, offset + count): pairs with heads_view::token_range.
    position_span subspan(std::int64_t offset, std::int64_t count) const noexcept {
        ROPESCALE_ASSERT(offset >= 0 && count >= 0 && offset + count <= size_);
        position_span s = *this;
        if (p32_) s.p32_ = p32_ + offset;
        if (p64_) s.p64_ = p64_ + offset;
        s.size_ = count;
        return s;
    }

  private:
    const std::int32_t* p32_ = nullptr;
    const std::int64_t* p64_ = nullptr;
    std::int64_t size_ = 0;
};

/// The positions of an M-RoPE call (mrope.hpp): three streams, t, h and w, of one position
/// per token, each a position_span (int32 or int64, its own type and pointer). Does not own
/// the data. Token n of the call has positions (t[n], h[n], w[n]); a text token has all
/// three equal.
struct mrope_streams {
    position_span t;
    position_span h;
    position_span w;

    /// The tokens of the call (the t stream's size; the entry points refuse other sizes for
    /// h and w).
    std::int64_t size() const noexcept { return t.size(); }
    /// Stream s (0 t, 1 h, 2 w). Precondition: 0 <= s < 3.
    const position_span& stream(int s) const noexcept {
        ROPESCALE_ASSERT(s >= 0 && s < 3);
        return s == 0 ? t : s == 1 ? h : w;
    }
    /// Positions [offset, offset + count) of every stream: pairs with heads_view::token_range.
    /// Precondition: the range is inside every stream.
    mrope_streams subspan(std::int64_t offset, std::int64_t count) const noexcept {
        return {t.subspan(offset, count), h.subspan(offset, count), w.subspan(offset, count)};
    }
};

/// The streams of a [3][tokens] buffer with `stream_stride` elements from one stream to the
/// next (transformers' position_ids (3, batch, seq) for one sequence and vLLM's (3,
/// num_tokens): stream_stride = tokens; write_mrope_positions' layout, mrope_positions.hpp):
/// t = data[0, tokens), h = data[stream_stride, +tokens), w = data[2 stream_stride, +tokens).
/// Precondition: stream_stride >= tokens (not checked here).
inline mrope_streams make_mrope_streams(const std::int64_t* data, std::int64_t tokens,
                                        std::ptrdiff_t stream_stride) noexcept {
    return {position_span(data, tokens), position_span(data + stream_stride, tokens),
            position_span(data + 2 * stream_stride, tokens)};
}
inline mrope_streams make_mrope_streams(const std::int32_t* data, std::int64_t tokens,
                                        std::ptrdiff_t stream_stride) noexcept {
    return {position_span(data, tokens), position_span(data + stream_stride, tokens),
            position_span(data + 2 * stream_stride, tokens)};
}
/// The streams of a contiguous [3][tokens] buffer (stream_stride = tokens).
inline mrope_streams make_mrope_streams(const std::int64_t* data, std::int64_t tokens) noexcept {
    return make_mrope_streams(data, tokens, static_cast<std::ptrdiff_t>(tokens));
}
inline mrope_streams make_mrope_streams(const std::int32_t* data, std::int64_t tokens) noexcept {
    return make_mrope_streams(data, tokens, static_cast<std::ptrdiff_t>(tokens));
}
/// The streams of position ids built by build_mrope_positions (mrope_positions.hpp).
inline mrope_streams make_mrope_streams(const mrope_positions& ids) noexcept {
    return make_mrope_streams(ids.ids.data(), ids.tokens());
}

/// One tensor to rotate: read `in`, write `out` (same shape). In place when both views are
/// the same (same data and strides); out of place otherwise, in which case `in` may share no
/// memory with `out` nor with the other operand's output, and in either case the outputs of
/// q and k may share none (so an in-place q cannot overlap k's output). The entry points
/// refuse a call that breaks this (errc::invalid_argument, apply.hpp). Default: absent (no
/// heads), e.g. to rotate only k. Made by in_place / out_of_place; the entry points of
/// apply.hpp also take a heads_view<T> where an in-place operand is meant.
template <class T>
struct rope_operand {
    heads_view<const T> in;
    heads_view<T> out;
    rope_operand() = default;
    /// In place (implicit where rope_operand<T> is the declared type; where T is deduced, the
    /// entry points' heads_view overloads take the view).
    rope_operand(heads_view<T> x) noexcept : in(x), out(x) {}  // NOLINT: implicit on purpose
    rope_operand(heads_view<const T> i, heads_view<T> o) noexcept : in(i), out(o) {}
    bool empty() const noexcept { return out.heads == 0 && in.heads == 0; }
    bool in_place() const noexcept {
        return in.data == out.data && in.token_stride == out.token_stride &&
               in.head_stride == out.head_stride;
    }
};

/// Rotate `x` in place.
template <class T>
rope_operand<T> in_place(heads_view<T> x) noexcept {
    return rope_operand<T>(x);
}

/// Read `in`, write `out` (same shape, sharing no memory with each other nor with the other
/// operand's output; checked by the entry points); pass-through channels are copied.
template <class T>
rope_operand<T> out_of_place(heads_view<const T> in, heads_view<T> out) noexcept {
    return rope_operand<T>(in, out);
}
template <class T>
rope_operand<T> out_of_place(heads_view<T> in, heads_view<T> out) noexcept {
    return rope_operand<T>(heads_view<const T>(in), out);
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_VIEWS_HPP
