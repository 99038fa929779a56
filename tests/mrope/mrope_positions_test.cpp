// M-RoPE position ids (mrope_positions.hpp) against values worked out without this code:
// expected_positions.inc, written by make_expected.py (an independent evaluation of the
// reference rules), and the published examples of transformers (its get_rope_index docstrings
// and its GetRopeIndexTest expectations), copied here by hand. Also: the decode continuation,
// the int32 / strided writer, and every refused input with its field.
#include <gtest/gtest.h>

#include <ropescale/mrope_positions.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rs = ropescale;

namespace {

rs::mrope_position_rules make_rules(rs::mrope_model model, int merge, double tokens_per_second,
                                    rs::mrope_text_resume resume,
                                    rs::mrope_time_rounding rounding) {
    rs::mrope_position_rules r;
    r.model = model;
    r.spatial_merge_size = merge;
    if (tokens_per_second > 0) r.tokens_per_second = tokens_per_second;
    r.text_resume = resume;
    r.time_rounding = rounding;
    return r;
}

struct golden_case {
    const char* name;
    rs::mrope_position_rules rules;
    std::vector<rs::mrope_span> spans;
    std::vector<std::int64_t> t, h, w;
    std::int64_t max_position;
    std::int64_t delta;
};

const std::vector<golden_case>& golden_cases() {
    static const std::vector<golden_case> cases = {
#include "expected_positions.inc"
    };
    return cases;
}

std::vector<std::int64_t> stream_of(const rs::mrope_positions& p, int k) {
    return {p.stream(k), p.stream(k) + p.tokens()};
}

void expect_positions(const rs::mrope_positions& p, const std::vector<std::int64_t>& t,
                      const std::vector<std::int64_t>& h, const std::vector<std::int64_t>& w,
                      std::int64_t delta) {
    ASSERT_EQ(p.tokens(), static_cast<std::int64_t>(t.size()));
    EXPECT_EQ(stream_of(p, 0), t);
    EXPECT_EQ(stream_of(p, 1), h);
    EXPECT_EQ(stream_of(p, 2), w);
    EXPECT_EQ(p.layout.delta, delta);
}

// Asserts that `spans` under `rules` are refused with `code` on `field`, by every entry point.
void expect_refused(const std::vector<rs::mrope_span>& spans, const rs::mrope_position_rules& rules,
                    rs::errc code, const std::string& field) {
    auto m = rs::measure_mrope_positions(spans, rules);
    ASSERT_FALSE(m) << "accepted, expected an error on " << field;
    EXPECT_EQ(m.err().code, code) << m.err().what();
    EXPECT_EQ(m.err().field, field) << m.err().what();
    auto b = rs::build_mrope_positions(spans, rules);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.err().field, field);
    std::vector<std::int64_t> out(64, -7);
    auto w = rs::write_mrope_positions(spans, rules, out.data(), 16);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.err().field, field);
    for (std::int64_t v : out) EXPECT_EQ(v, -7) << "written before refusing";
}

rs::mrope_position_rules qwen2_vl(int merge = 2) {
    return make_rules(rs::mrope_model::qwen2_vl, merge, -1.0, rs::mrope_text_resume::after_max,
                      rs::mrope_time_rounding::truncate_product);
}

rs::mrope_position_rules qwen2_5_vl(double tps, int merge = 2) {
    return make_rules(rs::mrope_model::qwen2_5_vl, merge, tps, rs::mrope_text_resume::after_max,
                      rs::mrope_time_rounding::truncate_product);
}

}  // namespace

// Every case of make_expected.py: text only, one image, videos (Qwen2-VL, Qwen2.5-VL with
// second_per_grid_t and tokens_per_second, float32-sensitive and truncated-seconds time
// steps), mixed text / image / text / video / text, adjacent spans, Qwen3-VL frames, both
// resume rules.
TEST(MropePositions, MatchesIndependentEvaluation) {
    ASSERT_GE(golden_cases().size(), 16u);
    for (const golden_case& c : golden_cases()) {
        SCOPED_TRACE(c.name);
        auto p = rs::build_mrope_positions(c.spans, c.rules);
        ASSERT_TRUE(p) << p.err().what();
        expect_positions(*p, c.t, c.h, c.w, c.delta);
        EXPECT_EQ(p->layout.max_position, c.max_position);
        auto m = rs::measure_mrope_positions(c.spans, c.rules);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->tokens, p->tokens());
        EXPECT_EQ(m->max_position, c.max_position);
        EXPECT_EQ(m->delta, c.delta);
    }
}

// The caller's buffer, int32 and int64, streams `stride` apart: the same ids, nothing written
// past each stream's tokens.
TEST(MropePositions, WritesIntoStridedBuffers) {
    for (const golden_case& c : golden_cases()) {
        SCOPED_TRACE(c.name);
        const auto n = static_cast<std::ptrdiff_t>(c.t.size());
        const std::ptrdiff_t stride = n + 5;
        std::vector<std::int32_t> out32(static_cast<std::size_t>(3 * stride), -1);
        std::vector<std::int64_t> out64(static_cast<std::size_t>(3 * stride), -1);
        auto l32 = rs::write_mrope_positions(c.spans, c.rules, out32.data(), stride);
        auto l64 = rs::write_mrope_positions(c.spans, c.rules, out64.data(), stride);
        ASSERT_TRUE(l32) << l32.err().what();
        ASSERT_TRUE(l64) << l64.err().what();
        EXPECT_EQ(l32->delta, c.delta);
        const std::vector<std::int64_t>* want[3] = {&c.t, &c.h, &c.w};
        for (int k = 0; k < 3; ++k)
            for (std::ptrdiff_t j = 0; j < stride; ++j) {
                const std::size_t at = static_cast<std::size_t>(k * stride + j);
                const std::int64_t expect = j < n ? (*want[k])[static_cast<std::size_t>(j)] : -1;
                EXPECT_EQ(out32[at], expect) << "stream " << k << " token " << j;
                EXPECT_EQ(out64[at], expect) << "stream " << k << " token " << j;
            }
    }
}

// transformers' own published expectations, copied from its GetRopeIndexTest (the v5
// get_rope_index on mm_token_type_ids; spatial_merge_size 1).
TEST(MropePositions, TransformersGetRopeIndexTestExpectations) {
    // test_qwen2_vl_image: text 2, image grid (1, 2, 2), text 1. The same under both rules.
    for (auto resume :
         {rs::mrope_text_resume::after_max, rs::mrope_text_resume::after_spatial_extent}) {
        auto r = qwen2_vl(1);
        r.text_resume = resume;
        auto p = rs::build_mrope_positions(
            {rs::mrope_text(2), rs::mrope_image(1, 2, 2), rs::mrope_text(1)}, r);
        ASSERT_TRUE(p) << p.err().what();
        expect_positions(*p, {0, 1, 2, 2, 2, 2, 4}, {0, 1, 2, 2, 3, 3, 4}, {0, 1, 2, 3, 2, 3, 4},
                         -2);
    }
    // test_qwen2_vl_video_temporal_scaling: Qwen2.5-VL, tokens_per_second 2,
    // second_per_grid_ts 2.0, text 1, video grid (2, 2, 2), text 1; the text after the video
    // resumes by the spatial extent (after_spatial_extent).
    {
        auto r = qwen2_5_vl(2.0, 1);
        r.text_resume = rs::mrope_text_resume::after_spatial_extent;
        auto p = rs::build_mrope_positions(
            {rs::mrope_text(1), rs::mrope_video(2, 2, 2, 2.0), rs::mrope_text(1)}, r);
        ASSERT_TRUE(p) << p.err().what();
        expect_positions(*p, {0, 1, 1, 1, 1, 5, 5, 5, 5, 3}, {0, 1, 1, 2, 2, 1, 1, 2, 2, 3},
                         {0, 1, 2, 1, 2, 1, 2, 1, 2, 3}, -4);
    }
    // test_qwen2_vl_split_video_frames: Qwen3-VL, video grid (2, 2, 2) as two frame runs
    // separated by one text token; the same as one span of grid_t 2 with the text given.
    {
        auto r = qwen2_vl(1);
        r.model = rs::mrope_model::qwen3_vl;
        auto p = rs::build_mrope_positions({rs::mrope_text(1), rs::mrope_video(1, 2, 2),
                                            rs::mrope_text(1), rs::mrope_video(1, 2, 2),
                                            rs::mrope_text(1)},
                                           r);
        ASSERT_TRUE(p) << p.err().what();
        expect_positions(*p, {0, 1, 1, 1, 1, 3, 4, 4, 4, 4, 6}, {0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6},
                         {0, 1, 2, 1, 2, 3, 4, 5, 4, 5, 6}, -4);
    }
}

