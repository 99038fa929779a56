// The avx512bw kernels of the test binary, compiled with -mavx512f -mavx512cd -mavx512dq
// -mavx512bw. Contains nothing but the kernel instantiations, so no symbol is shared with the
// baseline test code (see ropescale/dispatch.hpp; odr_check.cmake verifies it with nm).
#include <ropescale/dispatch.hpp>

ROPESCALE_INSTANTIATE_KERNELS(xsimd::avx512bw)
