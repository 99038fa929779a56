// The avx2 kernels of the test binary, compiled with -mavx2 -mfma -mf16c, or with -mno-f16c
// instead when ROPESCALE_TEST_AVX2_F16C is OFF (then fp16 converts through the asm path of
// detail/simd_io.hpp, which AVX2 targets without -mf16c use).
// Contains nothing but the kernel instantiations, so no symbol is shared with the baseline
// test code (see ropescale/dispatch.hpp; odr_check.cmake verifies it with nm).
#include <ropescale/dispatch.hpp>

#if defined(ROPESCALE_TEST_AVX2_NO_F16C) && defined(__F16C__)
#error "ROPESCALE_TEST_AVX2_F16C=OFF must compile this unit without F16C"
#endif

ROPESCALE_INSTANTIATE_KERNELS(xsimd::fma3<xsimd::avx2>)
