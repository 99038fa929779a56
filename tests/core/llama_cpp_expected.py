#!/usr/bin/env python3
# Expected values for tests/core/llama_cpp_test.cpp, written as llama_cpp_expected.inc:
#   python3 tests/core/llama_cpp_expected.py > tests/core/llama_cpp_expected.inc
#
# llama.cpp's RoPE, evaluated independently of the C++ code (mpmath, 60 digits, each result
# rounded once to double), from the rules of llama.cpp's sources:
#   ggml.c ggml_rope_yarn_corr_dims: c(n) = n_dims * logf(n_ctx_orig / (n * 2 * (float)M_PI)) /
#     (2 * logf(base)), every operation in float32; low = max(0, floorf(c(beta_fast))),
#     high = min(n_dims - 1, ceilf(c(beta_slow)))
#   ggml-cpu ops.cpp rope_yarn_ramp: ramp = 1 - clamp((i - low) / max(0.001f, high - low), 0, 1)
#   rope_yarn: mix = ramp * ext_factor (only when ext_factor != 0),
#     theta = theta_extrap (freq_scale (1 - mix) + mix), magnitude attn_factor (1 + 0.1
#     ln(1 / freq_scale)) when ext_factor != 0
#   ggml_rope_cache_init: theta_extrap = base^(-2i/d) / freq_factors[i]
# and llama_context's constructor / llm_build_deepseek2 / llama_model::get_rope_factors for the
# arguments of each model (see llama_cpp_layer_params in include/ropescale/methods/llama_cpp.hpp).
# float32 steps are emulated exactly: products and quotients of float32 values are exact in
# double before one rounding to float32 (struct.pack('f')); logf is taken correctly rounded
# (mpmath at 24 bits).
#
# Models: the GGUF values llama.cpp's converter writes for each (float32 keys rounded).
import json
import math
import os
import struct
import sys

import mpmath

mpmath.mp.dps = 60
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "..", "examples", "configs")


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def logf(x):
    with mpmath.workprec(24):
        return float(+mpmath.log(mpmath.mpf(x)))


def corr_dims(d, n_ctx_orig, base, beta_fast, beta_slow):
    pi_f = f32(math.pi)
    base_f = f32(base)

    def corr(n_rot):
        rotations = f32(f32(n_rot) * 2.0)
        denominator = f32(rotations * pi_f)
        quotient = f32(f32(n_ctx_orig) / denominator)
        numerator = f32(f32(d) * logf(quotient))
        return f32(numerator / f32(2.0 * logf(base_f)))

    low = max(0.0, math.floor(corr(beta_fast)))
    high = min(float(d - 1), math.ceil(corr(beta_slow)))
    return low, high


def transformers_corr(d, big_l, base, n):
    # transformers' find_correction_dim in double (for the crafted case's comparison)
    return (d * math.log(big_l / (n * 2 * math.pi))) / (2 * math.log(base))


