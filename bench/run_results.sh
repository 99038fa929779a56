#!/usr/bin/env bash
# Builds ropescale_bench and runs every command whose output bench/RESULTS.md reports, one
# section per table family, each in its own process. Usage, from anywhere:
#
#   bench/run_results.sh              # every section (about 10 minutes on 2 cores)
#   bench/run_results.sh threads ...  # only the named sections
#
# Sections: rotations large mrope threads cache_build huge_pages fp16_flags. Each prints a header naming the
# section (the RESULTS.md tables say which section they come from) and the exact command, and
# writes its JSON next to the binary (build/bench-results/<section>.json, large: large_<k>.json).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/bench-results"
bench="$build/bench/ropescale_bench"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DROPESCALE_WERROR=ON \
    -DROPESCALE_BUILD_TESTS=OFF -DROPESCALE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target ropescale_bench -j2 >/dev/null

# Aggregates of 5 repetitions spread over the run (random interleaving): medians per row.
common=(--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
    --benchmark_report_aggregates_only=true --benchmark_color=false)

run() {  # run <section> <json name> <benchmark arguments...>
    local section="$1" json="$2"
    shift 2
    echo
    echo "=== section $section: $bench $*"
    echo "=== $(date -u '+%Y-%m-%dT%H:%M:%SZ'), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    "$bench" "$@" --benchmark_out="$build/$json.json" --benchmark_out_format=json
}

section_rotations() {  # every shape below 4096 tokens, and their copies
    run rotations rotations "${common[@]}" --benchmark_min_time=0.1 \
        --benchmark_filter='^BM_(apply|convert)/.*/(1x8|1x32|16x32|512x32)x128$|^BM_copy/([0-9]{4,6}|4194304|8388608)$'
}

section_large() {  # the 4096 x 32 rows, alone in their process, three processes in a row
    for k in 1 2 3; do
        run "large (run $k of 3)" "large_$k" "${common[@]}" --benchmark_min_time=0.1 \
            --benchmark_filter='^BM_(apply|convert)/.*/4096x32x128$|^BM_copy/(33554432|67108864)$'
    done
}

section_mrope() {  # M-RoPE next to the 1-D call, same shapes and buffers
    run mrope mrope "${common[@]}" --benchmark_min_time=0.1 --benchmark_filter='^BM_mrope/'
}

section_threads() {
    run threads threads "${common[@]}" --benchmark_min_time=0.2 --benchmark_filter='^BM_apply_mt/'
}

section_cache_build() {
    run cache_build cache_build "${common[@]}" --benchmark_filter='^BM_build_cache'
}

section_huge_pages() {
    echo
    echo "=== section huge_pages: transparent huge pages on this machine"
    for f in enabled defrag khugepaged/defrag; do
        echo "/sys/kernel/mm/transparent_hugepage/$f: $(cat /sys/kernel/mm/transparent_hugepage/$f 2>/dev/null || echo n/a)"
    done
    run huge_pages huge_pages --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_color=false --benchmark_filter='^BM_cache_pages/'
    run huge_pages huge_pages_live --benchmark_repetitions=1 --benchmark_min_time=10 \
        --benchmark_color=false --benchmark_filter='^BM_cache_pages_live/'
}

section_fp16_flags() {  # AVX2 builds with and without -mf16c, two alternated runs each
    local flags
    for v in f16c no_f16c; do
        flags="-mavx2 -mfma"
        [ "$v" = f16c ] && flags="$flags -mf16c"
        cmake -S "$root" -B "$build-$v" -DCMAKE_BUILD_TYPE=Release -DROPESCALE_WERROR=ON \
            -DCMAKE_CXX_FLAGS="$flags" -DROPESCALE_BENCH_NATIVE=OFF -DROPESCALE_BUILD_TESTS=OFF \
            -DROPESCALE_BUILD_EXAMPLES=OFF >/dev/null
        cmake --build "$build-$v" --target ropescale_bench -j2 >/dev/null
    done
    for k in 1 2; do
        for v in no_f16c f16c; do
            bench="$build-$v/bench/ropescale_bench" run "fp16_flags ($v, run $k of 2)" \
                "fp16_${v}_$k" "${common[@]}" --benchmark_min_time=0.1 \
                --benchmark_filter='^BM_apply/cached/.*/f16/(1x32|512x32)x128$'
        done
    done
}

echo "ropescale $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ' (modified)'), $(c++ --version | head -1)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) cores," \
    "avx512f: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(rotations large mrope threads cache_build huge_pages fp16_flags)
start=$SECONDS
for s in "${sections[@]}"; do
    declare -F "section_$s" >/dev/null || { echo "unknown section: $s" >&2; exit 2; }
    "section_$s"
done
echo
echo "=== done in $((SECONDS - start)) s"
