// SPDX-License-Identifier: MIT
//
// GGUF container reader: a GGUF file's header, metadata and tensor infos, and on request the
// f32 data of named tensors (the RoPE factor tensors llama.cpp keeps). Optional: standard
// library only, never included by the core headers nor by the umbrella ropescale.hpp.
//
// Format: ggml's GGUF specification (ggml docs/gguf.md), versions 2 and 3, little-endian:
//
//   header        magic "GGUF" (bytes 47 47 55 46), uint32 version, uint64 tensor_count,
//                 uint64 metadata_kv_count
//   metadata      metadata_kv_count x { string key, uint32 value_type, value }
//   tensor infos  tensor_count x { string name, uint32 n_dims, uint64 dims[n_dims],
//                 uint32 ggml_type, uint64 offset }
//   padding       to the next multiple of ALIGNMENT (`general.alignment`, uint32, default 32)
//   tensor data   each tensor at data_offset + offset, offset a multiple of ALIGNMENT
//
// where a string is { uint64 length, bytes } (no terminator) and a value is, by value_type,
// uint8 (0), int8 (1), uint16 (2), int16 (3), uint32 (4), int32 (5), float32 (6), bool (7, one
// byte, 0 or 1), string (8), array (9: uint32 element type, uint64 count, count values; any
// element type, arrays included), uint64 (10), int64 (11), float64 (12). Every integer and
// float is little-endian whatever the host. Version 1 (32-bit lengths and counts; ggml refuses it
// too) is refused with a message saying so; a big-endian file (its version reads as
// 0x03000000 here) is refused as such.
//
// Validation, beyond the format: the rules of ggml's reader (ggml src/gguf.cpp,
// gguf_init_from_reader) where it has one, and the specification's where it is stricter:
//   * no duplicate key, no duplicate tensor name; tensor names at most 64 bytes, keys at most
//     65535 bytes (the specification's limits; key characters are not checked, as ggml does
//     not); strings are bytes, UTF-8 is not checked;
//   * bool values 0 or 1 (the specification; ggml reads any non-zero byte as true); arrays
//     nested at most gguf_max_array_depth deep (the specification sets no limit; ggml reads
//     no nested array at all);
//   * `general.alignment`, when present, a uint32 power of two in [1, 2^20];
//   * at most 4 dimensions (GGML_MAX_DIMS), each < 2^63, their product < 2^63; a ggml type
//     not removed from GGUF, whose block size divides dims[0]; the byte size
//     (elements / block size x type size) fits 64 bits;
//   * each tensor's offset a multiple of the alignment, its bytes inside the file, and no two
//     tensors' bytes overlapping.
// More lenient than ggml's reader: a tensor name of exactly 64 bytes (ggml's limit counts a
// terminator), tensors out of offset order or with gaps between them (ggml requires them
// packed in order), and ggml types newer than the table below (accepted with their byte size
// unknown, so their extent is not checked: a file of a newer llama.cpp still reads).
// Every length and count is checked against the bytes left in the file before anything is
// allocated from it, and every read goes through a bounds-checked cursor. Memory is at most a
// small multiple of the metadata's size (a std::string per string element).
//
// Errors (never thrown): the field is the metadata key, the tensor name, or the header field
// ("magic", "version", "tensor_count", "metadata_kv_count"; "metadata[i]" / "tensors[i]" for
// the i-th pair or tensor before its key or name is read, or when it is empty); the message
// starts with "at byte N:", the absolute file offset of the item concerned. Codes:
//   parse_error     not GGUF, truncated, a length or count larger than the rest of the file, a
//                   bad value-type tag, a bool byte other than 0/1, arrays nested too deep, a
//                   key or tensor name too long, too many dimensions, a removed ggml type
//   out_of_range    an unsupported version, a bad alignment, a dimension or element count or
//                   byte size that overflows, a misaligned tensor offset, tensor bytes beyond
//                   the end of the file, a block size that does not divide dims[0]
//   inconsistent    duplicate keys or tensor names, overlapping tensors, a tensor with the
//                   wrong element count
//   wrong_type      `general.alignment` not uint32; an accessor or read_f32_tensor asked for
//                   a type the file does not hold
//   missing_field   an accessor's key or read_f32_tensor's tensor absent
//   not_finite      a NaN or infinity in a tensor read by read_f32_tensor
//   io_error        a file that cannot be opened or read (the field is the path)
#ifndef ROPESCALE_GGUF_HPP
#define ROPESCALE_GGUF_HPP

#include "config.hpp"
#include "detail/file_input.hpp"
#include "error.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// GGUF metadata value types (gguf_metadata_value_type, ggml docs/gguf.md; gguf-py
/// GGUFValueType), with their on-disk tags.
enum class gguf_type : std::uint32_t {
    uint8 = 0,
    int8 = 1,
    uint16 = 2,
    int16 = 3,
    uint32 = 4,
    int32 = 5,
    float32 = 6,
    boolean = 7,
    string = 8,
    array = 9,
    uint64 = 10,
    int64 = 11,
    float64 = 12,
};

/// The specification's name of a value type ("uint32", "float32", "bool", "array", ...), or
/// "unknown".
inline const char* to_string(gguf_type t) noexcept {
    switch (t) {
        case gguf_type::uint8: return "uint8";
        case gguf_type::int8: return "int8";
        case gguf_type::uint16: return "uint16";
        case gguf_type::int16: return "int16";
        case gguf_type::uint32: return "uint32";
        case gguf_type::int32: return "int32";
        case gguf_type::float32: return "float32";
        case gguf_type::boolean: return "bool";
        case gguf_type::string: return "string";
        case gguf_type::array: return "array";
        case gguf_type::uint64: return "uint64";
        case gguf_type::int64: return "int64";
        case gguf_type::float64: return "float64";
    }
    return "unknown";
}

