// Compile-cost probe: a TU that only builds a frequency table.
#include <ropescale/frequencies.hpp>
double probe() {
    ropescale::rope_config c;
    c.head_dim = 128;
    c.scaling = ropescale::yarn{16.0, 4096};
    const auto t = ropescale::compute_frequencies(c);
    return t ? t->inv_freq[0] : 0.0;
}