def table(d, base, freq_scale, n_ctx_orig, ext_factor, attn_factor, beta_fast, beta_slow,
          freq_factors=None):
    fs = mpmath.mpf(freq_scale)
    if ext_factor != 0:
        low, high = corr_dims(d, n_ctx_orig, base, beta_fast, beta_slow)
    inv = []
    for i in range(d // 2):
        theta = 1 / mpmath.power(mpmath.mpf(base), mpmath.mpf(2 * i) / d)
        if freq_factors is not None:
            theta = theta / mpmath.mpf(freq_factors[i])
        mix = mpmath.mpf(0)
        if ext_factor != 0:
            den = max(mpmath.mpf(f32(0.001)), mpmath.mpf(high) - low)
            y = (mpmath.mpf(i) - low) / den
            ramp = 1 - min(mpmath.mpf(1), max(mpmath.mpf(0), y))
            mix = ramp * mpmath.mpf(ext_factor)
        inv.append(theta * (fs * (1 - mix) + mix))
    af = mpmath.mpf(attn_factor)
    if ext_factor != 0:
        af = af * (1 + mpmath.mpf("0.1") * mpmath.log(1 / fs))
    return inv, af


def get_mscale(s, m=1):
    s = mpmath.mpf(s)
    if s <= 1:
        return mpmath.mpf(1)
    return mpmath.mpf("0.1") * mpmath.mpf(m) * mpmath.log(s) + 1


def layer_params(arch, scaling_type, factor, ctx_len, orig_ctx, rope_attn_factor=1.0,
                 yarn_ext_factor=-1.0, yarn_attn_factor=1.0, beta_fast=32.0, beta_slow=1.0,
                 log_mul_stored=0.0):
    # llama_context's constructor and llm_build_deepseek2 (newest llama.cpp), in mpmath.
    s = mpmath.mpf(1) if factor == 0 else mpmath.mpf(factor)
    fs = mpmath.mpf(1) if scaling_type == "none" else 1 / s
    n_ctx_orig = orig_ctx if orig_ctx else ctx_len
    if yarn_ext_factor >= 0:
        ext = mpmath.mpf(yarn_ext_factor)
    else:
        ext = mpmath.mpf(1 if scaling_type == "yarn" else 0)
    ds2 = arch == "deepseek2"
    log_mul = mpmath.mpf(log_mul_stored) / mpmath.mpf("0.1") if ds2 else mpmath.mpf(log_mul_stored)
    attn = mpmath.mpf(yarn_attn_factor)
    if ext != 0:
        fac = 1 / fs
        if log_mul != 0:
            m0 = log_mul if ds2 and log_mul != 1 else mpmath.mpf(1)
            attn = get_mscale(fac, m0) / get_mscale(fac, log_mul)
        else:
            attn = get_mscale(fac)
        attn = attn / (1 + mpmath.mpf("0.1") * mpmath.log(fac))
    attn = attn * mpmath.mpf(rope_attn_factor)
    logit = mpmath.mpf(1)
    if ds2:
        ln_s = mpmath.log(1 / fs)
        mag = attn * (1 + mpmath.mpf("0.1") * ln_s)
        ms = mag * (1 + mpmath.mpf("0.1") * log_mul * ln_s)
        logit = ms * ms
    return {"freq_scale": fs, "n_ctx_orig": n_ctx_orig, "ext_factor": ext, "attn_factor": attn,
            "beta_fast": beta_fast, "beta_slow": beta_slow, "logit_scale": logit}


def hexd(x):
    x = float(x)
    return "0.0" if x == 0 else x.hex()


def emit_array(name, values):
    print(f"inline constexpr double {name}[] = {{")
    for v in values:
        print(f"    {hexd(v)},")
    print("};")


def emit_model(name, arch, d, base, hp, factors=None):
    p = layer_params(arch, **hp)
    # The table from the parameters as doubles (what the C++ test passes on).
    pd = {k: (float(v) if not isinstance(v, int) else v) for k, v in p.items()}
    inv, af = table(d, base, pd["freq_scale"], pd["n_ctx_orig"], pd["ext_factor"],
                    pd["attn_factor"], pd["beta_fast"], pd["beta_slow"], factors)
    low, high = (corr_dims(d, pd["n_ctx_orig"], base, pd["beta_fast"], pd["beta_slow"])
                 if pd["ext_factor"] != 0 else (0.0, 0.0))
    print(f"// {name}: {arch}, d = {d}, base = {base}")
    print(f"inline constexpr expected_params {name}_params = {{{hexd(p['freq_scale'])}, "
          f"{pd['n_ctx_orig']}, {hexd(p['ext_factor'])}, {hexd(p['attn_factor'])}, "
          f"{hexd(pd['beta_fast'])}, {hexd(pd['beta_slow'])}, {hexd(p['logit_scale'])}, "
          f"{hexd(low)}, {hexd(high)}, {hexd(af)}}};")
    emit_array(f"{name}_inv_freq", inv)


def llama31_factors(d, base, factor, low_ff, high_ff, old_ctx):
    # convert_hf_to_gguf.py LlamaModel.generate_extra_tensors, its torch float32 arithmetic
    # emulated step by step (pow taken correctly rounded to float32).
    factors = []
    for k in range(0, d, 2):
        e = f32(f32(k) / d)
        with mpmath.workprec(24):
            p = float(+mpmath.power(mpmath.mpf(f32(base)), mpmath.mpf(e)))
        freq = f32(1.0 / p)
        wavelen = f32(f32(2 * math.pi) / freq)
        low_wl = old_ctx / low_ff
        high_wl = old_ctx / high_ff
        if wavelen < high_wl:
            factors.append(1.0)
        elif wavelen > low_wl:
            factors.append(f32(factor))
        else:
            smooth = f32(f32(f32(old_ctx / wavelen) - low_ff) / (high_ff - low_ff))
            factors.append(f32(1 / f32(f32(f32(1 - smooth) / factor) + smooth)))
    return factors


def crafted_case():
    # A configuration whose float32 correction range differs from transformers' double one:
    # d = 128, base 10000, beta_fast 32, beta_slow 1, the first L >= 2048 where the low end
    # differs.
    d, base = 128, 10000.0
    for big_l in range(2048, 1 << 20):
        lo32, hi32 = corr_dims(d, big_l, base, 32.0, 1.0)
        lo64 = max(0.0, math.floor(transformers_corr(d, big_l, base, 32.0)))
        hi64 = min(float(d - 1), math.ceil(transformers_corr(d, big_l, base, 1.0)))
        if (lo32, hi32) != (lo64, hi64):
            return big_l, (lo32, hi32), (lo64, hi64)
    raise SystemExit("no crafted case found")


def main():
    print("// Generated by tests/core/llama_cpp_expected.py (mpmath, 60 digits): do not edit.")
    print("// llama.cpp's RoPE (ggml's rope operator and llama.cpp's argument rules) evaluated")
    print("// independently; each value the nearest double.")
    print()
    print("// One model's expected values: the ggml_rope_ext arguments (newest llama.cpp's rules),")
    print("// the float32 correction range and the table's attention factor.")
    print("struct expected_params {")
    for f, t in [("freq_scale", "double"), ("n_ctx_orig", "std::int64_t"), ("ext_factor", "double"),
                 ("attn_factor", "double"), ("beta_fast", "double"), ("beta_slow", "double"),
                 ("logit_scale", "double"), ("low", "double"), ("high", "double"),
                 ("attention", "double")]:
        print(f"    {t} {f};")
    print("};")
    print()

    emit_model("llama2_yarn", "llama", 128, 10000.0,
               dict(scaling_type="yarn", factor=4.0, ctx_len=16384, orig_ctx=4096))
    emit_model("gpt_oss", "gpt-oss", 64, 150000.0,
               dict(scaling_type="yarn", factor=32.0, ctx_len=131072, orig_ctx=4096,
                    beta_fast=32.0, beta_slow=1.0))
    emit_model("deepseek_v2_lite", "deepseek2", 64, 10000.0,
               dict(scaling_type="yarn", factor=40.0, ctx_len=163840, orig_ctx=4096,
                    log_mul_stored=f32(0.1 * 0.707)))

    phi = json.load(open(os.path.join(CONFIGS, "Phi-3-mini-128k-instruct.json")))
    rs_ = phi["rope_scaling"]
    long32 = [f32(v) for v in rs_["long_factor"]]
    short32 = [f32(v) for v in rs_["short_factor"]]
    big_l, max_pos = phi["original_max_position_embeddings"], phi["max_position_embeddings"]
    phi_attn = f32(math.sqrt(1 + math.log(max_pos / big_l) / math.log(big_l)))
    print(f"// Phi-3-mini-128k: the lists of examples/configs, as the file (double) and as float32")
    emit_array("phi3_long_factor", rs_["long_factor"])
    emit_array("phi3_short_factor", rs_["short_factor"])
    emit_array("phi3_long_factor_f32", long32)
    emit_array("phi3_short_factor_f32", short32)
    print(f"inline constexpr double phi3_rope_attn_factor = {hexd(phi_attn)};")
    emit_model("phi3_long", "phi3", 96, 10000.0,
               dict(scaling_type="linear", factor=0.0, ctx_len=max_pos, orig_ctx=big_l,
                    rope_attn_factor=phi_attn), long32)
    emit_model("phi3_short", "phi3", 96, 10000.0,
               dict(scaling_type="linear", factor=0.0, ctx_len=max_pos, orig_ctx=big_l,
                    rope_attn_factor=phi_attn), short32)

    l31 = llama31_factors(128, 500000.0, 8.0, 1.0, 4.0, 8192)
    print("// Llama 3.1: rope_freqs.weight as convert_hf_to_gguf.py computes it (float32)")
    emit_array("llama31_rope_freqs", l31)
    emit_model("llama31", "llama", 128, 500000.0,
               dict(scaling_type="linear", factor=0.0, ctx_len=131072, orig_ctx=0), l31)

    emit_model("plain", "llama", 128, 10000.0,
               dict(scaling_type="none", factor=0.0, ctx_len=4096, orig_ctx=0))
    emit_model("linear", "llama", 128, 10000.0,
               dict(scaling_type="linear", factor=4.0, ctx_len=16384, orig_ctx=0))

    big_l, r32, r64 = crafted_case()
    print(f"// Crafted: d = 128, base 10000, betas 32 / 1, L = {big_l}: float32 range "
          f"{r32}, transformers' double range {r64}")
    print(f"inline constexpr std::int64_t crafted_l = {big_l};")
    print(f"inline constexpr double crafted_range_f32[] = {{{hexd(r32[0])}, {hexd(r32[1])}}};")
    print(f"inline constexpr double crafted_range_f64[] = {{{hexd(r64[0])}, {hexd(r64[1])}}};")
    emit_model("crafted", "llama", 128, 10000.0,
               dict(scaling_type="yarn", factor=4.0, ctx_len=4 * big_l, orig_ctx=big_l))


if __name__ == "__main__":
    main()
