#!/usr/bin/env python3
"""Held-out golden cases recomputed in high precision (mpmath, 50 digits).

These are NOT outputs of the reference implementations (those are in ../cases/). They are an
independent recomputation, from the reference implementations' formulas (transformers v5
`modeling_rope_utils.py` and the YaRN authors' classes), of parameter sets the reference set does not cover: the
LongRoPE long list, gpt-oss (truncate false, head_dim 64), Llama 3.2 (factor 32), YaRN with
partial rotary, DeepSeek-V3 mscale 1.0, the Mistral YaRN betas 128/2, and a grown finetuned
dynamic YaRN. They exercise the golden test's interpretation paths on the same schema.

Regenerate (Debian: python3-mpmath):  python3 generate.py   (writes *.json next to this file)
"""
import json
import os
import random
import struct

from mpmath import mp, mpf, log, pi, cos, sin, sqrt, floor, ceil

mp.dps = 50
HERE = os.path.dirname(os.path.abspath(__file__))
POSITIONS = [0, 1, 2, 3, 17, 255, 1000, 4095, 4096, 8191, 16384, 32767, 65535, 131071]


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def plain(base, d):
    return [1 / mpf(base) ** (mpf(2 * i) / d) for i in range(d // 2)]


def get_mscale(s, m=1):
    s = mpf(s)
    return mpf(1) if s <= 1 else mpf("0.1") * m * log(s) + 1


def corr_dim(n, d, base, L):
    return d * log(mpf(L) / (n * 2 * pi)) / (2 * log(mpf(base)))


def corr_range(bf, bs, d, base, L, truncate):
    lo, hi = corr_dim(bf, d, base, L), corr_dim(bs, d, base, L)
    if truncate:
        lo, hi = floor(lo), ceil(hi)
    return max(lo, 0), min(hi, d - 1)


def ramp(i, lo, hi):
    if lo == hi:
        hi += mpf("0.001")
    return min(mpf(1), max(mpf(0), (i - lo) / (hi - lo)))


def yarn_inv(d, base, s, L, bf, bs, truncate, ext=1):
    lo, hi = corr_range(bf, bs, d, base, L, truncate)
    out = []
    for i, th in enumerate(plain(base, d)):
        w = (1 - ramp(i, lo, hi)) * ext
        out.append(th / s * (1 - w) + th * w)
    return out


def llama3_inv(d, base, s, low, high, L):
    out = []
    for th in plain(base, d):
        w = 2 * pi / th
        if w < mpf(L) / high:
            out.append(th)
        elif w > mpf(L) / low:
            out.append(th / s)
        else:
            a = (mpf(L) / w - low) / (high - low)
            out.append((1 - a) * th / s + a * th)
    return out


def rotate(q, inv, m, positions, layout, rotary_dim):
    out = []
    for t, p in enumerate(positions):
        row = []
        for head in q[t]:
            x = [mpf(v) for v in head]
            y = list(x)
            for i, f in enumerate(inv):
                c, s_ = m * cos(p * f), m * sin(p * f)
                a, b = (i, i + rotary_dim // 2) if layout == "half" else (2 * i, 2 * i + 1)
                y[a] = x[a] * c - x[b] * s_
                y[b] = x[b] * c + x[a] * s_
            row.append([float(v) for v in y])
        out.append(row)
    return out


def case(name, source, params, inv, m, head_dim, positions=POSITIONS, cross=None, notes=()):
    d = 2 * len(inv)
    rng = random.Random(name)
    q = [[[f32(rng.gauss(0, 1)) for _ in range(head_dim)] for _ in range(2)] for _ in positions]
    cos_rows = [[float(m * cos(p * inv[j % (d // 2)])) for j in range(d)] for p in positions]
    sin_rows = [[float(m * sin(p * inv[j % (d // 2)])) for j in range(d)] for p in positions]
    doc = {
        "schema_version": 1,
        "name": name,
        "source": "mpmath 50-digit recomputation from the reference formulas (" + source + "); not a reference output",
        "params": params,
        "positions": positions,
        "inv_freq": [f32(float(v)) for v in inv],
        "inv_freq_f64": [float(v) for v in inv],
        "attention_factor": f32(float(m)),
        "attention_factor_f64": float(m),
        "cos": [[f32(v) for v in r] for r in cos_rows],
        "sin": [[f32(v) for v in r] for r in sin_rows],
        "cos_f64": cos_rows,
        "sin_f64": sin_rows,
        "rotation": {
            "num_heads": 2, "head_dim": head_dim, "q_layout": "[position_index][head][channel]",
            "q_seed": name, "q_generator": "python random.Random(name).gauss, rounded to float32",
            "q": q,
            "half_split_f64": rotate(q, inv, m, positions, "half", d),
            "interleaved_f64": rotate(q, inv, m, positions, "inter", d),
        },
        "cross_checks": cross or {},
        "reference_warnings": [],
        "notes": list(notes),
    }
    doc["rotation"]["half_split"] = [[[f32(v) for v in h] for h in r] for r in doc["rotation"]["half_split_f64"]]
    doc["rotation"]["interleaved"] = [[[f32(v) for v in h] for h in r] for r in doc["rotation"]["interleaved_f64"]]
    with open(os.path.join(HERE, name + ".json"), "w") as fh:
        json.dump(doc, fh)


def hf_params(head_dim, rotary_dim, theta, max_pos, orig, rope_type, rope, attrs, seq_len=None, prf=1.0):
    return {
        "head_dim": head_dim, "rotary_dim": rotary_dim, "partial_rotary_factor": prf,
        "rope_theta": theta, "max_position_embeddings": max_pos,
        "original_max_position_embeddings": orig, "rope_type": rope_type, "rope_scaling": rope,
        "seq_len": seq_len, "config_attributes_passed": attrs, "rope_parameters_passed": rope,
    }


def main():
    # Phi-3-mini-128k LongRoPE, long list (seq_len 8192 > 4096), factor = 131072 / 4096.
    long_f = [1.0700000524520874, 1.1200000047683716, 1.149999976158142, 1.4199999570846558, 1.5699999332427979, 1.7999999523162842, 2.129999876022339, 2.129999876022339, 3.009999990463257, 5.910000324249268, 6.950000286102295, 9.070000648498535, 9.930000305175781, 10.710000038146973, 11.130000114440918, 14.609999656677246, 15.409998893737793, 19.809999465942383, 37.279998779296875, 38.279998779296875, 38.599998474121094, 40.12000274658203, 46.20000457763672, 50.940006256103516, 53.66000747680664, 54.9373893737793, 56.89738845825195, 57.28738784790039, 59.98738479614258, 60.86738586425781, 60.887386322021484, 61.71739196777344, 62.91739273071289, 62.957393646240234, 63.41739273071289, 63.8173942565918, 63.83739471435547, 63.897396087646484, 63.93739700317383, 64.06739807128906, 64.11434936523438, 64.12435150146484, 64.15435028076172, 64.19435119628906, 64.24435424804688, 64.57435607910156, 64.69000244140625, 64.76000213623047]
    short_f = [1.1, 1.1, 1.1, 1.3000000000000003, 1.3500000000000003, 1.3500000000000003, 1.4000000000000004, 1.5500000000000005] + [2.000000000000001] * 17 + [2.0500000000000007] * 6 + [2.1000000000000005] * 2 + [2.1500000000000004] + [2.25] * 5 + [2.3999999999999995, 2.4499999999999993, 2.499999999999999, 2.6999999999999984, 2.6999999999999984, 2.7499999999999982, 2.799999999999998, 2.8999999999999977, 3.049999999999997]
    assert len(long_f) == 48 and len(short_f) == 48
    rope = {"rope_type": "longrope", "long_factor": long_f, "short_factor": short_f, "rope_theta": 10000.0}
    inv = [th / mpf(e) for th, e in zip(plain(10000, 96), long_f)]
    m = sqrt(1 + log(mpf(32)) / log(mpf(4096)))
    case("heldout_hf_longrope_phi3_long_seqlen8192", "transformers longrope, long list",
         hf_params(96, 96, 10000.0, 131072, 4096, "longrope", rope,
                   {"hidden_size": 3072, "num_attention_heads": 32, "head_dim": 96,
                    "max_position_embeddings": 131072, "original_max_position_embeddings": 4096},
                   seq_len=8192), inv, m, 96)

    # gpt-oss: head_dim 64, theta 150000, YaRN factor 32, truncate false.
    rope = {"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,
            "original_max_position_embeddings": 4096, "truncate": False, "rope_theta": 150000.0}
    case("heldout_hf_yarn_gpt_oss_truncate_false", "transformers yarn, truncate false",
         hf_params(64, 64, 150000.0, 131072, 4096, "yarn", rope,
                   {"hidden_size": 2880, "num_attention_heads": 64, "head_dim": 64,
                    "max_position_embeddings": 131072}),
         yarn_inv(64, 150000, 32, 4096, 32, 1, False), get_mscale(32), 64)

    # Llama 3.2 1B: head_dim 64, factor 32.
    rope = {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
            "original_max_position_embeddings": 8192, "rope_theta": 500000.0}
    case("heldout_hf_llama3_2_factor32", "transformers llama3",
         hf_params(64, 64, 500000.0, 131072, 8192, "llama3", rope,
                   {"hidden_size": 2048, "num_attention_heads": 32, "head_dim": 64,
                    "max_position_embeddings": 131072}),
         llama3_inv(64, 500000, 32, 1, 4, 8192), mpf(1), 64)

    # YaRN with partial rotary 0.5 (rotary dim 64 of head_dim 128).
    rope = {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096, "rope_theta": 10000.0}
    case("heldout_hf_yarn_partial_rotary_0.5", "transformers yarn, partial_rotary_factor 0.5",
         hf_params(128, 64, 10000.0, 32768, 4096, "yarn", rope,
                   {"hidden_size": 4096, "num_attention_heads": 32, "head_dim": 128,
                    "max_position_embeddings": 32768, "partial_rotary_factor": 0.5}, prf=0.5),
         yarn_inv(64, 10000, 8, 4096, 32, 1, True), get_mscale(8), 128)

    # DeepSeek-V3: mscale = mscale_all_dim = 1.0; cos/sin factor 1, logit scale (1 + 0.1 ln 40)^2.
    rope = {"type": "yarn", "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0, "beta_fast": 32,
            "beta_slow": 1, "original_max_position_embeddings": 4096}
    case("heldout_hf_yarn_deepseek_v3", "transformers yarn + DeepSeek attention",
         hf_params(64, 64, 10000.0, 163840, 4096, "yarn", rope,
                   {"hidden_size": 7168, "num_attention_heads": 128, "head_dim": 64,
                    "max_position_embeddings": 163840, "rope_theta": 10000.0}),
         yarn_inv(64, 10000, 40, 4096, 32, 1, True), mpf(1), 64,
         cross={"deepseek": {"softmax_scale_multiplier_mscale_squared": float(get_mscale(40, 1) ** 2)}})

    # The YaRN authors' class with the Mistral betas 128/2 (L = 8192, s = 16, attn_factor 1).
    kw = {"dim": 128, "max_position_embeddings": 131072, "base": 10000, "scale": 16,
          "original_max_position_embeddings": 8192, "beta_fast": 128, "beta_slow": 2}
    case("heldout_yarn_repo_yarn_mistral_betas", "LlamaYaRNScaledRotaryEmbedding",
         {"head_dim": 128, "rotary_dim": 128, "partial_rotary_factor": 1.0, "rope_theta": 10000,
          "max_position_embeddings": 131072, "original_max_position_embeddings": 8192,
          "rope_type": "LlamaYaRNScaledRotaryEmbedding", "rope_scaling": kw, "seq_len": 131072,
          "constructor_kwargs": kw, "forward_seq_len": 131072},
         yarn_inv(128, 10000, 16, 8192, 128, 2, True), get_mscale(16), 128)

    # Dynamic YaRN, finetuned at 64k, grown to 131072: s = 131072 / 4096 = 32.
    kw = {"dim": 128, "max_position_embeddings": 65536, "base": 10000,
          "original_max_position_embeddings": 4096, "finetuned": True}
    pos = [p for p in POSITIONS if p < 131072]
    case("heldout_yarn_repo_dynamic_yarn_finetuned_grown", "LlamaDynamicYaRNScaledRotaryEmbedding",
         {"head_dim": 128, "rotary_dim": 128, "partial_rotary_factor": 1.0, "rope_theta": 10000,
          "max_position_embeddings": 65536, "original_max_position_embeddings": 4096,
          "rope_type": "LlamaDynamicYaRNScaledRotaryEmbedding", "rope_scaling": kw,
          "seq_len": 131072, "constructor_kwargs": kw, "forward_seq_len": 131072},
         yarn_inv(128, 10000, 32, 4096, 32, 1, True), get_mscale(32), 128, positions=pos)


if __name__ == "__main__":
    main()
