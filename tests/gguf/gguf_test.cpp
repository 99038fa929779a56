// GGUF reader: round trips through the specification-based writer (gguf_writer.hpp) for every
// value type, versions 2 and 3, alignments and tensor data; the hostile-file matrix, each
// refusal checked for its code, field and byte offset.
#include "gguf_writer.hpp"

#include <ropescale/gguf.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace rs = ropescale;
namespace gw = gguf_test;

std::string at(std::uint64_t offset) { return "at byte " + std::to_string(offset) + ":"; }

// The refusal of `bytes`: code, field, and the message's byte offset (and an extra fragment).
void expect_refused(const std::string& bytes, rs::errc code, const std::string& field,
                    std::uint64_t offset, const std::string& fragment = "") {
    auto r = rs::parse_gguf(bytes);
    ASSERT_FALSE(r) << "accepted; expected " << rs::to_string(code) << " at " << field;
    EXPECT_EQ(r.err().code, code) << r.err().what();
    EXPECT_EQ(r.err().field, field) << r.err().what();
    EXPECT_EQ(r.err().message.rfind(at(offset), 0), 0u) << r.err().what();
    if (!fragment.empty()) {
        EXPECT_NE(r.err().message.find(fragment), std::string::npos) << r.err().what();
    }
}

std::uint32_t bits(float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
}
std::uint64_t bits(double d) {
    std::uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
}

class temp_file {
  public:
    explicit temp_file(const std::string& bytes) {
        path_ = std::filesystem::temp_directory_path() /
                ("ropescale_gguf_test_" + std::to_string(counter()++) + "_" +
                 std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".gguf");
        std::ofstream(path_, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    ~temp_file() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::filesystem::path path_;
};

// ---------------------------------------------------------------------------------------------
// Round trips

class GgufVersions : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(GgufVersions, EveryScalarType) {
    gw::file f;
    f.version = GetParam();
    const float f32_subnormal = std::numeric_limits<float>::denorm_min();
    f.kv("a.u8", gw::v_u8(255))
        .kv("a.i8", gw::v_i8(-128))
        .kv("a.u16", gw::v_u16(65535))
        .kv("a.i16", gw::v_i16(-32768))
        .kv("a.u32", gw::v_u32(4294967295u))
        .kv("a.i32", gw::v_i32(std::numeric_limits<std::int32_t>::min()))
        .kv("a.f32", gw::v_f32(f32_subnormal))
        .kv("a.f32_neg_zero", gw::v_f32(-0.0f))
        .kv("a.bool_true", gw::v_bool(true))
        .kv("a.bool_false", gw::v_bool(false))
        .kv("a.string", gw::v_str(std::string("h\xc3\xa9llo\0x", 8)))
        .kv("a.empty", gw::v_str(""))
        .kv("a.u64", gw::v_u64(std::numeric_limits<std::uint64_t>::max()))
        .kv("a.i64", gw::v_i64(std::numeric_limits<std::int64_t>::min()))
        .kv("a.f64", gw::v_f64(0.1));
    auto r = rs::parse_gguf(f.build());
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(r->version, GetParam());
    ASSERT_EQ(r->metadata.size(), 15u);
    EXPECT_EQ(r->metadata[0].key, "a.u8");  // file order kept
    EXPECT_EQ(r->metadata[14].key, "a.f64");
    EXPECT_EQ(*r->get_u8("a.u8"), 255);
    EXPECT_EQ(*r->get_i8("a.i8"), -128);
    EXPECT_EQ(*r->get_u16("a.u16"), 65535);
    EXPECT_EQ(*r->get_i16("a.i16"), -32768);
    EXPECT_EQ(*r->get_u32("a.u32"), 4294967295u);
    EXPECT_EQ(*r->get_i32("a.i32"), std::numeric_limits<std::int32_t>::min());
    EXPECT_EQ(bits(*r->get_f32("a.f32")), 1u);
    EXPECT_EQ(bits(*r->get_f32("a.f32_neg_zero")), 0x80000000u);
    EXPECT_TRUE(*r->get_bool("a.bool_true"));
    EXPECT_FALSE(*r->get_bool("a.bool_false"));
    EXPECT_EQ(*r->get_string("a.string"), std::string_view("h\xc3\xa9llo\0x", 8));
    EXPECT_EQ(*r->get_string("a.empty"), "");
    EXPECT_EQ(*r->get_u64("a.u64"), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(*r->get_i64("a.i64"), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(bits(*r->get_f64("a.f64")), 0x3FB999999999999Aull);  // 0.1's binary64 bits
    // The value-type tags are the specification's.
    EXPECT_EQ(r->find("a.u8")->value.type(), rs::gguf_type::uint8);
    EXPECT_EQ(r->find("a.bool_true")->value.type(), rs::gguf_type::boolean);
    EXPECT_EQ(r->find("a.f64")->value.type(), rs::gguf_type::float64);
    EXPECT_EQ(r->find("a.u8")->offset, 24u);  // right after the 24-byte header
    EXPECT_TRUE(r->tensors.empty());
}

TEST_P(GgufVersions, ArraysOfEveryTypeAndNested) {
    gw::file f;
    f.version = GetParam();
    f.kv("u8", gw::v_array(gw::t_uint8, {gw::v_u8(1), gw::v_u8(2)}))
        .kv("i8", gw::v_array(gw::t_int8, {gw::v_i8(-1)}))
        .kv("u16", gw::v_array(gw::t_uint16, {gw::v_u16(7)}))
        .kv("i16", gw::v_array(gw::t_int16, {gw::v_i16(-7)}))
        .kv("u32", gw::v_array(gw::t_uint32, {gw::v_u32(9), gw::v_u32(10)}))
        .kv("i32", gw::v_array(gw::t_int32, {gw::v_i32(16), gw::v_i32(24), gw::v_i32(24)}))
        .kv("f32", gw::v_array(gw::t_float32, {gw::v_f32(0.5f), gw::v_f32(-2.0f)}))
        .kv("bool", gw::v_array(gw::t_bool, {gw::v_bool(true), gw::v_bool(false)}))
        .kv("str", gw::v_array(gw::t_string, {gw::v_str("a"), gw::v_str(""), gw::v_str("xyz")}))
        .kv("u64", gw::v_array(gw::t_uint64, {gw::v_u64(1ull << 40)}))
        .kv("i64", gw::v_array(gw::t_int64, {gw::v_i64(-(1ll << 40))}))
        .kv("f64", gw::v_array(gw::t_float64, {gw::v_f64(1e300)}))
        .kv("empty", gw::v_array(gw::t_float32, {}))
        .kv("nested", gw::v_array(gw::t_array, {gw::v_array(gw::t_string, {gw::v_str("x")}),
                                                gw::v_array(gw::t_uint8, {})}));
    auto r = rs::parse_gguf(f.build());
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(**r->get_array_of<std::uint8_t>("u8"), (std::vector<std::uint8_t>{1, 2}));
    EXPECT_EQ(**r->get_array_of<std::int8_t>("i8"), (std::vector<std::int8_t>{-1}));
    EXPECT_EQ(**r->get_array_of<std::uint16_t>("u16"), (std::vector<std::uint16_t>{7}));
    EXPECT_EQ(**r->get_array_of<std::int16_t>("i16"), (std::vector<std::int16_t>{-7}));
    EXPECT_EQ(**r->get_array_of<std::uint32_t>("u32"), (std::vector<std::uint32_t>{9, 10}));
    EXPECT_EQ(**r->get_array_of<std::int32_t>("i32"), (std::vector<std::int32_t>{16, 24, 24}));
    EXPECT_EQ(**r->get_array_of<float>("f32"), (std::vector<float>{0.5f, -2.0f}));
    EXPECT_EQ(**r->get_array_of<bool>("bool"), (std::vector<bool>{true, false}));
    EXPECT_EQ(**r->get_array_of<std::string>("str"), (std::vector<std::string>{"a", "", "xyz"}));
    EXPECT_EQ(**r->get_array_of<std::uint64_t>("u64"), (std::vector<std::uint64_t>{1ull << 40}));
    EXPECT_EQ(**r->get_array_of<std::int64_t>("i64"), (std::vector<std::int64_t>{-(1ll << 40)}));
    EXPECT_EQ(**r->get_array_of<double>("f64"), (std::vector<double>{1e300}));
    EXPECT_EQ((*r->get_array("empty"))->size(), 0u);
    EXPECT_EQ((*r->get_array("empty"))->element_type(), rs::gguf_type::float32);
    const rs::gguf_array* nested = *r->get_array("nested");
    EXPECT_EQ(nested->element_type(), rs::gguf_type::array);
    const auto* inner = nested->get_if<rs::gguf_array>();
    ASSERT_NE(inner, nullptr);
    ASSERT_EQ(inner->size(), 2u);
    EXPECT_EQ(*(*inner)[0].get_if<std::string>(), std::vector<std::string>{"x"});
    EXPECT_EQ((*inner)[1].element_type(), rs::gguf_type::uint8);
    EXPECT_EQ((*inner)[1].size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Gguf, GgufVersions, ::testing::Values(2u, 3u));

TEST(Gguf, AccessorErrorsNameTheKeyAndBothTypes) {
    gw::file f;
    f.kv("llama.rope.freq_base", gw::v_f32(500000.0f))
        .kv("llama.rope.dimension_sections", gw::v_array(gw::t_int32, {gw::v_i32(1)}));
    auto r = rs::parse_gguf(f.build());
    ASSERT_TRUE(r);
    auto wrong = r->get_u32("llama.rope.freq_base");
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.err().code, rs::errc::wrong_type);
    EXPECT_EQ(wrong.err().field, "llama.rope.freq_base");
    EXPECT_EQ(wrong.err().message, "at byte 24: expected uint32, got float32");
    auto missing = r->get_f32("llama.rope.scaling.factor");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.err().code, rs::errc::missing_field);
    EXPECT_EQ(missing.err().field, "llama.rope.scaling.factor");
    auto elem = r->get_array_of<std::uint32_t>("llama.rope.dimension_sections");
    ASSERT_FALSE(elem);
    EXPECT_EQ(elem.err().code, rs::errc::wrong_type);
    EXPECT_NE(elem.err().message.find("expected an array of uint32, got an array of int32"),
              std::string::npos)
        << elem.err().message;
    auto not_array = r->get_array("llama.rope.freq_base");
    ASSERT_FALSE(not_array);
    EXPECT_EQ(not_array.err().code, rs::errc::wrong_type);
    EXPECT_EQ(*r->get_f32("llama.rope.freq_base"), 500000.0f);
}

// A file as llama.cpp's converter lays it out: metadata, tensor infos, data at the alignment.
gw::file model_file(std::uint32_t alignment, bool alignment_key) {
    gw::file f;
    f.alignment = alignment;
    f.kv("general.architecture", gw::v_str("llama"));
    if (alignment_key) f.kv("general.alignment", gw::v_u32(alignment));
    f.kv("llama.rope.dimension_count", gw::v_u32(8));
    std::vector<float> freqs = {1.0f, 1.0f, 2.5f, 8.0f};
    f.add({"token_embd.weight", {64, 3}, 2 /* q4_0 */, std::string(2 * 3 * 18, '\x11'), {}});
    f.add({"rope_freqs.weight", {4}, 0, gw::f32_data(freqs), {}});
    f.add({"output_norm.weight", {5}, 1 /* f16 */, std::string(10, '\x22'), {}});
    return f;
}

TEST(Gguf, TensorInfosAndDefaultAlignment) {
    gw::layout l;
    const std::string bytes = model_file(32, false).build(&l);
    auto r = rs::parse_gguf(bytes);
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(r->alignment, 32u);
    EXPECT_EQ(r->data_offset, l.data_offset);
    EXPECT_EQ(r->data_offset % 32, 0u);
    EXPECT_GE(r->data_offset, l.end_of_infos);
    EXPECT_LT(r->data_offset, l.end_of_infos + 32);
    EXPECT_EQ(r->file_size, bytes.size());
    ASSERT_EQ(r->tensors.size(), 3u);
    const rs::gguf_tensor_info& q = r->tensors[0];
    EXPECT_EQ(q.name, "token_embd.weight");
    EXPECT_EQ(q.dims, (std::vector<std::uint64_t>{64, 3}));
    EXPECT_EQ(q.type, 2u);
    EXPECT_EQ(q.elements, 192u);
    EXPECT_EQ(q.bytes, 192u / 32 * 18);  // q4_0: blocks of 32 elements in 18 bytes
    EXPECT_EQ(q.offset, 0u);
    EXPECT_EQ(q.info_offset, l.tensor_info[0]);
    EXPECT_EQ(r->tensors[1].offset, l.tensor_offset[1]);
    EXPECT_EQ(r->tensors[1].offset, 128u);  // 108 bytes, padded to 32
    EXPECT_EQ(r->tensors[2].bytes, 10u);
    auto freqs = rs::read_f32_tensor(*r, bytes, rs::gguf_rope_freqs, 4);
    ASSERT_TRUE(freqs) << freqs.err().what();
    EXPECT_EQ(*freqs, (std::vector<float>{1.0f, 1.0f, 2.5f, 8.0f}));
}

class GgufAlignment : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(GgufAlignment, DataOffsetAndTensorLookup) {
    const std::uint32_t a = GetParam();
    gw::layout l;
    const std::string bytes = model_file(a, true).build(&l);
    auto r = rs::parse_gguf(bytes);
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(r->alignment, a);
    EXPECT_EQ(r->data_offset, l.data_offset);
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(r->tensors[i].offset, l.tensor_offset[i]);
    auto freqs = rs::read_f32_tensor(*r, bytes, "rope_freqs.weight");
    ASSERT_TRUE(freqs) << freqs.err().what();
    EXPECT_EQ(*freqs, (std::vector<float>{1.0f, 1.0f, 2.5f, 8.0f}));
}

INSTANTIATE_TEST_SUITE_P(Gguf, GgufAlignment, ::testing::Values(1u, 8u, 32u, 64u, 4096u));

TEST(Gguf, LongRopeFactorsFromDisk) {
    gw::file f;
    std::vector<float> lng = {1.0f, 1.25f, 1.5f}, sht = {1.0f, 1.0f, 1.125f};
    f.kv("general.architecture", gw::v_str("phi3"));
    f.add({"rope_factors_long.weight", {3}, 0, gw::f32_data(lng), {}});
    f.add({"rope_factors_short.weight", {3}, 0, gw::f32_data(sht), {}});
    temp_file file(f.build());
    auto r = rs::load_gguf(file.path());
    ASSERT_TRUE(r) << r.err().what();
    auto l = rs::load_f32_tensor(*r, file.path(), rs::gguf_rope_factors_long, 3);
    auto s = rs::load_f32_tensor(*r, file.path(), rs::gguf_rope_factors_short, 3);
    ASSERT_TRUE(l) << l.err().what();
    ASSERT_TRUE(s) << s.err().what();
    EXPECT_EQ(*l, lng);
    EXPECT_EQ(*s, sht);
}

// Metadata larger than load_gguf's first read (1 MiB): it reads on, and the result is the one
// parse_gguf gives from the whole file.
TEST(Gguf, LoadReadsLargeMetadata) {
    gw::file f;
    std::vector<gw::value> tokens;
    for (int i = 0; i < 100000; ++i)
        tokens.push_back(gw::v_str("token_number_" + std::to_string(i)));
    f.kv("tokenizer.ggml.tokens", gw::v_array(gw::t_string, tokens));
    f.kv("after", gw::v_u32(7));
    f.add({"rope_freqs.weight", {2}, 0, gw::f32_data({0.5f, 4.0f}), {}});
    const std::string bytes = f.build();
    ASSERT_GT(bytes.size(), 2u << 20);
    temp_file file(bytes);
    auto r = rs::load_gguf(file.path());
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_EQ(*r->get_u32("after"), 7u);
    EXPECT_EQ((*r->get_array("tokenizer.ggml.tokens"))->size(), 100000u);
    EXPECT_EQ(r->data_offset, rs::parse_gguf(bytes)->data_offset);
    auto t = rs::load_f32_tensor(*r, file.path(), "rope_freqs.weight");
    ASSERT_TRUE(t) << t.err().what();
    EXPECT_EQ(*t, (std::vector<float>{0.5f, 4.0f}));
}

TEST(Gguf, LoadErrors) {
    auto r = rs::load_gguf("/nonexistent/ropescale/model.gguf");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().code, rs::errc::io_error);
    EXPECT_EQ(r.err().field, "/nonexistent/ropescale/model.gguf");
    // A refusal from the file names the same field and offset as from memory.
    gw::file f;
    f.version = 1;
    temp_file file(f.build());
    auto v1 = rs::load_gguf(file.path());
    ASSERT_FALSE(v1);
    EXPECT_EQ(v1.err().code, rs::errc::out_of_range);
    EXPECT_EQ(v1.err().field, "version");
}

TEST(Gguf, ZeroTensorsEndingRightAfterTheMetadata) {
    gw::file f;
    f.kv("k", gw::v_u8(1));
    // The specification pads after the (zero) tensor infos; ggml reads the file without it.
    const std::string bytes = f.build().substr(0, 24 + 8 + 1 + 4 + 1);
    auto r = rs::parse_gguf(bytes);
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_TRUE(r->tensors.empty());
}

// ---------------------------------------------------------------------------------------------
// Hostile files

TEST(GgufHostile, WrongMagic) {
    std::string b = gw::file{}.build();
    b[3] = 'X';
    expect_refused(b, rs::errc::parse_error, "magic", 0, "not a GGUF file (magic \"GGUX\")");
    expect_refused("", rs::errc::parse_error, "magic", 0, "truncated");
    expect_refused("GG", rs::errc::parse_error, "magic", 0, "truncated");
}

TEST(GgufHostile, Versions) {
    for (std::uint32_t v : {0u, 1u, 4u, 0x03000000u}) {
        gw::file f;
        f.version = v;
        expect_refused(f.build(), rs::errc::out_of_range, "version", 4,
                       "GGUF version " + std::to_string(v));
    }
    gw::file v1;
    v1.version = 1;
    expect_refused(v1.build(), rs::errc::out_of_range, "version", 4, "32-bit lengths");
    gw::file be;
    be.version = 0x03000000u;
    expect_refused(be.build(), rs::errc::out_of_range, "version", 4, "big-endian");
}

TEST(GgufHostile, TruncationAnywhere) {
    gw::layout l;
    const std::string whole = model_file(32, true).build(&l);
    ASSERT_TRUE(rs::parse_gguf(whole));
    // Every prefix that ends before the last tensor's data (f16, 10 bytes) does.
    const std::size_t end = l.data_offset + l.tensor_offset[2] + 10;
    ASSERT_TRUE(rs::parse_gguf(whole.substr(0, end)));
    for (std::size_t n = 0; n < end; ++n) {
        auto r = rs::parse_gguf(whole.substr(0, n));
        ASSERT_FALSE(r) << "prefix of " << n << " bytes accepted";
        const rs::errc c = r.err().code;
        if (n < l.end_of_infos) {
            // Inside the header, the metadata or the tensor infos: a truncation, or a length
            // or count larger than what is left.
            EXPECT_EQ(c, rs::errc::parse_error) << n << ": " << r.err().what();
        } else {
            // The tensor data cut: the padding or a tensor ends beyond the file.
            EXPECT_TRUE(c == rs::errc::parse_error || c == rs::errc::out_of_range)
                << n << ": " << r.err().what();
        }
        EXPECT_EQ(r.err().message.rfind("at byte ", 0), 0u) << r.err().what();
    }
}

TEST(GgufHostile, CountsLargerThanTheFile) {
    gw::file kvs;
    kvs.kv_count = 1ull << 62;
    expect_refused(kvs.build(), rs::errc::parse_error, "metadata_kv_count", 16,
                   "metadata pairs need at least 13 bytes each");
    gw::file tensors;
    tensors.tensor_count = 3;  // 0 bytes left for 3 infos
    expect_refused(tensors.build(), rs::errc::parse_error, "tensor_count", 8,
                   "tensor infos need at least 24 bytes each");
    gw::file arr;
    arr.kv("tokenizer.ggml.scores",
           gw::v_array(gw::t_float32, {gw::v_f32(1.0f)}, std::uint64_t(1) << 61));
    // key at 24: 8 + 21 bytes of key, 4 of type, 4 of element type, then the count
    expect_refused(arr.build(), rs::errc::parse_error, "tokenizer.ggml.scores", 24 + 8 + 21 + 8,
                   "array of 2305843009213693952 float32");
    gw::file nested;
    nested.kv("n", gw::v_array(gw::t_array, {}, 5));  // 5 arrays need 60 bytes
    expect_refused(nested.build(), rs::errc::parse_error, "n", 24 + 9 + 8, "array of 5 array");
}

TEST(GgufHostile, StringLengths) {
    // A key length beyond the file, at the first pair (byte 24).
    std::string b = gw::file{}.build().substr(0, 24);  // the header alone
    b[16] = 1;                                         // one pair
    gw::put_u64(b, std::uint64_t(1) << 63);
    b += std::string(16, '\0');
    expect_refused(b, rs::errc::parse_error, "metadata[0]", 24, "exceeds the 16 bytes left");
    // A string value longer than the rest.
    gw::value s = gw::v_str("abc");
    s.payload[0] = 100;
    gw::file f;
    f.kv("general.name", s);
    expect_refused(f.build(), rs::errc::parse_error, "general.name", 24 + 8 + 12 + 4,
                   "a string length 100 exceeds the");
    // A key longer than the specification's 65535 bytes.
    gw::file longkey;
    longkey.kv(std::string(65536, 'k'), gw::v_u8(0));
    expect_refused(longkey.build(), rs::errc::parse_error, "metadata[0]", 24, "exceeds 65535");
    // A tensor name longer than 64 bytes.
    gw::file longname;
    longname.add({std::string(65, 't'), {1}, 0, gw::f32_data({1.0f}), {}});
    expect_refused(longname.build(), rs::errc::parse_error, "tensors[0]", 24, "exceeds 64");
    gw::file name64;
    name64.add({std::string(64, 't'), {1}, 0, gw::f32_data({1.0f}), {}});
    EXPECT_TRUE(rs::parse_gguf(name64.build()));
}

TEST(GgufHostile, BadTypeTags) {
    gw::file f;
    f.kv("k", gw::value{13, "x"});
    expect_refused(f.build(), rs::errc::parse_error, "k", 24 + 9, "value type 13");
    gw::file e;
    e.kv("k", gw::v_array(99, {}));
    expect_refused(e.build(), rs::errc::parse_error, "k", 24 + 9 + 4, "array element type 99");
    gw::file b;
    b.kv("k", gw::value{gw::t_bool, "\x02"});
    expect_refused(b.build(), rs::errc::parse_error, "k", 24 + 9 + 4, "bool byte 2");
    gw::file ba;
    ba.kv("k", gw::v_array(gw::t_bool, {gw::v_bool(true), gw::value{gw::t_bool, "\xff"}}));
    expect_refused(ba.build(), rs::errc::parse_error, "k", 24 + 9 + 4 + 12 + 1, "bool byte 255");
}

TEST(GgufHostile, NestingDepth) {
    auto nest = [](int depth) {
        gw::value v = gw::v_array(gw::t_uint8, {gw::v_u8(1)});
        for (int i = 1; i < depth; ++i) v = gw::v_array(gw::t_array, {v});
        return v;
    };
    gw::file ok;
    ok.kv("deep", nest(rs::gguf_max_array_depth));
    EXPECT_TRUE(rs::parse_gguf(ok.build()));
    gw::file deep;
    deep.kv("deep", nest(rs::gguf_max_array_depth + 1));
    // The innermost array starts after the key, the type and 8 array headers of 12 bytes.
    expect_refused(deep.build(), rs::errc::parse_error, "deep",
                   24 + 12 + 4 + 12 * std::uint64_t(rs::gguf_max_array_depth),
                   "nested more than 8 deep");
}

TEST(GgufHostile, DuplicateKeysAndTensorNames) {
    gw::layout l;
    gw::file f;
    f.kv("a", gw::v_u8(1)).kv("b", gw::v_u8(2)).kv("a", gw::v_u8(3));
    const std::string b = f.build(&l);
    expect_refused(b, rs::errc::inconsistent, "a", l.kv[2], "duplicate key");
    gw::file t;
    t.add({"x", {1}, 0, gw::f32_data({1.0f}), {}}).add({"x", {1}, 0, gw::f32_data({2.0f}), {}});
    const std::string tb = t.build(&l);
    expect_refused(tb, rs::errc::inconsistent, "x", l.tensor_info[1], "duplicate tensor name");
}

TEST(GgufHostile, TensorPlacement) {
    gw::layout l;
    gw::file mis;
    mis.add({"a", {1}, 0, gw::f32_data({1.0f}), 4});
    const std::string mis_bytes = mis.build(&l);
    expect_refused(mis_bytes, rs::errc::out_of_range, "a", l.tensor_info[0],
                   "data offset 4 is not a multiple of the alignment 32");
    gw::file beyond;
    beyond.add({"rope_freqs.weight", {64}, 0, "", 0});  // 256 bytes announced, none written
    const std::string beyond_bytes = beyond.build(&l);
    expect_refused(beyond_bytes, rs::errc::out_of_range, "rope_freqs.weight", l.tensor_info[0],
                   "ends beyond the file");
    gw::file far;
    far.add({"a", {1}, 0, "", std::uint64_t(1) << 63});
    const std::string far_bytes = far.build(&l);
    expect_refused(far_bytes, rs::errc::out_of_range, "a", l.tensor_info[0],
                   "ends beyond the file");
    gw::file overlap;
    overlap.add({"a", {16}, 0, gw::f32_data(std::vector<float>(16, 1.0f)), 0});
    overlap.add({"b", {8}, 0, gw::f32_data(std::vector<float>(8, 2.0f)), 32});
    const std::string overlap_bytes = overlap.build(&l);
    expect_refused(overlap_bytes, rs::errc::inconsistent, "b", l.tensor_info[1],
                   "overlaps tensor 'a' [0, 64)");
    // Touching is fine, and so is a zero-byte tensor anywhere inside.
    gw::file touching;
    touching.add({"a", {8}, 0, gw::f32_data(std::vector<float>(8, 1.0f)), 0});
    touching.add({"b", {8}, 0, gw::f32_data(std::vector<float>(8, 2.0f)), 32});
    touching.add({"c", {0}, 0, "", 0});
    EXPECT_TRUE(rs::parse_gguf(touching.build()));
}

TEST(GgufHostile, Shapes) {
    gw::layout l;
    gw::file five;
    five.add({"a", {1, 1, 1, 1, 1}, 0, gw::f32_data({1.0f}), {}});
    const std::string five_bytes = five.build(&l);
    expect_refused(five_bytes, rs::errc::parse_error, "a", l.tensor_info[0] + 9,
                   "5 dimensions (at most 4)");
    gw::file product;
    product.add({"a", {1ull << 32, 1ull << 31}, 0, "", 0});
    const std::string product_bytes = product.build(&l);
    expect_refused(product_bytes, rs::errc::out_of_range, "a", l.tensor_info[0] + 9 + 4 + 8,
                   "element count overflows");
    gw::file huge;
    huge.add({"a", {1ull << 63}, 0, "", 0});
    const std::string huge_bytes = huge.build(&l);
    expect_refused(huge_bytes, rs::errc::out_of_range, "a", l.tensor_info[0] + 9 + 4,
                   "at most 2^63 - 1");
    gw::file bytes;  // 2^62 f64 elements: 2^65 bytes
    bytes.add({"a", {1ull << 62}, 28, "", 0});
    const std::string bytes_bytes = bytes.build(&l);
    expect_refused(bytes_bytes, rs::errc::out_of_range, "a", l.tensor_info[0] + 9 + 4 + 8,
                   "byte size overflows");
    gw::file type;
    type.add({"a", {1}, 4, "", 0});  // Q4_2: removed from GGUF
    const std::string type_bytes = type.build(&l);
    expect_refused(type_bytes, rs::errc::parse_error, "a", l.tensor_info[0] + 9 + 4 + 8,
                   "ggml type 4 is not a GGUF tensor type");
    gw::file removed;
    removed.add({"a", {1}, 31, "", 0});  // Q4_0_4_4: removed from GGUF
    const std::string removed_bytes = removed.build(&l);
    expect_refused(removed_bytes, rs::errc::parse_error, "a", l.tensor_info[0] + 9 + 4 + 8,
                   "ggml type 31 is not a GGUF tensor type (removed)");
    gw::file block;
    block.add({"a", {33}, 2, std::string(36, '\0'), {}});
    const std::string block_bytes = block.build(&l);
    expect_refused(block_bytes, rs::errc::out_of_range, "a", l.tensor_info[0] + 9 + 4 + 8,
                   "blocks of 32 elements, dims[0] is 33");
}

// A ggml type newer than the reader's table is accepted with its size unknown; the offset is
// still checked, and the other tensors are read.
TEST(Gguf, NewerGgmlType) {
    gw::file f;
    f.add({"blk.0.attn_q.weight", {128, 4}, 41, std::string(64, '\x33'), {}});
    f.add({"rope_freqs.weight", {2}, 0, gw::f32_data({1.0f, 3.0f}), {}});
    gw::layout l;
    const std::string b = f.build(&l);
    auto r = rs::parse_gguf(b);
    ASSERT_TRUE(r) << r.err().what();
    EXPECT_FALSE(r->tensors[0].bytes_known);
    EXPECT_EQ(r->tensors[0].bytes, 0u);
    EXPECT_EQ(r->tensors[0].elements, 512u);
    EXPECT_TRUE(r->tensors[1].bytes_known);
    EXPECT_EQ(*rs::read_f32_tensor(*r, b, rs::gguf_rope_freqs), (std::vector<float>{1.0f, 3.0f}));
    gw::file mis;
    mis.add({"a", {1}, 41, "", 8});
    const std::string mis_bytes = mis.build(&l);
    expect_refused(mis_bytes, rs::errc::out_of_range, "a", l.tensor_info[0],
                   "data offset 8 is not a multiple");
}

TEST(GgufHostile, Alignment) {
    gw::layout l;
    gw::file wrong;
    wrong.kv("general.alignment", gw::v_u64(32));
    const std::string wrong_bytes = wrong.build(&l);
    expect_refused(wrong_bytes, rs::errc::wrong_type, "general.alignment", 24,
                   "expected uint32, got uint64");
    for (std::uint32_t a : {0u, 48u, 1u << 21}) {
        gw::file bad;
        bad.kv("general.alignment", gw::v_u32(a));
        expect_refused(bad.build(), rs::errc::out_of_range, "general.alignment", 24,
                       "alignment " + std::to_string(a) + " is not a power of two");
    }
}

TEST(GgufHostile, RopeTensorRequests) {
    gw::file f;
    f.add({"rope_freqs.weight", {4}, 1 /* f16 */, std::string(8, '\0'), {}});
    f.add({"rope_factors_long.weight", {3}, 0, gw::f32_data({1.0f, 2.0f, 3.0f}), {}});
    f.add({"rope_factors_short.weight",
           {2},
           0,
           gw::f32_data({1.0f, std::numeric_limits<float>::quiet_NaN()}),
           {}});
    gw::layout l;
    const std::string b = f.build(&l);
    auto r = rs::parse_gguf(b);
    ASSERT_TRUE(r) << r.err().what();
    auto f16 = rs::read_f32_tensor(*r, b, rs::gguf_rope_freqs);
    ASSERT_FALSE(f16);
    EXPECT_EQ(f16.err().code, rs::errc::wrong_type);
    EXPECT_EQ(f16.err().field, "rope_freqs.weight");
    EXPECT_EQ(f16.err().message, at(l.tensor_info[0]) + " expected ggml type f32, got f16");
    auto count = rs::read_f32_tensor(*r, b, rs::gguf_rope_factors_long, 4);
    ASSERT_FALSE(count);
    EXPECT_EQ(count.err().code, rs::errc::inconsistent);
    EXPECT_EQ(count.err().message, at(l.tensor_info[1]) + " 3 elements, expected 4");
    auto nan = rs::read_f32_tensor(*r, b, rs::gguf_rope_factors_short);
    ASSERT_FALSE(nan);
    EXPECT_EQ(nan.err().code, rs::errc::not_finite);
    EXPECT_EQ(nan.err().field, "rope_factors_short.weight[1]");
    EXPECT_EQ(nan.err().message, at(l.data_offset + l.tensor_offset[2] + 4) + " nan");
    auto missing = rs::read_f32_tensor(*r, b, "rope_freqs");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.err().code, rs::errc::missing_field);
    auto other = rs::read_f32_tensor(*r, b.substr(0, b.size() - 1), rs::gguf_rope_factors_long);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.err().code, rs::errc::invalid_argument);
}

}  // namespace
