// Force-included into the avx2 kernel unit when ROPESCALE_TEST_AVX2_F16C is OFF
// (tests/kernels/CMakeLists.txt): that unit must then be compiled without F16C, or the tests
// would not reach the asm fp16 conversion they are configured for. Declares nothing, so the
// unit still holds only the kernel instantiations.
#ifndef ROPESCALE_TESTS_KERNELS_NO_F16C_CHECK_HPP
#define ROPESCALE_TESTS_KERNELS_NO_F16C_CHECK_HPP

#if defined(__F16C__)
#error "ROPESCALE_TEST_AVX2_F16C=OFF must compile the avx2 kernel unit without F16C"
#endif

#endif  // ROPESCALE_TESTS_KERNELS_NO_F16C_CHECK_HPP
