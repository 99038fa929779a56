// ropescale: RoPE scaling tables and rotation kernels.
// SPDX-License-Identifier: MIT
//
// The one place the library version is written; CMakeLists.txt parses these lines.
#ifndef ROPESCALE_VERSION_HPP
#define ROPESCALE_VERSION_HPP

#define ROPESCALE_VERSION_MAJOR 0
#define ROPESCALE_VERSION_MINOR 1
#define ROPESCALE_VERSION_PATCH 0

/// Single integer for preprocessor comparisons: 10000 * major + 100 * minor + patch.
#define ROPESCALE_VERSION \
    (ROPESCALE_VERSION_MAJOR * 10000 + ROPESCALE_VERSION_MINOR * 100 + ROPESCALE_VERSION_PATCH)

#endif  // ROPESCALE_VERSION_HPP
