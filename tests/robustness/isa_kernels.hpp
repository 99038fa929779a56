// The kernels the robustness tests rotate with besides the default (static) one: the per-ISA
// units of tests/kernels, linked into a test when this build has them (ROPESCALE_TEST_DISPATCH,
// set by tests/robustness/CMakeLists.txt), reached through `extern template` declarations and
// chosen at run time by `robustness::dispatched`; without them, the default arch again.
#ifndef ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP
#define ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP

#include <ropescale/dispatch.hpp>

#if ROPESCALE_TEST_DISPATCH
ROPESCALE_DECLARE_KERNELS(xsimd::sse2)
ROPESCALE_DECLARE_KERNELS(xsimd::fma3<xsimd::avx2>)
ROPESCALE_DECLARE_KERNELS(xsimd::avx512bw)
#endif

namespace robustness {

#if ROPESCALE_TEST_DISPATCH
using dispatched =
    ropescale::dynamic_dispatch<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;
#else
using dispatched = xsimd::default_arch;
#endif

}  // namespace robustness

#endif  // ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP
