// fuzz_gguf: libFuzzer target for the GGUF container reader (ropescale/gguf.hpp).
//
// Input: the bytes of a GGUF file (the seed corpus: files written by tests/gguf/gguf_writer.hpp,
// written by tests/gguf/make_gguf_corpus.cpp).
//
// Properties: parse_gguf either refuses the bytes with a clean error (a code of the enum, a
// message starting "at byte N:" with N inside the file, a field), or returns a file whose
// invariants hold: version 2 or 3; keys unique; a power-of-two alignment; every tensor's data
// aligned, inside the file and overlapping no other's; data_offset aligned. Reading the same
// bytes in growing prefixes, as load_gguf reads a file (first prefix from the input's first
// byte, doubled each time), gives the same result. Every accessor on every key succeeds
// exactly when the type matches; read_f32_tensor on the RoPE tensor names returns as many
// finite values as the tensor has elements, or a clean error. read_gguf_rope (gguf_rope.hpp),
// with transformers' and with llama.cpp's semantics, refuses the file with a clean error naming a
// field, or returns layer types that validate, one layer entry per block_count, each naming an
// existing layer type, and compute_frequencies on each either succeeds or refuses cleanly. Never a
// crash, a leak, undefined behaviour, an out-of-bounds read or an allocation beyond libFuzzer's
// limit
// (-fsanitize=fuzzer,address,undefined; failed checks abort).
#include "fuzz_check.hpp"

#include <ropescale/gguf.hpp>
#include <ropescale/gguf_rope.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace rs = ropescale;

// A clean error; `with_offset`: its message starts "at byte N:" with N inside the file.
void check_error(const rs::error& e, std::size_t size, bool with_offset = true) {
    const int code = static_cast<int>(e.code);
    FUZZ_CHECK(code >= static_cast<int>(rs::errc::missing_field) &&
                   code <= static_cast<int>(rs::errc::invalid_argument),
               "error code out of the enum: " + std::to_string(code));
    FUZZ_CHECK(!e.field.empty(), "error without a field: " + e.message);
    FUZZ_CHECK(!e.message.empty(), "error without a message: " + e.field);
    if (!with_offset) return;
    const std::string prefix = "at byte ";
    FUZZ_CHECK(e.message.rfind(prefix, 0) == 0, "error without its offset: " + e.what());
    const std::size_t colon = e.message.find(':');
    FUZZ_CHECK(colon != std::string::npos, "error without its offset: " + e.what());
    const std::string number = e.message.substr(prefix.size(), colon - prefix.size());
    FUZZ_CHECK(!number.empty() && number.size() <= 19 &&
                   number.find_first_not_of("0123456789") == std::string::npos,
               "bad offset text: " + e.what());
    FUZZ_CHECK(std::stoull(number) <= size, "offset beyond the file: " + e.what());
}

void check_file(const rs::gguf_file& f, std::size_t size) {
    FUZZ_CHECK(f.version == 2 || f.version == 3, "version " + std::to_string(f.version));
    FUZZ_CHECK(f.file_size == size, "file_size");
    FUZZ_CHECK(f.alignment != 0 && (f.alignment & (f.alignment - 1)) == 0,
               "alignment " + std::to_string(f.alignment));
    FUZZ_CHECK(f.data_offset % f.alignment == 0, "data_offset not aligned");
    for (std::size_t i = 0; i < f.metadata.size(); ++i)
        for (std::size_t j = i + 1; j < f.metadata.size() && j < i + 64; ++j)
            FUZZ_CHECK(f.metadata[i].key != f.metadata[j].key,
                       "duplicate key " + f.metadata[i].key);
    if (!f.tensors.empty()) FUZZ_CHECK(f.data_offset <= size, "data_offset beyond the file");
    for (std::size_t i = 0; i < f.tensors.size(); ++i) {
        const rs::gguf_tensor_info& t = f.tensors[i];
        FUZZ_CHECK(t.dims.size() <= 4, t.name + ": dims");
        FUZZ_CHECK(t.offset % f.alignment == 0, t.name + ": misaligned");
        FUZZ_CHECK(f.data_offset <= size && t.offset <= size - f.data_offset &&
                       t.bytes <= size - f.data_offset - t.offset,
                   t.name + ": beyond the file");
        const rs::ggml_type_traits tr = rs::ggml_traits(t.type);
        FUZZ_CHECK(tr.name != nullptr || t.type > rs::ggml_last_known_type,
                   t.name + ": removed type accepted");
        FUZZ_CHECK(t.bytes_known == (tr.name != nullptr), t.name + ": bytes_known");
        if (t.bytes_known)
            FUZZ_CHECK(t.bytes == t.elements / tr.block_size * tr.type_size, t.name + ": bytes");
        else
            FUZZ_CHECK(t.bytes == 0, t.name + ": bytes of an unknown type");
        for (std::size_t j = i + 1; j < f.tensors.size() && j < i + 64; ++j) {
            const rs::gguf_tensor_info& u = f.tensors[j];
            FUZZ_CHECK(t.name != u.name, "duplicate tensor " + t.name);
            if (t.bytes != 0 && u.bytes != 0)
                FUZZ_CHECK(t.offset + t.bytes <= u.offset || u.offset + u.bytes <= t.offset,
                           t.name + " overlaps " + u.name);
        }
    }
}