// The examples of the get_rope_index docstrings (transformers' Qwen2-VL and Qwen2.5-VL): a
// video of 3 x 2 x 2 merged patches then 5 text tokens.
TEST(MropePositions, TransformersDocstringExamples) {
    // Qwen2-VL: text resumes at max + 1 = 3.
    auto p = rs::build_mrope_positions({rs::mrope_video(3, 4, 4), rs::mrope_text(5)}, qwen2_vl());
    ASSERT_TRUE(p) << p.err().what();
    expect_positions(*p, {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5, 6, 7},
                     {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 3, 4, 5, 6, 7},
                     {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 3, 4, 5, 6, 7}, 8 - 17);
    // Qwen2.5-VL: 25 tokens per second, fps 1 and temporal_patch_size 2 (2 s per patch): an
    // interval of 50; text at 101.
    auto q = rs::build_mrope_positions({rs::mrope_video(3, 4, 4, 2.0), rs::mrope_text(5)},
                                       qwen2_5_vl(25.0));
    ASSERT_TRUE(q) << q.err().what();
    expect_positions(*q, {0, 0, 0, 0, 50, 50, 50, 50, 100, 100, 100, 100, 101, 102, 103, 104, 105},
                     {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 101, 102, 103, 104, 105},
                     {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 101, 102, 103, 104, 105}, 106 - 17);
}

// Text only: t = h = w = 0 .. n-1 and delta 0, under every model and rule; the empty prompt.
TEST(MropePositions, TextOnlyIsOneDimensional) {
    for (auto model :
         {rs::mrope_model::qwen2_vl, rs::mrope_model::qwen2_5_vl, rs::mrope_model::qwen3_vl})
        for (auto resume :
             {rs::mrope_text_resume::after_max, rs::mrope_text_resume::after_spatial_extent}) {
            rs::mrope_position_rules r;
            r.model = model;  // no tokens_per_second: a Qwen2.5-VL prompt without video
            r.text_resume = resume;
            auto p = rs::build_mrope_positions(
                {rs::mrope_text(3), rs::mrope_text(0), rs::mrope_text(2)}, r);
            ASSERT_TRUE(p) << p.err().what();
            const std::vector<std::int64_t> ramp = {0, 1, 2, 3, 4};
            expect_positions(*p, ramp, ramp, ramp, 0);
            EXPECT_EQ(p->layout.next_position(), 5);
        }
    auto e = rs::build_mrope_positions(std::vector<rs::mrope_span>{}, qwen2_vl());
    ASSERT_TRUE(e);
    EXPECT_EQ(e->tokens(), 0);
    EXPECT_EQ(e->layout.max_position, -1);
    EXPECT_EQ(e->layout.delta, 0);
    EXPECT_EQ(e->layout.next_position(), 0);
    auto w = rs::write_mrope_positions<std::int64_t>(nullptr, 0, qwen2_vl(), nullptr, 0);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->tokens, 0);
}

