// The core headers and the kernels without exceptions: this unit (and the per-ISA kernel
// units linked with it) is compiled with -fno-exceptions. It includes the umbrella header and
// dispatch.hpp, builds the table of every method, a cache, rotates with the static kernel,
// run-time dispatch and the scalar reference, and checks that every kind of error comes back
// as a value. Plain main (no GoogleTest: gtest_main is built with exceptions); it prints
// "N passed, 0 failed" and exits non-zero on any failure. The GGUF reader's checks
// (noexcept_gguf.cpp) run in the same program, and where nlohmann-json is found, the
// config.json reader's (noexcept_hf.cpp).
#include "isa_kernels.hpp"
#include "noexcept_checks.hpp"
#include "support/method_examples.hpp"

#include <ropescale/dispatch.hpp>
#include <ropescale/ropescale.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "this translation unit must be compiled with -fno-exceptions"
#endif
static_assert(ROPESCALE_USE_EXCEPTIONS == 0, "config.hpp must see that exceptions are off");

namespace {
int passed = 0;
int failed = 0;
}  // namespace

void noexcept_test::check(bool ok, const std::string& what) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    }
}

namespace {

namespace rs = ropescale;
using noexcept_test::check;

template <class T>
bool refused(const rs::expected<T>& r, rs::errc code, const char* field) {
    return !r && r.err().code == code && r.err().field == field;
}
bool refused(const rs::status& r, rs::errc code, const char* field) {
    return !r && r.err().code == code && r.err().field == field;
}

template <class Arch>
double rotate_max_error(const rs::rope_cache& cache, const rs::frequency_table& table) {
    std::vector<float> a(4 * 2 * 128), b;
    for (std::size_t i = 0; i < a.size(); ++i)
        a[i] = static_cast<float>(std::sin(static_cast<double>(i)));
    b = a;
    std::vector<std::int32_t> pos = {0, 5, 4095, 17};
    const auto view = [](std::vector<float>& v) {
        return rs::in_place(rs::make_heads_view(v.data(), 4, 2, 128));
    };
    if (!rs::apply_rope<Arch>(cache, rs::rotary_layout::half_split, pos, view(a))) return 1e9;
    if (!rs::apply_rope<rs::scalar_reference>(cache, rs::rotary_layout::half_split, pos, view(b)))
        return 1e9;
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::fmax(worst, std::fabs(a[i] - b[i]));
    // And on the fly, forward then inverse: back to the input within the f32 bound.
    std::vector<float> c = a;
    if (!rs::apply_rope<Arch>(table, rs::rotary_layout::interleaved, pos, view(c))) return 1e9;
    if (!rs::apply_rope<Arch>(table, rs::rotary_layout::interleaved, pos, view(c), {},
                              rs::rotation_direction::inverse))
        return 1e9;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::fmax(worst, std::fabs(c[i] - a[i]) / 4.0);
    return worst;
}

}  // namespace

