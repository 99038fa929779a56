// The kernels the robustness tests rotate with besides the default (static) one: the per-ISA
// units of ropescale_add_kernels (tests/robustness/CMakeLists.txt: kernels_test's units, or the
// target's own), declared by the generated <ropescale_kernels.hpp> when this build has them
// (ROPESCALE_TEST_DISPATCH) and chosen at run time by `robustness::dispatched`; without them,
// the default arch again.
#ifndef ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP
#define ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP

#include <ropescale/dispatch.hpp>

#if ROPESCALE_TEST_DISPATCH
#include <ropescale_kernels.hpp>
#endif

namespace robustness {

#if ROPESCALE_TEST_DISPATCH
using dispatched = ropescale_kernels::dispatch;
#else
using dispatched = xsimd::default_arch;
#endif

}  // namespace robustness

#endif  // ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP
