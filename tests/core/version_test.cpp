// The inline namespace carries the API/ABI version: major and minor below 1.0.
#include <ropescale/config.hpp>
#include <ropescale/error.hpp>

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <typeinfo>

namespace {

TEST(version, inline_namespace_names_major_and_minor_below_1) {
    const std::string mangled = typeid(ropescale::error).name();
    const std::string expected = ROPESCALE_VERSION_MAJOR == 0
                                     ? "v" + std::to_string(ROPESCALE_VERSION_MAJOR) + "_" +
                                           std::to_string(ROPESCALE_VERSION_MINOR)
                                     : "v" + std::to_string(ROPESCALE_VERSION_MAJOR);
    EXPECT_NE(mangled.find(std::to_string(expected.size()) + expected), std::string::npos)
        << mangled;
    EXPECT_EQ(std::string(typeid(ropescale::errc).name()).find("2v0"), std::string::npos)
        << "a bare v0 namespace would accept any 0.x";
}

}  // namespace
