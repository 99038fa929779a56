// Compile-cost probe: a TU that hands a built cache to its own kernel (the type only).
#include <ropescale/cache.hpp>
const float* probe(const ropescale::rope_cache& cache, long long p) { return cache.cos_row(p); }
