// SPDX-License-Identifier: MIT
//
// ropescale: RoPE scaling frequency tables and rotation kernels. The umbrella header: includes
// every public header that needs no optional dependency (hf_config.hpp and hf_rope.hpp need
// nlohmann-json and eigen.hpp needs Eigen: include those yourself; dispatch.hpp is the opt-in
// run-time dispatch over per-ISA translation units). A unit that only builds tables includes
// frequencies.hpp, which needs no xsimd.
#ifndef ROPESCALE_ROPESCALE_HPP
#define ROPESCALE_ROPESCALE_HPP

#include "angle.hpp"
#include "apply.hpp"
#include "cache.hpp"
#include "cache_build.hpp"
#include "config.hpp"
#include "error.hpp"
#include "formulas.hpp"
#include "frequencies.hpp"
#include "frequency_table.hpp"
#include "half.hpp"
#include "interpolation_bound.hpp"
#include "layout.hpp"
#include "methods.hpp"
#include "mrope.hpp"
#include "mrope_positions.hpp"
#include "params.hpp"
#include "query_scale.hpp"
#include "rope.hpp"
#include "version.hpp"
#include "views.hpp"

#endif  // ROPESCALE_ROPESCALE_HPP
