#!/usr/bin/env python3
# Formats the JSON written by bench/run_results.sh as the Markdown tables of bench/RESULTS.md:
#   bench/results_tables.py build/bench-results <rotations|large|threads|cache_build|huge>
# (the prose around the tables quotes figures from them and is updated by hand).
# Before/after of two builds, one or more runs of each (a directory per run):
#   bench/results_tables.py compare <rotations|large|threads|cache_build> BEFORE[,BEFORE...] AFTER[,AFTER...]
import json, sys, os
d = sys.argv[1]
def load(name, d=None):
    with open(os.path.join(d or sys.argv[1], name + '.json')) as f:
        return json.load(f)['benchmarks']
def agg(bs, which='median'):
    out = {}
    for b in bs:
        if b.get('run_type') == 'aggregate' and b['aggregate_name'] == which:
            out[b['run_name']] = b
    return out
def ns(v):
    if v >= 1e6: return f"{v/1e6:.2f} ms"
    if v >= 1e3: return f"{v/1e3:.1f} us"
    return f"{v:.0f} ns"
sect = sys.argv[2] if d != 'compare' else 'compare'
MODES = ['cached', 'cached_unchecked', 'on_the_fly', 'scalar']
SHAPES = ['1x8x128', '1x32x128', '16x32x128', '512x32x128', '4096x32x128']
def key(n):
    parts = n.split('/')
    if parts[0] == 'BM_apply':
        return (0, MODES.index(parts[1]), parts[2], ['f32', 'bf16', 'f16'].index(parts[3]), SHAPES.index(parts[4]))
    if parts[0] == 'BM_convert':
        return (1, parts[1], SHAPES.index(parts[2]))
    return (2, n)
def sorted_items(dct):
    return sorted(dct.items(), key=lambda kv: key(kv[0]))
if sect == 'rotations':
    med = agg(load('rotations')); mn = agg(load('rotations'), 'min')
    for t in ['f32', 'bf16', 'f16']:
        print(f"\n### {t}\n\n| benchmark | call (median) | copy (median) | vs_copy (median) | vs_copy (min) |\n|---|---:|---:|---:|---:|")
        for n, b in sorted_items(med):
            if n.startswith('BM_apply/') and f'/{t}/' in n:
                print(f"| `{n}` | {ns(b['call_ns'])} | {ns(b['copy_ns'])} | {b['vs_copy']:.2f} | {mn[n]['vs_copy']:.2f} |")
    print("\n### conversions\n\n| benchmark | call (median) | copy (median) | vs_copy (median) | vs_copy (min) |\n|---|---:|---:|---:|---:|")
    for n, b in sorted_items(med):
        if n.startswith('BM_convert/'):
            print(f"| `{n}` | {ns(b['call_ns'])} | {ns(b['copy_ns'])} | {b['vs_copy']:.2f} | {mn[n]['vs_copy']:.2f} |")
elif sect == 'large':
    runs = [agg(load(f'large_{k}')) for k in (1, 2, 3)]
    print("| benchmark | vs_copy run 1 | run 2 | run 3 | spread | call (median of runs) | copy |\n|---|---:|---:|---:|---:|---:|---:|")
    for n in sorted(runs[0], key=key):
        if n.startswith('BM_copy'): continue
        v = [r[n]['vs_copy'] for r in runs]; c = sorted(r[n]['call_ns'] for r in runs)[1]; cp = sorted(r[n]['copy_ns'] for r in runs)[1]
        print(f"| `{n}` | {v[0]:.2f} | {v[1]:.2f} | {v[2]:.2f} | {100*(max(v)/min(v)-1):.0f} % | {ns(c)} | {ns(cp)} |")
    for n in runs[0]:
        if n.startswith('BM_copy'):
            v = [r[n]['real_time'] for r in runs]
            print(f"| `{n}` (time) | {ns(v[0])} | {ns(v[1])} | {ns(v[2])} | {100*(max(v)/min(v)-1):.0f} % | | |")
elif sect == 'mrope':
    # BM_mrope/<1d|mrope|imrope>/<layout>/<type>/<shape>: M-RoPE's vs_copy next to the 1-D
    # call's on the same shape, and their ratio (the target: at most 1.2).
    med = agg(load('mrope')); mn = agg(load('mrope'), 'min')
    rows = {}
    for n, b in med.items():
        parts = n.split('/')
        if parts[0] != 'BM_mrope': continue
        rows.setdefault(tuple(parts[2:5]), {})[parts[1]] = (b['vs_copy'], mn[n]['vs_copy'])
    print("| layout | type | shape | 1-D vs_copy (median / min) | M-RoPE (chunked) | x 1-D | interleaved M-RoPE | x 1-D |\n|---|---|---|---:|---:|---:|---:|---:|")
    for (layout, t, shape), r in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], int(kv[0][2].split('x')[0]))):
        one = r['1d'][0]
        cells = [f"{r['1d'][0]:.2f} / {r['1d'][1]:.2f}"]
        for form in ('mrope', 'imrope'):
            cells += [f"{r[form][0]:.2f} / {r[form][1]:.2f}", f"{r[form][0] / one:.2f}"]
        print(f"| {layout} | {t} | {shape} | " + " | ".join(cells) + " |")
