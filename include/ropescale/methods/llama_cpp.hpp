// SPDX-License-Identifier: MIT
//
// llama.cpp's RoPE ("llama.cpp"): the table ggml's rope operator computes from the arguments
// llama.cpp hands it for one layer, and the mapping from a GGUF file's RoPE keys to those
// arguments. Not a config.json rope_type: the method has no spellings and no config.json keys;
// it is built in C++ (or by the GGUF reader with llama.cpp semantics).
#ifndef ROPESCALE_METHODS_LLAMA_CPP_HPP
#define ROPESCALE_METHODS_LLAMA_CPP_HPP

#include "longrope.hpp"
#include "method_traits.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// llama.cpp's RoPE for one layer: the arguments of ggml_rope_ext / ggml_rope_multi (after
/// llama_context's constructor and the graph builders have combined the hyperparameters) and
/// the table ggml's rope operator computes from them (ggml-cpu ops.cpp: rope_yarn,
/// rope_yarn_ramp, ggml_rope_cache_init; ggml.c: ggml_rope_yarn_corr_dims). With b the base,
/// d the rotary dimension (n_dims), i the pair index:
///   theta_i = b^(-2i/d) / ff_i                  (ff_i = freq_factors[i], else 1)
///   [low, high] = ggml_rope_yarn_corr_dims: low = max(0, floorf(c(beta_fast))),
///                 high = min(d - 1, ceilf(c(beta_slow))), c(n) = d logf(L / (n 2 pi)) /
///                 (2 logf(b)), evaluated in float32 exactly as ggml does (L = n_ctx_orig;
///                 b, n and pi rounded to float32)
///   ramp_i = 1 - clamp((i - low) / max(0.001f, high - low), 0, 1)      (rope_yarn_ramp)
///   mix_i  = ramp_i * ext_factor                (0 when ext_factor == 0: ggml skips the ramp)
///   inv[i] = theta_i (freq_scale (1 - mix_i) + mix_i)                         (rope_yarn)
/// Attention factor (multiplies cos and sin): attn_factor (1 + 0.1 ln(1 / freq_scale)) when
/// ext_factor != 0 (rope_yarn's magnitude), else attn_factor. Logit scale: `logit_scale`, the
/// factor the graph builder multiplies its kq_scale by besides 1 / sqrt(head_dim) (DeepSeek-V2:
/// mscale^2, llama_cpp_layer_params).
/// The kernel evaluates everything but the correction range in float32 (theta_i as the running
/// float product powf(b, -2/d)^i, the blend, the magnitude); the table is the formula above in
/// double, with the float32 steps that decide a discrete result kept: the correction range, whose
/// floor and ceiling are integers, is llama.cpp's own. freq_scale is float32 in llama.cpp
/// (1.0f / s); the table takes the value given.
/// Precision: inv_freq within 4 ulp of the formula evaluated with those float32 correction dims
/// (b^(2i/d) and the blend in double-double, one rounding at the end); the attention factor
/// within 4 ulp. The float32 correction dims are those of a correctly rounded logf; a libm
/// whose logf is not correctly rounded (ggml calls the platform's) can move a range end across
/// an integer only where c(n) lies within about 1e-6 relative of one.
/// Parameters llama.cpp holds as float32 (freq_factors, the betas, the base in the range) are
/// expected to be float32 values, as a GGUF file gives them; other values are used as given
/// (the range rounds the betas and the base to float32, as ggml's arguments do).
struct llama_cpp {
    double freq_scale = 1.0;           ///< 1 / s, > 0 (ggml's freq_scale)
    std::int64_t n_ctx_orig = 0;       ///< L for the correction range; > 0 when ext_factor != 0
    double ext_factor = 0.0;           ///< >= 0; 0 turns the ramp and the magnitude off
    double attn_factor = 1.0;          ///< > 0, ggml's magnitude argument
    double beta_fast = 32.0;           ///< > 0 when ext_factor != 0
    double beta_slow = 1.0;            ///< > 0 when ext_factor != 0
    std::vector<double> freq_factors;  ///< empty, or d/2 entries > 0 dividing theta (float32)
    double logit_scale = 1.0;          ///< > 0, multiplies the softmax scale (DeepSeek-V2)
};