/// ggml tensor types (enum ggml_type, ggml docs/gguf.md and ggml.h), as stored in tensor
/// infos. The values removed from GGUF (4, 5, 31-33, 36-38) are refused; values above the
/// last listed are types newer than this table: accepted, their byte size unknown (a file of a
/// newer llama.cpp still reads).
enum class ggml_type : std::uint32_t {
    f32 = 0,
    f16 = 1,
    q4_0 = 2,
    q4_1 = 3,
    q5_0 = 6,
    q5_1 = 7,
    q8_0 = 8,
    q8_1 = 9,
    q2_k = 10,
    q3_k = 11,
    q4_k = 12,
    q5_k = 13,
    q6_k = 14,
    q8_k = 15,
    iq2_xxs = 16,
    iq2_xs = 17,
    iq3_xxs = 18,
    iq1_s = 19,
    iq4_nl = 20,
    iq3_s = 21,
    iq2_s = 22,
    iq4_xs = 23,
    i8 = 24,
    i16 = 25,
    i32 = 26,
    i64 = 27,
    f64 = 28,
    iq1_m = 29,
    bf16 = 30,
    tq1_0 = 34,
    tq2_0 = 35,
    mxfp4 = 39,
    nvfp4 = 40,
};

/// Block size (elements) and type size (bytes per block) of a ggml type: gguf-py's
/// GGML_QUANT_SIZES (QK_K = 256).
struct ggml_type_traits {
    const char* name = nullptr;  ///< ggml's name ("f32", "q4_K", ...); nullptr when unknown
    std::uint32_t block_size = 0;
    std::uint32_t type_size = 0;
};

/// The traits of ggml type `t`; name nullptr and sizes 0 for a value not in the table.
inline ggml_type_traits ggml_traits(std::uint32_t t) noexcept {
    switch (t) {
        case 0: return {"f32", 1, 4};
        case 1: return {"f16", 1, 2};
        case 2: return {"q4_0", 32, 18};
        case 3: return {"q4_1", 32, 20};
        case 6: return {"q5_0", 32, 22};
        case 7: return {"q5_1", 32, 24};
        case 8: return {"q8_0", 32, 34};
        case 9: return {"q8_1", 32, 40};
        case 10: return {"q2_K", 256, 84};
        case 11: return {"q3_K", 256, 110};
        case 12: return {"q4_K", 256, 144};
        case 13: return {"q5_K", 256, 176};
        case 14: return {"q6_K", 256, 210};
        case 15: return {"q8_K", 256, 292};
        case 16: return {"iq2_xxs", 256, 66};
        case 17: return {"iq2_xs", 256, 74};
        case 18: return {"iq3_xxs", 256, 98};
        case 19: return {"iq1_s", 256, 50};
        case 20: return {"iq4_nl", 32, 18};
        case 21: return {"iq3_s", 256, 110};
        case 22: return {"iq2_s", 256, 82};
        case 23: return {"iq4_xs", 256, 136};
        case 24: return {"i8", 1, 1};
        case 25: return {"i16", 1, 2};
        case 26: return {"i32", 1, 4};
        case 27: return {"i64", 1, 8};
        case 28: return {"f64", 1, 8};
        case 29: return {"iq1_m", 256, 56};
        case 30: return {"bf16", 1, 2};
        case 34: return {"tq1_0", 256, 54};
        case 35: return {"tq2_0", 256, 66};
        case 39: return {"mxfp4", 32, 17};
        case 40: return {"nvfp4", 64, 36};
        default: return {};
    }
}

/// Deepest array nesting read (an array of arrays is depth 2). The specification sets no
/// limit; no GGUF writer nests arrays at all.
inline constexpr int gguf_max_array_depth = 8;
/// Longest key (the specification's limit) and tensor name (the specification's 64 bytes).
inline constexpr std::uint64_t gguf_max_key_length = 65535;
inline constexpr std::uint64_t gguf_max_tensor_name_length = 64;
/// Alignment when the file has no `general.alignment` (the specification), and the largest
/// accepted (ggml's reader).
inline constexpr std::uint32_t gguf_default_alignment = 32;
inline constexpr std::uint32_t gguf_max_alignment = 1u << 20;
/// The last ggml type value of the table (ggml_traits); larger ones are newer types.
inline constexpr std::uint32_t ggml_last_known_type = 40;

/// Names of the RoPE factor tensors llama.cpp reads: per-pair frequency factors (Llama 3.1
/// style `rope_freqs`) and LongRoPE's long and short factor lists.
inline constexpr const char* gguf_rope_freqs = "rope_freqs.weight";
inline constexpr const char* gguf_rope_factors_long = "rope_factors_long.weight";
inline constexpr const char* gguf_rope_factors_short = "rope_factors_short.weight";

/// An array value: its elements, held as a vector of the element type. The variant's index is
/// the element type's tag (gguf_type), so `elements.index() == 9` is an array of arrays.
struct gguf_array {
    std::variant<std::vector<std::uint8_t>, std::vector<std::int8_t>, std::vector<std::uint16_t>,
                 std::vector<std::int16_t>, std::vector<std::uint32_t>, std::vector<std::int32_t>,
                 std::vector<float>, std::vector<bool>, std::vector<std::string>,
                 std::vector<gguf_array>, std::vector<std::uint64_t>, std::vector<std::int64_t>,
                 std::vector<double>>
        elements;

    /// The element type.
    gguf_type element_type() const noexcept { return static_cast<gguf_type>(elements.index()); }
    /// The number of elements.
    std::size_t size() const noexcept {
        return std::visit([](const auto& v) { return v.size(); }, elements);
    }
    /// The elements as std::vector<T> (T one of the variant's element types), or nullptr when
    /// the array holds another type.
    template <class T>
    const std::vector<T>* get_if() const noexcept {
        return std::get_if<std::vector<T>>(&elements);
    }
};

