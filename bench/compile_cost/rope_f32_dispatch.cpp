// Compile-cost probe: the same call on run-time dispatch, the kernels declared here and
// compiled in their own units (what ropescale_add_kernels generates for a target).
#include <cstdint>
#include <ropescale/dispatch.hpp>
#include <ropescale/rope.hpp>
#include <vector>
ROPESCALE_DECLARE_KERNELS(xsimd::avx512bw)
ROPESCALE_DECLARE_KERNELS(xsimd::fma3<xsimd::avx2>)
ROPESCALE_DECLARE_KERNELS(xsimd::sse2)
using dispatch =
    ropescale::dynamic_dispatch<xsimd::avx512bw, xsimd::fma3<xsimd::avx2>, xsimd::sse2>;
bool probe(const ropescale::basic_rope<dispatch>& rope, const std::vector<std::int32_t>& positions,
           std::vector<float>& q, std::vector<float>& k) {
    return static_cast<bool>(rope.apply(positions, q, k));
}
