// What every libFuzzer target of fuzz/ checks with: FUZZ_CHECK(cond, what) aborts with
//     <source>:<line>: CHECK FAILED: <what>
// on stderr when cond is false, so libFuzzer records the input as a crash (and .ci/run finds
// the line); FUZZ_FAIL(what) is the unconditional form. `what` is built only on failure.
#ifndef ROPESCALE_FUZZ_FUZZ_CHECK_HPP
#define ROPESCALE_FUZZ_FUZZ_CHECK_HPP

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace fuzz {

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
    const char* slash = std::strrchr(file, '/');
    std::fprintf(stderr, "%s:%d: CHECK FAILED: %s\n", slash ? slash + 1 : file, line, what.c_str());
    std::fflush(stderr);
    std::abort();
}

}  // namespace fuzz

#define FUZZ_FAIL(what) ::fuzz::fail(__FILE__, __LINE__, (what))
#define FUZZ_CHECK(cond, what)                                 \
    do {                                                       \
        if (!(cond)) ::fuzz::fail(__FILE__, __LINE__, (what)); \
    } while (0)

#endif  // ROPESCALE_FUZZ_FUZZ_CHECK_HPP
