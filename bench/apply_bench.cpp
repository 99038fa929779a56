// Rotation and cache-build benchmarks (Google Benchmark), executable ropescale_bench.
//
// Op count: BM_apply rotates tokens x heads heads of head_dim 128, out of place: it reads
// tokens*heads*128 elements of x and writes as many of y (plus one cos/sin row per token from
// the cache, or d/2 sincos per token on the fly). Each pair costs 2 multiplies and 2 FMAs.
//
//   BM_apply/<mode>/<layout>/<type>/<tokens>x<heads>x128
//     mode    cached      apply_rope(cache, ...)              static dispatch (default arch)
//             on_the_fly  apply_rope(frequency_table, ...)    angles per token, double
//             scalar      apply_rope<scalar_reference>(cache, ...)
//             cached_unchecked  apply_rope_unchecked(cache, ...): f32 decode shapes only, to
//                         show what the argument checks of a checked call cost
//     layout  half_split | interleaved;  type f32 | bf16 | f16
//   BM_apply_mt/cached/half_split/f32/4096x32x128/threads:N  one call split by token range
//     over N benchmark threads (how an engine splits work, apply.hpp), real time.
//   BM_copy/<bytes>   memcpy of the same input bytes into the output buffer: the roofline.
//   BM_convert/<type>/<tokens>x<heads>x128  bf16 | f16: load, widen to f32, round, store, no
//                     rotation (the kernels' conversion code): the floor of a 16-bit BM_apply.
//   BM_build_cache    131072 positions x 64 pairs: counters ns_per_entry, max_error (vs
//                     rotation_sincos, all entries), within_contract (1 = every entry within
//                     1e-7 + 2^-24 |v|). Includes allocating and first-touching the 64 MiB.
//   BM_build_cache_rows  the same rows into a reused buffer: the computation alone.
//
// Counter vs_copy = time per call / time per memcpy of the same input into the same output
// buffer, both measured in the same benchmark run and interleaved: the calls run in blocks of
// about 1 MiB of output (64 decode calls, one 4096x32 call) and each block is followed by as
// many memcpy calls (timer paused; counter copy_ns); vs_copy is the total time of the calls
// over the total time of the copies. Pairing them block by block keeps the ratio meaningful on
// a shared, noisy machine (a copy timed seconds or minutes apart is not); using the very same
// page-aligned buffers (io_buffers) keeps 4 KiB aliasing equal for both.
// BM_copy/<bytes> reports the copies alone as well. Every BM_apply checks its
// output against the scalar reference (bound of tests/kernels/support.hpp) before timing and
// reports an error instead of a time if it differs.
#include <benchmark/benchmark.h>

#include <ropescale/apply.hpp>
#include <ropescale/cache.hpp>
#include <ropescale/frequencies.hpp>
#include <ropescale/half.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace {

namespace rs = ropescale;
template <class T>
using aligned_vector = std::vector<T, xsimd::aligned_allocator<T, 64>>;

// Input and output buffers of one byte size, shared by BM_copy and BM_apply of that size so
// that the copy baseline and the kernel see the same placement (page-aligned, one allocation
// each: input and output at the same page offset, the usual case for large tensors).
struct io_buffers {
    std::vector<unsigned char, xsimd::aligned_allocator<unsigned char, 4096>> in, out;
};
io_buffers& buffers(std::size_t bytes) {
    static std::map<std::size_t, std::unique_ptr<io_buffers>> all;
    auto& b = all[bytes];
    if (!b) {
        b = std::make_unique<io_buffers>();
        b->in.assign(bytes, 0);
        b->out.assign(bytes, 0);
    }
    return *b;
}

constexpr int head_dim = 128;

const rs::frequency_table& table() {
    static const rs::frequency_table t = [] {
        rs::rope_config c;
        c.head_dim = head_dim;
        c.rope_theta = 500000.0;
        rs::yarn y;
        y.factor = 4.0;
        y.original_max_position_embeddings = 8192;
        c.scaling = y;
        return rs::compute_frequencies_or_throw(c);
    }();
    return t;
}

const rs::rope_cache& cache() {
    static const rs::rope_cache c =
        *rs::build_rope_cache(table(), 32768, rs::attention_factor_mode::folded);
    return c;
}

enum class mode { cached, on_the_fly, scalar, cached_unchecked };

