#!/usr/bin/env python3
"""Expected RoPE tables for the configs bundled in examples/configs/.

Independent evaluation of the rules transformers v5 applies to a config.json (see README.md in
this directory for the functions each rule comes from). Every value is computed with mpmath at
60 significant digits and rounded once to float64 at the end, so the numbers are the formula's
values, not any float32 or float64 implementation's. Nothing here reads the library under test.

Usage: python3 make_expected.py [--check]   (writes <config name>.json next to this file;
--check only compares with the files already there)

Output per config (numbers are float64 values, written with 17 significant digits):
  tables       name -> {rope_type, head_dim, rotary_dim, rope_theta, inv_freq, attention_factor,
                        logit_scale, original_max_position_embeddings, [seq_len], ...}
               rotary_dim is 2 * len(inv_freq): the channels the rotation is applied to (for
               "proportional" this is the whole head; its pairs past rotated_pairs have 0).
  layers       per layer: the name of its table, or null for a layer without RoPE; present when
               the config defines layer types, no-RoPE layers or cross-attention layers.
  query_scale  the position-dependent query multiplier, with values on both sides of each
               floor boundary.
"""
import json
import math
import os
import sys

import mpmath as mp

mp.mp.dps = 60

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "..", "..", "examples", "configs")


def f64(x):
    """mpmath value -> nearest float64."""
    return float(mp.mpf(x))


def mpf(x):
    # Exact decimal reading of a JSON number (json gives float; its repr is the shortest
    # round-trip string, and the value in the file is that same double).
    return mp.mpf(repr(float(x))) if not isinstance(x, int) else mp.mpf(x)


# ---------------------------------------------------------------------------------------------
# The rope-type functions (transformers v5 modeling_rope_utils.py, ROPE_INIT_FUNCTIONS).
# Each returns (inv_freq list of mpf, attention_factor mpf).