/// One metadata value. The variant's index is the value type's tag (gguf_type): uint8 ... int64
/// as themselves, float32 as float, float64 as double, bool, std::string, gguf_array.
struct gguf_value {
    std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t,
                 std::int32_t, float, bool, std::string, gguf_array, std::uint64_t, std::int64_t,
                 double>
        data;

    /// The value type.
    gguf_type type() const noexcept { return static_cast<gguf_type>(data.index()); }
    /// The value as T, or nullptr when it holds another type.
    template <class T>
    const T* get_if() const noexcept {
        return std::get_if<T>(&data);
    }
};

/// One metadata key-value pair, with the absolute file offset of its key.
struct gguf_kv {
    std::string key;
    gguf_value value;
    std::uint64_t offset = 0;
};

/// One tensor info. `offset` is relative to gguf_file::data_offset, as stored.
struct gguf_tensor_info {
    std::string name;
    std::vector<std::uint64_t> dims;  ///< dims[0] first (ggml's ne[0], the fastest varying)
    std::uint32_t type = 0;           ///< a ggml_type value
    std::uint64_t offset = 0;         ///< of the data, from gguf_file::data_offset
    std::uint64_t elements = 0;       ///< product of dims (1 for no dimension)
    std::uint64_t bytes = 0;          ///< elements / block size x type size
    /// False for a ggml type newer than ggml_traits' table: `bytes` is 0 and the data's
    /// extent is not checked (its offset still is).
    bool bytes_known = true;
    std::uint64_t info_offset = 0;  ///< absolute file offset of this tensor info
};

/// A GGUF file's header, metadata and tensor infos (no tensor data).
struct gguf_file {
    std::uint32_t version = 0;                         ///< 2 or 3
    std::vector<gguf_kv> metadata;                     ///< in file order
    std::vector<gguf_tensor_info> tensors;             ///< in file order
    std::uint32_t alignment = gguf_default_alignment;  ///< `general.alignment`, else 32
    /// Absolute offset of the tensor data: the end of the tensor infos rounded up to the
    /// alignment (past the end of a file without tensors that ends unpadded).
    std::uint64_t data_offset = 0;
    std::uint64_t file_size = 0;  ///< total size of the file read

    /// The pair of `key`, or nullptr.
    const gguf_kv* find(std::string_view key) const noexcept {
        for (const gguf_kv& kv : metadata)
            if (kv.key == key) return &kv;
        return nullptr;
    }
    /// The tensor info named `name`, or nullptr.
    const gguf_tensor_info* find_tensor(std::string_view name) const noexcept {
        for (const gguf_tensor_info& t : tensors)
            if (t.name == name) return &t;
        return nullptr;
    }

    /// Typed accessors: the value of `key` when it has exactly that type. A missing key gives
    /// errc::missing_field, another type errc::wrong_type ("expected uint32, got float32");
    /// both name the key. No conversion between types, as llama.cpp (GGUFMeta::GKV::get_kv,
    /// llama-model-loader.cpp) refuses another type.
    expected<std::uint8_t> get_u8(std::string_view key) const { return get<std::uint8_t>(key); }
    expected<std::int8_t> get_i8(std::string_view key) const { return get<std::int8_t>(key); }
    expected<std::uint16_t> get_u16(std::string_view key) const { return get<std::uint16_t>(key); }
    expected<std::int16_t> get_i16(std::string_view key) const { return get<std::int16_t>(key); }
    expected<std::uint32_t> get_u32(std::string_view key) const { return get<std::uint32_t>(key); }
    expected<std::int32_t> get_i32(std::string_view key) const { return get<std::int32_t>(key); }
    expected<std::uint64_t> get_u64(std::string_view key) const { return get<std::uint64_t>(key); }
    expected<std::int64_t> get_i64(std::string_view key) const { return get<std::int64_t>(key); }
    expected<float> get_f32(std::string_view key) const { return get<float>(key); }
    expected<double> get_f64(std::string_view key) const { return get<double>(key); }
    expected<bool> get_bool(std::string_view key) const { return get<bool>(key); }
    /// The string of `key` (a view into this object).
    expected<std::string_view> get_string(std::string_view key) const {
        auto r = get_ptr<std::string>(key, gguf_type::string);
        if (!r) return r.err();
        return std::string_view(**r);
    }
    /// The array of `key` (a pointer into this object), whatever its element type.
    expected<const gguf_array*> get_array(std::string_view key) const {
        return get_ptr<gguf_array>(key, gguf_type::array);
    }
    /// The array of `key` when its elements have type `T` (one of gguf_array's element
    /// types); errc::wrong_type names both element types otherwise.
    template <class T>
    expected<const std::vector<T>*> get_array_of(std::string_view key) const {
        auto a = get_array(key);
        if (!a) return a.err();
        const std::vector<T>* v = (*a)->template get_if<T>();
        if (v == nullptr) {
            const gguf_kv* kv = find(key);
            return error{errc::wrong_type, std::string(key),
                         "at byte " + std::to_string(kv->offset) + ": expected an array of " +
                             to_string(expected_type<T>()) + ", got an array of " +
                             to_string((*a)->element_type())};
        }
        return v;
    }

