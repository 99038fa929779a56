// SPDX-License-Identifier: MIT
//
// Internal: opening a model file for reading, with the one set of I/O errors every file reader
// of the library gives (gguf.hpp, hf_config.hpp).
#ifndef ROPESCALE_DETAIL_FILE_INPUT_HPP
#define ROPESCALE_DETAIL_FILE_INPUT_HPP

#include "../config.hpp"
#include "../error.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

// Opens `path` into `in` for binary reading. errc::io_error naming the path: a directory ("is
// a directory, not <what>": on POSIX a directory opens as a stream that reads as empty), or a
// file that cannot be opened (with the system's reason when errno gives one).
inline status open_input(std::ifstream& in, const std::filesystem::path& path,
                         std::string_view what) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return error{errc::io_error, path.string(), "is a directory, not " + std::string(what)};
    errno = 0;
    in.open(path, std::ios::binary);
    if (!in.is_open())
        return error{errc::io_error, path.string(),
                     std::string("cannot be opened") +
                         (errno != 0 ? std::string(" (") + std::strerror(errno) + ")" : "")};
    return {};
}

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_FILE_INPUT_HPP
