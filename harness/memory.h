// Memory for rsr-bench and the tests: what the machine has available, and heap
// accounting: how many bytes a phase
// (Prepare, one Gemm call) holds at its peak beyond what was live when it
// began. It replaces glibc's malloc family in the executables that link the
// harness (glibc supports replacing malloc, free, calloc, realloc and the
// aligned variants; ours forward to the __libc_* functions and keep a live
// byte count of malloc_usable_size). It sees new/delete, std::vector,
// hwy::AllocateAligned and the OpenMP runtime's heap alike, on every thread.
// Sanitizer builds keep their own allocator: Available() is false there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace rsr::harness {

class AllocationPeak {
 public:
  static bool Available();
  // Starts a phase: the peak restarts at the bytes live now.
  AllocationPeak();
  // Peak live bytes since construction minus those live at construction (0
  // when !Available()). Phases do not nest: the last one started owns the
  // peak.
  size_t Bytes() const;

 private:
  int64_t base_;
};

// MemAvailable from /proc/meminfo (what can be allocated without swapping),
// or nullopt where it cannot be read.
std::optional<size_t> AvailableMemoryBytes();

}  // namespace rsr::harness