  private:
    template <class T>
    static constexpr gguf_type expected_type() noexcept {
        return std::is_same_v<T, std::uint8_t>    ? gguf_type::uint8
               : std::is_same_v<T, std::int8_t>   ? gguf_type::int8
               : std::is_same_v<T, std::uint16_t> ? gguf_type::uint16
               : std::is_same_v<T, std::int16_t>  ? gguf_type::int16
               : std::is_same_v<T, std::uint32_t> ? gguf_type::uint32
               : std::is_same_v<T, std::int32_t>  ? gguf_type::int32
               : std::is_same_v<T, float>         ? gguf_type::float32
               : std::is_same_v<T, bool>          ? gguf_type::boolean
               : std::is_same_v<T, std::string>   ? gguf_type::string
               : std::is_same_v<T, gguf_array>    ? gguf_type::array
               : std::is_same_v<T, std::uint64_t> ? gguf_type::uint64
               : std::is_same_v<T, std::int64_t>  ? gguf_type::int64
                                                  : gguf_type::float64;
    }
    template <class T>
    expected<const T*> get_ptr(std::string_view key, gguf_type want) const {
        const gguf_kv* kv = find(key);
        if (kv == nullptr)
            return error{errc::missing_field, std::string(key), "not in the GGUF metadata"};
        const T* v = kv->value.get_if<T>();
        if (v == nullptr)
            return error{errc::wrong_type, std::string(key),
                         "at byte " + std::to_string(kv->offset) + ": expected " + to_string(want) +
                             ", got " + to_string(kv->value.type())};
        return v;
    }
    template <class T>
    expected<T> get(std::string_view key) const {
        auto r = get_ptr<T>(key, expected_type<T>());
        if (!r) return r.err();
        return **r;
    }
};

namespace detail {
namespace gguf {

// The outcome of one parse over a prefix of the file: a file, an error, or "the prefix ends
// before the header and metadata do" (load_gguf then reads more).
struct parse_outcome {
    std::optional<gguf_file> file;
    std::optional<error> err;
    bool need_more = false;
};

// A bounds-checked little-endian cursor over the first `avail` bytes of a file of `size`
// bytes (avail <= size). Every read checks pos + n against both: past `size` is a truncation
// error, past `avail` only asks the caller for more bytes.
class reader {
  public:
    reader(const unsigned char* data, std::uint64_t avail, std::uint64_t size) noexcept
        : data_(data), avail_(avail), size_(size) {}

    std::uint64_t pos() const noexcept { return pos_; }
    std::uint64_t remaining() const noexcept { return size_ - pos_; }
    std::uint64_t size() const noexcept { return size_; }
    bool need_more() const noexcept { return need_more_; }
    bool failed() const noexcept { return err_.has_value() || need_more_; }
    const std::optional<error>& err() const noexcept { return err_; }

    bool fail(errc code, std::string field, std::uint64_t at, const std::string& what) {
        if (!failed())
            err_ = error{code, std::move(field), "at byte " + std::to_string(at) + ": " + what};
        return false;
    }

    // The next n bytes, or nullptr after recording why not.
    const unsigned char* take(std::uint64_t n, const std::string& field, const char* what) {
        if (failed()) return nullptr;
        if (n > size_ - pos_) {
            fail(errc::parse_error, field, pos_,
                 std::string("truncated: ") + what + " needs " + std::to_string(n) +
                     " bytes, the file ends at byte " + std::to_string(size_));
            return nullptr;
        }
        if (n > avail_ - pos_) {
            need_more_ = true;
            return nullptr;
        }
        const unsigned char* p = data_ + pos_;
        pos_ += n;
        return p;
    }

