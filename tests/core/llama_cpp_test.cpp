// llama.cpp's RoPE (methods/llama_cpp.hpp): the float32 correction range, the arguments
// llama_cpp_layer_params builds from GGUF hyperparameters and the table, against
// tests/core/llama_cpp_expected.py (mpmath: llama.cpp's and ggml's rules evaluated at 60 digits,
// independently of this code), within the header's contracts; then the difference from
// transformers' semantics (compute_frequencies of the matching transformers method) on the
// same models, asserted where the header documents it and printed one line per model.
#include <gtest/gtest.h>

#include "support/ulp.hpp"

#include <ropescale/ropescale.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;
using ropescale_test::ulp_distance;

#include "llama_cpp_expected.inc"  // expected_params and the values

const std::uint64_t inv_ulps = ropescale_test::inv_freq_ulp("llama.cpp");
const std::uint64_t factor_ulps = ropescale_test::factor_ulp;

template <std::size_t N>
std::vector<double> vec(const double (&a)[N]) {
    return std::vector<double>(a, a + N);
}

// The models of the script, as the hyperparameters llama.cpp reads from their GGUF files.
struct model {
    const char* name;
    int rotary_dim;
    double base;
    rs::llama_cpp_rope_hparams hparams;
    std::int64_t n_ctx_per_seq;
    const expected_params* want;
    std::vector<double> want_inv;
    rs::scaling_method transformers;  // the method transformers runs for the config.json
    rs::table_options transformers_options;
};

rs::llama_cpp_rope_hparams yarn_hparams(const char* arch, double s, std::int64_t ctx,
                                        std::int64_t orig) {
    rs::llama_cpp_rope_hparams h;
    h.architecture = arch;
    h.scaling_type = rs::llama_cpp_scaling_type::yarn;
    h.factor = s;
    h.context_length = ctx;
    h.original_context_length = orig;
    return h;
}

rs::yarn transformers_yarn(double s, std::int64_t big_l) {
    rs::yarn y;
    y.factor = s;
    y.original_max_position_embeddings = big_l;
    return y;
}

std::vector<model> models() {
    std::vector<model> out;
    out.push_back({"Llama 2 YaRN s=4",
                   128,
                   10000.0,
                   yarn_hparams("llama", 4.0, 16384, 4096),
                   16384,
                   &llama2_yarn_params,
                   vec(llama2_yarn_inv_freq),
                   transformers_yarn(4.0, 4096),
                   {}});
    {
        rs::yarn y = transformers_yarn(32.0, 4096);
        y.truncate = false;  // GptOssConfig
        out.push_back({"gpt-oss",
                       64,
                       150000.0,
                       yarn_hparams("gpt-oss", 32.0, 131072, 4096),
                       131072,
                       &gpt_oss_params,
                       vec(gpt_oss_inv_freq),
                       y,
                       {}});
    }
    {
        rs::llama_cpp_rope_hparams h = yarn_hparams("deepseek2", 40.0, 163840, 4096);
        h.yarn_log_multiplier = static_cast<float>(0.1 * 0.707);  // the converter's float32
        rs::yarn y = transformers_yarn(40.0, 4096);
        y.mscale = 0.707;
        y.mscale_all_dim = 0.707;
        out.push_back({"DeepSeek-V2-Lite",
                       64,
                       10000.0,
                       h,
                       163840,
                       &deepseek_v2_lite_params,
                       vec(deepseek_v2_lite_inv_freq),
                       y,
                       {}});
    }
    {
        rs::llama_cpp_rope_hparams h;
        h.architecture = "phi3";
        h.context_length = 131072;
        h.original_context_length = 4096;
        h.rope_attn_factor = phi3_rope_attn_factor;
        h.rope_factors_long = vec(phi3_long_factor_f32);
        h.rope_factors_short = vec(phi3_short_factor_f32);
        rs::longrope lr;
        lr.long_factor = vec(phi3_long_factor);
        lr.short_factor = vec(phi3_short_factor);
        lr.original_max_position_embeddings = 4096;
        lr.max_position_embeddings = 131072;
        out.push_back({"Phi-3-mini-128k (long)", 96, 10000.0, h, 131072, &phi3_long_params,
                       vec(phi3_long_inv_freq), lr, rs::table_options{131072, std::nullopt}});
        out.push_back({"Phi-3-mini-128k (short)", 96, 10000.0, h, 4096, &phi3_short_params,
                       vec(phi3_short_inv_freq), lr, rs::table_options{4096, std::nullopt}});
    }
    {
        rs::llama_cpp_rope_hparams h;
        h.architecture = "llama";
        h.context_length = 131072;
        h.rope_freqs = vec(llama31_rope_freqs);
        out.push_back({"Llama 3.1 rope_freqs",
                       128,
                       500000.0,
                       h,
                       131072,
                       &llama31_params,
                       vec(llama31_inv_freq),
                       rs::llama3{8.0, 1.0, 4.0, 8192},
                       {}});
    }
    {
        rs::llama_cpp_rope_hparams h;
        h.architecture = "llama";
        h.scaling_type = rs::llama_cpp_scaling_type::none;
        h.context_length = 4096;
        out.push_back(
            {"plain", 128, 10000.0, h, 4096, &plain_params, vec(plain_inv_freq), rs::plain{}, {}});
        h.scaling_type = rs::llama_cpp_scaling_type::linear;
        h.factor = 4.0;
        h.context_length = 16384;
        out.push_back({"linear s=4",
                       128,
                       10000.0,
                       h,
                       16384,
                       &linear_params,
                       vec(linear_inv_freq),
                       rs::linear{4.0},
                       {}});
    }
    out.push_back({"crafted L=17206",
                   128,
                   10000.0,
                   yarn_hparams("llama", 4.0, 4 * crafted_l, crafted_l),
                   4 * crafted_l,
                   &crafted_params,
                   vec(crafted_inv_freq),
                   transformers_yarn(4.0, crafted_l),
                   {}});
    return out;
}

