// Compile-cost probe: the call vocabulary (views, positions, operands) without the kernels.
#include <ropescale/views.hpp>
ropescale::rope_operand<float> probe(float* q, long long tokens) {
    return ropescale::in_place(ropescale::make_heads_view(q, tokens, 32, 128));
}
