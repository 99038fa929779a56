// The kernels the robustness tests rotate with besides the default (static) one: the per-ISA
// units of ropescale_add_kernels (tests/robustness/CMakeLists.txt: kernels_test's units, or the
// target's own), declared by the generated <ropescale_kernels.hpp> when this build has them
// (ROPESCALE_TEST_DISPATCH), chosen at run time by `robustness::dispatched` and visited one by
// one by `robustness::for_each_available_arch`; without them, the default arch again.
#ifndef ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP
#define ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP

#include <ropescale/dispatch.hpp>

#include <cstddef>
#include <tuple>
#include <utility>

#if ROPESCALE_TEST_DISPATCH
#include <ropescale_kernels.hpp>
#endif

namespace robustness {

#if ROPESCALE_TEST_DISPATCH
using dispatched = ropescale_kernels::dispatch;
#else
using dispatched = xsimd::default_arch;
#endif

namespace detail {
template <class F, std::size_t... I>
void for_each_arch(F& f, std::index_sequence<I...>) {
    const auto cpu = xsimd::available_architectures();
    const auto one = [&](auto arch, const char* name) {
        if (ropescale::detail::cpu_supports<decltype(arch)>(cpu)) f(arch, name);
    };
    (one(std::tuple_element_t<I, ropescale_kernels::archs>{}, ropescale_kernels::names[I]), ...);
}
}  // namespace detail

// Calls f(Arch{}, ISA name) for every compiled arch this CPU runs (without the per-ISA units:
// the default arch).
template <class F>
void for_each_available_arch(F&& f) {
#if ROPESCALE_TEST_DISPATCH
    detail::for_each_arch(
        f, std::make_index_sequence<std::tuple_size<ropescale_kernels::archs>::value>{});
#else
    f(xsimd::default_arch{}, xsimd::default_arch::name());
#endif
}

}  // namespace robustness

#endif  // ROPESCALE_TESTS_ROBUSTNESS_ISA_KERNELS_HPP
