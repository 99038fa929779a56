// SPDX-License-Identifier: MIT
//
// Internal: the instruction-set layer whole: the generic definitions of half_simd and
// arch_ops (generic.hpp) and the specialisations of every x86 family this compiler knows.
#ifndef ROPESCALE_DETAIL_ARCH_ISA_HPP
#define ROPESCALE_DETAIL_ARCH_ISA_HPP

#include "avx.hpp"
#include "avx2.hpp"
#include "avx512.hpp"
#include "generic.hpp"
#include "sse2.hpp"

#endif  // ROPESCALE_DETAIL_ARCH_ISA_HPP
