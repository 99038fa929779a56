// Compile-cost probe: the config.json reader header, nothing used.
#include <ropescale/hf_config.hpp>
int probe() { return 0; }
