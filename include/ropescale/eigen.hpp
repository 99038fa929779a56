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
// Keep Eigen out of per-ISA translation units (EIGEN_MAX_ALIGN_BYTES differs with -m flags, so
// a matrix allocated in one unit and freed in another may abort): these wrappers only build
// heads_views and call apply.hpp's entry points, whose kernels may come from other units
// (dispatch.hpp).
#ifndef ROPESCALE_EIGEN_HPP
#define ROPESCALE_EIGEN_HPP

#include "apply.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

ROPESCALE_BEGIN_NAMESPACE

/// Row-major dynamic matrix: tokens x (heads * head_dim).
template <class Scalar>
using eigen_row_matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Mutable reference to any row-major matrix expression with unit inner stride.
template <class Scalar>
using eigen_rows_ref = Eigen::Ref<eigen_row_matrix<Scalar>, 0, Eigen::OuterStride<>>;

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

template <class M>
inline constexpr bool is_eigen_dense =
    std::is_base_of<Eigen::DenseBase<std::decay_t<M>>, std::decay_t<M>>::value;

// The in-place view of a matrix argument of the entry points below, head_dim from the angle
// source; an empty matrix is an absent operand (an empty view).
template <class M>
expected<heads_view<typename std::decay_t<M>::Scalar>> eigen_operand(M&& m, int head_dim,
                                                                     const char* name) {
    using scalar = typename std::decay_t<M>::Scalar;
    eigen_rows_ref<scalar> ref(std::forward<M>(m));  // binds without a copy (file comment)
    if (ref.size() == 0) return heads_view<scalar>{};
    return eigen_view<scalar>(ref, head_dim, name);
}

}  // namespace detail

// The entry points of apply.hpp for Eigen matrices, rotated in place: q, k and keys are
// anything an eigen_rows_ref binds to (an empty matrix: absent), head_dim comes from the cache
// or the table. Same semantics, errors (plus "q.cols" / "k.cols" when not a multiple of
// head_dim), precision and allocation behaviour as apply.hpp; each converts the matrices to
// heads_views and calls the heads_view overload.

/// apply_rope(cache, layout, positions, q, k [, direction]).
template <class Arch = xsimd::default_arch, class Q, class K,
          std::enable_if_t<detail::is_eigen_dense<Q> && detail::is_eigen_dense<K>, int> = 0>
status apply_rope(const rope_cache& cache, rotary_layout layout, const position_span& positions,
                  Q&& q, K&& k, rotation_direction direction = rotation_direction::forward) {
    auto qv = detail::eigen_operand(std::forward<Q>(q), cache.head_dim(), "q");
    if (!qv) return qv.err();
    auto kv = detail::eigen_operand(std::forward<K>(k), cache.head_dim(), "k");
    if (!kv) return kv.err();
    return apply_rope<Arch>(cache, layout, positions, *qv, *kv, direction);
}

/// apply_rope(cache, layout, positions, q [, direction]).
template <class Arch = xsimd::default_arch, class Q,
          std::enable_if_t<detail::is_eigen_dense<Q>, int> = 0>
status apply_rope(const rope_cache& cache, rotary_layout layout, const position_span& positions,
                  Q&& q, rotation_direction direction = rotation_direction::forward) {
    auto qv = detail::eigen_operand(std::forward<Q>(q), cache.head_dim(), "q");
    if (!qv) return qv.err();
    return apply_rope<Arch>(cache, layout, positions, *qv, {}, direction);
}

/// apply_rope(table, layout, positions, q, k [, direction [, mode]]) on the fly; double
/// matrices take the double path (f64 angles and math).
template <class Arch = xsimd::default_arch, class Q, class K,
          std::enable_if_t<detail::is_eigen_dense<Q> && detail::is_eigen_dense<K>, int> = 0>
status apply_rope(const frequency_table& table, rotary_layout layout,
                  const position_span& positions, Q&& q, K&& k,
                  rotation_direction direction = rotation_direction::forward,
                  attention_factor_mode mode = attention_factor_mode::folded) {
    auto qv = detail::eigen_operand(std::forward<Q>(q), table.head_dim, "q");
    if (!qv) return qv.err();
    auto kv = detail::eigen_operand(std::forward<K>(k), table.head_dim, "k");
    if (!kv) return kv.err();
    return apply_rope<Arch>(table, layout, positions, *qv, *kv, direction, mode);
}

/// apply_rope(table, layout, positions, q [, direction [, mode]]) on the fly.
template <class Arch = xsimd::default_arch, class Q,
          std::enable_if_t<detail::is_eigen_dense<Q>, int> = 0>
status apply_rope(const frequency_table& table, rotary_layout layout,
                  const position_span& positions, Q&& q,
                  rotation_direction direction = rotation_direction::forward,
                  attention_factor_mode mode = attention_factor_mode::folded) {
    auto qv = detail::eigen_operand(std::forward<Q>(q), table.head_dim, "q");
    if (!qv) return qv.err();
    return apply_rope<Arch>(table, layout, positions, *qv, {}, direction, mode);
}

/// shift_rope(cache | table, layout, deltas, keys): the pure rotation by a delta (apply.hpp).
template <
    class Arch = xsimd::default_arch, class Source, class K,
    std::enable_if_t<detail::is_eigen_dense<K> && (std::is_same<Source, rope_cache>::value ||
                                                   std::is_same<Source, frequency_table>::value),
                     int> = 0>
status shift_rope(const Source& source, rotary_layout layout, const position_span& deltas,
                  K&& keys) {
    int head_dim = 0;
    if constexpr (std::is_same<Source, rope_cache>::value)
        head_dim = source.head_dim();
    else
        head_dim = source.head_dim;
    auto kv = detail::eigen_operand(std::forward<K>(keys), head_dim, "q");
    if (!kv) return kv.err();
    return shift_rope<Arch>(source, layout, deltas, *kv);
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_EIGEN_HPP
