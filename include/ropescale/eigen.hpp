// SPDX-License-Identifier: MIT
//
// Eigen interop (optional header: needs Eigen 3.4; not included by ropescale.hpp).
//
// q and k as row-major `tokens x (heads * head_dim)` matrices, the shape of vLLM's
// [num_tokens, heads * head_size] and of a projection's output: row t holds the heads of
// token t one after the other. Anything an
//   Eigen::Ref<Matrix<Scalar, Dynamic, Dynamic, RowMajor>, 0, Eigen::OuterStride<>>
// binds to without a copy is accepted: a row-major Matrix, a Map with an outer stride, a
// middleCols() block (q inside a fused qkv matrix), a block of rows. A column-major matrix
// does not bind to the mutable Ref (compile error, on purpose: it would be a copy).
//
// Keep Eigen out of per-ISA translation units (EIGEN_MAX_ALIGN_BYTES differs with -m flags:
// XSIMD-8.1 notes): these wrappers only build heads_views and call apply.hpp's entry points,
// whose kernels may come from other units (dispatch.hpp).
#ifndef ROPESCALE_EIGEN_HPP
#define ROPESCALE_EIGEN_HPP

#include "apply.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>

ROPESCALE_BEGIN_NAMESPACE

/// Row-major dynamic matrix: tokens x (heads * head_dim).
template <class Scalar>
using eigen_row_matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Mutable reference to any row-major matrix expression with unit inner stride.
template <class Scalar>
using eigen_rows_ref = Eigen::Ref<eigen_row_matrix<Scalar>, 0, Eigen::OuterStride<>>;

/// Read-only reference (binds to anything; a column-major argument is copied by Eigen).
template <class Scalar>
using eigen_const_rows_ref = Eigen::Ref<const eigen_row_matrix<Scalar>, 0, Eigen::OuterStride<>>;

namespace detail {

template <class Scalar, class Ref>
expected<heads_view<Scalar>> eigen_view(Ref& m, int head_dim, const char* name) {
    if (head_dim <= 0)
        return make_error(errc::out_of_range, std::string(name) + ".head_dim", "must be > 0",
                          head_dim);
    if (m.cols() % head_dim != 0)
        return error{errc::inconsistent, std::string(name) + ".cols",
                     "must be a multiple of head_dim = " + std::to_string(head_dim) + " (got " +
                         std::to_string(m.cols()) + ")"};
    heads_view<Scalar> v;
    v.data = m.data();
    v.tokens = static_cast<std::int64_t>(m.rows());
    v.heads = static_cast<int>(m.cols() / head_dim);
    v.head_dim = head_dim;
    v.token_stride = static_cast<std::ptrdiff_t>(m.outerStride());
    v.head_stride = head_dim;
    return v;
}

}  // namespace detail

/// heads_view of a row-major tokens x (heads * head_dim) matrix: heads = cols / head_dim,
/// token_stride = the outer stride, head_stride = head_dim. No copy. Error (field
/// "matrix.cols") when cols is not a multiple of head_dim.
inline expected<heads_view<float>> eigen_heads_view(eigen_rows_ref<float> m, int head_dim) {
    return detail::eigen_view<float>(m, head_dim, "matrix");
}
/// heads_view of a row-major double matrix (see the float overload).
inline expected<heads_view<double>> eigen_heads_view(eigen_rows_ref<double> m, int head_dim) {
    return detail::eigen_view<double>(m, head_dim, "matrix");
}

namespace detail {

template <class Arch, class Source, class Scalar>
status eigen_apply(const Source& source, int head_dim, rotary_layout layout,
                   position_span positions, eigen_rows_ref<Scalar>* q, eigen_rows_ref<Scalar>* k,
                   rotation_direction direction) {
    rope_operand<Scalar> qo;
    rope_operand<Scalar> ko;
    if (q != nullptr && q->size() > 0) {
        auto v = eigen_view<Scalar>(*q, head_dim, "q");
        if (!v) return v.err();
        qo = rope_operand<Scalar>(*v);
    }
    if (k != nullptr && k->size() > 0) {
        auto v = eigen_view<Scalar>(*k, head_dim, "k");
        if (!v) return v.err();
        ko = rope_operand<Scalar>(*v);
    }
    return apply_rope<Arch>(source, layout, positions, qo, ko, direction);
}

}  // namespace detail

// In-place rotation of Eigen matrices: the apply_rope entry points of apply.hpp, with q and k
// given as row-major tokens x (heads * head_dim) matrices (head_dim from the cache / table;
// an empty matrix is skipped). Same semantics, errors ("q.cols" when not a multiple of
// head_dim), precision and allocation behaviour as apply.hpp.
#define ROPESCALE_EIGEN_APPLY_(SOURCE, HEAD_DIM, SCALAR)                                          \
    template <class Arch = xsimd::default_arch>                                                   \
    status apply_rope(const SOURCE& source, rotary_layout layout, position_span positions,        \
                      eigen_rows_ref<SCALAR> q, eigen_rows_ref<SCALAR> k,                         \
                      rotation_direction direction = rotation_direction::forward) {               \
        return detail::eigen_apply<Arch>(source, HEAD_DIM, layout, positions, &q, &k, direction); \
    }                                                                                             \
    template <class Arch = xsimd::default_arch>                                                   \
    status apply_rope(const SOURCE& source, rotary_layout layout, position_span positions,        \
                      eigen_rows_ref<SCALAR> q,                                                   \
                      rotation_direction direction = rotation_direction::forward) {               \
        return detail::eigen_apply<Arch, SOURCE, SCALAR>(source, HEAD_DIM, layout, positions, &q, \
                                                         nullptr, direction);                     \
    }

/// apply_rope(cache, layout, positions, q [, k] [, direction]) on float matrices.
ROPESCALE_EIGEN_APPLY_(rope_cache, source.head_dim(), float)
/// apply_rope(cache, layout, positions, q [, k] [, direction]) on double matrices.
ROPESCALE_EIGEN_APPLY_(rope_cache, source.head_dim(), double)
/// apply_rope(table, layout, positions, q [, k] [, direction]) on float matrices (on the fly).
ROPESCALE_EIGEN_APPLY_(frequency_table, source.head_dim, float)
/// apply_rope(table, layout, positions, q [, k] [, direction]) on double matrices: the double
/// path (f64 angles and math).
ROPESCALE_EIGEN_APPLY_(frequency_table, source.head_dim, double)

#undef ROPESCALE_EIGEN_APPLY_

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_EIGEN_HPP
