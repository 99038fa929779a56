// ODR and packaging hygiene (ctest: robustness_odr). This program is linked from
//   - one translation unit per public header (generated: the header included first and alone,
//     so each header is self-contained), and
//   - two translation units that include every public header (generated; forward and reverse
//     order), including hf_config.hpp and eigen.hpp when their dependencies exist.
// A function or variable defined in a header without `inline` (or a template specialisation
// that is not inline) is then defined in several units and the link fails: the build of this
// test is the check. Running it checks that the inline entities the two units use are one
// entity (same address) and compute the same values.
//
// Kernels of different instruction sets in one binary are checked by tests/kernels
// (kernels_odr.<isa>: nm over each per-ISA object, every external symbol must be an
// instantiation for that ISA).
#include "odr_probe.hpp"

#include <cstdio>

int main() {
    const odr_probe a = probe_forward();
    const odr_probe b = probe_reverse();
    int failed = 0;
    const auto check = [&](bool ok, const char* what) {
        if (!ok) {
            std::fprintf(stderr, "FAILED: %s\n", what);
            ++failed;
        }
    };
    check(a.method_name == b.method_name, "ropescale::method_name has one address");
    check(a.rotation_sincos == b.rotation_sincos, "ropescale::rotation_sincos has one address");
    check(a.to_fp16 == b.to_fp16, "ropescale::to_fp16 has one address");
    check(a.stream_threshold == b.stream_threshold,
          "detail::stream_threshold_bytes has one address");
    check(a.optional_entry == b.optional_entry,
          "the optional headers' entry points have one address");
    check(a.attention_factor == b.attention_factor && a.attention_factor > 1.0,
          "same table in both units");
    check(a.rotated == b.rotated, "same rotation in both units");
    check(a.headers == b.headers && a.headers > 0, "both units include the same headers");
    std::printf(
        "odr: %d public headers, each alone in a unit and all in two units: linked; %d failed\n",
        a.headers, failed);
    return failed == 0 ? 0 : 1;
}
