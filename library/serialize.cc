#include "rsr/serialize.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "kernels/core/bytes.h"
#include "rsr/error.h"
#include "rsr/registry.h"

namespace rsr {
namespace {

constexpr char kMagic[8] = {'R', 'S', 'R', 'P', 'R', 'E', 'P', '\0'};
constexpr uint32_t kByteOrderMark = 0x01020304u;

// Bit-exact layout of the file header; all fields little-endian.
struct FileHeader {
  char magic[8];              // "RSRPREP\0"
  uint32_t version;           // kFileFormatVersion
  uint32_t byte_order;        // 0x01020304 as written by the saver
  char kernel[32];            // registry name, NUL-terminated
  uint64_t rows;              // M
  uint64_t cols;              // K
  int32_t block_k;            // KernelOptions::k as prepared (0 = default)
  uint8_t activations;        // ActivationType
  uint8_t reserved0[3];       // zero
  float weight_scale;         // s_w, finite and > 0
  uint32_t payload_layout;    // Kernel::PayloadLayout(), 0 for layout 1
  uint64_t payload_bytes;     // exact size of what follows
  uint64_t payload_checksum;  // FNV-1a 64 of the payload
  uint64_t header_checksum;   // FNV-1a 64 of the bytes above this field
};
static_assert(sizeof(FileHeader) == 104, "header layout is part of the format");
static_assert(
    std::endian::native == std::endian::little,
    "the file format is little-endian; big-endian hosts need byte swaps");

// The header's payload_layout field: 0 for layout 1, so that files written
// before the field existed (zero there) keep loading.
uint32_t LayoutField(uint32_t layout) { return layout == 1 ? 0 : layout; }

}  // namespace

uint64_t Checksum(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::vector<uint8_t> SaveKernelToBytes(const Kernel& kernel) {
  ByteWriter payload;
  kernel.SavePayload(payload);
  FileHeader h{};
  std::memcpy(h.magic, kMagic, sizeof(kMagic));
  h.version = kFileFormatVersion;
  h.byte_order = kByteOrderMark;
  const std::string name = kernel.Name();
  if (name.size() >= sizeof(h.kernel)) throw Error("kernel", "name too long");
  std::memcpy(h.kernel, name.data(), name.size());
  h.rows = kernel.rows();
  h.cols = kernel.cols();
  h.block_k = kernel.options().k;
  h.activations = static_cast<uint8_t>(kernel.activations());
  h.weight_scale = kernel.weight_scale();
  h.payload_layout = LayoutField(kernel.PayloadLayout());
  h.payload_bytes = payload.bytes().size();
  h.payload_checksum = Checksum(payload.bytes());
  h.header_checksum = Checksum({reinterpret_cast<const uint8_t*>(&h),
                                offsetof(FileHeader, header_checksum)});
  // resize + memcpy rather than insert: g++ 12 reports a false
  // -Warray-bounds on vector::insert here.
  std::vector<uint8_t> out(sizeof(h) + payload.bytes().size());
  std::memcpy(out.data(), &h, sizeof(h));
  if (!payload.bytes().empty())
    std::memcpy(out.data() + sizeof(h), payload.bytes().data(),
                payload.bytes().size());
  return out;
}

void SaveKernel(const Kernel& kernel, const std::string& path) {
  const std::vector<uint8_t> bytes = SaveKernelToBytes(kernel);
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error("file", "cannot open '" + path + "' for writing");
  f.write(reinterpret_cast<const char*>(bytes.data()),
          static_cast<std::streamsize>(bytes.size()));
  if (!f) throw Error("file", "write to '" + path + "' failed");
}

std::unique_ptr<Kernel> LoadKernelFromBytes(std::span<const uint8_t> bytes,
                                            const KernelOptions& runtime) {
  FileHeader h;
  if (bytes.size() < sizeof(h))
    throw Error("file", "too short for a header (" +
                            std::to_string(bytes.size()) + " bytes)");
  std::memcpy(&h, bytes.data(), sizeof(h));
  if (std::memcmp(h.magic, kMagic, sizeof(kMagic)) != 0)
    throw Error("file", "not an rsr prepared-kernel file (bad magic)");
  if (h.byte_order != kByteOrderMark)
    throw Error("file",
                "byte order mark mismatch (file from a big-endian host?)");
  if (h.version != kFileFormatVersion)
    throw Error("file", "format version " + std::to_string(h.version) +
                            " not supported (this build reads " +
                            std::to_string(kFileFormatVersion) + ")");
  if (Checksum({bytes.data(), offsetof(FileHeader, header_checksum)}) !=
      h.header_checksum)
    throw Error("file", "header checksum mismatch (corrupted header)");
  if (h.kernel[sizeof(h.kernel) - 1] != '\0')
    throw Error("file", "kernel name not terminated");
  // The saver zero-fills the name field: one byte sequence per prepared
  // kernel, as for the reserved fields.
  for (size_t i = std::strlen(h.kernel); i < sizeof(h.kernel); ++i)
    if (h.kernel[i] != '\0')
      throw Error("file", "bytes after the kernel name are not zero");
  if (h.reserved0[0] || h.reserved0[1] || h.reserved0[2])
    throw Error("file", "reserved header fields are not zero");
  const std::string name(h.kernel);
  if (h.rows == 0 || h.rows > kMaxRows || h.cols == 0 || h.cols > kMaxCols ||
      h.rows * h.cols > kMaxWeights)
    throw Error("file", "shape " + std::to_string(h.rows) + "x" +
                            std::to_string(h.cols) + " outside the limits");
  if (h.block_k < 0 || h.block_k > 16)
    throw Error("file", "k = " + std::to_string(h.block_k) + " outside 0..16");
  if (h.activations > static_cast<uint8_t>(ActivationType::kFloat32))
    throw Error("file",
                "unknown activation type " + std::to_string(h.activations));
  if (!std::isfinite(h.weight_scale) || !(h.weight_scale > 0.0f))
    throw Error("file", "weight scale is not finite and positive");
  if (h.payload_bytes != bytes.size() - sizeof(h))
    throw Error("file", "payload size " + std::to_string(h.payload_bytes) +
                            " does not match the file (" +
                            std::to_string(bytes.size() - sizeof(h)) +
                            " bytes after the header)");
  const std::span<const uint8_t> payload = bytes.subspan(sizeof(h));
  if (Checksum(payload) != h.payload_checksum)
    throw Error("file", "payload checksum mismatch (corrupted file)");

  KernelOptions opt = runtime;
  opt.k = h.block_k;
  opt.activations = static_cast<ActivationType>(h.activations);
  std::unique_ptr<Kernel> kernel;
  try {
    kernel = CreateKernel(name, opt);
  } catch (const Error& e) {
    throw Error("file", std::string("kernel in file: ") + e.what());
  }
  // After the name (which kernel's layouts), before the payload is parsed.
  if (h.payload_layout != LayoutField(kernel->PayloadLayout())) {
    const uint32_t file_layout = h.payload_layout == 0 ? 1 : h.payload_layout;
    if (file_layout == kernel->PayloadLayout())
      throw Error("file", "payload layout field 1 is invalid (layout 1 is "
                          "stored as 0)");
    throw Error("file", name + " payload layout " +
                            std::to_string(file_layout) +
                            " is not the layout this build reads (" +
                            std::to_string(kernel->PayloadLayout()) +
                            "): the " + name +
                            " packed format changed; prepare the weights "
                            "again and save a new file");
  }
  const KernelCaps caps = kernel->Caps();
  if (h.rows > caps.max_rows || h.cols > caps.max_cols)
    throw Error("file", "shape exceeds " + name + "'s limits");
  ByteReader in(payload);
  kernel->LoadPayload(in, h.rows, h.cols, h.weight_scale);
  in.ExpectEnd();
  return kernel;
}

std::unique_ptr<Kernel> LoadKernel(const std::string& path,
                                   const KernelOptions& runtime) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("file", "cannot open '" + path + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                             std::istreambuf_iterator<char>());
  return LoadKernelFromBytes(bytes, runtime);
}

}  // namespace rsr
