// SPDX-License-Identifier: MIT
//
// Internal: an owning, 64-byte aligned, uninitialised float array for the cos/sin cache.
// std::vector would zero the whole table before the builder overwrites it (64 MiB for 131072
// positions x 128 dims: a second pass over memory). On request (huge_pages), large buffers
// (>= 4 MiB) are 2 MiB aligned and, on Linux, advised MADV_HUGEPAGE: fewer first-touch page
// faults and TLB entries, but with THP defrag "madvise" (the Linux default) the kernel may
// compact or reclaim memory synchronously in a fault on an advised range, and khugepaged
// collapses advised ranges in the background, so whether the advice wins depends on the host:
// the caller chooses (build_rope_cache's cache_pages; bench/RESULTS.md has the measurements).
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
    explicit aligned_buffer(std::size_t n, bool huge_pages = false) { allocate(n, huge_pages); }
    aligned_buffer(const aligned_buffer& other) {
        allocate(other.size_, other.alignment_ == huge);
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
    /// Whether the buffer was 2 MiB aligned and advised as huge pages (huge_pages and large).
    bool huge_pages() const noexcept { return alignment_ == huge; }

  private:
    static constexpr std::size_t huge = std::size_t{2} << 20;

    void allocate(std::size_t n, bool huge_pages) {
        if (n == 0) return;
        const std::size_t bytes = n * sizeof(T);
        alignment_ = huge_pages && bytes >= 2 * huge ? huge : 64;
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
