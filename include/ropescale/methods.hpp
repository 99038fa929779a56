// SPDX-License-Identifier: MIT
//
// The registry of scaling methods: the one list of them (all_methods), and everything that
// enumerates methods derived from it: the scaling_method variant, method_name(), the accepted
// rope_type spellings, dispatch on a rope_type (the config.json reader), and for_each_method
// for code that must visit every method (the CLI, tests, fuzzers). A method without spellings
// (llama_cpp: llama.cpp's semantics, built from GGUF or C++) is in every enumeration but no
// rope_type selects it (reads_config_json).
//
// Adding a method: write methods/<name>.hpp (its struct and method_traits specialisation, see
// methods/method_traits.hpp) and add it to all_methods, at the end (scaling_method's
// alternative indices are part of the API).
#ifndef ROPESCALE_METHODS_HPP
#define ROPESCALE_METHODS_HPP

#include "config.hpp"
#include "methods/dynamic_ntk.hpp"
#include "methods/dynamic_yarn.hpp"
#include "methods/linear.hpp"
#include "methods/llama3.hpp"
#include "methods/llama_cpp.hpp"
#include "methods/longrope.hpp"
#include "methods/method_traits.hpp"
#include "methods/ntk_aware.hpp"
#include "methods/ntk_by_parts.hpp"
#include "methods/plain.hpp"
#include "methods/proportional.hpp"
#include "methods/yarn.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

ROPESCALE_BEGIN_NAMESPACE

/// A list of method types.
template <class... M>
struct method_list {};

/// Every supported method, in scaling_method's alternative order.
using all_methods = method_list<plain, linear, ntk_aware, dynamic_ntk, ntk_by_parts, yarn,
                                dynamic_yarn, llama3, longrope, proportional, llama_cpp>;

/// What for_each_method and visit_rope_type hand their callback: the method type as
/// `typename decltype(tag)::type`.
template <class M>
struct method_tag {
    using type = M;
};

namespace detail {
template <class... M>
std::variant<M...> variant_of(method_list<M...>);

template <class... M, class F>
void for_each_in(method_list<M...>, F& f) {
    (f(method_tag<M>{}), ...);
}

template <class... M>
constexpr std::array<const char*, sizeof...(M)> names_of(method_list<M...>) {
    return {{method_traits<M>::name...}};
}

template <class M>
constexpr bool spells(std::string_view rope_type) {
    for (const char* s : method_traits<M>::spellings)
        if (rope_type == s) return true;
    return false;
}

// How many methods `rope_type` spells; each spelling must select exactly one.
template <class... M>
constexpr int spelling_count(method_list<M...>, std::string_view rope_type) {
    return (static_cast<int>(spells<M>(rope_type)) + ...);
}

template <class M, class List>
constexpr bool spelled_once(List list) {
    for (const char* s : method_traits<M>::spellings)
        if (spelling_count(list, s) != 1) return false;
    return true;
}

template <class... M>
constexpr bool spellings_unique(method_list<M...> list) {
    return (spelled_once<M>(list) && ...);
}
}  // namespace detail

static_assert(detail::spellings_unique(all_methods{}), "two methods share a rope_type spelling");

/// One of the supported methods.
using scaling_method = decltype(detail::variant_of(all_methods{}));

/// The number of supported methods.
inline constexpr std::size_t method_count = std::variant_size_v<scaling_method>;

/// Whether a config.json rope_type can select method M (it has spellings); false for the
/// methods built only in C++ or from GGUF metadata (llama_cpp).
template <class M>
constexpr bool reads_config_json() noexcept {
    return method_traits<M>::spellings.size() != 0;
}

/// Calls f(method_tag<M>{}) for every method M, in registry order.
template <class F>
void for_each_method(F&& f) {
    detail::for_each_in(all_methods{}, f);
}

/// Calls f(method_tag<M>{}) for the method M that `rope_type` spells (its name or an alias,
/// method_traits<M>::spellings); returns false, without calling f, when no method does.
template <class F>
bool visit_rope_type(std::string_view rope_type, F&& f) {
    bool found = false;
    for_each_method([&](auto tag) {
        if (!found && detail::spells<typename decltype(tag)::type>(rope_type)) {
            found = true;
            f(tag);
        }
    });
    return found;
}

/// The rope_type string of a method as transformers spells it ("default", "linear",
/// "dynamic", "yarn", "llama3", "longrope", "proportional"); library names for the methods
/// transformers lacks ("ntk_aware", "ntk_by_parts", "dynamic_yarn", "llama.cpp").
/// method_traits<M>::name.
inline const char* method_name(const scaling_method& m) noexcept {
    constexpr auto names = detail::names_of(all_methods{});
    return m.index() < names.size() ? names[m.index()] : "unknown";
}

/// Alternative `index` of scaling_method, default-constructed: for code that picks a method
/// by number at run time (fuzzers). plain{} when index >= method_count.
inline scaling_method default_method(std::size_t index) {
    scaling_method out;
    std::size_t i = 0;
    for_each_method([&](auto tag) {
        if (i++ == index) out = typename decltype(tag)::type{};
    });
    return out;
}

/// Every rope_type spelling that selects a method, in registry order, separated by ", "
/// ("default, linear, ntk_aware, dynamic, ...").
inline std::string rope_type_spellings() {
    std::string out;
    for_each_method([&](auto tag) {
        for (const char* s : method_traits<typename decltype(tag)::type>::spellings) {
            if (!out.empty()) out += ", ";
            out += s;
        }
    });
    return out;
}

ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_METHODS_HPP