def exponents(dim, denom=None):
    """arange(0, dim, 2) / denom, the exponent of every pair (denom defaults to dim)."""
    denom = dim if denom is None else denom
    return [mp.mpf(2 * i) / denom for i in range(dim // 2)]


def default_inv_freq(base, dim):
    # _compute_default_rope_parameters / the models' compute_default_rope_parameters:
    # 1 / base^(2i/dim)
    return [1 / mp.power(base, e) for e in exponents(dim)], mp.mpf(1)


def linear_inv_freq(base, dim, factor):
    # _compute_linear_scaling_rope_parameters: default / factor
    inv, _ = default_inv_freq(base, dim)
    return [x / factor for x in inv], mp.mpf(1)


def dynamic_inv_freq(base, dim, factor, max_pos, seq_len=None):
    # _compute_dynamic_ntk_parameters: seq_len = max(seq_len, max_position_embeddings);
    # base' = base * ((factor * seq_len / max_pos) - (factor - 1))^(dim / (dim - 2))
    seq = max_pos if seq_len is None else max(seq_len, max_pos)
    b = base * mp.power(factor * mp.mpf(seq) / max_pos - (factor - 1), mp.mpf(dim) / (dim - 2))
    return default_inv_freq(b, dim)


def get_mscale(scale, mscale=1):
    # _compute_yarn_parameters.get_mscale (and DeepSeek's yarn_get_mscale)
    if scale <= 1:
        return mp.mpf(1)
    return mp.mpf("0.1") * mscale * mp.log(scale) + 1


def yarn_inv_freq(base, dim, factor, orig, beta_fast=None, beta_slow=None, attention_factor=None,
                  mscale=None, mscale_all_dim=None, truncate=True):
    # _compute_yarn_parameters
    if attention_factor is None:
        if mscale and mscale_all_dim:  # truthiness, as transformers tests it
            attention_factor = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
        else:
            attention_factor = get_mscale(factor)
    beta_fast = beta_fast or 32  # `or`: 0 and None both take the default
    beta_slow = beta_slow or 1

    def correction_dim(rot):
        return (dim * mp.log(mp.mpf(orig) / (rot * 2 * mp.pi))) / (2 * mp.log(base))

    low = correction_dim(mpf(beta_fast))
    high = correction_dim(mpf(beta_slow))
    if truncate:
        low, high = mp.floor(low), mp.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += mp.mpf("0.001")
    inv = []
    for i, e in enumerate(exponents(dim)):
        pos = mp.power(base, e)
        extrap = 1 / pos
        interp = 1 / (factor * pos)
        ramp = min(max((i - low) / (high - low), 0), 1)
        w = 1 - ramp  # inv_freq_extrapolation_factor
        inv.append(interp * (1 - w) + extrap * w)
    return inv, mp.mpf(attention_factor), (low, high)


def longrope_inv_freq(base, dim, short_factor, long_factor, factor, orig, seq_len=None,
                      attention_factor=None):
    # _compute_longrope_parameters
    if attention_factor is None:
        attention_factor = (mp.mpf(1) if factor <= 1
                            else mp.sqrt(1 + mp.log(factor) / mp.log(orig)))
    ext = long_factor if (seq_len and seq_len > orig) else short_factor
    inv = [1 / (mpf(ext[i]) * mp.power(base, e)) for i, e in enumerate(exponents(dim))]
    return inv, mp.mpf(attention_factor)


def llama3_inv_freq(base, dim, factor, low_ff, high_ff, orig):
    # _compute_llama3_parameters
    inv0, _ = default_inv_freq(base, dim)
    low_wl = orig / low_ff
    high_wl = orig / high_ff
    out = []
    for x in inv0:
        wl = 2 * mp.pi / x
        if wl > low_wl:
            out.append(x / factor)
        elif wl < high_wl:
            out.append(x)
        else:  # medium: smoothed (high_ff == low_ff leaves no medium band)
            s = (orig / wl - low_ff) / (high_ff - low_ff)
            out.append((1 - s) * x / factor + s * x)
    return out, mp.mpf(1)


def proportional_inv_freq(base, head_dim, partial, factor=1):
    # _compute_proportional_rope_parameters: rope_angles = int(partial * head_dim // 2);
    # 1 / base^(2i / head_dim) for i < rope_angles, then head_dim // 2 - rope_angles zeros;
    # all divided by factor.
    rope_angles = int(float(partial) * head_dim // 2)
    rot = [1 / mp.power(base, mp.mpf(2 * i) / head_dim) for i in range(rope_angles)]
    inv = rot + [mp.mpf(0)] * (head_dim // 2 - rope_angles)
    return [x / factor for x in inv], mp.mpf(1), rope_angles


def hunyuan_alpha_base(base, alpha, dim):
    # HunYuan rotary embedding (HunYuanDenseV1 / HunYuanMoEV1): "dynamic" with `alpha` uses the
    # static base theta * alpha^(d / (d - 2)) (vLLM dynamic_ntk_alpha_rope.py computes the same).
    return base * mp.power(alpha, mp.mpf(dim) / (dim - 2))


# ---------------------------------------------------------------------------------------------
# Config reading: where transformers reads each value, and the configuration classes' defaults.

# Composite configs keep the language model under text_config (Gemma3Config, Gemma4Config,
# MllamaConfig, Mistral3Config, Llama4Config, ...); Qwen2.5-VL keeps it at the top level.
TEXT_CONFIG_MODELS = {"gemma3", "gemma4", "mllama", "mistral3", "llama4"}

# Defaults of the configuration classes for keys a config.json may omit.
#   Gemma3TextConfig: rope_theta 1e6, rope_local_base_freq 1e4, sliding_window_pattern 6,
#                     max_position_embeddings 131072, head_dim 256.
MODEL_DEFAULTS = {
    "gemma3_text": {"rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0,
                    "sliding_window_pattern": 6, "max_position_embeddings": 131_072,
                    "head_dim": 256},
}

# Attention that multiplies the softmax scale by mscale(factor, mscale_all_dim)^2: DeepSeek's
# (DeepseekV2Attention, DeepseekV3Attention; Kimi-K2 uses deepseek_v3). Nowhere else.
LOGIT_SCALE_MODELS = {"deepseek_v2", "deepseek_v3", "kimi_k2"}


def text_config(cfg):
    mt = cfg.get("model_type")
    if mt in TEXT_CONFIG_MODELS and isinstance(cfg.get("text_config"), dict):
        return cfg["text_config"]
    return cfg


def get(tc, key, default=None):
    """The config attribute: the file's value (None counts as absent), else the class default."""
    v = tc.get(key)
    if v is not None:
        return v
    return MODEL_DEFAULTS.get(tc.get("model_type"), {}).get(key, default)


def head_dim_of(tc):
    mt = tc.get("model_type")
    if mt in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
        return tc["qk_rope_head_dim"]  # DeepseekV2/V3Config: head_dim = qk_rope_head_dim
    hd = get(tc, "head_dim")
    return hd if hd else tc["hidden_size"] // tc["num_attention_heads"]


def rope_section(tc):
    """rope_parameters, else rope_scaling (convert_rope_params_to_dict: rope_scaling wins when
    both are given and non-empty)."""
    rs = tc.get("rope_scaling")
    rp = tc.get("rope_parameters")
    sec = rs or rp or {}
    return dict(sec)


def table_for(tc, sec, head_dim, seq_len=None):
    """One table from a standardized rope section (standardize_rope_params fills rope_type from
    `type`, rope_theta from the top level, original_max_position_embeddings from the top level
    (Phi-3) or max_position_embeddings)."""
    rope_type = sec.get("rope_type", sec.get("type", "default"))
    if rope_type == "mrope":  # Qwen2/2.5-VL: the mrope marker means plain RoPE plus sections
        rope_type = "default"
    if rope_type == "su":  # Phi3Config: "su" is the former name of "longrope"
        rope_type = "longrope"
    theta = mpf(sec["rope_theta"])
    partial = sec.get("partial_rotary_factor", tc.get("partial_rotary_factor"))
    partial = 1.0 if partial is None else partial
    max_pos = get(tc, "max_position_embeddings")
    orig = None
    if rope_type in ("llama3", "yarn", "longrope"):
        orig = tc.get("original_max_position_embeddings") or sec.get(
            "original_max_position_embeddings") or max_pos
    t = {"rope_type": rope_type, "head_dim": head_dim, "rope_theta": f64(theta),
         "original_max_position_embeddings": orig}
    if rope_type == "proportional":
        factor = mpf(sec.get("factor", 1.0))
        inv, att, angles = proportional_inv_freq(theta, head_dim, partial, factor)
        t["rotated_pairs"] = angles
        t["partial_rotary_factor"] = partial
    else:
        dim = int(head_dim * partial)
        if rope_type == "default":
            inv, att = default_inv_freq(theta, dim)
        elif rope_type == "linear":
            inv, att = linear_inv_freq(theta, dim, mpf(sec["factor"]))
        elif rope_type == "dynamic":
            if sec.get("alpha"):
                inv, att = default_inv_freq(hunyuan_alpha_base(theta, mpf(sec["alpha"]), dim), dim)
            else:
                inv, att = dynamic_inv_freq(theta, dim, mpf(sec["factor"]), max_pos, seq_len)
        elif rope_type == "llama3":
            inv, att = llama3_inv_freq(theta, dim, mpf(sec["factor"]),
                                       mpf(sec["low_freq_factor"]), mpf(sec["high_freq_factor"]),
                                       orig)
        elif rope_type == "yarn":
            factor = sec.get("factor")
            factor = mp.mpf(max_pos) / orig if factor is None else mpf(factor)
            # truncate: transformers reads rope_parameters.get("truncate", True); a null value
            # is falsy, so it means no truncation.
            truncate = sec.get("truncate", True)
            inv, att, (low, high) = yarn_inv_freq(
                theta, dim, factor, orig, sec.get("beta_fast"), sec.get("beta_slow"),
                None if sec.get("attention_factor") is None else mpf(sec["attention_factor"]),
                None if sec.get("mscale") is None else mpf(sec["mscale"]),
                None if sec.get("mscale_all_dim") is None else mpf(sec["mscale_all_dim"]),
                bool(truncate))
            t["correction_range"] = [f64(low), f64(high)]
            t["truncate"] = bool(truncate)
        elif rope_type == "longrope":
            factor = sec.get("factor")
            factor = mp.mpf(max_pos) / orig if factor is None else mpf(factor)
            inv, att = longrope_inv_freq(theta, dim, sec["short_factor"], sec["long_factor"],
                                         factor, orig, seq_len,
                                         None if sec.get("attention_factor") is None
                                         else mpf(sec["attention_factor"]))
            if seq_len is not None:
                t["seq_len"] = seq_len
        else:
            raise ValueError("no rule for rope_type " + rope_type)
    t["rotary_dim"] = 2 * len(inv)
    t["inv_freq"] = [f64(x) for x in inv]
    t["attention_factor"] = f64(att)
    # logit_scale: DeepSeek attention multiplies the softmax scale by mscale^2 with
    # mscale = get_mscale(factor, mscale_all_dim) (DeepseekV3Attention.__init__).
    ls = mp.mpf(1)
    if tc.get("model_type") in LOGIT_SCALE_MODELS and rope_type == "yarn":
        msa = sec.get("mscale_all_dim")
        if msa:
            ls = get_mscale(mpf(sec["factor"]), mpf(msa)) ** 2
    t["logit_scale"] = f64(ls)
    return t


def with_theta(tc, sec, theta_key="rope_theta"):
    s = dict(sec)
    if "rope_theta" not in s or s["rope_theta"] is None:
        s["rope_theta"] = get(tc, theta_key, 10_000.0)  # RotaryEmbeddingConfigMixin.default_theta
    return s


def evaluate(cfg):
    tc = text_config(cfg)
    mt = tc.get("model_type")
    out = {"model_type": cfg.get("model_type"), "text_model_type": mt}
    head_dim = head_dim_of(tc)
    n_layers = tc.get("num_hidden_layers")
    sec = rope_section(tc)
    layer_types = tc.get("layer_types")
    tables = {}
    layers = None

    per_type = (isinstance(sec, dict) and layer_types is not None and sec
                and set(sec.keys()).issubset(set(layer_types)))

    if mt == "gemma3_text":
        # Gemma3TextConfig: full_attention takes rope_theta (+ rope_scaling), sliding_attention
        # takes rope_local_base_freq unscaled; layer i is sliding unless (i+1) % pattern == 0.
        full = with_theta(tc, sec)
        sliding = {"rope_type": "default", "rope_theta": get(tc, "rope_local_base_freq")}
        tables["full_attention"] = table_for(tc, full, head_dim)
        tables["sliding_attention"] = table_for(tc, sliding, head_dim)
        pattern = get(tc, "sliding_window_pattern")
        if layer_types is None:
            layer_types = ["sliding_attention" if (i + 1) % pattern else "full_attention"
                           for i in range(n_layers)]
        layers = list(layer_types)
    elif per_type:
        # Per-layer-type rope_parameters (standardize_rope_params case 2).
        for lt in sorted(set(layer_types)):
            s = with_theta(tc, sec[lt])
            hd = head_dim
            if mt == "gemma4_text" and s.get("rope_type") == "proportional":
                # Gemma4 rotary embedding: proportional full-attention layers pass
                # head_dim_key="global_head_dim".
                hd = tc.get("global_head_dim") or head_dim
            tables[lt] = table_for(tc, s, hd)
        layers = list(layer_types)
    else:
        s = with_theta(tc, sec)
        name = "rope"
        tables[name] = table_for(tc, s, head_dim)
        if s.get("rope_type", s.get("type")) in ("longrope", "su"):
            orig = tables[name]["original_max_position_embeddings"]
            tables["rope_long"] = table_for(tc, s, head_dim, seq_len=orig + 1)
        if mt == "exaone4" and layer_types is not None:
            # Exaone4Attention: RoPE when sliding_window is None or the layer is sliding.
            sw = tc.get("sliding_window")
            layers = [name if (sw is None or lt == "sliding_attention") else None
                      for lt in layer_types]
        elif mt == "smollm3" and tc.get("no_rope_layers") is not None:
            # SmolLM3Attention: use_rope = no_rope_layers[layer_idx] (1 = RoPE, 0 = none).
            layers = [name if v else None for v in tc["no_rope_layers"]]
        elif mt == "olmo3" and layer_types is not None:
            # OLMo 3: RoPE scaling only on full-attention layers; sliding layers take the
            # default table with the same theta (Olmo3 design, transformers PR #40778).
            plain = {"rope_type": "default", "rope_theta": s["rope_theta"]}
            tables["sliding_attention"] = table_for(tc, plain, head_dim)
            tables["full_attention"] = tables.pop(name)
            layers = list(layer_types)
        elif mt == "mllama_text_model" and tc.get("cross_attention_layers") is not None:
            # MllamaTextCrossAttention applies no rotary embedding.
            cross = set(tc["cross_attention_layers"])
            layers = [None if i in cross else name for i in range(n_layers)]
        elif layer_types is not None:
            # One rope section for every layer type (standardize_rope_params case 1).
            layers = [name for _ in layer_types]
        if sec.get("mrope_section") is not None:
            out["mrope_section"] = sec["mrope_section"]
            out["mrope_interleaved"] = bool(sec.get("mrope_interleaved", False))

    out["tables"] = tables
    if layers is not None:
        out["layers"] = layers

    # Query scale (Ministral 3 / Mistral 3 text: get_llama_4_attn_scale):
    # 1 + beta * ln(1 + floor(p / original_max_position_embeddings)).
    rp = tc.get("rope_parameters") or {}
    beta = rp.get("llama_4_scaling_beta")
    if beta is not None:
        L = rp["original_max_position_embeddings"]
        pos = [0, L - 1, L, 2 * L - 1, 2 * L, 3 * L - 1, 3 * L, 7 * L - 1, 7 * L]
        vals = [[p, f64(1 + mpf(beta) * mp.log(1 + mp.floor(mp.mpf(p) / L)))] for p in pos]
        out["query_scale"] = {"kind": "llama_4_scaling", "beta": beta,
                              "original_max_position_embeddings": L, "values": vals}
    return out


def rules():
    """Rule checks at stated parameter points (no config needed)."""
    r = {}
    # HunYuan dynamic + alpha: theta' = theta * alpha^(d/(d-2)).
    for theta, alpha, d in [(10000.0, 1000.0, 128), (10000.0, 50.0, 128), (1000000.0, 1000.0, 64)]:
        b = hunyuan_alpha_base(mpf(theta), mpf(alpha), d)
        inv, _ = default_inv_freq(b, d)
        r.setdefault("hunyuan_alpha", []).append(
            {"rope_theta": theta, "alpha": alpha, "head_dim": d, "base": f64(b),
             "inv_freq": [f64(x) for x in inv]})
    # Llama 4 attention temperature (Llama4TextAttention, NoPE layers when
    # attn_temperature_tuning): 1 + attn_scale * ln(1 + floor((p + 1) / floor_scale)).
    for attn_scale, floor_scale in [(0.1, 8192)]:
        F = floor_scale
        pos = [0, F - 2, F - 1, 2 * F - 2, 2 * F - 1, 3 * F - 2, 3 * F - 1, 1000 * F - 2,
               1000 * F - 1]
        vals = [[p, f64(1 + mpf(attn_scale) * mp.log(1 + mp.floor(mp.mpf(p + 1) / F)))]
                for p in pos]
        r.setdefault("llama4_attn_temperature", []).append(
            {"attn_scale": attn_scale, "floor_scale": floor_scale, "values": vals})
    # Ministral 3 query scale at beta 0.1, L 16384 (Ministral-3 instruct's values).
    L = 16384
    pos = [0, L - 1, L, 2 * L - 1, 2 * L]
    r["llama_4_scaling"] = [{"beta": 0.1, "original_max_position_embeddings": L,
                             "values": [[p, f64(1 + mp.mpf("0.1") * mp.log(1 + mp.floor(
                                 mp.mpf(p) / L)))] for p in pos]}]
    return r


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True) + "\n"


def main():
    check = "--check" in sys.argv
    outputs = {}
    for name in sorted(os.listdir(CONFIGS)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(CONFIGS, name)) as f:
            cfg = json.load(f)
        res = evaluate(cfg)
        res["config"] = name
        res["generated_by"] = "tests/hf/expected/make_expected.py"
        outputs[name] = res
    outputs["rules.json"] = dict(rules(), generated_by="tests/hf/expected/make_expected.py")
    bad = 0
    for name, res in outputs.items():
        path = os.path.join(HERE, name)
        text = dump(res)
        if check:
            with open(path) as f:
                if f.read() != text:
                    print("differs:", name)
                    bad += 1
        else:
            with open(path, "w") as f:
                f.write(text)
    if check:
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