    template <class U>
    bool read_uint(U& out, const std::string& field, const char* what) {
        const unsigned char* p = take(sizeof(U), field, what);
        if (p == nullptr) return false;
        U v = 0;
        for (std::size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>(v | (U(p[i]) << (8 * i)));
        out = v;
        return true;
    }

  private:
    const unsigned char* data_;
    std::uint64_t avail_;
    std::uint64_t size_;
    std::uint64_t pos_ = 0;
    bool need_more_ = false;
    std::optional<error> err_;
};

// The most elements reserved ahead from a count; beyond, vectors grow as elements are read.
inline constexpr std::uint64_t reserve_limit = 1u << 16;

// Smallest encoding of one value of a type: counts are checked against it before reserving.
inline std::uint64_t min_encoded_size(std::uint32_t tag) noexcept {
    switch (tag) {
        case 0:
        case 1:
        case 7: return 1;
        case 2:
        case 3: return 2;
        case 4:
        case 5:
        case 6: return 4;
        case 8: return 8;   // the length
        case 9: return 12;  // element type and count
        default: return 8;  // uint64, int64, float64
    }
}

template <class T>
bool read_number(reader& r, T& out, const std::string& field, const char* what) {
    if constexpr (std::is_same_v<T, float>) {
        std::uint32_t bits = 0;
        if (!r.read_uint(bits, field, what)) return false;
        std::memcpy(&out, &bits, sizeof out);
    } else if constexpr (std::is_same_v<T, double>) {
        std::uint64_t bits = 0;
        if (!r.read_uint(bits, field, what)) return false;
        std::memcpy(&out, &bits, sizeof out);
    } else if constexpr (std::is_signed_v<T>) {
        std::make_unsigned_t<T> u = 0;
        if (!r.read_uint(u, field, what)) return false;
        std::memcpy(&out, &u, sizeof out);
    } else {
        if (!r.read_uint(out, field, what)) return false;
    }
    return true;
}

inline bool read_bool(reader& r, bool& out, const std::string& field) {
    const std::uint64_t at = r.pos();
    std::uint8_t b = 0;
    if (!r.read_uint(b, field, "a bool")) return false;
    if (b > 1)
        return r.fail(errc::parse_error, field, at,
                      "bool byte " + std::to_string(b) + " (0 or 1 required)");
    out = b == 1;
    return true;
}

// A string: uint64 length (checked against the rest of the file and `max_len`), then bytes.
inline bool read_string(reader& r, std::string& out, const std::string& field, const char* what,
                        std::uint64_t max_len) {
    const std::uint64_t at = r.pos();
    std::uint64_t len = 0;
    if (!r.read_uint(len, field, what)) return false;
    if (len > r.remaining())
        return r.fail(errc::parse_error, field, at,
                      std::string(what) + " length " + std::to_string(len) + " exceeds the " +
                          std::to_string(r.remaining()) + " bytes left in the file");
    if (len > max_len)
        return r.fail(errc::parse_error, field, at,
                      std::string(what) + " length " + std::to_string(len) + " exceeds " +
                          std::to_string(max_len));
    const unsigned char* p = r.take(len, field, what);
    if (p == nullptr) return false;
    out.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
    return true;
}

inline bool valid_tag(std::uint32_t tag) noexcept { return tag <= 12; }

inline bool read_array(reader& r, gguf_array& out, const std::string& field, int depth);

// One value of type `tag` (already validated) into `out`.
inline bool read_value(reader& r, gguf_value& out, std::uint32_t tag, const std::string& field,
                       int depth) {
    auto scalar = [&](auto zero) {
        using T = decltype(zero);
        T v{};
        if (!read_number(r, v, field, "a value")) return false;
        out.data = v;
        return true;
    };
    switch (tag) {
        case 0: return scalar(std::uint8_t{});
        case 1: return scalar(std::int8_t{});
        case 2: return scalar(std::uint16_t{});
        case 3: return scalar(std::int16_t{});
        case 4: return scalar(std::uint32_t{});
        case 5: return scalar(std::int32_t{});
        case 6: return scalar(float{});
        case 7: {
            bool b = false;
            if (!read_bool(r, b, field)) return false;
            out.data = b;
            return true;
        }
        case 8: {
            std::string s;
            if (!read_string(r, s, field, "a string", std::numeric_limits<std::uint64_t>::max()))
                return false;
            out.data = std::move(s);
            return true;
        }
        case 9: {
            gguf_array a;
            if (!read_array(r, a, field, depth + 1)) return false;
            out.data = std::move(a);
            return true;
        }
        case 10: return scalar(std::uint64_t{});
        case 11: return scalar(std::int64_t{});
        default: return scalar(double{});
    }
}

template <class T>
bool read_elements(reader& r, gguf_array& out, std::uint64_t count, const std::string& field,
                   int depth) {
    std::vector<T> v;
    // count x the smallest encoding fits the rest of the file (checked); memory still grows
    // only with the elements actually read.
    v.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, reserve_limit)));
    for (std::uint64_t i = 0; i < count; ++i) {
        if constexpr (std::is_same_v<T, bool>) {
            bool b = false;
            if (!read_bool(r, b, field)) return false;
            v.push_back(b);
        } else if constexpr (std::is_same_v<T, std::string>) {
            std::string s;
            if (!read_string(r, s, field, "a string", std::numeric_limits<std::uint64_t>::max()))
                return false;
            v.push_back(std::move(s));
        } else if constexpr (std::is_same_v<T, gguf_array>) {
            gguf_array a;
            if (!read_array(r, a, field, depth + 1)) return false;
            v.push_back(std::move(a));
        } else {
            T x{};
            if (!read_number(r, x, field, "an array element")) return false;
            v.push_back(x);
        }
    }
    out.elements = std::move(v);
    return true;
}

// An array's element type, count and elements; `depth` counts this array (1 = not nested).
inline bool read_array(reader& r, gguf_array& out, const std::string& field, int depth) {
    const std::uint64_t at = r.pos();
    if (depth > gguf_max_array_depth)
        return r.fail(errc::parse_error, field, at,
                      "arrays nested more than " + std::to_string(gguf_max_array_depth) + " deep");
    std::uint32_t tag = 0;
    if (!r.read_uint(tag, field, "an array's element type")) return false;
    if (!valid_tag(tag))
        return r.fail(errc::parse_error, field, at,
                      "array element type " + std::to_string(tag) + " is not a GGUF value type");
    const std::uint64_t count_at = r.pos();
    std::uint64_t count = 0;
    if (!r.read_uint(count, field, "an array's count")) return false;
    const std::uint64_t min = min_encoded_size(tag);
    if (count > r.remaining() / min)
        return r.fail(errc::parse_error, field, count_at,
                      "array of " + std::to_string(count) + " " +
                          to_string(static_cast<gguf_type>(tag)) + " needs at least " +
                          (count > std::numeric_limits<std::uint64_t>::max() / min
                               ? std::string("2^64")
                               : std::to_string(count * min)) +
                          " bytes, " + std::to_string(r.remaining()) + " left in the file");
    switch (tag) {
        case 0: return read_elements<std::uint8_t>(r, out, count, field, depth);
        case 1: return read_elements<std::int8_t>(r, out, count, field, depth);
        case 2: return read_elements<std::uint16_t>(r, out, count, field, depth);
        case 3: return read_elements<std::int16_t>(r, out, count, field, depth);
        case 4: return read_elements<std::uint32_t>(r, out, count, field, depth);
        case 5: return read_elements<std::int32_t>(r, out, count, field, depth);
        case 6: return read_elements<float>(r, out, count, field, depth);
        case 7: return read_elements<bool>(r, out, count, field, depth);
        case 8: return read_elements<std::string>(r, out, count, field, depth);
        case 9: return read_elements<gguf_array>(r, out, count, field, depth);
        case 10: return read_elements<std::uint64_t>(r, out, count, field, depth);
        case 11: return read_elements<std::int64_t>(r, out, count, field, depth);
        default: return read_elements<double>(r, out, count, field, depth);
    }
}

inline std::string indexed(const char* what, std::uint64_t i) {
    return std::string(what) + "[" + std::to_string(i) + "]";
}