elif sect == 'threads':
    med = agg(load('threads')); mn = agg(load('threads'), 'min')
    print("| benchmark | wall time per whole call (median) | min | one thread, same calls (median) | speedup (median) |\n|---|---:|---:|---:|---:|")
    for n, b in med.items():
        print(f"| `{n}` | {ns(b['call_ns'])} | {ns(mn[n]['call_ns'])} | {ns(b['one_thread_ns'])} | {b['speedup']:.2f} |")
elif sect == 'cache_build':
    med = agg(load('cache_build')); mn = agg(load('cache_build'), 'min')
    print("| benchmark | median | min | ns per (position, pair) median / min | max_error | within contract |\n|---|---:|---:|---:|---:|---:|")
    for n, b in sorted(med.items()):
        e = b['entries']
        err = f"{b['max_error']:.3g}" if 'max_error' in b else '-'
        wc = f"{b['within_contract']:.0f}" if 'within_contract' in b else '-'
        print(f"| `{n}` | {b['real_time']:.2f} ms | {mn[n]['real_time']:.2f} ms | {b['real_time']*1e6/e:.2f} / {mn[n]['real_time']*1e6/e:.2f} | {err} | {wc} |")
elif sect == 'huge':
    med = agg(load('huge_pages')); mx = agg(load('huge_pages'), 'max'); mn = agg(load('huge_pages'), 'min'); mean = agg(load('huge_pages'), 'mean')
    print("| benchmark | build (median of 3 x 8 builds) | build min | call p50 | call p99 | call max (of 3 runs) | calls over 1 ms | faults in calls | huge MiB | advised |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, b in med.items():
        print(f"| `{n}` | {b['build_ms']:.2f} ms | {mn[n]['build_ms']:.2f} ms | {b['call_p50_ns']:.0f} ns | {b['call_p99_ns']:.0f} ns | {ns(mx[n]['call_max_ns'])} | {mean[n]['calls_over_1ms']*3:.0f} of {mean[n]['calls']*3:.0f} | {b['call_faults']:.0f} | {b['huge_mib']:.0f} | {b['advised']:.0f} |")
    live = load('huge_pages_live')
    print("\n| benchmark | calls | call p50 | call p99 | call max | calls over 1 ms | faults in calls | preempted | huge MiB | advised |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for b in live:
        print(f"| `{b['name']}` | {b['calls']:.0f} | {b['call_p50_ns']:.0f} ns | {b['call_p99_ns']:.0f} ns | {ns(b['call_max_ns'])} | {b['calls_over_1ms']:.0f} | {b['call_faults']:.0f} | {b['preempted']:.0f} | {b['huge_mib']:.0f} | {b['advised']:.0f} |")
elif sect == 'compare':
    # One figure per row and run: vs_copy (rotations, large: median of its 3 processes), the
    # wall time per whole call (threads), the time (cache_build, BM_copy rows); ratio = after /
    # before, run k of after against run k of before; spread = largest max/min - 1 of one side.
    what, before, after = sys.argv[2], sys.argv[3].split(','), sys.argv[4].split(',')
    def figures(dr):
        if what == 'large':
            runs = [agg(load(f'large_{k}', dr)) for k in (1, 2, 3)]
            return {n: (sorted(r[n]['real_time' if n.startswith('BM_copy') else 'vs_copy'] for r in runs)[1],
                        n.startswith('BM_copy')) for n in runs[0]}
        med = agg(load(what, dr))
        if what == 'threads': return {n: (b['call_ns'], True) for n, b in med.items()}
        if what == 'cache_build': return {n: (b['real_time'] * 1e6, True) for n, b in med.items()}
        return {n: ((b['real_time'], True) if n.startswith('BM_copy') else (b['vs_copy'], False))
                for n, b in med.items()}
    fb, fa = [figures(x) for x in before], [figures(x) for x in after]
    fmt = lambda v, t: ns(v) if t else f"{v:.2f}"
    print(f"| benchmark | before ({' / '.join(f'run {k+1}' for k in range(len(fb)))}) "
          f"| after ({' / '.join(f'run {k+1}' for k in range(len(fa)))}) | after / before | spread |\n|---|---:|---:|---:|---:|")
    for n in sorted(fb[0], key=key):
        vb, va = [f[n][0] for f in fb], [f[n][0] for f in fa]; t = fb[0][n][1]
        spread = max(max(v) / min(v) - 1 for v in (vb, va))
        ratio = ' / '.join(f"{a / b:.2f}" for a, b in zip(va, vb))
        print(f"| `{n}`{' (time)' if t and what in ('rotations', 'large') else ''} | {' / '.join(fmt(v, t) for v in vb)} "
              f"| {' / '.join(fmt(v, t) for v in va)} | {ratio} | {100 * spread:.0f} % |")