template <class T>
T from_float(float v) {
    if constexpr (std::is_same<T, rs::fp16>::value)
        return rs::to_fp16(v);
    else if constexpr (std::is_same<T, rs::bf16>::value)
        return rs::to_bf16(v);
    else
        return static_cast<T>(v);
}
template <class T>
double to_double(T v) {
    if constexpr (std::is_same<T, rs::fp16>::value || std::is_same<T, rs::bf16>::value)
        return static_cast<double>(rs::to_float(v));
    else
        return static_cast<double>(v);
}

std::vector<std::int32_t> positions(std::int64_t tokens) {
    std::vector<std::int32_t> p(static_cast<std::size_t>(tokens));
    // Decode: one late position; prefill: 0 .. tokens - 1.
    for (std::int64_t t = 0; t < tokens; ++t)
        p[static_cast<std::size_t>(t)] = tokens == 1 ? 20000 : static_cast<std::int32_t>(t);
    return p;
}

template <class T>
rs::status run(mode m, rs::rotary_layout layout, const std::vector<std::int32_t>& pos,
               rs::rope_operand<T> x) {
    switch (m) {
        case mode::cached: return rs::apply_rope(cache(), layout, pos, x);
        case mode::on_the_fly: return rs::apply_rope(table(), layout, pos, x);
        case mode::scalar: return rs::apply_rope<rs::scalar_reference>(cache(), layout, pos, x);
        case mode::cached_unchecked: rs::apply_rope_unchecked(cache(), layout, pos, x); return {};
    }
    return {};
}

// Output vs the scalar reference with the same angle source: |diff| <= 2^-21 (|x1|+|x2|) m
// (+ one 16-bit ulp), bounded here by 2^-21 * 2 * 4 * m + 2^-7 |y| for inputs in [-2, 2].
template <class T>
bool verify(mode m, rs::rotary_layout layout, const std::vector<std::int32_t>& pos, const T* x,
            const T* y, std::size_t n, std::int64_t tokens, int heads, std::string& why) {
    aligned_vector<T> ref(n);
    const auto in = rs::make_heads_view<const T>(x, tokens, heads, head_dim);
    const auto out = rs::make_heads_view(ref.data(), tokens, heads, head_dim);
    rs::status s =
        m == mode::on_the_fly
            ? rs::apply_rope<rs::scalar_reference>(table(), layout, pos, rs::out_of_place(in, out))
            : rs::apply_rope<rs::scalar_reference>(cache(), layout, pos, rs::out_of_place(in, out));
    if (!s) {
        why = s.err().what();
        return false;
    }
    const double af = table().attention_factor;
    const bool half = sizeof(T) == 2;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = to_double(y[i]), b = to_double(ref[i]);
        const double bound =
            std::ldexp(8.0 * af, -21) + (half ? std::ldexp(std::fabs(b), -7) : 0.0);
        if (!(std::fabs(a - b) <= bound)) {
            why = "output " + std::to_string(i) +
                  " differs from the scalar reference: " + std::to_string(a) + " vs " +
                  std::to_string(b);
            return false;
        }
    }
    return true;
}

// Inputs in [-2, 2) from a fixed LCG, rounded to T.
template <class T>
void fill_input(T* x, std::size_t n) {
    std::uint64_t s = 12345;
    for (std::size_t i = 0; i < n; ++i) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        x[i] =
            from_float<T>(static_cast<float>(static_cast<double>(s >> 11) * 0x1p-53 * 4.0 - 2.0));
    }
}

// Times `body` in the benchmark loop and pairs it with memcpy of `bytes` from x to y (same
// buffers): the calls run in blocks of about 1 MiB of output, and after each block, with the
// benchmark's timer paused, as many copies are timed. Counters: copy_ns (time per copy) and
// vs_copy = (total time of the timed calls) / (total time of the copies), both measured with
// steady_clock around whole blocks (see the file comment).
template <class T, class Body>
void time_against_copy(benchmark::State& state, const T* x, T* y, std::size_t bytes, Body body) {
    using clock = std::chrono::steady_clock;
    const std::int64_t block = std::max<std::int64_t>(
        1, static_cast<std::int64_t>((std::size_t{1} << 20) / std::max<std::size_t>(bytes, 1)));
    double body_ns = 0.0, copy_ns = 0.0;
    std::int64_t calls = 0, in_block = 0;
    const auto copies = [&](std::int64_t count) {
        const auto c0 = clock::now();
        for (std::int64_t i = 0; i < count; ++i) {
            std::memcpy(y, x, bytes);
            benchmark::DoNotOptimize(y);
            benchmark::ClobberMemory();
        }
        copy_ns += std::chrono::duration<double, std::nano>(clock::now() - c0).count();
    };
    auto t0 = clock::now();
    for (auto _ : state) {
        body();
        benchmark::ClobberMemory();
        if (++in_block == block) {
            body_ns += std::chrono::duration<double, std::nano>(clock::now() - t0).count();
            calls += in_block;
            state.PauseTiming();
            copies(in_block);
            in_block = 0;
            state.ResumeTiming();
            t0 = clock::now();
        }
    }
    if (in_block > 0) {  // the last, partial block
        body_ns += std::chrono::duration<double, std::nano>(clock::now() - t0).count();
        calls += in_block;
        copies(in_block);
    }
    state.counters["copy_ns"] = copy_ns / static_cast<double>(calls);
    state.counters["vs_copy"] = body_ns / copy_ns;
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(2 * bytes));
}