// Header, metadata and tensor infos from the first `avail` bytes of a file of `size` bytes.
inline parse_outcome parse(const unsigned char* data, std::uint64_t avail, std::uint64_t size) {
    parse_outcome out;
    reader r(data, avail, size);
    auto finish = [&]() {
        if (r.need_more())
            out.need_more = true;
        else
            out.err = r.err();
        return out;
    };
    gguf_file f;
    f.file_size = size;

    // Header.
    const unsigned char* magic = r.take(4, "magic", "the magic");
    if (magic == nullptr) return finish();
    if (std::memcmp(magic, "GGUF", 4) != 0) {
        std::string shown;
        for (int i = 0; i < 4; ++i) {
            const char c = static_cast<char>(magic[i]);
            shown += (c >= 0x20 && c < 0x7f) ? c : '?';
        }
        r.fail(errc::parse_error, "magic", 0, "not a GGUF file (magic \"" + shown + "\")");
        return finish();
    }
    if (!r.read_uint(f.version, "version", "the version")) return finish();
    if (f.version != 2 && f.version != 3) {
        std::string why = "GGUF version " + std::to_string(f.version) + " is not read (2 or 3)";
        if (f.version == 1)
            why =
                "GGUF version 1 (32-bit lengths and counts) is not read (2 or 3; ggml refuses "
                "it too): convert the model again with a current llama.cpp";
        else if (f.version != 0 && (f.version & 0xFFFFu) == 0)
            why = "GGUF version " + std::to_string(f.version) +
                  ": a big-endian file? Only little-endian GGUF is read";
        r.fail(errc::out_of_range, "version", 4, why);
        return finish();
    }
    std::uint64_t tensor_count = 0, kv_count = 0;
    if (!r.read_uint(tensor_count, "tensor_count", "the tensor count")) return finish();
    if (!r.read_uint(kv_count, "metadata_kv_count", "the metadata count")) return finish();
    // Smallest encodings: a pair 13 bytes (key length, type, one-byte value), a tensor info 24
    // (name length, n_dims, type, offset).
    if (kv_count > r.remaining() / 13) {
        r.fail(errc::parse_error, "metadata_kv_count", 16,
               std::to_string(kv_count) + " metadata pairs need at least 13 bytes each, " +
                   std::to_string(r.remaining()) + " left in the file");
        return finish();
    }
    if (tensor_count > r.remaining() / 24) {
        r.fail(errc::parse_error, "tensor_count", 8,
               std::to_string(tensor_count) + " tensor infos need at least 24 bytes each, " +
                   std::to_string(r.remaining()) + " left in the file");
        return finish();
    }

    // Metadata. Duplicate keys are found in an ordered set of the keys read so far.
    std::set<std::string, std::less<>> keys;
    f.metadata.reserve(static_cast<std::size_t>(std::min(kv_count, reserve_limit)));
    for (std::uint64_t i = 0; i < kv_count; ++i) {
        gguf_kv kv;
        kv.offset = r.pos();
        if (!read_string(r, kv.key, indexed("metadata", i), "a key", gguf_max_key_length))
            return finish();
        const std::string field = kv.key.empty() ? indexed("metadata", i) : kv.key;
        if (!keys.insert(kv.key).second) {
            r.fail(errc::inconsistent, field, kv.offset, "duplicate key");
            return finish();
        }
        const std::uint64_t tag_at = r.pos();
        std::uint32_t tag = 0;
        if (!r.read_uint(tag, field, "the value type")) return finish();
        if (!valid_tag(tag)) {
            r.fail(errc::parse_error, field, tag_at,
                   "value type " + std::to_string(tag) + " is not a GGUF value type (0 to 12)");
            return finish();
        }
        if (!read_value(r, kv.value, tag, field, 0)) return finish();
        f.metadata.push_back(std::move(kv));
    }

    // Alignment.
    if (const gguf_kv* kv = f.find("general.alignment")) {
        const std::uint32_t* a = kv->value.get_if<std::uint32_t>();
        if (a == nullptr) {
            r.fail(errc::wrong_type, kv->key, kv->offset,
                   std::string("expected uint32, got ") + to_string(kv->value.type()));
            return finish();
        }
        if (*a == 0 || (*a & (*a - 1)) != 0 || *a > gguf_max_alignment) {
            r.fail(errc::out_of_range, kv->key, kv->offset,
                   "alignment " + std::to_string(*a) + " is not a power of two in [1, 2^20]");
            return finish();
        }
        f.alignment = *a;
    }

    // Tensor infos.
    std::set<std::string, std::less<>> names;
    f.tensors.reserve(static_cast<std::size_t>(std::min(tensor_count, reserve_limit)));
    constexpr std::uint64_t max_i64 = static_cast<std::uint64_t>(INT64_MAX);
    for (std::uint64_t i = 0; i < tensor_count; ++i) {
        gguf_tensor_info t;
        t.info_offset = r.pos();
        if (!read_string(r, t.name, indexed("tensors", i), "a tensor name",
                         gguf_max_tensor_name_length))
            return finish();
        const std::string field = t.name.empty() ? indexed("tensors", i) : t.name;
        if (!names.insert(t.name).second) {
            r.fail(errc::inconsistent, field, t.info_offset, "duplicate tensor name");
            return finish();
        }
        const std::uint64_t dims_at = r.pos();
        std::uint32_t n_dims = 0;
        if (!r.read_uint(n_dims, field, "the dimension count")) return finish();
        if (n_dims > 4) {
            r.fail(errc::parse_error, field, dims_at,
                   std::to_string(n_dims) + " dimensions (at most 4)");
            return finish();
        }
        t.elements = 1;
        for (std::uint32_t d = 0; d < n_dims; ++d) {
            const std::uint64_t at = r.pos();
            std::uint64_t n = 0;
            if (!r.read_uint(n, field, "a dimension")) return finish();
            if (n > max_i64) {
                r.fail(errc::out_of_range, field, at,
                       "dimension " + std::to_string(d) + " is " + std::to_string(n) +
                           " (at most 2^63 - 1)");
                return finish();
            }
            if (n != 0 && t.elements > max_i64 / n) {
                r.fail(errc::out_of_range, field, at,
                       "the element count overflows 2^63 - 1 at dimension " + std::to_string(d));
                return finish();
            }
            t.elements *= n;
            t.dims.push_back(n);
        }
        const std::uint64_t type_at = r.pos();
        if (!r.read_uint(t.type, field, "the tensor type")) return finish();
        const ggml_type_traits tr = ggml_traits(t.type);
        if (tr.name == nullptr && t.type <= ggml_last_known_type) {
            r.fail(errc::parse_error, field, type_at,
                   "ggml type " + std::to_string(t.type) + " is not a GGUF tensor type (removed)");
            return finish();
        }
        if (tr.name == nullptr) {  // a newer type: size unknown
            t.bytes_known = false;
            if (!r.read_uint(t.offset, field, "the data offset")) return finish();
            f.tensors.push_back(std::move(t));
            continue;
        }
        const std::uint64_t row = t.dims.empty() ? 1 : t.dims[0];
        if (row % tr.block_size != 0) {
            r.fail(errc::out_of_range, field, type_at,
                   std::string("type ") + tr.name + " has blocks of " +
                       std::to_string(tr.block_size) + " elements, dims[0] is " +
                       std::to_string(row));
            return finish();
        }
        const std::uint64_t blocks = t.elements / tr.block_size;
        if (blocks > std::numeric_limits<std::uint64_t>::max() / tr.type_size) {
            r.fail(errc::out_of_range, field, type_at, "the byte size overflows 64 bits");
            return finish();
        }
        t.bytes = blocks * tr.type_size;
        if (!r.read_uint(t.offset, field, "the data offset")) return finish();
        f.tensors.push_back(std::move(t));
    }

    // Tensor data: aligned, inside the file, not overlapping.
    const std::uint64_t end_of_infos = r.pos();
    const std::uint64_t pad = (f.alignment - end_of_infos % f.alignment) % f.alignment;
    f.data_offset = end_of_infos + pad;  // no overflow: end_of_infos <= size, pad < 2^20
    if (!f.tensors.empty() && f.data_offset > size) {
        r.fail(errc::parse_error, "tensors", end_of_infos,
               "truncated: the padding to the tensor data (alignment " +
                   std::to_string(f.alignment) + ") ends at byte " + std::to_string(f.data_offset) +
                   ", the file at byte " + std::to_string(size));
        return finish();
    }
    // Errors name the tensor, or its index when its name is empty.
    auto tensor_field = [&](std::size_t i) {
        return f.tensors[i].name.empty() ? indexed("tensors", i) : f.tensors[i].name;
    };
    for (std::size_t i = 0; i < f.tensors.size(); ++i) {
        const gguf_tensor_info& t = f.tensors[i];
        if (t.offset % f.alignment != 0) {
            r.fail(errc::out_of_range, tensor_field(i), t.info_offset,
                   "data offset " + std::to_string(t.offset) + " is not a multiple of the " +
                       "alignment " + std::to_string(f.alignment));
            return finish();
        }
        const std::uint64_t room = size - f.data_offset;
        if (t.offset > room || t.bytes > room - t.offset) {
            r.fail(errc::out_of_range, tensor_field(i), t.info_offset,
                   "data [" + std::to_string(t.offset) + ", +" + std::to_string(t.bytes) +
                       " bytes) from the data offset " + std::to_string(f.data_offset) +
                       " ends beyond the file (" + std::to_string(size) + " bytes)");
            return finish();
        }
    }
    std::vector<std::size_t> order(f.tensors.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return f.tensors[a].offset < f.tensors[b].offset ||
               (f.tensors[a].offset == f.tensors[b].offset && a < b);
    });
    const gguf_tensor_info* reach = nullptr;  // the tensor whose bytes end last so far
    for (std::size_t i : order) {
        const gguf_tensor_info& t = f.tensors[i];
        if (t.bytes == 0) continue;
        if (reach != nullptr && reach->offset + reach->bytes > t.offset) {
            r.fail(errc::inconsistent, tensor_field(i), t.info_offset,
                   "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset + t.bytes) +
                       ") overlaps tensor '" + reach->name + "' [" + std::to_string(reach->offset) +
                       ", " + std::to_string(reach->offset + reach->bytes) + ")");
            return finish();
        }
        if (reach == nullptr || t.offset + t.bytes > reach->offset + reach->bytes) reach = &t;
    }
    out.file = std::move(f);
    return out;
}

