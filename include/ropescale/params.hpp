// SPDX-License-Identifier: MIT
//
// The parameters of a RoPE configuration: rope_config, with the method as a scaling_method
// (methods.hpp: one header per method, each a named aggregate in the community's vocabulary,
// Hugging Face `rope_parameters` keys; the YaRN authors' constructor arguments where
// transformers has no equivalent). "Not provided" is std::optional, never a sentinel.
//
// Notation used throughout the documentation:
//   d      rotary dimension (even), pairs i = 0 .. d/2 - 1
//   b      base, `rope_theta`
//   theta_i = b^(-2i/d), the plain inverse frequency of pair i
//   s      scale factor (`factor`), L the original (pre-training) context length
#ifndef ROPESCALE_PARAMS_HPP
#define ROPESCALE_PARAMS_HPP

#include "config.hpp"
#include "methods.hpp"

#include <optional>

ROPESCALE_BEGIN_NAMESPACE

/// Everything needed to build a frequency table.
///
/// The rotary dimension d is `rotary_dim` if given, else int(head_dim * partial_rotary_factor)
/// (truncated like Python's int(), as transformers does) if that is given, else head_dim.
/// Channels [d, head_dim) pass through the rotation unchanged (partial rotary).
struct rope_config {
    int head_dim = 0;             ///< even, > 0
    double rope_theta = 10000.0;  ///< b > 1
    scaling_method scaling = plain{};
    std::optional<int> rotary_dim;                ///< even, in (0, head_dim]
    std::optional<double> partial_rotary_factor;  ///< in (0, 1]
};

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_PARAMS_HPP