// Each accessor succeeds exactly when the value has its type.
void check_accessors(const rs::gguf_file& f) {
    for (const rs::gguf_kv& kv : f.metadata) {
        const rs::gguf_type t = kv.value.type();
        FUZZ_CHECK(f.find(kv.key) == &kv, "find(" + kv.key + ")");
        FUZZ_CHECK(bool(f.get_u32(kv.key)) == (t == rs::gguf_type::uint32), kv.key + ": u32");
        FUZZ_CHECK(bool(f.get_f32(kv.key)) == (t == rs::gguf_type::float32), kv.key + ": f32");
        FUZZ_CHECK(bool(f.get_bool(kv.key)) == (t == rs::gguf_type::boolean), kv.key + ": bool");
        FUZZ_CHECK(bool(f.get_string(kv.key)) == (t == rs::gguf_type::string), kv.key + ": str");
        auto a = f.get_array(kv.key);
        FUZZ_CHECK(bool(a) == (t == rs::gguf_type::array), kv.key + ": array");
        if (a) {
            auto i32 = f.get_array_of<std::int32_t>(kv.key);
            FUZZ_CHECK(bool(i32) == ((*a)->element_type() == rs::gguf_type::int32),
                       kv.key + ": array of int32");
            if (!i32) FUZZ_CHECK(i32.err().code == rs::errc::wrong_type, kv.key);
        }
    }
}

void check_rope_tensors(const rs::gguf_file& f, std::string_view bytes) {
    for (const char* name :
         {rs::gguf_rope_freqs, rs::gguf_rope_factors_long, rs::gguf_rope_factors_short}) {
        auto v = rs::read_f32_tensor(f, bytes, name);
        const rs::gguf_tensor_info* t = f.find_tensor(name);
        if (!v) {
            // Only an absent tensor is refused without a byte offset.
            check_error(v.err(), bytes.size(), v.err().code != rs::errc::missing_field);
            FUZZ_CHECK(v.err().field.rfind(name, 0) == 0, "field " + v.err().field);
            continue;
        }
        FUZZ_CHECK(t != nullptr && t->type == 0, std::string(name) + ": read but not f32");
        FUZZ_CHECK(v->size() == t->elements, std::string(name) + ": element count");
        for (float x : *v) FUZZ_CHECK(std::isfinite(x), std::string(name) + ": not finite");
    }
}

void check_rope_config(const rs::gguf_file& f, std::string_view bytes,
                       const rs::gguf_read_options& options) {
    auto r = rs::read_gguf_rope(f, bytes, options);
    if (!r) {
        check_error(r.err(), bytes.size(), false);
        return;
    }
    FUZZ_CHECK(!r->layer_types.empty(), "no layer type");
    auto n_layer = f.get_u32(r->model_type + ".block_count");
    FUZZ_CHECK(n_layer && r->layers.size() == *n_layer, "layers against block_count");
    for (const auto& l : r->layers)
        FUZZ_CHECK(l && *l < r->layer_types.size(), "layer names no layer type");
    for (const rs::layer_rope& l : r->layer_types) {
        FUZZ_CHECK(bool(rs::validate(l.config)), l.layer_type + ": returned but invalid");
        auto t = rs::compute_frequencies(l.config);
        if (!t) check_error(t.err(), bytes.size(), false);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto whole = rs::parse_gguf(bytes);
    if (whole) {
        check_file(*whole, size);
        check_accessors(*whole);
        check_rope_tensors(*whole, bytes);
        check_rope_config(*whole, bytes, {});
        check_rope_config(*whole, bytes, {rs::gguf_semantics::llama_cpp, std::nullopt});
    } else {
        check_error(whole.err(), size);
    }

    // Growing prefixes, as load_gguf reads a file.
    std::uint64_t avail = size == 0 ? 0 : std::min<std::uint64_t>(size, 1 + data[0] % 64);
    for (;;) {
        auto o = rs::detail::gguf::parse(data, avail, size);
        if (o.need_more) {
            FUZZ_CHECK(avail < size, "need_more with the whole file");
            avail = std::min<std::uint64_t>(size, avail * 2);
            continue;
        }
        if (whole) {
            FUZZ_CHECK(o.file.has_value(), "a prefix read refused what the whole read accepted: " +
                                               (o.err ? o.err->what() : std::string()));
            FUZZ_CHECK(o.file->metadata.size() == whole->metadata.size() &&
                           o.file->tensors.size() == whole->tensors.size() &&
                           o.file->data_offset == whole->data_offset,
                       "prefix read differs");
        } else {
            FUZZ_CHECK(o.err.has_value(), "a prefix read accepted what the whole read refused");
            FUZZ_CHECK(o.err->code == whole.err().code && o.err->field == whole.err().field &&
                           o.err->message == whole.err().message,
                       "prefix read error differs: " + o.err->what() + " vs " + whole.err().what());
        }
        break;
    }
    return 0;
}