// The shared buffers of a tokens x heads x head_dim shape as T, input filled.
template <class T>
struct io_views {
    std::size_t n;  // elements of each
    T* x;
    T* y;
};
template <class T>
io_views<T> input_output(std::int64_t tokens, int heads) {
    const std::size_t n =
        static_cast<std::size_t>(tokens) * static_cast<std::size_t>(heads) * head_dim;
    io_buffers& buf = buffers(n * sizeof(T));
    io_views<T> v{n, reinterpret_cast<T*>(buf.in.data()), reinterpret_cast<T*>(buf.out.data())};
    fill_input(v.x, n);
    return v;
}

template <class T>
void bm_apply(benchmark::State& state, mode m, rs::rotary_layout layout, std::int64_t tokens,
              int heads) {
    const io_views<T> io = input_output<T>(tokens, heads);
    const std::size_t n = io.n;
    T* x = io.x;
    T* y = io.y;
    const auto pos = positions(tokens);
    const auto op = rs::out_of_place(rs::make_heads_view<const T>(x, tokens, heads, head_dim),
                                     rs::make_heads_view(y, tokens, heads, head_dim));
    if (auto st = run<T>(m, layout, pos, op); !st) {
        state.SkipWithError(st.err().what().c_str());
        return;
    }
    std::string why;
    if (!verify<T>(m, layout, pos, x, y, n, tokens, heads, why)) {
        state.SkipWithError(why.c_str());
        return;
    }
    time_against_copy(state, x, y, n * sizeof(T), [&] {
        auto st = run<T>(m, layout, pos, op);
        benchmark::DoNotOptimize(st);
    });
}

// The conversions alone (BM_convert/<type>/<shape>): every element of x widened to f32 and
// stored back rounded into y, no rotation, with the kernels' own load/store code (bf16: the
// even/odd form of rotate_token_bf16; f16: element_io, F16C where the target has it). A
// 16-bit BM_apply does this plus the rotation, so its vs_copy cannot go below this one's: the
// floor of the build's instruction set, next to the targets.
template <class T>
void convert_pass(const T* x, T* y, std::size_t n) {
    using arch = xsimd::default_arch;
    if constexpr (std::is_same<T, rs::bf16>::value) {
        using eo = rs::detail::bf16_even_odd<arch>;
        constexpr std::size_t step = 2 * eo::lanes;
        for (std::size_t i = 0; i + step <= n; i += step) {
            typename eo::fbatch even, odd;
            eo::load(x + i, even, odd);
            eo::template store<false>(y + i, even, odd);
        }
    } else {
        using io = rs::detail::element_io<arch, T>;
        constexpr std::size_t step = io::batch::size;
        for (std::size_t i = 0; i + step <= n; i += step) io::store(y + i, io::load(x + i));
    }
}

template <class T>
void bm_convert(benchmark::State& state, std::int64_t tokens, int heads) {
    const io_views<T> io = input_output<T>(tokens, heads);
    const std::size_t n = io.n;
    T* x = io.x;
    T* y = io.y;
    convert_pass(x, y, n);
    if (std::memcmp(x, y, n * sizeof(T)) != 0) {  // exact: every input is representable
        state.SkipWithError("the round trip changed a value");
        return;
    }
    time_against_copy(state, x, y, n * sizeof(T), [&] { convert_pass(x, y, n); });
}

void bm_copy(benchmark::State& state, std::size_t bytes) {
    io_buffers& b = buffers(bytes);
    for (auto _ : state) {
        std::memcpy(b.out.data(), b.in.data(), bytes);
        benchmark::DoNotOptimize(b.out.data());
        benchmark::ClobberMemory();
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(2 * bytes));
}

