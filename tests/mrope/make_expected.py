#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Expected M-RoPE position ids for tests/mrope, written out as expected_positions.inc.

Usage:  python3 tests/mrope/make_expected.py > tests/mrope/expected_positions.inc

An independent evaluation of the reference rules in plain Python (integers, and float32
rounding through struct for Qwen2.5-VL's time index), shaped like the reference code rather
than like the C++ builder:

  after_max             transformers' get_rope_index (Qwen2-VL / Qwen2.5-VL / Qwen3-VL up to
                        v5.2) and vLLM's get_input_positions: a list of position blocks; every
                        text run or vision block is offset by max(last block) + 1.
  after_spatial_extent  transformers' get_rope_index over mm_token_type_ids (v5.3 on): a cursor that
                        a text run advances by its length and a vision span by
                        max(grid_h, grid_w) // spatial_merge_size.

Qwen2.5-VL time index of temporal patch i (torch: int64 arange * float32 scalar * tokens per
second, in float32, then .long()):
  truncate_product   int(f32(f32(f32(i) * f32(s)) * f32(tps)))
  truncate_seconds   i * int(f32(s)) * tps    (second_per_grid_t cast to int64 first)
Qwen3-VL splits each video grid (T, H, W) into T grids (1, H, W) (torch.repeat_interleave).
"""

import struct
import textwrap
from fractions import Fraction


def f32(x):
    """Nearest float32 (round half to even), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def qwen25_time(i, s, tps, rounding):
    if rounding == "truncate_product":
        # Each product of two float32 values is exact in a double; f32() then rounds it once.
        a = f32(f32(i) * f32(s))
        return int(f32(a * f32(tps)))
    whole = int(f32(s))
    if float(tps).is_integer():
        return i * whole * int(tps)
    return int(f32(f32(i * whole) * f32(tps)))


def vision_grids(model, span):
    """The grids get_rope_index walks for one span: Qwen3-VL splits a video into frames."""
    kind, t, h, w, s = span[0], span[1], span[2], span[3], span[4]
    if model == "qwen3_vl" and kind == "video":
        return [(kind, 1, h, w, s)] * t
    return [(kind, t, h, w, s)]


def time_index(model, kind, i, s, tps, rounding):
    if model == "qwen2_vl":
        return i
    if model == "qwen3_vl":
        return 0  # llm_grid_t is always 1 after the split
    if kind == "image":
        return 0
    return qwen25_time(i, s, tps, rounding)


def layout_after_max(model, merge, tps, rounding, spans):
    blocks = []  # each block: [t list, h list, w list]
    for span in spans:
        st_idx = max(max(b) for b in blocks[-1]) + 1 if blocks else 0
        if span[0] == "text":
            n = span[1]
            if n == 0:
                continue
            blocks.append([[st_idx + k for k in range(n)] for _ in range(3)])
            continue
        for kind, t, h, w, s in vision_grids(model, span):
            st_idx = max(max(b) for b in blocks[-1]) + 1 if blocks else 0
            gt, gh, gw = t, h // merge, w // merge
            tt, hh, ww = [], [], []
            for i in range(gt):
                ti = time_index(model, kind, i, s, tps, rounding)
                for y in range(gh):
                    for x in range(gw):
                        tt.append(ti + st_idx)
                        hh.append(y + st_idx)
                        ww.append(x + st_idx)
            blocks.append([tt, hh, ww])
    streams = [sum((b[k] for b in blocks), []) for k in range(3)]
    return streams


def layout_after_spatial_extent(model, merge, tps, rounding, spans):
    current = 0
    streams = [[], [], []]
    for span in spans:
        if span[0] == "text":
            n = span[1]
            for k in range(3):
                streams[k] += list(range(current, current + n))
            current += n
            continue
        for kind, t, h, w, s in vision_grids(model, span):
            gh, gw = h // merge, w // merge
            for i in range(t):
                ti = time_index(model, kind, i, s, tps, rounding)
                for y in range(gh):
                    for x in range(gw):
                        streams[0].append(ti + current)
                        streams[1].append(y + current)
                        streams[2].append(x + current)
            current += max(h, w) // merge
    return streams


def positions(case):
    fn = layout_after_max if case["resume"] == "after_max" else layout_after_spatial_extent
    streams = fn(case["model"], case["merge"], case.get("tps"), case.get("rounding",
                 "truncate_product"), case["spans"])
    n = len(streams[0])
    if n == 0:
        return streams, -1, 0
    top = max(max(s) for s in streams)
    return streams, top, top + 1 - n


def find_float32_sensitive():
    """A (second_per_grid_t, tps, grid_t) where float32 truncation differs both from exact
    arithmetic and from double arithmetic: a builder that skips the float32 rounding fails."""
    for tps in (2, 25, 41):
        for fps_tenths in range(5, 300):
            s = 2 / (fps_tenths / 10)  # temporal_patch_size 2 / fps
            for i in range(1, 16):
                exact = int(i * Fraction(s) * tps)  # exact product of the double s
                in_double = int(i * s * tps)
                got = qwen25_time(i, s, tps, "truncate_product")
                if got != exact and got != in_double:
                    return s, tps, i + 1
    raise SystemExit("no float32-sensitive case found")


def braced(items, indent="    "):
    """`{a, b, ...},` wrapped at 100 columns, continuation lines aligned after the brace."""
    return textwrap.fill("{" + ", ".join(items) + "},", width=100, initial_indent=indent,
                         subsequent_indent=indent + " ", break_long_words=False,
                         break_on_hyphens=False)


