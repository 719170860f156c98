// Saving and loading prepared kernels, so that the offline step (packing,
// index building) happens once. The file is an attack surface, so loading
// validates everything and throws rsr::Error("file") on any inconsistency:
// never a crash, a hang or an out-of-bounds read.
//
// File layout (little-endian; version 1):
//   FileHeader (104 bytes, library/serialize.cc) | payload (kernel-specific, length-prefixed
//   arrays) . The header's payload_layout field (offset 76, formerly
//   reserved and zero) holds Kernel::PayloadLayout() when it is above 1 and
//   0 for layout 1, so files saved before the field existed (all layout 1)
//   still load; a file whose layout differs from the kernel's (e.g. a tl2
//   file of layout 1, from before tl2's 5-bit codes) is refused with
//   rsr::Error("file") asking to prepare the weights again. The header carries FNV-1a-64 checksums of itself and of the
//   payload; beyond the checksums, every kernel re-validates its structure
//   (value ranges, permutation bijection, segment bounds, sizes vs shape), so
//   a hostile file with correct checksums is also rejected.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rsr/kernel.h"

namespace rsr {

inline constexpr uint32_t kFileFormatVersion = 1;

// Throws rsr::Error("kernel") when not prepared or the kernel has no
// serialization, rsr::Error("file") on I/O failure.
std::vector<uint8_t> SaveKernelToBytes(const Kernel& kernel);
void SaveKernel(const Kernel& kernel, const std::string& path);

// `runtime` supplies run-time options (threads); the kernel name, k and
// activation type come from the file.
std::unique_ptr<Kernel> LoadKernelFromBytes(std::span<const uint8_t> bytes,
                                            const KernelOptions& runtime = {});
std::unique_ptr<Kernel> LoadKernel(const std::string& path,
                                   const KernelOptions& runtime = {});

// FNV-1a 64-bit.
uint64_t Checksum(std::span<const uint8_t> bytes);

}  // namespace rsr
