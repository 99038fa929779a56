// The avx2 kernels of the test binary, compiled with -mavx2 -mfma -mf16c.
// Contains nothing but the kernel instantiations, so no symbol is shared with the baseline
// test code (see ropescale/dispatch.hpp; odr_check.cmake verifies it with nm).
#include <ropescale/dispatch.hpp>

ROPESCALE_INSTANTIATE_KERNELS(xsimd::fma3<xsimd::avx2>)
