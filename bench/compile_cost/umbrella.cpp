// Compile-cost probe: the umbrella header, nothing used.
#include <ropescale/ropescale.hpp>
int probe() { return 0; }