rs::frequency_table table_of(rs::scaling_method m, int rotary_dim, double base,
                             rs::table_options options = {}) {
    rs::rope_config c;
    c.head_dim = rotary_dim;
    c.rope_theta = base;
    c.scaling = std::move(m);
    auto t = rs::compute_frequencies(c, options);
    EXPECT_TRUE(t) << t.err().what();
    return t ? *t : rs::frequency_table{};
}

// The method from the script's parameters (what the table contract is checked on).
rs::llama_cpp params_of(const expected_params& p, const std::vector<double>& factors) {
    rs::llama_cpp m;
    m.freq_scale = p.freq_scale;
    m.n_ctx_orig = p.n_ctx_orig;
    m.ext_factor = p.ext_factor;
    m.attn_factor = p.attn_factor;
    m.beta_fast = p.beta_fast;
    m.beta_slow = p.beta_slow;
    m.logit_scale = p.logit_scale;
    m.freq_factors = factors;
    return m;
}

TEST(llama_cpp, corr_dims_are_ggmls_float32_ones) {
    for (const model& m : models()) {
        SCOPED_TRACE(m.name);
        if (m.want->ext_factor == 0.0) continue;
        const rs::correction_range r = rs::llama_cpp_corr_dims(
            m.rotary_dim, m.want->n_ctx_orig, m.base, m.want->beta_fast, m.want->beta_slow);
        EXPECT_EQ(r.low, m.want->low);
        EXPECT_EQ(r.high, m.want->high);
    }
    // The crafted length: ggml's float32 range and transformers' double one differ.
    const rs::correction_range f32 = rs::llama_cpp_corr_dims(128, crafted_l, 10000.0, 32.0, 1.0);
    EXPECT_EQ(f32.low, crafted_range_f32[0]);
    EXPECT_EQ(f32.high, crafted_range_f32[1]);
    const rs::correction_range f64 =
        rs::yarn_correction_range(32.0, 1.0, 128, 10000.0, crafted_l, true);
    EXPECT_EQ(f64.low, crafted_range_f64[0]);
    EXPECT_EQ(f64.high, crafted_range_f64[1]);
    EXPECT_NE(f32.high, f64.high);
}

