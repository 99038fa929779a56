// Distances in units in the last place, and the methods' precision contracts in those units,
// for the tests that compare tables (tests/core, tests/hf, tests/gguf): written once here.
#ifndef ROPESCALE_TESTS_SUPPORT_ULP_HPP
#define ROPESCALE_TESTS_SUPPORT_ULP_HPP

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace ropescale_test {

/// Distance in ulp between two finite doubles of the same sign; 0 only matches 0 (proportional
/// RoPE's unrotated pairs must be exactly zero), anything else across 0 or not finite is
/// UINT64_MAX.
inline std::uint64_t ulp_distance(double a, double b) {
    if (a == b) return 0;
    if (a == 0.0 || b == 0.0 || std::signbit(a) != std::signbit(b) || !std::isfinite(a) ||
        !std::isfinite(b))
        return UINT64_MAX;
    std::int64_t ia = 0;
    std::int64_t ib = 0;
    std::memcpy(&ia, &a, sizeof a);
    std::memcpy(&ib, &b, sizeof b);
    return ia > ib ? static_cast<std::uint64_t>(ia - ib) : static_cast<std::uint64_t>(ib - ia);
}

/// The inv_freq contract of the method config.json names `rope_type`, in ulp of its formula
/// (the methods' headers' doc comments).
inline std::uint64_t inv_freq_ulp(const std::string& rope_type) {
    if (rope_type == "default") return 2;        // plain.hpp
    if (rope_type == "linear") return 3;         // linear.hpp
    if (rope_type == "longrope") return 3;       // longrope.hpp
    if (rope_type == "proportional") return 3;   // proportional.hpp
    if (rope_type == "llama3") return 6;         // llama3.hpp
    if (rope_type == "llama.cpp") return 4;      // llama_cpp.hpp
    if (rope_type == "dynamic") return 6;        // dynamic_ntk.hpp
    if (rope_type == "ntk_by_parts") return 12;  // ntk_by_parts.hpp
    return 8;                                    // yarn.hpp, dynamic_yarn.hpp
}

/// The attention factor and logit scale contract (yarn.hpp, longrope.hpp), in ulp.
inline constexpr std::uint64_t factor_ulp = 4;

}  // namespace ropescale_test

#endif  // ROPESCALE_TESTS_SUPPORT_ULP_HPP
