// A small GGUF writer for the tests and the fuzz seed corpus, written from ggml's GGUF
// specification (ggml docs/gguf.md), independently of the reader in ropescale/gguf.hpp:
//
//   header        "GGUF", uint32 version, uint64 tensor_count, uint64 metadata_kv_count
//   metadata      { string key, uint32 value_type, value } ...
//   tensor infos  { string name, uint32 n_dims, uint64 dims[n_dims], uint32 type, uint64 offset }
//   padding       0x00 to a multiple of the alignment, then the tensor data, each tensor at a
//                 multiple of the alignment from the start of the data
//
// Strings are a uint64 length and the bytes; arrays a uint32 element type, a uint64 count and
// the elements; everything little-endian. The writer writes whatever it is given (wrong tags,
// lengths, offsets), so the tests can build hostile files too; `layout` reports where each
// part went, for the byte offsets the reader's errors must name.
#ifndef ROPESCALE_TESTS_GGUF_WRITER_HPP
#define ROPESCALE_TESTS_GGUF_WRITER_HPP

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gguf_test {

// Value-type tags of the specification (gguf_metadata_value_type).
enum tag : std::uint32_t {
    t_uint8 = 0,
    t_int8 = 1,
    t_uint16 = 2,
    t_int16 = 3,
    t_uint32 = 4,
    t_int32 = 5,
    t_float32 = 6,
    t_bool = 7,
    t_string = 8,
    t_array = 9,
    t_uint64 = 10,
    t_int64 = 11,
    t_float64 = 12,
};

// Little-endian byte appenders.
inline void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void put_u8(std::string& o, std::uint8_t v) { put_le(o, v, 1); }
inline void put_u16(std::string& o, std::uint16_t v) { put_le(o, v, 2); }
inline void put_u32(std::string& o, std::uint32_t v) { put_le(o, v, 4); }
inline void put_u64(std::string& o, std::uint64_t v) { put_le(o, v, 8); }
inline void put_f32(std::string& o, float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, 4);
    put_u32(o, b);
}
inline void put_f64(std::string& o, double v) {
    std::uint64_t b;
    std::memcpy(&b, &v, 8);
    put_u64(o, b);
}
inline void put_str(std::string& o, std::string_view s) {
    put_u64(o, s.size());
    o.append(s.data(), s.size());
}

// An encoded value: its type tag and payload (what follows the tag in a pair).
struct value {
    std::uint32_t type;
    std::string payload;
};

inline value v_u8(std::uint8_t x) { return {t_uint8, std::string(1, static_cast<char>(x))}; }
inline value v_i8(std::int8_t x) { return {t_int8, std::string(1, static_cast<char>(x))}; }
inline value v_u16(std::uint16_t x) {
    value v{t_uint16, {}};
    put_u16(v.payload, x);
    return v;
}
inline value v_i16(std::int16_t x) {
    value v{t_int16, {}};
    put_u16(v.payload, static_cast<std::uint16_t>(x));
    return v;
}
inline value v_u32(std::uint32_t x) {
    value v{t_uint32, {}};
    put_u32(v.payload, x);
    return v;
}
inline value v_i32(std::int32_t x) {
    value v{t_int32, {}};
    put_u32(v.payload, static_cast<std::uint32_t>(x));
    return v;
}
inline value v_u64(std::uint64_t x) {
    value v{t_uint64, {}};
    put_u64(v.payload, x);
    return v;
}
inline value v_i64(std::int64_t x) {
    value v{t_int64, {}};
    put_u64(v.payload, static_cast<std::uint64_t>(x));
    return v;
}
inline value v_f32(float x) {
    value v{t_float32, {}};
    put_f32(v.payload, x);
    return v;
}
inline value v_f64(double x) {
    value v{t_float64, {}};
    put_f64(v.payload, x);
    return v;
}
inline value v_bool(bool x) { return {t_bool, std::string(1, x ? '\1' : '\0')}; }
inline value v_str(std::string_view s) {
    value v{t_string, {}};
    put_str(v.payload, s);
    return v;
}
// An array of `element_type` holding `elements` (their payloads, concatenated); `count`
// overrides the stored count (hostile files).
inline value v_array(std::uint32_t element_type, const std::vector<value>& elements,
                     std::optional<std::uint64_t> count = std::nullopt) {
    value v{t_array, {}};
    put_u32(v.payload, element_type);
    put_u64(v.payload, count ? *count : elements.size());
    for (const value& e : elements) v.payload += e.payload;
    return v;
}

// A tensor to write: its info and data. `offset` overrides the placement (relative to the
// start of the tensor data); by default each tensor follows the previous one at the next
// multiple of the alignment.
struct tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type = 0;  // ggml_type: 0 f32, 1 f16, 2 q4_0, ...
    std::string data;
    std::optional<std::uint64_t> offset;
};

inline std::string f32_data(const std::vector<float>& v) {
    std::string out;
    for (float x : v) put_f32(out, x);
    return out;
}

// Where the parts of a built file start (absolute offsets), and each tensor's offset as
// stored.
struct layout {
    std::vector<std::uint64_t> kv;           // each pair's key
    std::vector<std::uint64_t> tensor_info;  // each tensor info's name
    std::uint64_t end_of_infos = 0;
    std::uint64_t data_offset = 0;
    std::vector<std::uint64_t> tensor_offset;
};

struct file {
    std::uint32_t version = 3;
    std::uint32_t alignment = 32;  // for the layout; add the general.alignment pair yourself
    std::vector<std::pair<std::string, value>> kvs;
    std::vector<tensor> tensors;
    std::optional<std::uint64_t> tensor_count;  // overrides (hostile files)
    std::optional<std::uint64_t> kv_count;

    file& kv(std::string key, value v) {
        kvs.emplace_back(std::move(key), std::move(v));
        return *this;
    }
    file& add(tensor t) {
        tensors.push_back(std::move(t));
        return *this;
    }

    std::string build(layout* where = nullptr) const {
        layout l;
        std::string out = "GGUF";
        put_u32(out, version);
        put_u64(out, tensor_count ? *tensor_count : tensors.size());
        put_u64(out, kv_count ? *kv_count : kvs.size());
        for (const auto& [key, v] : kvs) {
            l.kv.push_back(out.size());
            put_str(out, key);
            put_u32(out, v.type);
            out += v.payload;
        }
        std::uint64_t next = 0;
        for (const tensor& t : tensors) {
            const std::uint64_t off = t.offset ? *t.offset : next;
            l.tensor_offset.push_back(off);
            next = pad(off + t.data.size());
            l.tensor_info.push_back(out.size());
            put_str(out, t.name);
            put_u32(out, static_cast<std::uint32_t>(t.dims.size()));
            for (std::uint64_t d : t.dims) put_u64(out, d);
            put_u32(out, t.type);
            put_u64(out, off);
        }
        l.end_of_infos = out.size();
        out.resize(pad(out.size()), '\0');
        l.data_offset = out.size();
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            if (tensors[i].data.empty()) continue;  // an info without data (hostile files)
            const std::uint64_t at = l.data_offset + l.tensor_offset[i];
            if (out.size() < at + tensors[i].data.size())
                out.resize(at + tensors[i].data.size(), '\0');
            out.replace(at, tensors[i].data.size(), tensors[i].data);
        }
        if (!tensors.empty()) out.resize(pad(out.size()), '\0');
        if (where) *where = l;
        return out;
    }

  private:
    std::uint64_t pad(std::uint64_t n) const { return (n + alignment - 1) / alignment * alignment; }
};

}  // namespace gguf_test

#endif  // ROPESCALE_TESTS_GGUF_WRITER_HPP
