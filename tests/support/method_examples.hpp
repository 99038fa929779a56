// One valid configuration of every scaling method, for the tests that visit every method
// (tests/robustness, tests/hf). The methods come from the registry (for_each_method): a method
// without an example here is a compile error in every_method_example(), not a silent gap.
//
// Each example is valid at head_dim 128 (64 pairs: the LongRoPE lists have 64 entries) with
// rope_theta 10000, and leaves every member with a default at its default, so a test can
// change one parameter and know what the others are.
#ifndef ROPESCALE_TESTS_SUPPORT_METHOD_EXAMPLES_HPP
#define ROPESCALE_TESTS_SUPPORT_METHOD_EXAMPLES_HPP

#include <ropescale/params.hpp>

#include <vector>

namespace ropescale_test {

namespace rs = ropescale;

inline rs::plain example(rs::method_tag<rs::plain>) { return {}; }
inline rs::linear example(rs::method_tag<rs::linear>) { return rs::linear{4.0}; }
inline rs::ntk_aware example(rs::method_tag<rs::ntk_aware>) { return rs::ntk_aware{2.0}; }
inline rs::dynamic_ntk example(rs::method_tag<rs::dynamic_ntk>) {
    return rs::dynamic_ntk{2.0, 4096};
}
inline rs::ntk_by_parts example(rs::method_tag<rs::ntk_by_parts>) {
    rs::ntk_by_parts m;
    m.factor = 16.0;
    m.original_max_position_embeddings = 4096;
    return m;
}
inline rs::yarn example(rs::method_tag<rs::yarn>) {
    rs::yarn m;
    m.factor = 16.0;
    m.original_max_position_embeddings = 4096;
    return m;
}
inline rs::dynamic_yarn example(rs::method_tag<rs::dynamic_yarn>) {
    rs::dynamic_yarn m;
    m.original_max_position_embeddings = 4096;
    m.max_position_embeddings = 65536;
    return m;
}
inline rs::llama3 example(rs::method_tag<rs::llama3>) { return rs::llama3{8.0, 1.0, 4.0, 8192}; }
inline rs::longrope example(rs::method_tag<rs::longrope>) {
    rs::longrope m;
    m.short_factor.assign(64, 1.0);
    m.long_factor.assign(64, 2.0);
    m.original_max_position_embeddings = 4096;
    m.max_position_embeddings = 131072;
    return m;
}

inline rs::proportional example(rs::method_tag<rs::proportional>) { return {}; }

// llama.cpp's YaRN arguments for s = 16 over L = 4096 (C++ and GGUF only: no config.json keys).
inline rs::llama_cpp example(rs::method_tag<rs::llama_cpp>) {
    rs::llama_cpp m;
    m.freq_scale = 1.0 / 16.0;
    m.n_ctx_orig = 4096;
    m.ext_factor = 1.0;
    return m;
}

/// The example of every method, in registry order (scaling_method's alternative order).
inline std::vector<rs::scaling_method> every_method_example() {
    std::vector<rs::scaling_method> out;
    rs::for_each_method([&](auto tag) { out.emplace_back(example(tag)); });
    return out;
}

}  // namespace ropescale_test

#endif  // ROPESCALE_TESTS_SUPPORT_METHOD_EXAMPLES_HPP
