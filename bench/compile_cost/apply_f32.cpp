// Compile-cost probe: one cached f32 rotation call.
#include <cstdint>
#include <ropescale/ropescale.hpp>
bool probe(const ropescale::rope_cache& cache, const std::int32_t* pos, float* q, float* k,
           int tokens) {
    return static_cast<bool>(ropescale::apply_rope(
        cache, ropescale::rotary_layout::half_split, ropescale::position_span(pos, tokens),
        ropescale::in_place(ropescale::make_heads_view(q, tokens, 32, 128)),
        ropescale::in_place(ropescale::make_heads_view(k, tokens, 8, 128))));
}
