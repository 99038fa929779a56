#!/usr/bin/env python3
# Reference values for tests/hf/hf_models_test.cpp, evaluated at 50 digits with mpmath from
# the rules of transformers v5 (the formulas are written out below, not imported), then
# rounded to double. Run:  python3 tests/hf/reader_reference.py
# and paste the output into the test (the constants there name this script).
from mpmath import mp, mpf, log, floor, pi

mp.dps = 50


def plain(base, d, i):
    # _compute_default_rope_parameters: base^(-2i/d)
    return mpf(base) ** (-mpf(2 * i) / d)


def get_mscale(s, m=1):
    # transformers get_mscale (yarn): 0.1 * m * ln(s) + 1 for s > 1
    s = mpf(s)
    return mpf(1) if s <= 1 else mpf("0.1") * mpf(m) * log(s) + 1


def correction_dim(rot, d, base, L):
    # find_correction_dim: d * ln(L / (rot * 2 pi)) / (2 ln base)
    return d * log(mpf(L) / (mpf(rot) * 2 * pi)) / (2 * log(mpf(base)))


def llama4_temperature(p, floor_scale=8192, attn_scale="0.1"):
    # Llama4TextAttention: log(floor((p + 1) / floor_scale) + 1) * attn_scale + 1
    return log(floor(mpf(p + 1) / floor_scale) + 1) * mpf(attn_scale) + 1


def llama_4_scaling(p, beta, L):
    # _get_llama_4_attn_scale: 1 + beta * log(1 + floor(p / L))
    return 1 + mpf(beta) * log(1 + floor(mpf(p) / L))


def show(name, v):
    print(f"{name} = {float(v)!r}")


# Gemma 3 (head_dim 128 as the 27B text config): sliding base 1e4, full base 1e6 / 8 (linear).
show("gemma3_sliding_inv_freq_1", plain(10000, 128, 1))
show("gemma3_full_inv_freq_1", plain(1000000, 128, 1) / 8)
show("gemma3_sliding_inv_freq_63", plain(10000, 128, 63))
show("gemma3_full_inv_freq_63", plain(1000000, 128, 63) / 8)
# Gemma 3 text config without rope_theta: full base 1e6, head_dim 256.
show("gemma3_default_full_inv_freq_1", plain(1000000, 256, 1))
# gpt-oss default YaRN: unrounded correction range (truncate false), d 64, base 150000, L 4096.
show("gpt_oss_low", max(correction_dim(32, 64, 150000, 4096), 0))
show("gpt_oss_high", min(correction_dim(1, 64, 150000, 4096), 63))
# DeepSeek-V2-Lite: logit scale get_mscale(40, 0.707)^2.
show("deepseek_logit_scale", get_mscale(40, "0.707") ** 2)
# Ministral 3 style YaRN factor 16, mscale = mscale_all_dim = 1: attention factor ratio 1.
show("ministral_attention_factor", get_mscale(16, 1) / get_mscale(16, 1))
# Llama 4 temperature on both sides of the floor boundary (floor_scale 8192).
show("llama4_t_8190", llama4_temperature(8190))
show("llama4_t_8191", llama4_temperature(8191))
show("llama4_t_16382", llama4_temperature(16382))
show("llama4_t_16383", llama4_temperature(16383))
# Ministral 3 llama_4_scaling_beta 0.1 over 16384, both sides of each floor boundary.
show("l4s_16383", llama_4_scaling(16383, "0.1", 16384))
show("l4s_16384", llama_4_scaling(16384, "0.1", 16384))
show("l4s_32767", llama_4_scaling(32767, "0.1", 16384))
show("l4s_32768", llama_4_scaling(32768, "0.1", 16384))