// One call split by token range over the benchmark's threads (shared buffers).
struct mt_buffers {
    static constexpr std::int64_t tokens = 4096;
    static constexpr int heads = 32;
    aligned_vector<float> x, y;
    std::vector<std::int32_t> pos;
    mt_buffers()
        : x(tokens * heads * head_dim), y(tokens * heads * head_dim), pos(positions(tokens)) {
        for (std::size_t i = 0; i < x.size(); ++i)
            x[i] = static_cast<float>(i % 1000) * 1e-3f - 0.5f;
    }
};

mt_buffers& mt() {
    static mt_buffers b;
    return b;
}

void bm_apply_mt(benchmark::State& state) {
    auto& b = mt();
    const std::int64_t begin = mt_buffers::tokens * state.thread_index() / state.threads();
    const std::int64_t end = mt_buffers::tokens * (state.thread_index() + 1) / state.threads();
    const auto in = rs::make_heads_view<const float>(b.x.data(), mt_buffers::tokens,
                                                     mt_buffers::heads, head_dim)
                        .token_range(begin, end - begin);
    const auto out =
        rs::make_heads_view(b.y.data(), mt_buffers::tokens, mt_buffers::heads, head_dim)
            .token_range(begin, end - begin);
    const rs::position_span pos = rs::position_span(b.pos).subspan(begin, end - begin);
    for (auto _ : state) {
        auto st =
            rs::apply_rope(cache(), rs::rotary_layout::half_split, pos, rs::out_of_place(in, out));
        benchmark::DoNotOptimize(st);
        benchmark::ClobberMemory();
    }
    if (state.thread_index() == 0) {
        const double n = static_cast<double>(b.x.size());
        state.counters["bytes"] = n * sizeof(float);
    }
}

void bm_build_cache(benchmark::State& state) {
    constexpr std::int64_t positions_n = 131072;
    rs::rope_cache c;
    for (auto _ : state) {
        c = *rs::build_rope_cache(table(), positions_n, rs::attention_factor_mode::folded);
        benchmark::DoNotOptimize(c.data());
    }
    // Max |entry - m * rotation_sincos| over every entry (and the contract's excess).
    const double m = table().attention_factor;
    double max_error = 0.0, max_excess = -1.0;
    for (std::int64_t p = 0; p < positions_n; ++p)
        for (int i = 0; i < 64; ++i) {
            const auto e = rs::rotation_sincos(p, table().inv_freq[static_cast<std::size_t>(i)]);
            const double ec = std::fabs(c.cos_row(p)[i] - m * e.cos),
                         es = std::fabs(c.sin_row(p)[i] - m * e.sin);
            max_error = std::max({max_error, ec, es});
            max_excess = std::max({max_excess, ec - 1e-7 - std::ldexp(std::fabs(m * e.cos), -24),
                                   es - 1e-7 - std::ldexp(std::fabs(m * e.sin), -24)});
        }
    state.counters["entries"] = static_cast<double>(positions_n * 64);
    state.counters["max_error"] = max_error;
    state.counters["within_contract"] = max_excess <= 0.0 ? 1.0 : 0.0;
}

// The computation alone: the same rows written into an already-touched buffer (no allocation,
// no first-touch page faults), through the kernel build_rope_cache uses.
void bm_build_cache_rows(benchmark::State& state) {
    constexpr std::int64_t positions_n = 131072;
    const auto& t = table();
    std::vector<float> rows(static_cast<std::size_t>(positions_n) * 128, 0.0f);
    for (auto _ : state) {
        rs::detail::kernel_runner<xsimd::default_arch>::build_cache(
            t.inv_freq.data(), 64, t.attention_factor, 0, positions_n, rows.data());
        benchmark::DoNotOptimize(rows.data());
        benchmark::ClobberMemory();
    }
    state.counters["entries"] = static_cast<double>(positions_n * 64);
}

const char* layout_name(rs::rotary_layout l) { return rs::to_string(l); }
const char* mode_name(mode m) {
    switch (m) {
        case mode::cached: return "cached";
        case mode::on_the_fly: return "on_the_fly";
        case mode::scalar: return "scalar";
        case mode::cached_unchecked: return "cached_unchecked";
    }
    return "";
}

struct shape {
    std::int64_t tokens;
    int heads;
};
constexpr shape shapes[] = {{1, 32}, {1, 8}, {16, 32}, {512, 32}, {4096, 32}};