// Checks that tensor `name` is f32 with `expected_elements` elements (when given) and
// returns its info.
inline expected<const gguf_tensor_info*> f32_info(const gguf_file& file, std::string_view name,
                                                  std::optional<std::uint64_t> expected_elements) {
    const gguf_tensor_info* t = file.find_tensor(name);
    if (t == nullptr)
        return error{errc::missing_field, std::string(name), "no such tensor in the GGUF file"};
    if (t->type != static_cast<std::uint32_t>(ggml_type::f32)) {
        const char* got = ggml_traits(t->type).name;
        return error{errc::wrong_type, std::string(name),
                     "at byte " + std::to_string(t->info_offset) +
                         ": expected ggml type f32, got " + (got ? got : "unknown")};
    }
    if (expected_elements && t->elements != *expected_elements)
        return error{errc::inconsistent, std::string(name),
                     "at byte " + std::to_string(t->info_offset) + ": " +
                         std::to_string(t->elements) + " elements, expected " +
                         std::to_string(*expected_elements)};
    return t;
}

// Decodes `t`'s bytes (little-endian f32) and refuses NaN and infinities.
inline expected<std::vector<float>> decode_f32(const gguf_tensor_info& t, const gguf_file& file,
                                               const unsigned char* p) {
    std::vector<float> v(static_cast<std::size_t>(t.elements));
    for (std::size_t i = 0; i < v.size(); ++i) {
        std::uint32_t bits = 0;
        for (std::size_t b = 0; b < 4; ++b) bits |= std::uint32_t(p[4 * i + b]) << (8 * b);
        std::memcpy(&v[i], &bits, sizeof bits);
        if (!std::isfinite(v[i]))
            return error{errc::not_finite, t.name + "[" + std::to_string(i) + "]",
                         "at byte " + std::to_string(file.data_offset + t.offset + 4 * i) + ": " +
                             detail::format_value(static_cast<double>(v[i]))};
    }
    return v;
}

}  // namespace gguf
}  // namespace detail