/// ggml_rope_yarn_corr_dims: the correction range [low, high] in pair indices, evaluated in
/// float32 as ggml does (its float arithmetic is the rule): c(n) = d * logf(L / (n * 2 * pi_f)) /
/// (2 * logf(b)) with pi_f = (float)M_PI, low = max(0, floorf(c(beta_fast))), high = min(d - 1,
/// ceilf(c(beta_slow))). Integers (as doubles). Requires L > 0, betas > 0, b > 0.
inline correction_range llama_cpp_corr_dims(int rotary_dim, std::int64_t n_ctx_orig, double base,
                                            double beta_fast, double beta_slow) noexcept {
    const float pi_f = 3.14159265358979323846f;
    const float n_dims = static_cast<float>(rotary_dim);
    const float ctx = static_cast<float>(n_ctx_orig);
    const float log_base = std::log(static_cast<float>(base));
    const auto corr = [&](float n_rot) {
        // Each step a float32 operation, in ggml's order.
        const float rotations = n_rot * 2.0f;
        const float denominator = rotations * pi_f;
        const float quotient = ctx / denominator;
        const float numerator = n_dims * std::log(quotient);
        return numerator / (2.0f * log_base);
    };
    const float start = std::floor(corr(static_cast<float>(beta_fast)));
    const float end = std::ceil(corr(static_cast<float>(beta_slow)));
    const float low = start > 0.0f ? start : 0.0f;
    const float top = static_cast<float>(rotary_dim - 1);
    const float high = end < top ? end : top;
    return {static_cast<double>(low), static_cast<double>(high)};
}

/// The magnitude ggml's rope kernel multiplies cos and sin by when ext_factor != 0, on top of
/// attn_factor: 1 + 0.1 ln(1 / freq_scale) (rope_yarn; unlike yarn_get_mscale, no branch for
/// freq_scale >= 1). llama_context's constructor divides the attention factor by it and the
/// DeepSeek-V2 builder multiplies it back into kq_scale. Within 2 ulp of the formula.
inline double llama_cpp_kernel_magnitude(double freq_scale) noexcept {
    return 1.0 + 0.1 * std::log(1.0 / freq_scale);
}

namespace detail {
// rope_yarn_ramp's 1 - clamp((i - low) / max(0.001f, high - low), 0, 1) for the integer range
// ends ggml_rope_yarn_corr_dims gives, in double-double: 1 at or below low, 0 at or above
// high, (high - i) / (high - low) between (exact operands, no cancellation against 1). When
// high <= low the guard's 0.001 makes every i > low a 0.
inline dd llama_cpp_ramp(int pair, correction_range range) noexcept {
    const double i = static_cast<double>(pair);
    if (i <= range.low) return {1.0, 0.0};
    if (i >= range.high) return {0.0, 0.0};
    return dd_div(dd{range.high - i, 0.0}, dd{range.high - range.low, 0.0});
}
}  // namespace detail

template <>
struct method_traits<llama_cpp> : method_traits_base<llama_cpp> {
    static constexpr const char* name = "llama.cpp";
    /// No config.json rope_type selects it: the reader never builds it.
    static constexpr std::array<const char*, 0> spellings{};
    static constexpr std::array<config_key<llama_cpp>, 0> keys{};

    static std::optional<error> validate(const llama_cpp& m, int rotary_dim) {
        if (auto e = detail::check_above("freq_scale", m.freq_scale, 0.0)) return e;
        if (auto e = detail::check_at_least("ext_factor", m.ext_factor, 0.0)) return e;
        if (auto e = detail::check_above("attn_factor", m.attn_factor, 0.0)) return e;
        if (auto e = detail::check_above("logit_scale", m.logit_scale, 0.0)) return e;
        if (m.ext_factor != 0.0) {
            if (auto e = detail::check_positive_length("n_ctx_orig", m.n_ctx_orig)) return e;
            if (m.n_ctx_orig > std::numeric_limits<std::int32_t>::max())
                return make_error(errc::out_of_range, "n_ctx_orig",
                                  "must fit ggml's int32 argument (<= 2147483647)",
                                  static_cast<long long>(m.n_ctx_orig));
            if (auto e = detail::check_above("beta_fast", m.beta_fast, 0.0)) return e;
            if (auto e = detail::check_above("beta_slow", m.beta_slow, 0.0)) return e;
        }
        if (!m.freq_factors.empty())
            if (auto e = detail::check_factor_list("freq_factors", m.freq_factors, rotary_dim))
                return e;
        return std::nullopt;
    }