// With --benchmark_repetitions, also the fastest repetition ("_min"): on a shared machine noise
// only adds time. (vs_copy's own aggregates are over per-run ratios: read its median.)
double min_of(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

template <class T>
void register_type(const char* type) {
    for (mode m : {mode::cached, mode::on_the_fly, mode::scalar, mode::cached_unchecked})
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
            for (const shape& s : shapes) {
                if (m == mode::scalar && s.tokens > 512) continue;  // minutes per run; not a target
                // The argument checks' share of a call: only where it is visible (decode, f32).
                if (m == mode::cached_unchecked &&
                    (s.tokens != 1 || !std::is_same<T, float>::value))
                    continue;
                const std::string name =
                    std::string("BM_apply/") + mode_name(m) + "/" + layout_name(layout) + "/" +
                    type + "/" + std::to_string(s.tokens) + "x" + std::to_string(s.heads) + "x128";
                benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
                    bm_apply<T>(st, m, layout, s.tokens, s.heads);
                })->ComputeStatistics("min", min_of);
            }
}

template <class T>
void register_convert(const char* type) {
    for (const shape& s : shapes) {
        const std::string name = std::string("BM_convert/") + type + "/" +
                                 std::to_string(s.tokens) + "x" + std::to_string(s.heads) + "x128";
        benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
            bm_convert<T>(st, s.tokens, s.heads);
        })->ComputeStatistics("min", min_of);
    }
}

void register_all() {
    std::vector<std::size_t> sizes;
    for (const shape& s : shapes)
        for (std::size_t elem : {std::size_t{4}, std::size_t{2}})
            sizes.push_back(static_cast<std::size_t>(s.tokens) * static_cast<std::size_t>(s.heads) *
                            head_dim * elem);
    std::sort(sizes.begin(), sizes.end());
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    for (std::size_t b : sizes)
        benchmark::RegisterBenchmark(("BM_copy/" + std::to_string(b)).c_str(),
                                     [=](benchmark::State& st) { bm_copy(st, b); })
            ->ComputeStatistics("min", min_of);
    register_type<float>("f32");
    register_type<rs::bf16>("bf16");
    register_type<rs::fp16>("f16");
    register_convert<rs::bf16>("bf16");
    register_convert<rs::fp16>("f16");
    benchmark::RegisterBenchmark("BM_apply_mt/cached/half_split/f32/4096x32x128", bm_apply_mt)
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime()
        ->ComputeStatistics("min", min_of);
    benchmark::RegisterBenchmark("BM_build_cache", bm_build_cache)
        ->Unit(benchmark::kMillisecond)
        ->ComputeStatistics("min", min_of);
    benchmark::RegisterBenchmark("BM_build_cache_rows", bm_build_cache_rows)
        ->Unit(benchmark::kMillisecond)
        ->ComputeStatistics("min", min_of);
}

// Reporter wrapper: adds ns_per_entry to the cache-build runs, then forwards to the display
// reporter.
class ratio_reporter : public benchmark::BenchmarkReporter {
  public:
    explicit ratio_reporter(benchmark::BenchmarkReporter* inner) : inner_(inner) {}
    bool ReportContext(const Context& c) override { return inner_->ReportContext(c); }
    void Finalize() override { inner_->Finalize(); }
    void ReportRuns(const std::vector<Run>& runs) override {
        std::vector<Run> out = runs;
        for (Run& r : out) {
            if (r.error_occurred) continue;
            const double ns = r.GetAdjustedRealTime() * to_ns(r.time_unit);
            const auto entries = r.counters.find("entries");
            if (entries != r.counters.end() && r.aggregate_name != "stddev" &&
                r.aggregate_name != "cv")
                r.counters["ns_per_entry"] = benchmark::Counter(ns / entries->second.value);
        }
        inner_->ReportRuns(out);
    }

  private:
    static double to_ns(benchmark::TimeUnit u) {
        switch (u) {
            case benchmark::kNanosecond: return 1.0;
            case benchmark::kMicrosecond: return 1e3;
            case benchmark::kMillisecond: return 1e6;
            case benchmark::kSecond: return 1e9;
        }
        return 1.0;
    }
    benchmark::BenchmarkReporter* inner_;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_all();
    std::cout << "ropescale_bench: kernels for " << xsimd::default_arch::name()
              << " (static dispatch), cache build / cached rotation / copy roofline\n";
    const std::string filter = benchmark::GetBenchmarkFilter();
    benchmark::ConsoleReporter console;
    ratio_reporter reporter(&console);
    benchmark::RunSpecifiedBenchmarks(&reporter, filter.empty() || filter == "all" ? "." : filter);
    benchmark::Shutdown();
    return 0;
}
