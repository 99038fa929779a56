// SPDX-License-Identifier: MIT
//
// Internal: an owning, 64-byte aligned, uninitialised float array for the cos/sin cache.
// std::vector would zero the whole table before the builder overwrites it (64 MiB for 131072
// positions x 128 dims: a second pass over memory). Large buffers (>= 4 MiB) are 2 MiB aligned
// and, on Linux, advised as transparent huge pages: first-touch page faults of a fresh table
// otherwise cost more than computing it (measured ~50 ms of faults for 64 MiB on the dev VM).
#ifndef ROPESCALE_DETAIL_ALIGNED_BUFFER_HPP
#define ROPESCALE_DETAIL_ALIGNED_BUFFER_HPP

#include "../config.hpp"

#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

ROPESCALE_BEGIN_NAMESPACE
namespace detail {

template <class T>
class aligned_buffer {
  public:
    aligned_buffer() = default;
    explicit aligned_buffer(std::size_t n) { allocate(n); }
    aligned_buffer(const aligned_buffer& other) {
        allocate(other.size_);
        if (size_ != 0) std::memcpy(data_, other.data_, size_ * sizeof(T));
    }
    aligned_buffer(aligned_buffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          alignment_(other.alignment_) {}
    aligned_buffer& operator=(aligned_buffer other) noexcept {
        swap(other);
        return *this;
    }
    ~aligned_buffer() { release(); }

    void swap(aligned_buffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(alignment_, other.alignment_);
    }

    T* data() noexcept { return data_; }
    const T* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

  private:
    static constexpr std::size_t huge = std::size_t{2} << 20;

    void allocate(std::size_t n) {
        if (n == 0) return;
        const std::size_t bytes = n * sizeof(T);
        alignment_ = bytes >= 2 * huge ? huge : 64;
        data_ = static_cast<T*>(::operator new(bytes, std::align_val_t(alignment_)));
        size_ = n;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (alignment_ == huge) (void)::madvise(data_, bytes / huge * huge, MADV_HUGEPAGE);
#endif
    }
    void release() noexcept {
        if (data_ != nullptr) ::operator delete(data_, std::align_val_t(alignment_));
        data_ = nullptr;
        size_ = 0;
    }

    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t alignment_ = 64;
};

}  // namespace detail
ROPESCALE_END_NAMESPACE

#endif  // ROPESCALE_DETAIL_ALIGNED_BUFFER_HPP
