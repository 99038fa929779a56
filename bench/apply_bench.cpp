// Rotation and cache-build benchmarks (Google Benchmark), executable ropescale_bench.
// bench/run_results.sh runs every command whose output bench/RESULTS.md reports.
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
//   BM_apply_mt/cached/half_split/f32/4096x32x128/split:N  one whole call split by token range
//     over N threads of a pool started before timing (split_pool); time = wall time per whole
//     call; counter speedup = one thread's time / this, paired call by call.
//   BM_mrope/<path>/<layout>/<type>/<tokens>x28x128  cached, 28 heads (Qwen2.5-VL 7B's query
//     heads): path 1d = apply_rope at one position per token; mrope / imrope = the M-RoPE
//     apply_rope with Qwen2.5-VL's chunked sections (16, 24, 24) / Qwen3-VL's interleaved
//     (24, 20, 20), every token with three different positions (decode: t, t + 3, t + 7;
//     prefill: an image, t fixed, h and w walking a 16-wide grid).
//   BM_copy/<bytes>   memcpy of the same input bytes into the output buffer: the roofline.
//   BM_convert/<type>/<tokens>x<heads>x128  bf16 | f16: load, widen to f32, round, store, no
//                     rotation (the kernels' conversion code): the floor of a 16-bit BM_apply.
//   BM_build_cache    131072 positions x 64 pairs: counters ns_per_entry, max_error (vs
//                     rotation_sincos, all entries), within_contract (1 = every entry within
//                     1e-7 + 2^-24 |v|). Includes allocating and first-touching the 64 MiB.
//   BM_build_cache_rows  the same rows into a reused buffer: the computation alone.
//   BM_cache_pages[_live]/<standard|huge>/<positions>  build_rope_cache with and without the
//                     huge-page advice (cache_pages): build time and per-call time distribution.
//
// Counter vs_copy = time per call / time per memcpy of the same input into the same output
// buffer, measured in the same benchmark run and interleaved: the calls run in blocks of about
// 1 MiB of output (64 decode calls, one 4096x32 call) and each block is followed by as many
// memcpy calls (timer paused); vs_copy is the median over blocks of the block's ratio, and
// call_ns / copy_ns the medians of the blocks' time per call / per copy. Pairing them block by
// block keeps the ratio meaningful on a shared, noisy machine (a copy timed seconds or minutes
// apart is not); using the very same page-aligned buffers (io_buffers) keeps 4 KiB aliasing
// equal for both. Every block of calls and of copies is preceded, timer paused, by a touch of
// every page of the input, the output and the cache rows read (touch_pages), so that no block
// pays page faults for memory the system reclaimed while other benchmarks ran.
// BM_copy/<bytes> reports the copies alone as well. Every BM_apply (and BM_apply_mt) checks
// its output against the scalar reference (bound of tests/kernels/support.hpp) before timing
// and reports an error instead of a time if it differs.
#include <benchmark/benchmark.h>

#include <ropescale/apply.hpp>
#include <ropescale/cache_build.hpp>
#include <ropescale/frequencies.hpp>
#include <ropescale/half.hpp>
#include <ropescale/mrope.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

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

