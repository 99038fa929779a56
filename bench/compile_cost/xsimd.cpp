// Compile-cost probe: xsimd alone.
#include <xsimd/xsimd.hpp>
int probe() { return 0; }
