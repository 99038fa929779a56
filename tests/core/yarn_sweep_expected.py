#!/usr/bin/env python3
# Expected values for tests/core/yarn_sweep_test.cpp, written as yarn_sweep_expected.inc:
#   python3 tests/core/yarn_sweep_expected.py > tests/core/yarn_sweep_expected.inc
#
# A sweep of YaRN configurations, mostly with truncate false (the unrounded correction range),
# over several bases, factors, rotary dims, beta pairs, original lengths and extrapolation
# factors. Each value is the rule of transformers v5 `_compute_yarn_parameters` (plus the YaRN
# authors' `extrapolation_factor`, which multiplies the extrapolation weight) evaluated
# independently at 60 significant digits with mpmath (no numpy, no torch, nothing from the
# library), then rounded once to the nearest double and written as a hex literal. The inputs are
# the doubles the C++ test passes (Python floats). The rule, as the reference code states it:
#   find_correction_dim(n) = (d * log(L / (n * 2 * pi))) / (2 * log(base))   (pi the real pi)
#   low, high = find_correction_dim(beta_fast), find_correction_dim(beta_slow)
#   if truncate: low, high = floor(low), ceil(high)
#   low, high = max(low, 0), min(high, d - 1)
#   linear_ramp: if low == high: high += 0.001 (the double 0.001, Python's literal);
#                ramp(i) = clamp((i - low) / (high - low), 0, 1) over the pair index i
#   w(i) = (1 - ramp(i)) * extrapolation_factor
#   pos(i) = base ** (2i / d)  (the exponent the exact rational 2i / d)
#   inv_freq(i) = 1 / (factor * pos(i)) * (1 - w(i)) + 1 / pos(i) * w(i)
# The correction range written with each case is the clamped [low, high] before the guard.

import mpmath

mpmath.mp.dps = 60

DIMS = [16, 32, 64, 72, 80, 96, 128, 256]
BASES = [10000.0, 150000.0, 500000.0, 1000000.0, 5000000.0, 100000000.0, 1.5]
FACTORS = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 40.0, 64.0, 1000.0]
BETAS = [(32.0, 1.0), (16.0, 1.0), (8.0, 0.5), (128.0, 2.0), (32.0, 16.0), (4.0, 3.9),
         (64.0, 1.0), (1.25, 1.25), (0.1, 0.01)]
LENGTHS = [100, 1024, 2048, 4096, 8192, 32768, 131072, 1000003]
EXTRAPOLATION = [1.0, 1.0, 1.0, 0.5, 2.0, 0.0]

# Named configurations first: (rotary_dim, base, factor, L, beta_fast, beta_slow, ef, truncate).
NAMED = [
    (64, 150000.0, 32.0, 4096, 32.0, 1.0, 1.0, False),  # gpt-oss-20b / -120b
    (64, 150000.0, 32.0, 4096, 32.0, 1.0, 1.0, True),
    (64, 10000.0, 40.0, 4096, 32.0, 1.0, 1.0, False),  # DeepSeek-V3 rope dims, untruncated
    (128, 1000000.0, 4.0, 32768, 32.0, 1.0, 1.0, False),  # Qwen-style, untruncated
    (128, 10000.0, 16.0, 8192, 128.0, 2.0, 1.0, False),
    # Edges of the accepted inputs: L past 2^53, a base near 1, a huge factor and
    # extrapolation factor, equal betas (the ramp's low == high guard), betas 1e-9 apart.
    (64, 10000.0, 8.0, 2**62 + 12345, 32.0, 1.0, 1.0, False),
    (32, 1.0000001, 4.0, 4096, 1e6, 1e-3, 1.0, False),
    (128, 500000.0, 1e12, 8192, 32.0, 1.0, 1000.0, False),
    (64, 150000.0, 32.0, 4096, 5.0, 5.0, 1.0, False),
    (128, 1000000.0, 40.0, 32768, 2.0 + 1e-9, 2.0, 1.0, False),
]


def sweep():
    cases = list(NAMED)
    k = 0
    for d in DIMS:
        for b in BASES:
            for rep in range(3):
                factor = FACTORS[(k * 7 + rep) % len(FACTORS)]
                bf, bs = BETAS[(k * 5 + rep * 3) % len(BETAS)]
                big_l = LENGTHS[(k * 3 + rep * 2) % len(LENGTHS)]
                ef = EXTRAPOLATION[(k + rep) % len(EXTRAPOLATION)]
                truncate = (k + rep) % 7 == 3
                cases.append((d, b, factor, big_l, bf, bs, ef, truncate))
                k += 1
    return cases


def evaluate(d, base, factor, big_l, beta_fast, beta_slow, ef, truncate):
    mp = mpmath.mpf
    base, factor, ef = mp(base), mp(factor), mp(ef)

    def correction_dim(n):
        return (d * mpmath.log(mp(big_l) / (mp(n) * 2 * mpmath.pi))) / (2 * mpmath.log(base))

    low, high = correction_dim(beta_fast), correction_dim(beta_slow)
    if truncate:
        low, high = mpmath.floor(low), mpmath.ceil(high)
    low, high = max(low, mp(0)), min(high, mp(d - 1))
    range_out = (low, high)
    if low == high:
        high = high + mp(0.001)
    inv = []
    for i in range(d // 2):
        pos = mpmath.power(base, mp(2 * i) / d)
        ramp = min(max((i - low) / (high - low), mp(0)), mp(1))
        w = (1 - ramp) * ef
        inv.append(1 / (factor * pos) * (1 - w) + 1 / pos * w)
    return range_out, inv


def hexd(x):
    """The nearest double to the mpmath number x, as a C++ hex literal."""
    if x == 0:
        return "0.0"
    return float(x).hex()


def main():
    cases = sweep()
    rows, values = [], []
    for c in cases:
        (low, high), inv = evaluate(*c)
        d, b, factor, big_l, bf, bs, ef, truncate = c
        rows.append("    {%d, %s, %s, %d, %s, %s, %s, %s, %s, %s, %d}," %
                    (d, float(b).hex(), float(factor).hex(), big_l, float(bf).hex(),
                     float(bs).hex(), float(ef).hex(), "true" if truncate else "false",
                     hexd(low), hexd(high), len(values)))
        values.extend(inv)
    print("// Generated by tests/core/yarn_sweep_expected.py (mpmath, 60 digits): do not edit.")
    print("// Each value is the nearest double to the reference rule at the test's inputs.")
    print("// {rotary_dim, base, factor, original_max_position_embeddings, beta_fast, beta_slow,")
    print("//  extrapolation_factor, truncate, low, high, first entry in yarn_sweep_inv_freq}")
    print("inline constexpr yarn_sweep_case yarn_sweep_cases[] = {")
    print("\n".join(rows))
    print("};")
    print("inline constexpr double yarn_sweep_inv_freq[] = {")
    for v in values:
        print("    %s," % hexd(v))
    print("};")


if __name__ == "__main__":
    main()