// Decoding continues at cache position n + delta on all three streams: the first generated
// token sits at max + 1 (from the independent evaluation), and under after_max a prompt with
// one more text token places that token exactly there.
TEST(MropePositions, DecodeContinuation) {
    for (const golden_case& c : golden_cases()) {
        SCOPED_TRACE(c.name);
        auto p = rs::build_mrope_positions(c.spans, c.rules);
        ASSERT_TRUE(p);
        const auto n = static_cast<std::int64_t>(c.t.size());
        EXPECT_EQ(p->layout.next_position(), c.max_position + 1);
        EXPECT_EQ(p->layout.next_position(), n + c.delta);
        EXPECT_EQ(p->layout.decode_position(n + 3), n + 3 + c.delta);
        if (c.rules.text_resume != rs::mrope_text_resume::after_max) continue;
        auto longer = c.spans;
        longer.push_back(rs::mrope_text(1));
        auto q = rs::build_mrope_positions(longer, c.rules);
        ASSERT_TRUE(q);
        for (int k = 0; k < 3; ++k) EXPECT_EQ(q->stream(k)[n], c.max_position + 1);
        EXPECT_EQ(q->layout.delta, c.delta);
    }
    // Qwen2.5-VL mixed prompt (text 4, image, text 3, video, text 2): 37 tokens, largest
    // position 17, so the first generated token is at 18 and delta is 18 - 37.
    auto r = qwen2_5_vl(2.0);
    auto p =
        rs::build_mrope_positions({rs::mrope_text(4), rs::mrope_image(1, 4, 4), rs::mrope_text(3),
                                   rs::mrope_video(4, 6, 4, 1.0), rs::mrope_text(2)},
                                  r);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->tokens(), 37);
    EXPECT_EQ(p->layout.next_position(), 18);
    EXPECT_EQ(p->layout.delta, -19);
}

// A placeholder count that matches the grid is accepted; a Qwen3-VL video of grid_t frames
// equals its frames given one by one with nothing between them.
TEST(MropePositions, PlaceholderCountAndFrameSplit) {
    auto img = rs::mrope_image(1, 4, 6);
    img.tokens = 6;
    auto p = rs::build_mrope_positions({rs::mrope_text(1), img}, qwen2_vl());
    ASSERT_TRUE(p) << p.err().what();
    EXPECT_EQ(p->tokens(), 7);

    auto r = qwen2_vl();
    r.model = rs::mrope_model::qwen3_vl;
    auto whole = rs::build_mrope_positions({rs::mrope_text(2), rs::mrope_video(3, 4, 2)}, r);
    auto frames = rs::build_mrope_positions({rs::mrope_text(2), rs::mrope_video(1, 4, 2),
                                             rs::mrope_video(1, 4, 2), rs::mrope_video(1, 4, 2)},
                                            r);
    ASSERT_TRUE(whole);
    ASSERT_TRUE(frames);
    EXPECT_EQ(whole->ids, frames->ids);
    EXPECT_EQ(whole->layout.delta, frames->layout.delta);
}

TEST(MropePositions, RefusesBadRules) {
    const std::vector<rs::mrope_span> one_image = {rs::mrope_text(1), rs::mrope_image(1, 2, 2)};
    auto r = qwen2_vl();
    r.spatial_merge_size = 0;
    expect_refused(one_image, r, rs::errc::out_of_range, "spatial_merge_size");
    r = qwen2_5_vl(2.0);
    r.tokens_per_second = std::numeric_limits<double>::quiet_NaN();
    expect_refused(one_image, r, rs::errc::not_finite, "tokens_per_second");
    r = qwen2_5_vl(2.0);
    r.tokens_per_second = 0.0;
    expect_refused(one_image, r, rs::errc::out_of_range, "tokens_per_second");
    r = qwen2_vl();
    r.model = static_cast<rs::mrope_model>(7);
    expect_refused(one_image, r, rs::errc::invalid_argument, "model");
    r = qwen2_vl();
    r.text_resume = static_cast<rs::mrope_text_resume>(7);
    expect_refused(one_image, r, rs::errc::invalid_argument, "text_resume");
    r = qwen2_vl();
    r.time_rounding = static_cast<rs::mrope_time_rounding>(7);
    expect_refused(one_image, r, rs::errc::invalid_argument, "time_rounding");
    // A Qwen2.5-VL video needs tokens_per_second.
    rs::mrope_position_rules no_tps;
    no_tps.model = rs::mrope_model::qwen2_5_vl;
    expect_refused({rs::mrope_text(1), rs::mrope_video(2, 2, 2)}, no_tps, rs::errc::missing_field,
                   "tokens_per_second");
}

