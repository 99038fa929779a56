// The check counter of robustness_noexcept, shared by its translation units (all compiled with
// -fno-exceptions): noexcept_main.cpp (the core headers and kernels), noexcept_gguf.cpp (the
// GGUF reader) and noexcept_hf.cpp (the config.json reader, built where nlohmann-json is
// found).
#ifndef ROPESCALE_TESTS_NOEXCEPT_CHECKS_HPP
#define ROPESCALE_TESTS_NOEXCEPT_CHECKS_HPP

#include <string>

namespace noexcept_test {

/// Counts a passed check, or prints "FAILED: what" and counts a failure.
void check(bool ok, const std::string& what);

/// The reader's checks (noexcept_hf.cpp).
void hf_reader_checks();

/// The GGUF reader's checks (noexcept_gguf.cpp).
void gguf_reader_checks();

}  // namespace noexcept_test

#endif  // ROPESCALE_TESTS_NOEXCEPT_CHECKS_HPP
