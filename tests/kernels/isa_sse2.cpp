// The sse2 kernels of the test binary, compiled with the baseline x86-64 flags (-msse2).
// Contains nothing but the kernel instantiations, so no symbol is shared with the baseline
// test code (see ropescale/dispatch.hpp; odr_check.cmake verifies it with nm).
#include <ropescale/dispatch.hpp>

ROPESCALE_INSTANTIATE_KERNELS(xsimd::sse2)