    static void build(const llama_cpp& m, int rotary_dim, double base, const table_options&,
                      frequency_table& out) {
        const bool yarn = m.ext_factor != 0.0;
        correction_range range{0.0, 0.0};
        if (yarn) {
            range = llama_cpp_corr_dims(rotary_dim, m.n_ctx_orig, base, m.beta_fast, m.beta_slow);
            out.correction = range;
        }
        using detail::dd;
        const double ln_base = detail::dd_log(base).hi;
        const dd scale{m.freq_scale, 0.0};
        const dd keep = detail::dd_sub(dd{1.0, 0.0}, scale);  // 1 - freq_scale
        out.inv_freq.resize(static_cast<std::size_t>(rotary_dim / 2));
        for (int i = 0; i < rotary_dim / 2; ++i) {
            // freq_scale (1 - mix) + mix = freq_scale + mix (1 - freq_scale)
            dd multiplier = scale;
            if (yarn) {
                const dd mix =
                    detail::dd_mul(detail::llama_cpp_ramp(i, range), dd{m.ext_factor, 0.0});
                if (mix.hi != 0.0) multiplier = detail::dd_add(scale, detail::dd_mul(mix, keep));
            }
            dd power = detail::dd_base_power(ln_base, base, rotary_dim, i);
            if (!m.freq_factors.empty())
                power = detail::dd_mul(power, dd{m.freq_factors[static_cast<std::size_t>(i)], 0.0});
            out.inv_freq[static_cast<std::size_t>(i)] = detail::dd_div_to_double(multiplier, power);
        }
        out.scale = 1.0 / m.freq_scale;
        out.attention_factor =
            yarn ? m.attn_factor * llama_cpp_kernel_magnitude(m.freq_scale) : m.attn_factor;
        out.logit_scale = m.logit_scale;
    }
};

/// llama.cpp's RoPE scaling type (llama_rope_scaling_type_from_string: "none", "linear",
/// "yarn", "longrope").
enum class llama_cpp_scaling_type { none, linear, yarn, longrope };

/// The RoPE hyperparameters llama.cpp reads from a GGUF file (llama_model::load_hparams, the
/// rope tensors), as values: which keys an architecture reads is the caller's decision (an
/// unread key keeps its default here, llama_hparams' default).
struct llama_cpp_rope_hparams {
    std::string architecture;  ///< general.architecture
    /// A.rope.scaling.type; "linear" when absent (load_hparams' default).
    llama_cpp_scaling_type scaling_type = llama_cpp_scaling_type::linear;
    double factor = 0.0;  ///< A.rope.scaling.factor (else scale_linear); 0 (absent) reads as 1
    std::int64_t context_length = 0;           ///< A.context_length (n_ctx_train), > 0
    std::int64_t original_context_length = 0;  ///< n_ctx_orig_yarn; 0: context_length
    double rope_attn_factor = 1.0;             ///< A.rope.scaling.attn_factor
    double yarn_ext_factor = -1.0;             ///< negative: not set (from the scaling type)
    double yarn_attn_factor = 1.0;             ///< A.rope.scaling.yarn_attn_factor
    double yarn_beta_fast = 32.0;
    double yarn_beta_slow = 1.0;
    double yarn_log_multiplier = 0.0;        ///< as stored (deepseek2: 0.1 * mscale_all_dim)
    double sliding_freq_scale = 1.0;         ///< rope_freq_scale_train_swa (sliding-window layers)
    std::vector<double> rope_freqs;          ///< rope_freqs.weight (empty: absent)
    std::vector<double> rope_factors_long;   ///< rope_factors_long.weight
    std::vector<double> rope_factors_short;  ///< rope_factors_short.weight
};

/// llama_cpp_layer_params' warning-free result and what it decided.
struct llama_cpp_layer {
    llama_cpp params;
    /// Which LongRoPE list freq_factors holds (empty: rope_freqs or none).
    std::optional<longrope_factors> longrope_list;
};