TEST(llama_cpp, layer_params_are_llama_cpps_arguments) {
    for (const model& m : models()) {
        SCOPED_TRACE(m.name);
        const rs::llama_cpp_layer l = rs::llama_cpp_layer_params(m.hparams, m.n_ctx_per_seq);
        const rs::llama_cpp& p = l.params;
        EXPECT_EQ(p.freq_scale, m.want->freq_scale);
        EXPECT_EQ(p.n_ctx_orig, m.want->n_ctx_orig);
        EXPECT_EQ(p.ext_factor, m.want->ext_factor);
        EXPECT_EQ(p.beta_fast, m.want->beta_fast);
        EXPECT_EQ(p.beta_slow, m.want->beta_slow);
        EXPECT_LE(ulp_distance(p.attn_factor, m.want->attn_factor), factor_ulps)
            << p.attn_factor << " vs " << m.want->attn_factor;
        EXPECT_LE(ulp_distance(p.logit_scale, m.want->logit_scale), factor_ulps)
            << p.logit_scale << " vs " << m.want->logit_scale;
    }
    // The LongRoPE list follows the context per sequence (llama_model::get_rope_factors).
    const std::vector<model> all = models();
    const model& phi = all[3];
    auto l = rs::llama_cpp_layer_params(phi.hparams, 4097);
    EXPECT_EQ(l.longrope_list, rs::longrope_factors::long_factors);
    EXPECT_EQ(l.params.freq_factors, vec(phi3_long_factor_f32));
    l = rs::llama_cpp_layer_params(phi.hparams, 4096);
    EXPECT_EQ(l.longrope_list, rs::longrope_factors::short_factors);
    EXPECT_EQ(l.params.freq_factors, vec(phi3_short_factor_f32));
    // rope_freqs wins over the lists.
    rs::llama_cpp_rope_hparams h = phi.hparams;
    h.rope_freqs.assign(48, 2.0);
    l = rs::llama_cpp_layer_params(h, 131072);
    EXPECT_FALSE(l.longrope_list);
    EXPECT_EQ(l.params.freq_factors, h.rope_freqs);
    // A sliding-window layer takes the sliding scale; the rest is the context's.
    rs::llama_cpp_rope_hparams g = yarn_hparams("gpt-oss", 32.0, 131072, 4096);
    g.sliding_freq_scale = 0.5;
    l = rs::llama_cpp_layer_params(g, 131072, true);
    EXPECT_EQ(l.params.freq_scale, 0.5);
    EXPECT_EQ(l.params.ext_factor, 1.0);
    // An explicit yarn_ext_factor is used; 0 turns the YaRN magnitude off (yarn_attn_factor).
    g.yarn_ext_factor = 0.0;
    g.yarn_attn_factor = 1.25;
    l = rs::llama_cpp_layer_params(g, 131072);
    EXPECT_EQ(l.params.ext_factor, 0.0);
    EXPECT_EQ(l.params.attn_factor, 1.25);
}

TEST(llama_cpp, tables_match_the_formula) {
    for (const model& m : models()) {
        SCOPED_TRACE(m.name);
        const rs::llama_cpp_layer l = rs::llama_cpp_layer_params(m.hparams, m.n_ctx_per_seq);
        const rs::frequency_table t =
            table_of(params_of(*m.want, l.params.freq_factors), m.rotary_dim, m.base);
        ASSERT_EQ(t.inv_freq.size(), m.want_inv.size());
        for (std::size_t i = 0; i < t.inv_freq.size(); ++i)
            EXPECT_LE(ulp_distance(t.inv_freq[i], m.want_inv[i]), inv_ulps)
                << "pair " << i << ": " << t.inv_freq[i] << " vs " << m.want_inv[i];
        EXPECT_LE(ulp_distance(t.attention_factor, m.want->attention), factor_ulps)
            << t.attention_factor << " vs " << m.want->attention;
        EXPECT_EQ(t.logit_scale, m.want->logit_scale);
        EXPECT_STREQ(t.method, "llama.cpp");
        if (m.want->ext_factor != 0.0) {
            ASSERT_TRUE(t.correction);
            EXPECT_EQ(t.correction->low, m.want->low);
            EXPECT_EQ(t.correction->high, m.want->high);
        }
    }
}

