// ODR probe: each "all headers" translation unit of robustness_odr defines one probe function
// with this macro. A probe returns the addresses of inline functions and variables of the
// library (identical in every unit if the linker merged them, as the ODR requires) and the
// results of a small computation that instantiates the templates every user instantiates
// (table, cache, apply_rope with the default kernel and the reference, the throwing
// convenience, and the optional headers' entry points when they are included).
#ifndef ROPESCALE_TESTS_ROBUSTNESS_ODR_PROBE_HPP
#define ROPESCALE_TESTS_ROBUSTNESS_ODR_PROBE_HPP

#include <cstdint>
#include <vector>

struct odr_probe {
    const void* method_name;
    const void* rotation_sincos;
    const void* to_fp16;
    const void* stream_threshold;
    const void* optional_entry;  // parse_hf_config / the Eigen overload, or null
    double attention_factor;
    float rotated;
    int headers;
};

odr_probe probe_forward();
odr_probe probe_reverse();

#define ROPESCALE_ODR_PROBE(NAME, HEADERS)                                                 \
    odr_probe NAME() {                                                                     \
        namespace rs = ropescale;                                                          \
        odr_probe p{};                                                                     \
        p.method_name = reinterpret_cast<const void*>(&rs::method_name);                   \
        p.rotation_sincos = reinterpret_cast<const void*>(&rs::rotation_sincos);           \
        p.to_fp16 = reinterpret_cast<const void*>(&rs::to_fp16);                           \
        p.stream_threshold = &rs::detail::stream_threshold_bytes;                          \
        p.optional_entry = ROPESCALE_ODR_OPTIONAL_ENTRY;                                   \
        rs::rope_config c;                                                                 \
        c.head_dim = 64;                                                                   \
        rs::yarn y;                                                                        \
        y.factor = 4.0;                                                                    \
        y.original_max_position_embeddings = 2048;                                         \
        c.scaling = y;                                                                     \
        const auto t = rs::compute_frequencies_or_throw(c);                                \
        const auto cache = rs::build_rope_cache(t, 16, rs::attention_factor_mode::folded); \
        std::vector<float> x(64, 1.0f);                                                    \
        const std::vector<std::int32_t> pos = {9};                                         \
        (void)rs::apply_rope(*cache, rs::rotary_layout::half_split, pos,                   \
                             rs::in_place(rs::make_heads_view(x.data(), 1, 1, 64)));       \
        (void)rs::apply_rope<rs::scalar_reference>(                                        \
            t, rs::rotary_layout::interleaved, pos,                                        \
            rs::in_place(rs::make_heads_view(x.data(), 1, 1, 64)));                        \
        p.attention_factor = t.attention_factor;                                           \
        p.rotated = x[0];                                                                  \
        p.headers = HEADERS;                                                               \
        return p;                                                                          \
    }

#endif  // ROPESCALE_TESTS_ROBUSTNESS_ODR_PROBE_HPP
