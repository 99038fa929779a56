#!/usr/bin/env bash
# Compile cost a user pays per translation unit: `c++ -std=c++17 -O2 -c` of small probe
# sources against include/, wall time, median of 3 runs each. Usage, from anywhere:
#
#   bench/compile_cost.sh            # every probe
#
# Probes (sources in bench/compile_cost/, each file's first line says what it does): empty
# (the compiler's own start-up), xsimd (xsimd.hpp alone), views and cache_type (the call
# vocabulary, the cache type), tables (builds one frequency table), hf_config (the reader),
# umbrella (<ropescale/ropescale.hpp> only), apply_f32 (one cached f32 apply_rope call),
# rope_f32 (one rope::apply, static dispatch), rope_f32_dispatch (the same on run-time
# dispatch with the kernels declared, compiled in their own units).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cxx="${CXX:-c++}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "ropescale $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ' (modified)'), $("$cxx" --version | head -1)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %8s %8s %8s %8s  %s\n' probe run1_s run2_s run3_s median_s "includes xsimd"
for src in "$root"/bench/compile_cost/*.cpp; do
    name="$(basename "$src" .cpp)"
    times=()
    for _ in 1 2 3; do
        start=$(date +%s.%N)
        "$cxx" -std=c++17 -O2 -c -I"$root/include" "$src" -o "$work/$name.o"
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc)")
    done
    median="$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)"
    "$cxx" -std=c++17 -E -I"$root/include" "$src" -o "$work/$name.i"
    xs=no
    grep -q 'xsimd/xsimd.hpp' "$work/$name.i" && xs=yes
    printf '%-10s %8.2f %8.2f %8.2f %8.2f  %s\n' "$name" "${times[0]}" "${times[1]}" "${times[2]}" "$median" "$xs"
done
