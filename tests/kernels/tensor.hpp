// A strided [tokens][heads][head_dim] test tensor inside a larger buffer: padding between heads
// and tokens, a leading offset (misalignment) and guard elements at both ends, all filled with a
// sentinel bit pattern so that any write outside the view is detected.
#ifndef ROPESCALE_TESTS_KERNELS_TENSOR_HPP
#define ROPESCALE_TESTS_KERNELS_TENSOR_HPP

#include "support.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace kt {

template <class T>
struct strided_tensor {
    std::vector<T> buf;
    std::ptrdiff_t offset = 0;
    std::int64_t tokens = 0;
    int heads = 0;
    int head_dim = 0;
    std::ptrdiff_t token_stride = 0;
    std::ptrdiff_t head_stride = 0;
    std::vector<char> inside;  // 1 where an element belongs to the view

    static constexpr unsigned char sentinel = 0x5A;

    // head_pad / token_pad: extra elements after each head / token; misalign: leading offset
    // in elements (on top of 16 guard elements, so offset 1 is never vector-aligned).
    strided_tensor(std::int64_t tokens_, int heads_, int head_dim_, int head_pad, int token_pad,
                   int misalign)
        : tokens(tokens_), heads(heads_), head_dim(head_dim_) {
        head_stride = head_dim + head_pad;
        token_stride = heads * head_stride + token_pad;
        offset = 16 + misalign;
        const std::size_t n = static_cast<std::size_t>(offset + tokens * token_stride + 16);
        buf.resize(n);
        std::memset(static_cast<void*>(buf.data()), sentinel, n * sizeof(T));
        inside.assign(n, 0);
        for (std::int64_t t = 0; t < tokens; ++t)
            for (int h = 0; h < heads; ++h)
                for (int c = 0; c < head_dim; ++c) inside[static_cast<std::size_t>(index(t, h, c))] = 1;
    }

    std::ptrdiff_t index(std::int64_t t, int h, int c) const {
        return offset + t * token_stride + h * head_stride + c;
    }
    T& at(std::int64_t t, int h, int c) { return buf[static_cast<std::size_t>(index(t, h, c))]; }
    const T& at(std::int64_t t, int h, int c) const { return buf[static_cast<std::size_t>(index(t, h, c))]; }

    rs::heads_view<T> view() {
        return rs::make_heads_view(buf.data() + offset, tokens, heads, head_dim, token_stride,
                                   head_stride);
    }

    void fill_random(rng& r, double lo = -2.0, double hi = 2.0) {
        for (std::int64_t t = 0; t < tokens; ++t)
            for (int h = 0; h < heads; ++h)
                for (int c = 0; c < head_dim; ++c) at(t, h, c) = from_double<T>(r.uniform(lo, hi));
    }

    // Number of elements outside the view whose bits are no longer the sentinel.
    std::size_t guard_damage() const {
        std::size_t bad = 0;
        for (std::size_t i = 0; i < buf.size(); ++i) {
            if (inside[i]) continue;
            const auto* b = reinterpret_cast<const unsigned char*>(&buf[i]);
            for (std::size_t k = 0; k < sizeof(T); ++k) bad += b[k] != sentinel;
        }
        return bad;
    }
};

}  // namespace kt

#endif  // ROPESCALE_TESTS_KERNELS_TENSOR_HPP