def main():
    sens_s, sens_tps, sens_t = find_float32_sensitive()
    T = lambda n: ("text", n)
    I = lambda t, h, w: ("image", t, h, w, 1.0)
    V = lambda t, h, w, s=1.0: ("video", t, h, w, s)
    mixed = [T(4), I(1, 4, 4), T(3), V(4, 6, 4, 1.0), T(2)]
    cases = [
        dict(name="text_only", model="qwen2_vl", merge=2, resume="after_max", spans=[T(7)]),
        dict(name="one_image", model="qwen2_vl", merge=2, resume="after_max",
             spans=[T(3), I(1, 4, 6), T(4)]),
        dict(name="image_first_and_last", model="qwen2_vl", merge=2, resume="after_max",
             spans=[I(1, 2, 6), T(2), I(1, 6, 2)]),
        dict(name="qwen2_vl_video", model="qwen2_vl", merge=2, resume="after_max",
             spans=[V(3, 4, 4), T(5)]),
        dict(name="qwen2_5_vl_video_interval_50", model="qwen2_5_vl", merge=2, tps=25,
             resume="after_max", spans=[V(3, 4, 4, 2.0), T(5)]),
        dict(name="qwen2_5_vl_video_fractional", model="qwen2_5_vl", merge=2, tps=2,
             resume="after_max", spans=[T(2), V(5, 4, 2, 0.75), T(3)]),
        dict(name="qwen2_5_vl_video_float32", model="qwen2_5_vl", merge=2, tps=sens_tps,
             resume="after_max", spans=[T(1), V(sens_t, 2, 2, sens_s), T(1)]),
        dict(name="qwen2_5_vl_video_truncate_seconds", model="qwen2_5_vl", merge=2, tps=2,
             resume="after_max", rounding="truncate_seconds",
             spans=[T(1), V(3, 2, 4, 2.5), T(1), V(3, 2, 2, 0.5), T(1)]),
        dict(name="qwen2_5_vl_mixed", model="qwen2_5_vl", merge=2, tps=2, resume="after_max",
             spans=mixed),
        dict(name="qwen2_vl_mixed", model="qwen2_vl", merge=2, resume="after_max", spans=mixed),
        dict(name="qwen2_5_vl_mixed_v5_resume", model="qwen2_5_vl", merge=2, tps=2,
             resume="after_spatial_extent", spans=mixed),
        dict(name="qwen2_5_vl_long_video_v5_resume", model="qwen2_5_vl", merge=2, tps=2,
             resume="after_spatial_extent", spans=[T(2), V(4, 2, 4, 2.0), T(3)]),
        dict(name="qwen2_vl_video_then_image", model="qwen2_vl", merge=1, resume="after_max",
             spans=[T(1), V(4, 2, 2), I(1, 2, 2), T(1)]),
        dict(name="qwen2_5_vl_video_then_image", model="qwen2_5_vl", merge=1, tps=2,
             resume="after_max", spans=[V(2, 2, 2, 2.0), I(1, 2, 2), V(2, 1, 1, 0.5), T(1)]),
        dict(name="qwen2_5_vl_video_then_image_v5_resume", model="qwen2_5_vl", merge=1, tps=2,
             resume="after_spatial_extent",
             spans=[V(2, 2, 2, 2.0), I(1, 2, 2), V(2, 1, 1, 0.5), T(1)]),
        dict(name="adjacent_spans", model="qwen2_vl", merge=1, resume="after_max",
             spans=[T(0), I(1, 2, 3), I(1, 1, 1), V(2, 1, 2), T(0), T(2), T(1)]),
        dict(name="qwen3_vl_frames", model="qwen3_vl", merge=2, resume="after_max",
             spans=[T(2), I(1, 4, 2), T(3), V(1, 4, 4), T(2), V(1, 4, 4), T(1)]),
        dict(name="qwen3_vl_video_split", model="qwen3_vl", merge=2, resume="after_max",
             spans=[T(1), V(3, 2, 4), T(2)]),
        dict(name="qwen3_vl_video_split_v5_resume", model="qwen3_vl", merge=2,
             resume="after_spatial_extent", spans=[T(1), V(3, 2, 4), T(2)]),
    ]
    print("// Generated by tests/mrope/make_expected.py (python3 tests/mrope/make_expected.py >")
    print("// tests/mrope/expected_positions.inc); do not edit. An independent evaluation of the")
    print("// reference rules (see the script's docstring), not the output of the C++ builder.")
    print(f"// Float32-sensitive case: second_per_grid_t = {sens_s!r}, tokens_per_second = "
          f"{sens_tps},")
    print(f"// grid_t = {sens_t}.")
    for c in cases:
        streams, top, delta = positions(c)
        tps = c.get("tps")
        spans = []
        for sp in c["spans"]:
            if sp[0] == "text":
                spans.append(f"rs::mrope_text({sp[1]})")
            elif sp[0] == "image":
                spans.append(f"rs::mrope_image({sp[1]}, {sp[2]}, {sp[3]})")
            else:
                spans.append(f"rs::mrope_video({sp[1]}, {sp[2]}, {sp[3]}, {sp[4]!r})")
        print("{")
        print(f'    "{c["name"]}",')
        print(f'    make_rules(rs::mrope_model::{c["model"]}, {c["merge"]}, '
              f'{float(tps) if tps is not None else -1.0!r},')
        print(f'               rs::mrope_text_resume::{c["resume"]},')
        print(f'               rs::mrope_time_rounding::{c.get("rounding", "truncate_product")}),')
        print(braced(spans))
        for k in range(3):
            print(braced([str(v) for v in streams[k]]))
        print(f"    {top},")
        print(f"    {delta},")
        print("},")


if __name__ == "__main__":
    main()
