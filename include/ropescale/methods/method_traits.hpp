// SPDX-License-Identifier: MIT
//
// What every method header provides, and the plain-C++ vocabulary in which a method describes
// the config.json keys it reads. A method header `methods/<name>.hpp` defines the method's
// parameter struct and specialises method_traits for it:
//
//   name        its rope_type as transformers spells it (method_name() returns it)
//   spellings   every rope_type string that selects it (name first, then aliases)
//   keys        the config.json keys it reads: name, target member, place, required or not
//   key_notes   (optional) why a key of a neighbouring method is ignored, for the warning
//   validate    its parameter checks (field named in the key vocabulary, value shown)
//   build       its frequency table
//   resolve     (optional) what the keys alone cannot say: fallbacks between keys, warnings
//
// The registry (methods.hpp) lists the methods; the reader (hf_config.hpp) interprets the keys
// generically. Nothing here needs a JSON library. Defaults are the struct's default member
// initialisers: an optional key that is absent leaves its member as default-constructed.
#ifndef ROPESCALE_METHODS_METHOD_TRAITS_HPP
#define ROPESCALE_METHODS_METHOD_TRAITS_HPP

#include "../detail/checks.hpp"
#include "../error.hpp"
#include "../formulas.hpp"
#include "../frequency_table.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

ROPESCALE_BEGIN_NAMESPACE

/// Where a key is looked up in config.json.
enum class key_place {
    section,         ///< the rope section (`rope_parameters`, else `rope_scaling`)
    section_or_top,  ///< the rope section, else the top level (Phi-3 keeps L there)
    top,             ///< the top level only (transformers reads it there)
};

/// Whether an absent (or JSON null) key is an error.
enum class key_need { optional, required };

/// Target of a key read as a number, or an integer, that has no member of its own: the reader
/// type-checks it and hands its value to the method's resolve hook (key_values).
struct hook_number {};
struct hook_integer {};

/// What a key fills: a member of the method's struct (its type says how the value is read:
/// number, integer (lengths; integral floats accepted), boolean, array of numbers), or a hook.
template <class M>
using key_target = std::variant<double M::*, std::optional<double> M::*, std::int64_t M::*,
                                std::optional<std::int64_t> M::*, bool M::*,
                                std::vector<double> M::*, hook_number, hook_integer>;

/// One config.json key of method M.
template <class M>
struct config_key {
    const char* name;  ///< the key, in the Hugging Face vocabulary
    key_target<M> target;
    key_place place = key_place::section;
    key_need need = key_need::optional;
    /// What the resolve hook makes of the key where the struct's default is not the answer
    /// (a fallback, a value only checked against another); for listings such as the CLI's.
    const char* note = nullptr;
};

/// Why a key is not read by a method, completing its "unrecognized key" warning.
struct key_note {
    const char* name;
    const char* why;
};

/// What the reader found for a method's keys, for its resolve hook.
class key_values {
  public:
    /// The rope_type as written ("su", "dynamic-yarn", ...).
    std::string_view rope_type;
    /// The top-level max_position_embeddings, read for every method.
    std::optional<std::int64_t> max_position_embeddings;

    /// Whether key `name` was given (not absent, not null) where its place allows.
    bool given(std::string_view name) const noexcept {
        const entry* e = find(name);
        return e != nullptr && e->given;
    }
    /// The value of a hook_number key (empty when absent).
    std::optional<double> number(std::string_view name) const noexcept {
        const entry* e = find(name);
        return e != nullptr ? e->number : std::nullopt;
    }
    /// The value of a hook_integer key (empty when absent).
    std::optional<std::int64_t> integer(std::string_view name) const noexcept {
        const entry* e = find(name);
        return e != nullptr ? e->integer : std::nullopt;
    }

    /// Records what the reader found for one key.
    void record(const char* name, bool given, std::optional<double> number = std::nullopt,
                std::optional<std::int64_t> integer = std::nullopt) {
        entries_.push_back({name, given, number, integer});
    }

  private:
    struct entry {
        std::string_view name;
        bool given;
        std::optional<double> number;
        std::optional<std::int64_t> integer;
    };
    const entry* find(std::string_view name) const noexcept {
        for (const entry& e : entries_)
            if (e.name == name) return &e;
        return nullptr;
    }
    std::vector<entry> entries_;
};

/// The error for a required key that is absent or null, worded by where it is looked up.
inline error missing_key(const char* name, key_place place, std::string_view rope_type) {
    const std::string type = "rope_type \"" + std::string(rope_type) + "\"";
    switch (place) {
        case key_place::section:
            return error{errc::missing_field, name,
                         "is required for " + type + " (absent or null)"};
        case key_place::section_or_top:
            return error{errc::missing_field, name,
                         "is required for " + type + " (in the rope section or at the top level)"};
        case key_place::top: break;
    }
    return error{errc::missing_field, name, "is required (top level) for " + type};
}

/// Specialised by each method header (see the top of this file).
template <class M>
struct method_traits;

/// Defaults for the optional parts of a method_traits specialisation, which derives from it.
template <class M>
struct method_traits_base {
    static constexpr std::array<key_note, 0> key_notes{};
    static std::optional<error> resolve(M&, const key_values&, std::vector<warning>&) {
        return std::nullopt;
    }
};

namespace detail {
// Whether some key of M has a target of type T.
template <class M, class T>
constexpr bool has_target() {
    for (const config_key<M>& key : method_traits<M>::keys)
        if (std::holds_alternative<T>(key.target)) return true;
    return false;
}

}  // namespace detail

/// Calls f(target) with the target of `key`. f is instantiated only for the target types some
/// key of M has: the other alternatives of key_target<M> name members M does not have, and
/// compilers flag the (unreachable) code that would access them.
template <class M, class F>
void visit_key_target(const config_key<M>& key, F&& f) {
    std::visit(
        [&](auto target) {
            if constexpr (detail::has_target<M, decltype(target)>()) f(target);
        },
        key.target);
}

namespace detail {
// The sequence length a dynamic method is evaluated at: table_options::seq_len, else its
// initial length (the references' table at init), with a warning saying so.
inline std::int64_t dynamic_seq_len(const table_options& opt, std::int64_t initial,
                                    frequency_table& out) {
    if (opt.seq_len) return *opt.seq_len;
    out.warnings.push_back({"seq_len",
                            "dynamic method evaluated without a sequence length: "
                            "initial table (seq_len = max_position_embeddings)"});
    return initial;
}
}  // namespace detail

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_METHOD_TRAITS_HPP