TEST(MropePositions, RefusesBadSpans) {
    const auto r = qwen2_vl();
    expect_refused({rs::mrope_text(-1)}, r, rs::errc::out_of_range, "spans[0].tokens");
    expect_refused({rs::mrope_text(1), rs::mrope_image(1, 0, 2)}, r, rs::errc::out_of_range,
                   "spans[1].grid_h");
    expect_refused({rs::mrope_video(0, 2, 2)}, r, rs::errc::out_of_range, "spans[0].grid_t");
    expect_refused({rs::mrope_image(1, 4, 3)}, r, rs::errc::out_of_range, "spans[0].grid_w");
    expect_refused({rs::mrope_text(2), rs::mrope_image(1, 6, 4)}, qwen2_vl(4),
                   rs::errc::out_of_range, "spans[1].grid_h");
    expect_refused({rs::mrope_image(2, 2, 2)}, r, rs::errc::out_of_range, "spans[0].grid_t");
    auto img = rs::mrope_image(1, 4, 4);
    img.tokens = 5;  // the grid gives 4
    expect_refused({img}, r, rs::errc::inconsistent, "spans[0].tokens");
    rs::mrope_span bad_kind;
    bad_kind.kind = static_cast<rs::mrope_span_kind>(9);
    expect_refused({rs::mrope_text(1), bad_kind}, r, rs::errc::invalid_argument, "spans[1].kind");
    const auto q = qwen2_5_vl(2.0);
    expect_refused({rs::mrope_video(2, 2, 2, std::numeric_limits<double>::infinity())}, q,
                   rs::errc::not_finite, "spans[0].second_per_grid_t");
    expect_refused({rs::mrope_video(2, 2, 2, -0.5)}, q, rs::errc::out_of_range,
                   "spans[0].second_per_grid_t");
    // Overflow: positions past int64 (a time step of 2.5e31), token counts past int64.
    expect_refused({rs::mrope_text(1), rs::mrope_video(2, 2, 2, 1e30)}, q, rs::errc::out_of_range,
                   "spans[1].second_per_grid_t");
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    expect_refused({rs::mrope_text(big), rs::mrope_text(1)}, r, rs::errc::out_of_range,
                   "spans[1].tokens");
    expect_refused({rs::mrope_video(big, 2, 2)}, qwen2_vl(1), rs::errc::out_of_range,
                   "spans[0].grid_t");
    expect_refused({rs::mrope_text(big - 2), rs::mrope_image(1, 4, 4)}, qwen2_vl(1),
                   rs::errc::out_of_range, "spans[1].grid_t");
    // Null spans with a count.
    auto m = rs::measure_mrope_positions(nullptr, 2, r);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.err().field, "spans");
}

TEST(MropePositions, WriterRefusesBadBuffers) {
    const std::vector<rs::mrope_span> spans = {rs::mrope_text(3), rs::mrope_image(1, 2, 2)};
    std::vector<std::int64_t> out(64, -7);
    auto s = rs::write_mrope_positions(spans, qwen2_vl(), out.data(), 3);  // 4 tokens
    ASSERT_FALSE(s);
    EXPECT_EQ(s.err().field, "stream_stride");
    auto n = rs::write_mrope_positions<std::int64_t>(spans, qwen2_vl(), nullptr, 4);
    ASSERT_FALSE(n);
    EXPECT_EQ(n.err().field, "out");
    for (std::int64_t v : out) EXPECT_EQ(v, -7);
    // int32: a Qwen2.5-VL time step of 2.5e10 does not fit; int64 takes it.
    const std::vector<rs::mrope_span> long_video = {rs::mrope_video(2, 2, 2, 1e9)};
    std::vector<std::int32_t> out32(6, -7);
    auto w = rs::write_mrope_positions(long_video, qwen2_5_vl(25.0), out32.data(), 2);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.err().code, rs::errc::out_of_range);
    EXPECT_EQ(w.err().field, "positions");
    for (std::int32_t v : out32) EXPECT_EQ(v, -7);
    auto p = rs::build_mrope_positions(long_video, qwen2_5_vl(25.0));
    ASSERT_TRUE(p) << p.err().what();
    // f32(1e9) is 1e9 exactly; 2.5e10 = 2^9 * 48828125 needs 26 significant bits, so float32
    // rounds it to 12207031 * 2^11 = 24999999488.
    EXPECT_EQ(p->t()[1], 24999999488);
}