// The verdict of check(why) for benchmark `name`: "" if it passed, else why. Google Benchmark
// calls a benchmark function once per trial of an iteration count and once per repetition,
// with the same inputs each time: the output is compared with the scalar reference on the
// first call only (for 4096 tokens the reference takes longer than the timing), and a failure
// is reported by every later call too.
template <class Check>
std::string checked_once(const std::string& name, Check check) {
    static std::map<std::string, std::string> verdicts;
    auto it = verdicts.find(name);
    if (it == verdicts.end()) {
        std::string why;
        if (!check(why) && why.empty()) why = "differs from the scalar reference";
        it = verdicts.emplace(name, why).first;
    }
    return it->second;
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

// Brings every 4 KiB page of [p, p + bytes) into memory and marks it written (each page's
// first byte is read and written back unchanged), outside any timed region. A guest that
// reclaims cold memory would otherwise charge the first timed block after other benchmarks
// with page faults that the next block does not pay.
void touch_pages(const void* p, std::size_t bytes) {
    if (bytes == 0) return;
    auto* b = static_cast<volatile unsigned char*>(const_cast<void*>(p));
    for (std::size_t i = 0; i < bytes; i += 4096) b[i] = b[i];
    b[bytes - 1] = b[bytes - 1];
}

double median_of(std::vector<double> v) {
    if (v.empty()) return 0.0;
    const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    if (v.size() % 2 == 1) return *mid;
    return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

using bench_clock = std::chrono::steady_clock;
double ns_since(bench_clock::time_point t0) {
    return std::chrono::duration<double, std::nano>(bench_clock::now() - t0).count();
}

// Times `body` in the benchmark loop and pairs it with memcpy of `bytes` from x to y (same
// buffers): the calls run in blocks of about 1 MiB of output, and after each block, with the
// benchmark's timer paused, as many copies are timed. Before each block of calls and each
// block of copies, `touch` is called (timer paused) to bring the buffers in (touch_pages).
// Counters, from steady_clock around whole blocks: call_ns and copy_ns (median over blocks of
// the time per call / per copy) and vs_copy (median over blocks of the block's calls' time /
// its copies' time). Medians of per-block figures rather than ratios of totals: one slow block
// (another process on the core, a page fault) moves a median by one rank, not by its length.
template <class T, class Body, class Touch>
void time_against_copy(benchmark::State& state, const T* x, T* y, std::size_t bytes, Body body,
                       Touch touch) {
    const std::int64_t block = std::max<std::int64_t>(
        1, static_cast<std::int64_t>((std::size_t{1} << 20) / std::max<std::size_t>(bytes, 1)));
    std::vector<double> call_ns, copy_ns, ratio;
    std::int64_t in_block = 0;
    // Ends a block of `count` calls that took `calls_ns`: copies, then the block's figures.
    const auto close_block = [&](double calls_ns, std::int64_t count) {
        touch();
        const auto c0 = bench_clock::now();
        for (std::int64_t i = 0; i < count; ++i) {
            std::memcpy(y, x, bytes);
            benchmark::DoNotOptimize(y);
            benchmark::ClobberMemory();
        }
        const double copies_ns = ns_since(c0);
        call_ns.push_back(calls_ns / static_cast<double>(count));
        copy_ns.push_back(copies_ns / static_cast<double>(count));
        ratio.push_back(calls_ns / copies_ns);
    };
    touch();  // before the loop: not timed
    auto t0 = bench_clock::now();
    for (auto _ : state) {
        body();
        benchmark::ClobberMemory();
        if (++in_block == block) {
            const double calls_ns = ns_since(t0);
            state.PauseTiming();
            close_block(calls_ns, in_block);
            in_block = 0;
            touch();
            state.ResumeTiming();
            t0 = bench_clock::now();
        }
    }
    if (in_block > 0) close_block(ns_since(t0), in_block);  // the last, partial block
    state.counters["call_ns"] = median_of(call_ns);
    state.counters["copy_ns"] = median_of(copy_ns);
    state.counters["vs_copy"] = median_of(ratio);
    state.counters["blocks"] = static_cast<double>(ratio.size());
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
void bm_apply(benchmark::State& state, const std::string& name, mode m, rs::rotary_layout layout,
              std::int64_t tokens, int heads) {
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
    if (const std::string why = checked_once(
            name,
            [&](std::string& w) { return verify<T>(m, layout, pos, x, y, n, tokens, heads, w); });
        !why.empty()) {
        state.SkipWithError(why.c_str());
        return;
    }
    // The cache rows the call reads (positions are one value or ascending).
    const float* rows = cache().cos_row(pos.front());
    const std::size_t rows_bytes = static_cast<std::size_t>(pos.back() - pos.front() + 1) *
                                   static_cast<std::size_t>(cache().rotary_dim()) * sizeof(float);
    time_against_copy(
        state, x, y, n * sizeof(T),
        [&] {
            auto st = run<T>(m, layout, pos, op);
            benchmark::DoNotOptimize(st);
        },
        [&] {
            touch_pages(x, n * sizeof(T));
            touch_pages(y, n * sizeof(T));
            if (m != mode::on_the_fly) touch_pages(rows, rows_bytes);
        });
}

// BM_mrope: the 1-D cached call and the M-RoPE one on the same buffers and shape (header).
enum class mrope_path { line, chunked, interleaved };

const char* mrope_path_name(mrope_path p) {
    return p == mrope_path::line ? "1d" : p == mrope_path::chunked ? "mrope" : "imrope";
}

// The three streams, [3][tokens] (header: decode t, t + 3, t + 7; prefill an image grid).
std::vector<std::int32_t> mrope_stream_positions(std::int64_t tokens) {
    std::vector<std::int32_t> p(3 * static_cast<std::size_t>(tokens));
    for (std::int64_t i = 0; i < tokens; ++i) {
        const auto n = static_cast<std::size_t>(tokens);
        const auto k = static_cast<std::size_t>(i);
        if (tokens == 1) {
            p[0] = 20000;
            p[1] = 20003;
            p[2] = 20007;
        } else {
            p[k] = 5;
            p[n + k] = static_cast<std::int32_t>(5 + i / 16);
            p[2 * n + k] = static_cast<std::int32_t>(5 + i % 16);
        }
    }
    return p;
}

template <class T>
void bm_mrope(benchmark::State& state, const std::string& name, mrope_path path,
              rs::rotary_layout layout, std::int64_t tokens, int heads) {
    const io_views<T> io = input_output<T>(tokens, heads);
    const auto line = positions(tokens);
    const auto streams = mrope_stream_positions(tokens);
    const auto mpos = rs::make_mrope_streams(streams.data(), tokens);
    const rs::mrope_map map = *rs::mrope_map::make(path == mrope_path::interleaved
                                                       ? rs::mrope_sections{{24, 20, 20}, true}
                                                       : rs::mrope_sections{{16, 24, 24}, false},
                                                   head_dim);
    const auto op = rs::out_of_place(rs::make_heads_view<const T>(io.x, tokens, heads, head_dim),
                                     rs::make_heads_view(io.y, tokens, heads, head_dim));
    const auto call = [&](auto arch) {
        using Arch = decltype(arch);
        return path == mrope_path::line ? rs::apply_rope<Arch>(cache(), layout, line, op)
                                        : rs::apply_rope<Arch>(cache(), layout, map, mpos, op);
    };
    if (auto st = call(xsimd::default_arch{}); !st) {
        state.SkipWithError(st.err().what().c_str());
        return;
    }
    if (const std::string why = checked_once(
            name,
            [&](std::string& w) {
                aligned_vector<T> got(io.y, io.y + io.n);
                const auto st = call(rs::scalar_reference{});  // into io.y
                if (!st) {
                    w = st.err().what();
                    return false;
                }
                const double af = table().attention_factor;
                const double half = sizeof(T) == 2 ? 1.0 : 0.0;
                for (std::size_t i = 0; i < io.n; ++i) {
                    const double a = to_double(got[i]), b = to_double(io.y[i]);
                    if (!(std::fabs(a - b) <=
                          std::ldexp(8.0 * af, -21) + half * std::ldexp(std::fabs(b), -7))) {
                        w = "output " + std::to_string(i) + " differs from the scalar reference";
                        return false;
                    }
                }
                return true;
            });
        !why.empty()) {
        state.SkipWithError(why.c_str());
        return;
    }
    // Rows read: every position of the calls lies in [0, 20008).
    const std::size_t rows_bytes =
        std::size_t{20008} * static_cast<std::size_t>(cache().rotary_dim()) * sizeof(float);
    const float* rows = cache().cos_row(0);
    time_against_copy(
        state, io.x, io.y, io.n * sizeof(T),
        [&] {
            auto st = call(xsimd::default_arch{});
            benchmark::DoNotOptimize(st);
        },
        [&] {
            touch_pages(io.x, io.n * sizeof(T));
            touch_pages(io.y, io.n * sizeof(T));
            if (tokens > 1) touch_pages(rows, rows_bytes);
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
    time_against_copy(
        state, x, y, n * sizeof(T), [&] { convert_pass(x, y, n); },
        [&] {
            touch_pages(x, n * sizeof(T));
            touch_pages(y, n * sizeof(T));
        });
}

void bm_copy(benchmark::State& state, std::size_t bytes) {
    io_buffers& b = buffers(bytes);
    touch_pages(b.in.data(), bytes);
    touch_pages(b.out.data(), bytes);
    for (auto _ : state) {
        std::memcpy(b.out.data(), b.in.data(), bytes);
        benchmark::DoNotOptimize(b.out.data());
        benchmark::ClobberMemory();
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(2 * bytes));
}

// A fixed set of helper threads that split one call by token range, as an engine's thread
// pool does: started before the timed loop, released once per call through a condition
// variable, the calling thread taking part 0 and waiting for the helpers' parts. No thread is
// created inside the timed region; the wake-ups and the wait for the slowest part are.
class split_pool {
  public:
    // work(part) is called once per run() for each part in [0, parts).
    split_pool(int parts, std::function<void(int)> work) : work_(std::move(work)) {
        for (int i = 1; i < parts; ++i) helpers_.emplace_back([this, i] { helper(i); });
    }
    split_pool(const split_pool&) = delete;
    split_pool& operator=(const split_pool&) = delete;
    ~split_pool() {
        {
            std::lock_guard<std::mutex> lock(m_);
            stop_ = true;
        }
        go_.notify_all();
        for (auto& t : helpers_) t.join();
    }
    // One whole call: returns when every part is done.
    void run() {
        {
            std::lock_guard<std::mutex> lock(m_);
            ++generation_;
            pending_ = static_cast<int>(helpers_.size());
        }
        go_.notify_all();
        work_(0);
        std::unique_lock<std::mutex> lock(m_);
        done_.wait(lock, [this] { return pending_ == 0; });
    }

  private:
    void helper(int part) {
        std::uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(m_);
                go_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
            }
            work_(part);
            std::lock_guard<std::mutex> lock(m_);
            if (--pending_ == 0) done_.notify_one();
        }
    }

    std::function<void(int)> work_;
    std::vector<std::thread> helpers_;
    std::mutex m_;
    std::condition_variable go_, done_;
    std::uint64_t generation_ = 0;
    int pending_ = 0;
    bool stop_ = false;
};

// BM_apply_mt/cached/half_split/f32/<shape>/split:N: one whole call, its tokens split into N
// ranges over N threads (split_pool). Manual time = wall time per whole call, from the release
// of the helpers to the end of the last part. After each call, with the same buffers, the same
// call is timed on the calling thread alone; both preceded by touch_pages. Counters:
// call_ns, one_thread_ns (medians over calls) and speedup (median over the pairs of
// one-thread time / split time).
void bm_apply_mt(benchmark::State& state, const std::string& name, std::int64_t tokens, int heads,
                 int parts) {
    const io_views<float> io = input_output<float>(tokens, heads);
    const auto pos = positions(tokens);
    const auto in = rs::make_heads_view<const float>(io.x, tokens, heads, head_dim);
    const auto out = rs::make_heads_view(io.y, tokens, heads, head_dim);
    const auto part_call = [&](std::int64_t begin, std::int64_t end) {
        return rs::apply_rope(cache(), rs::rotary_layout::half_split,
                              rs::position_span(pos).subspan(begin, end - begin),
                              rs::out_of_place(in.token_range(begin, end - begin),
                                               out.token_range(begin, end - begin)));
    };
    std::vector<rs::status> part_status(static_cast<std::size_t>(parts));
    split_pool pool(parts, [&](int part) {
        part_status[static_cast<std::size_t>(part)] =
            part_call(tokens * part / parts, tokens * (part + 1) / parts);
    });
    pool.run();
    for (const rs::status& st : part_status)
        if (!st) {
            state.SkipWithError(st.err().what().c_str());
            return;
        }
    if (const std::string why =
            checked_once(name,
                         [&](std::string& w) {
                             return verify<float>(mode::cached, rs::rotary_layout::half_split, pos,
                                                  io.x, io.y, io.n, tokens, heads, w);
                         });
        !why.empty()) {
        state.SkipWithError(why.c_str());
        return;
    }
    const std::size_t bytes = io.n * sizeof(float);
    const float* rows = cache().cos_row(0);
    const std::size_t rows_bytes = static_cast<std::size_t>(tokens) *
                                   static_cast<std::size_t>(cache().rotary_dim()) * sizeof(float);
    const auto touch = [&] {
        touch_pages(io.x, bytes);
        touch_pages(io.y, bytes);
        touch_pages(rows, rows_bytes);
    };
    std::vector<double> split_ns, one_ns, speedup;
    for (auto _ : state) {
        touch();
        auto t0 = bench_clock::now();
        pool.run();
        benchmark::ClobberMemory();
        const double split = ns_since(t0);
        state.SetIterationTime(split * 1e-9);
        touch();
        t0 = bench_clock::now();
        auto st = part_call(0, tokens);
        benchmark::DoNotOptimize(st);
        benchmark::ClobberMemory();
        const double one = ns_since(t0);
        split_ns.push_back(split);
        one_ns.push_back(one);
        speedup.push_back(one / split);
    }
    state.counters["call_ns"] = median_of(split_ns);
    state.counters["one_thread_ns"] = median_of(one_ns);
    state.counters["speedup"] = median_of(speedup);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(2 * bytes));
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

// The part of [p, p + bytes) in transparent huge pages and whether the advice reached the
// kernel, from /proc/self/smaps: AnonHugePages (kB) of the mappings overlapping the range and
// whether one of them has the MADV_HUGEPAGE flag ("hg" in VmFlags). Zero outside Linux.
struct thp_state {
    double anon_huge_kib = 0.0;
    bool advised = false;
};
thp_state thp_of(const void* p, std::size_t bytes) {
    thp_state r;
    std::ifstream smaps("/proc/self/smaps");
    const auto lo = reinterpret_cast<std::uintptr_t>(p);
    const auto hi = lo + bytes;
    bool overlaps = false;
    std::string line;
    while (std::getline(smaps, line)) {
        unsigned long begin = 0, end = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2) {
            overlaps = begin < hi && end > lo;
        } else if (overlaps && line.rfind("AnonHugePages:", 0) == 0) {
            r.anon_huge_kib += std::strtod(line.c_str() + 14, nullptr);
        } else if (overlaps && line.rfind("VmFlags:", 0) == 0) {
            r.advised = r.advised || (line + " ").find(" hg ") != std::string::npos;
        }
    }
    return r;
}

// Page faults and involuntary context switches of the calling thread so far (0 outside Linux).
struct thread_events {
    double faults = 0.0, preempted = 0.0;
};
thread_events events_now() {
#if defined(__linux__)
    rusage r{};
    getrusage(RUSAGE_THREAD, &r);
    return {static_cast<double>(r.ru_minflt + r.ru_majflt), static_cast<double>(r.ru_nivcsw)};
#else
    return {};
#endif
}

// BM_cache_pages/<standard|huge>/<positions>: build_rope_cache(table(), positions, folded,
// cache_pages::<pages>), then decode calls (1x32x128 f32, half_split) at pseudo-random
// positions over the whole cache, each call timed alone (steady_clock). Manual time = the
// build (allocation, first touch, rows). BM_cache_pages_live/<pages>/<positions>: one cache
// built before the timed loop and kept live while the calls run for the whole min_time
// (manual time = the calls; 4096 per iteration). Counters: build_ms (median), call_p50_ns,
// call_p99_ns, call_max_ns and calls_over_1ms over every call, call_faults and preempted
// (page faults and involuntary context switches of the thread while it made the calls: a stall
// with faults is the memory's, one with only preemptions is the machine's), huge_mib (AnonHugePages
// under the last cache) and advised (1 = its mapping has the hugepage flag). The process sets a
// fixed mmap threshold (main): every cache above it is a fresh mapping, as in a freshly started
// engine, not heap memory that another cache has already faulted in (and advised).
void bm_cache_pages(benchmark::State& state, rs::cache_pages pages, std::int64_t n, bool live) {
    const int calls_per_iteration = live ? 4096 : 32768;
    const io_views<float> io = input_output<float>(1, 32);
    std::vector<std::int32_t> pos(1, 0);
    const auto op = rs::out_of_place(rs::make_heads_view<const float>(io.x, 1, 32, head_dim),
                                     rs::make_heads_view(io.y, 1, 32, head_dim));
    // Per-call times in 1 ns bins below 100 us (allocated and touched before timing, so that
    // recording a call faults nothing in), the rest counted and the maximum kept.
    std::vector<std::uint64_t> bins(100000, 0);
    std::vector<double> build_ns;
    std::uint64_t calls_n = 0, over_1ms = 0;
    double max_ns = 0.0;
    const auto record = [&](double ns) {
        ++calls_n;
        max_ns = std::max(max_ns, ns);
        over_1ms += ns > 1e6;
        if (ns < static_cast<double>(bins.size())) ++bins[static_cast<std::size_t>(ns)];
    };
    const auto rank = [&](double q) {  // the q quantile, in ns (1 ns bins)
        const auto target = static_cast<std::uint64_t>(q * static_cast<double>(calls_n));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bins.size(); ++i)
            if ((seen += bins[i]) > target) return static_cast<double>(i);
        return max_ns;
    };
    std::uint64_t lcg = 12345;
    double faults = 0.0, preempted = 0.0;
    std::optional<rs::rope_cache> c;
    if (live) {
        auto built = rs::build_rope_cache(table(), n, rs::attention_factor_mode::folded, pages);
        if (!built) {
            state.SkipWithError(built.err().what().c_str());
            return;
        }
        c = std::move(*built);
    }
    for (auto _ : state) {
        if (!live) {
            c.reset();
            const auto t0 = bench_clock::now();
            auto built = rs::build_rope_cache(table(), n, rs::attention_factor_mode::folded, pages);
            if (built) benchmark::DoNotOptimize(built->data());
            const double b = ns_since(t0);
            if (!built) {
                state.SkipWithError(built.err().what().c_str());
                return;
            }
            c = std::move(*built);
            build_ns.push_back(b);
            state.SetIterationTime(b * 1e-9);
        }
        double calls = 0.0;
        const thread_events e0 = events_now();
        for (int k = 0; k < calls_per_iteration; ++k) {
            lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
            pos[0] = static_cast<std::int32_t>((lcg >> 33) % static_cast<std::uint64_t>(n));
            const auto c0 = bench_clock::now();
            auto st = rs::apply_rope(*c, rs::rotary_layout::half_split, pos, op);
            benchmark::DoNotOptimize(st);
            benchmark::ClobberMemory();
            const double ns = ns_since(c0);
            record(ns);
            calls += ns;
        }
        const thread_events e1 = events_now();
        faults += e1.faults - e0.faults;
        preempted += e1.preempted - e0.preempted;
        if (live) state.SetIterationTime(calls * 1e-9);
    }
    const thp_state thp = thp_of(c->data(), c->bytes());
    if (!live) state.counters["build_ms"] = median_of(build_ns) * 1e-6;
    state.counters["call_p50_ns"] = rank(0.5);
    state.counters["call_p99_ns"] = rank(0.99);
    state.counters["call_max_ns"] = max_ns;
    state.counters["calls_over_1ms"] = static_cast<double>(over_1ms);
    state.counters["calls"] = static_cast<double>(calls_n);
    state.counters["call_faults"] = faults;
    state.counters["preempted"] = preempted;
    state.counters["huge_mib"] = thp.anon_huge_kib / 1024.0;
    state.counters["advised"] = thp.advised ? 1.0 : 0.0;
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
double max_of(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

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
                    bm_apply<T>(st, name, m, layout, s.tokens, s.heads);
                })->ComputeStatistics("min", min_of);
            }
}

