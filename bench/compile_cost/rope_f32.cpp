// Compile-cost probe: the rope object, one f32 apply on contiguous buffers (static dispatch).
#include <cstdint>
#include <ropescale/rope.hpp>
#include <vector>
bool probe(const ropescale::rope& rope, const std::vector<std::int32_t>& positions,
           std::vector<float>& q, std::vector<float>& k) {
    return static_cast<bool>(rope.apply(positions, q, k));
}