int main() {
    // Every method builds a table.
    for (const auto& m : ropescale_test::every_method_example()) {
        rs::rope_config c;
        c.head_dim = 128;
        c.scaling = m;
        const auto t = rs::compute_frequencies(c, rs::table_options{65536, std::nullopt});
        check(t && t->inv_freq.size() == 64, std::string("table of ") + rs::method_name(m));
    }

    // Errors are values: configuration, options, cache, views, positions, shift.
    rs::rope_config bad;
    bad.head_dim = 128;
    bad.scaling = rs::linear{0.5};
    check(refused(rs::compute_frequencies(bad), rs::errc::out_of_range, "factor"),
          "factor < 1 refused");
    bad.scaling = rs::plain{};
    bad.rope_theta = std::nan("");
    check(refused(rs::validate(bad), rs::errc::not_finite, "rope_theta"), "NaN rope_theta refused");
    bad.rope_theta = 10000.0;
    check(refused(rs::compute_frequencies(bad, rs::table_options{0, std::nullopt}),
                  rs::errc::out_of_range, "seq_len"),
          "seq_len 0 refused");

    rs::rope_config good;
    good.head_dim = 128;
    rs::yarn y;
    y.factor = 16.0;
    y.original_max_position_embeddings = 4096;
    good.scaling = y;
    const auto table = rs::compute_frequencies(good);
    check(static_cast<bool>(table), "yarn table");
    if (!table) {
        std::printf("%d passed, %d failed\n", passed, failed);
        return 1;
    }
    check(refused(rs::build_rope_cache(*table, -1, rs::attention_factor_mode::folded),
                  rs::errc::out_of_range, "positions"),
          "negative cache size refused");
    const auto cache = rs::build_rope_cache(*table, 4096, rs::attention_factor_mode::folded);
    check(cache && cache->size() == 4096, "cache of 4096 positions");
    const auto pure = rs::build_rope_cache(*table, 4096, rs::attention_factor_mode::separate);
    check(static_cast<bool>(pure), "separate cache");

    std::vector<float> q(4 * 2 * 128, 1.0f);
    const auto q0 = q;
    const auto qv = rs::in_place(rs::make_heads_view(q.data(), 4, 2, 128));
    std::vector<std::int32_t> far = {0, 1, 2, 4096};
    check(refused(rs::apply_rope(*cache, rs::rotary_layout::half_split, far, qv),
                  rs::errc::position_out_of_range, "positions[3]"),
          "position outside the cache refused");
    std::vector<std::int32_t> pos = {0, 1, 2, 3};
    check(refused(rs::apply_rope(*cache, rs::rotary_layout::half_split, pos,
                                 rs::in_place(rs::make_heads_view(q.data(), 4, 2, 64))),
                  rs::errc::inconsistent, "q.in.head_dim"),
          "head_dim mismatch refused");
    check(refused(rs::apply_rope(*cache, rs::rotary_layout::half_split, pos,
                                 rs::in_place(rs::make_heads_view<float>(nullptr, 4, 2, 128))),
                  rs::errc::invalid_argument, "q.in.data"),
          "null data refused");
    check(refused(rs::shift_rope(*cache, rs::rotary_layout::half_split, far, qv),
                  rs::errc::position_out_of_range, "positions[3]"),
          "delta outside the cache refused");
    check(refused(rs::apply_rope(rs::rope_cache{}, rs::rotary_layout::half_split, pos, qv),
                  rs::errc::invalid_argument, "cache"),
          "empty cache refused");
    check(q == q0, "refused calls wrote nothing");

    // The kernels: static dispatch, run-time dispatch, against the reference.
    check(rotate_max_error<xsimd::default_arch>(*cache, *table) < 1e-5,
          "static kernel matches the reference");
#if ROPESCALE_TEST_DISPATCH
    using any_isa = robustness::dispatched;
    check(rotate_max_error<any_isa>(*cache, *table) < 1e-5,
          std::string("dispatched kernel (") + any_isa::name() + ") matches the reference");
#endif
    // A shift by +d then -d returns the keys.
    std::vector<float> k(4 * 128);
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<float>(std::cos(static_cast<double>(i)));
    const auto k0 = k;
    const auto kv = rs::in_place(rs::make_heads_view(k.data(), 4, 1, 128));
    std::vector<std::int64_t> d = {3, -7, 100, 4095}, minus_d = {-3, 7, -100, -4095};
    check(rs::shift_rope(*pure, rs::rotary_layout::interleaved, d, kv) &&
              rs::shift_rope(*pure, rs::rotary_layout::interleaved, minus_d, kv),
          "shift by d and -d");
    double worst = 0;
    for (std::size_t i = 0; i < k.size(); ++i) worst = std::fmax(worst, std::fabs(k[i] - k0[i]));
    check(worst < 1e-5, "shift by d then -d returns the keys");

    noexcept_test::gguf_reader_checks();
#if ROPESCALE_TEST_HF_READER
    noexcept_test::hf_reader_checks();
#endif
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