// llama.cpp's table against transformers' for the same model. Asserted: identical (both
// contracts) where the rules coincide; gpt-oss differs only inside its ramp (transformers does
// not floor the range, ggml does); Phi-3 and Llama 3.1 differ by the float32 factors the file
// holds; the crafted length by its range end. Printed: the largest relative inv_freq
// difference, the attention factor and logit scale ratios (llama.cpp / transformers).
TEST(llama_cpp, difference_from_transformers) {
    for (const model& m : models()) {
        SCOPED_TRACE(m.name);
        const rs::llama_cpp_layer l = rs::llama_cpp_layer_params(m.hparams, m.n_ctx_per_seq);
        const rs::frequency_table ll = table_of(l.params, m.rotary_dim, m.base);
        const rs::frequency_table hf =
            table_of(m.transformers, m.rotary_dim, m.base, m.transformers_options);
        ASSERT_EQ(ll.inv_freq.size(), hf.inv_freq.size());
        double worst = 0.0;
        std::size_t worst_pair = 0;
        std::vector<std::size_t> differing;  // pairs beyond both contracts
        for (std::size_t i = 0; i < ll.inv_freq.size(); ++i) {
            const double rel = std::fabs(ll.inv_freq[i] - hf.inv_freq[i]) / hf.inv_freq[i];
            if (rel > worst) {
                worst = rel;
                worst_pair = i;
            }
            if (ulp_distance(ll.inv_freq[i], hf.inv_freq[i]) >
                inv_ulps + ropescale_test::inv_freq_ulp(hf.method))
                differing.push_back(i);
        }
        const double attention_ratio = ll.attention_factor / hf.attention_factor;
        const double logit_ratio = ll.logit_scale / hf.logit_scale;
        std::printf(
            "[llama.cpp vs transformers] %-24s max rel inv_freq diff %.3g (pair %zu), "
            "attention factor ratio %.9g, logit scale ratio %.9g\n",
            m.name, worst, worst_pair, attention_ratio, logit_ratio);
        const std::string name = m.name;
        if (name == "gpt-oss") {
            // ggml floors and ceils the range (8, 18); transformers keeps c(32) = 8.1..,
            // c(1) = 17.4..: only the pairs strictly inside differ, and they do.
            ASSERT_FALSE(differing.empty());
            for (std::size_t i : differing) {
                EXPECT_GT(static_cast<double>(i), m.want->low) << i;
                EXPECT_LT(static_cast<double>(i), m.want->high) << i;
            }
            EXPECT_GT(worst, 1e-3);
        } else if (name == "crafted L=17206") {
            // The ramps end at 55 (ggml) and 56 (transformers): pairs inside both differ.
            ASSERT_FALSE(differing.empty());
            for (std::size_t i : differing) {
                EXPECT_GT(static_cast<double>(i), m.want->low) << i;
                EXPECT_LT(static_cast<double>(i), crafted_range_f64[1]) << i;
            }
        } else if (name.rfind("Phi-3", 0) == 0) {
            // The lists and the attention factor are float32 in the file.
            EXPECT_LE(worst, 0x1p-24 * 1.01);
            EXPECT_LE(std::fabs(attention_ratio - 1.0), 0x1p-24);
        } else if (name == "Llama 3.1 rope_freqs") {
            // The converter's float32 blend band: up to about 1e-6 relative; the pairs outside
            // the band (factors 1 and 8) within the contracts.
            EXPECT_LE(worst, 2e-6);
            for (std::size_t i : differing) {
                const double f = llama31_rope_freqs[i];
                EXPECT_TRUE(f != 1.0 && f != 8.0) << "pair " << i << " factor " << f;
            }
        } else {
            // plain, linear, Llama 2 YaRN, DeepSeek-V2-Lite: the same rules.
            EXPECT_TRUE(differing.empty()) << "first differing pair " << differing.front();
        }
        if (name != "Phi-3-mini-128k (long)" && name != "Phi-3-mini-128k (short)") {
            // The magnitude: llama.cpp's constructor cancels the kernel's 1 + 0.1 ln s for the
            // YaRN models, leaving transformers' get_mscale (DeepSeek: the mscale ratio, 1).
            EXPECT_NEAR(attention_ratio, 1.0, 1e-15);
        }
        // DeepSeek's logit scale: get_mscale(s, mscale_all_dim)^2 from the float32 multiplier.
        EXPECT_NEAR(logit_ratio, 1.0, name == "DeepSeek-V2-Lite" ? 1e-7 : 0.0);
    }
}

TEST(llama_cpp, no_rope_type_selects_it) {
    EXPECT_FALSE(rs::reads_config_json<rs::llama_cpp>());
    EXPECT_TRUE(rs::reads_config_json<rs::yarn>());
    EXPECT_FALSE(rs::visit_rope_type("llama.cpp", [](auto) {}));
    EXPECT_FALSE(rs::visit_rope_type("llama_cpp", [](auto) {}));
    EXPECT_EQ(rs::rope_type_spellings().find("llama"), rs::rope_type_spellings().find("llama3"));
    EXPECT_STREQ(rs::method_name(rs::llama_cpp{}), "llama.cpp");
}

TEST(llama_cpp, validation_names_the_parameter) {
    const auto refused = [](rs::llama_cpp m, const char* field) {
        rs::rope_config c;
        c.head_dim = 128;
        c.scaling = std::move(m);
        const auto t = rs::compute_frequencies(c);
        ASSERT_FALSE(t) << field;
        EXPECT_EQ(t.err().field, field);
    };
    rs::llama_cpp m;
    m.freq_scale = 0.0;
    refused(m, "freq_scale");
    m = {};
    m.ext_factor = -1.0;
    refused(m, "ext_factor");
    m = {};
    m.ext_factor = 1.0;  // the range needs L
    refused(m, "n_ctx_orig");
    m.n_ctx_orig = 4096;
    m.beta_slow = 0.0;
    refused(m, "beta_slow");
    m = {};
    m.freq_factors.assign(63, 1.0);
    refused(m, "freq_factors");
    m.freq_factors.assign(64, 1.0);
    m.freq_factors[5] = 0.0;
    refused(m, "freq_factors[5]");
    m = {};
    m.attn_factor = std::nan("");
    refused(m, "attn_factor");
    // Without YaRN the range parameters are not used, so not checked (ggml ignores them too).
    m = {};
    m.beta_fast = 0.0;
    rs::rope_config c;
    c.head_dim = 128;
    c.scaling = m;
    EXPECT_TRUE(rs::compute_frequencies(c));
}

}  // namespace