/// Reads a GGUF file held in memory: header, metadata and tensor infos, with every check of
/// the header comment. `bytes` is the whole file (the tensor data's bounds are checked
/// against its size). Never throws (except std::bad_alloc).
inline expected<gguf_file> parse_gguf(std::string_view bytes) {
    auto o = detail::gguf::parse(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                                 bytes.size());
    if (o.file) return std::move(*o.file);
    return *o.err;  // never need_more: every byte is available
}

/// Reads a GGUF file's header, metadata and tensor infos from disk: a prefix of the file,
/// first 1 MiB, doubled until it holds them (so at most the larger of 1 MiB and twice their
/// size); the tensor data past that prefix is never read (load_f32_tensor reads one tensor's
/// bytes). Same checks and errors as parse_gguf (the tensors' bounds against the file's
/// size); a file that cannot be opened or read gives errc::io_error naming the path. Never
/// throws (except std::bad_alloc).
inline expected<gguf_file> load_gguf(const std::filesystem::path& path) {
    const std::string where = path.string();
    std::ifstream in;
    if (auto s = detail::open_input(in, path, "a GGUF file"); !s) return s.err();
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) return error{errc::io_error, where, "cannot be read (" + ec.message() + ")"};
    std::string buf;
    std::uint64_t want = std::min<std::uint64_t>(size, std::uint64_t(1) << 20);
    for (;;) {
        const std::size_t have = buf.size();
        buf.resize(static_cast<std::size_t>(want));
        in.read(&buf[have], static_cast<std::streamsize>(want - have));
        if (static_cast<std::uint64_t>(in.gcount()) != want - have)
            return error{errc::io_error, where,
                         "cannot be read (" + std::to_string(size) + " bytes expected)"};
        auto o =
            detail::gguf::parse(reinterpret_cast<const unsigned char*>(buf.data()), want, size);
        if (o.file) return std::move(*o.file);
        if (!o.need_more) return *o.err;
        want = std::min<std::uint64_t>(size, want * 2);
    }
}

/// The f32 data of tensor `name` (for RoPE: gguf_rope_freqs, gguf_rope_factors_long,
/// gguf_rope_factors_short) from a file held in memory, `bytes` being what `file` was parsed
/// from. Refused: a tensor absent (missing_field), not f32 (wrong_type), with other than
/// `expected_elements` elements when given (inconsistent), any value NaN or infinite
/// (not_finite, naming "name[i]"). Values exactly as stored. Never throws (except
/// std::bad_alloc).
inline expected<std::vector<float>> read_f32_tensor(
    const gguf_file& file, std::string_view bytes, std::string_view name,
    std::optional<std::uint64_t> expected_elements = std::nullopt) {
    auto t = detail::gguf::f32_info(file, name, expected_elements);
    if (!t) return t.err();
    const std::uint64_t begin = file.data_offset + (*t)->offset;
    if (bytes.size() != file.file_size || begin > bytes.size() ||
        (*t)->bytes > bytes.size() - begin)
        return error{errc::invalid_argument, std::string(name),
                     "the bytes given are not those the file was parsed from"};
    return detail::gguf::decode_f32(**t, file,
                                    reinterpret_cast<const unsigned char*>(bytes.data()) + begin);
}

/// As read_f32_tensor, reading only that tensor's bytes from the file at `path` (the one
/// `file` was loaded from). A file that cannot be read, or is no longer the size it was, gives
/// errc::io_error. Never throws (except std::bad_alloc).
inline expected<std::vector<float>> load_f32_tensor(
    const gguf_file& file, const std::filesystem::path& path, std::string_view name,
    std::optional<std::uint64_t> expected_elements = std::nullopt) {
    auto t = detail::gguf::f32_info(file, name, expected_elements);
    if (!t) return t.err();
    const std::string where = path.string();
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) return error{errc::io_error, where, "cannot be read (" + ec.message() + ")"};
    if (size != file.file_size)
        return error{errc::io_error, where,
                     "is " + std::to_string(size) + " bytes, not the " +
                         std::to_string(file.file_size) + " it was loaded with"};
    std::ifstream in;
    if (auto s = detail::open_input(in, path, "a GGUF file"); !s) return s.err();
    std::string buf(static_cast<std::size_t>((*t)->bytes), '\0');
    in.seekg(static_cast<std::streamoff>(file.data_offset + (*t)->offset));
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (!in || static_cast<std::uint64_t>(in.gcount()) != buf.size())
        return error{errc::io_error, where, "cannot read tensor '" + std::string(name) + "'"};
    return detail::gguf::decode_f32(**t, file, reinterpret_cast<const unsigned char*>(buf.data()));
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_GGUF_HPP