/// The ggml_rope_ext arguments of one layer as llama.cpp builds them from the hyperparameters
/// with default context parameters (llama_context_default_params: every rope override unset)
/// and a context of `n_ctx_per_seq` positions per sequence:
///   freq_scale  1 / s (rope_freq_scale_train; s = factor, 0 reading as 1), 1 for scaling type
///               none (llama_context's constructor); sliding-window layers take
///               sliding_freq_scale (llama_model::get_rope_freq_scale)
///   n_ctx_orig  original_context_length, else context_length (cparams.n_ctx_orig_yarn)
///   ext_factor  yarn_ext_factor when >= 0, else 1 for scaling type yarn and 0 otherwise
///   attn_factor llama_context's constructor: when ext_factor != 0, with s' = 1 / (the full
///               layers' freq_scale) and m = yarn_log_multiplier (divided by 0.1 for
///               deepseek2, as its load_hparams does), get_mscale(s', m0) / get_mscale(s', m)
///               if m != 0 (m0 = m for deepseek2 when m != 1, else 1), else get_mscale(s'),
///               times 1 / (1 + 0.1 ln s') (cancelling the kernel's magnitude); else
///               yarn_attn_factor. Then times rope_attn_factor.
///   betas       yarn_beta_fast, yarn_beta_slow
///   factors     rope_freqs if present, else the LongRoPE lists: long iff n_ctx_per_seq >
///               n_ctx_orig (llama_model::get_rope_factors)
///   logit scale deepseek2 only (llm_build_deepseek2's kq_scale): (attn_factor (1 + 0.1
///               ln(1 / freq_scale)) (1 + 0.1 m ln(1 / freq_scale)))^2
/// Evaluated in double (llama.cpp: float32; its attention factor and logit scale differ from
/// these by float32 rounding, about 1e-7 relative).
/// llama.cpp versions differ: before the constructor cancelled the kernel's magnitude
/// (TAG_DEEPSEEK2_YARN_LOG_MUL_FIX), attn_factor was yarn_attn_factor * rope_attn_factor for
/// every scaling type (so A.rope.scaling.yarn_attn_factor multiplied the kernel's
/// 1 + 0.1 ln s instead of being replaced), deepseek2 read the stored multiplier undivided and
/// its builder passed 1 / (1 + 0.1 ln s) itself (the same magnitude 1 and logit scale as
/// here); get_rope_factors took n_ctx / n_seq_max for n_ctx_per_seq.
/// Precondition: context_length > 0; the result is validated by compute_frequencies.
inline llama_cpp_layer llama_cpp_layer_params(const llama_cpp_rope_hparams& h,
                                              std::int64_t n_ctx_per_seq, bool sliding = false) {
    llama_cpp_layer out;
    llama_cpp& p = out.params;
    const double s = h.factor == 0.0 ? 1.0 : h.factor;
    const double full_freq_scale = h.scaling_type == llama_cpp_scaling_type::none ? 1.0 : 1.0 / s;
    p.freq_scale = sliding ? h.sliding_freq_scale : full_freq_scale;
    p.n_ctx_orig = h.original_context_length != 0 ? h.original_context_length : h.context_length;
    p.ext_factor = h.yarn_ext_factor >= 0.0
                       ? h.yarn_ext_factor
                       : (h.scaling_type == llama_cpp_scaling_type::yarn ? 1.0 : 0.0);
    p.beta_fast = h.yarn_beta_fast;
    p.beta_slow = h.yarn_beta_slow;
    const bool deepseek2 = h.architecture == "deepseek2";
    const double log_mul = deepseek2 ? h.yarn_log_multiplier / 0.1 : h.yarn_log_multiplier;
    double attn = h.yarn_attn_factor;
    if (p.ext_factor != 0.0) {
        const double factor = 1.0 / full_freq_scale;
        if (log_mul != 0.0) {
            const double mscale = deepseek2 && log_mul != 1.0 ? log_mul : 1.0;
            attn = yarn_get_mscale(factor, mscale) / yarn_get_mscale(factor, log_mul);
        } else {
            attn = yarn_get_mscale(factor);
        }
        attn /= llama_cpp_kernel_magnitude(full_freq_scale);
    }
    p.attn_factor = attn * h.rope_attn_factor;
    if (!h.rope_freqs.empty()) {
        p.freq_factors = h.rope_freqs;
    } else if (!h.rope_factors_long.empty() || !h.rope_factors_short.empty()) {
        const bool use_long = n_ctx_per_seq > p.n_ctx_orig;
        out.longrope_list =
            use_long ? longrope_factors::long_factors : longrope_factors::short_factors;
        p.freq_factors = use_long ? h.rope_factors_long : h.rope_factors_short;
    }
    if (deepseek2) {
        const double ln_s = std::log(1.0 / p.freq_scale);
        const double magnitude = p.attn_factor * llama_cpp_kernel_magnitude(p.freq_scale);
        const double mscale = magnitude * (1.0 + 0.1 * log_mul * ln_s);
        p.logit_scale = mscale * mscale;
    }
    return out;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_LLAMA_CPP_HPP