template <class T>
void register_mrope(const char* type) {
    for (const mrope_path path : {mrope_path::line, mrope_path::chunked, mrope_path::interleaved})
        for (auto layout : {rs::rotary_layout::half_split, rs::rotary_layout::interleaved})
            for (const std::int64_t tokens : {std::int64_t{1}, std::int64_t{512}}) {
                const std::string name = std::string("BM_mrope/") + mrope_path_name(path) + "/" +
                                         layout_name(layout) + "/" + type + "/" +
                                         std::to_string(tokens) + "x28x128";
                benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& st) {
                    bm_mrope<T>(st, name, path, layout, tokens, 28);
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
    register_mrope<float>("f32");
    register_mrope<rs::bf16>("bf16");
    for (int parts : {1, 2}) {
        const std::string name =
            "BM_apply_mt/cached/half_split/f32/4096x32x128/split:" + std::to_string(parts);
        benchmark::RegisterBenchmark(
            name.c_str(), [=](benchmark::State& st) { bm_apply_mt(st, name, 4096, 32, parts); })
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond)
            ->ComputeStatistics("min", min_of);
    }
    benchmark::RegisterBenchmark("BM_build_cache", bm_build_cache)
        ->Unit(benchmark::kMillisecond)
        ->ComputeStatistics("min", min_of);
    for (auto pages : {rs::cache_pages::standard, rs::cache_pages::huge}) {
        const std::string p = pages == rs::cache_pages::huge ? "huge/" : "standard/";
        for (std::int64_t n : {4096, 8192, 131072})
            benchmark::RegisterBenchmark(
                ("BM_cache_pages/" + p + std::to_string(n)).c_str(),
                [=](benchmark::State& st) { bm_cache_pages(st, pages, n, false); })
                ->UseManualTime()
                ->Iterations(8)
                ->Unit(benchmark::kMillisecond)
                ->ComputeStatistics("min", min_of)
                ->ComputeStatistics("max", max_of);
        benchmark::RegisterBenchmark(
            ("BM_cache_pages_live/" + p + "131072").c_str(),
            [=](benchmark::State& st) { bm_cache_pages(st, pages, 131072, true); })
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
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
#if defined(__GLIBC__)
    // A fixed mmap threshold: glibc otherwise raises it after each free of a large block, so a
    // benchmark's caches up to 32 MiB would come from heap memory an earlier one already
    // faulted in (and advised), depending on the order the benchmarks ran in.
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    register_all();
    std::cout << "ropescale_bench: kernels for " << xsimd::default_arch::name()
              << " (static dispatch), cache build / cached rotation / copy roofline\n";
    const std::string filter = benchmark::GetBenchmarkFilter();
    // Colours only on a terminal (this reporter ignores --benchmark_color).
#if defined(__linux__)
    const bool tty = isatty(STDOUT_FILENO) != 0;
#else
    const bool tty = true;
#endif
    benchmark::ConsoleReporter console(tty ? benchmark::ConsoleReporter::OO_Defaults
                                           : benchmark::ConsoleReporter::OO_Tabular);
    ratio_reporter reporter(&console);
    benchmark::RunSpecifiedBenchmarks(&reporter, filter.empty() || filter == "all" ? "." : filter);
    benchmark::Shutdown();
    return 0;
}
