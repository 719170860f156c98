// The row-blocked packed ternary format that I2_S (baselines/i2s) and TQ5
// (baselines/tq5) share, defined once: each row of W is cut into blocks of
// F::kBlockCodes consecutive codes stored in F::kBlockBytes bytes, the last
// block padded with F::kZeroCode. In a file the rows follow each other
// without gaps; in memory they are laid out in segments (Layout below). What
// differs per format (the bit order inside a block, which bytes are valid,
// the SIMD bodies) comes from the trait F:
//
//   static constexpr const char* kName;       // "i2s", "tq5"
//   static constexpr size_t kBlockCodes, kBlockBytes;
//   static constexpr size_t kReadSlack;      // bytes the SIMD loads may read
//                                            // past the last row
//   static constexpr uint8_t kZeroCode;       // code of weight 0 (padding)
//   using Block;                              // uint8_t qs[kBlockBytes]
//   static void PackBlock(const int8_t* w, size_t n, Block& out);
//   static uint8_t CodeAt(uint8_t byte, size_t group);  // code of position
//                                            // byte_index + group *
//                                            kBlockBytes
//   static const char* ByteError(uint8_t byte);  // nullptr when valid
//
// plus the scalar slow twins (Pack, DotRowScalar), load-time validation
// (ValidatePacked) and the Kernel class (PackedKernel), whose GEMV/GEMM are
// the method's SIMD drivers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "hwy/base.h"
#include "kernels/core/aligned.h"
#include "kernels/core/bytes.h"
#include "rsr/error.h"
#include "rsr/kernel.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"

namespace rsr::rowpack {

template <class F>
size_t BlocksPerRow(size_t cols) {
  return (cols + F::kBlockCodes - 1) / F::kBlockCodes;
}

// The in-memory order of the packed rows. Each row's bytes are cut into
// segments of kSegmentBytes (the last one shorter), and the rows into groups
// of kGroupRows (the last one smaller); a group holds segment 0 of its rows
// one after another, then segment 1, and so on. A GEMV walks a group segment
// by segment (rowpack-inl.h, TiledRows), so it reads the weights as one
// sequential stream while the activations of one segment (8192 for i2s,
// 10240 for tq5) stay in L1: with whole rows of K = 32768 the activations
// took 32 of the 48 KiB of L1 and the weight stream slowed to 0.64-0.67 of
// the DRAM probe, against 0.91-1.00 at K = 8192 for the same matrix size
// (AMD EPYC family 26 model 2; docs/design-notes.md, "Weight streams from
// DRAM"). Rows of at most kSegmentBytes are stored exactly as before.
// kSegmentBytes is a multiple of every target's vector (at most 256 bytes)
// and of every format's block, so a segment holds whole vectors and blocks.
inline constexpr size_t kSegmentBytes = 2048;
inline constexpr size_t kGroupRows = 256;

struct Layout {
  size_t rows = 0;
  size_t row_bytes = 0;

  size_t Segments() const {
    return (row_bytes + kSegmentBytes - 1) / kSegmentBytes;
  }
  size_t SegmentBytes(size_t s) const {
    return std::min(kSegmentBytes, row_bytes - s * kSegmentBytes);
  }
  // Byte offset of segment s of row r.
  size_t Offset(size_t r, size_t s) const {
    const size_t g0 = r / kGroupRows * kGroupRows;
    const size_t n = std::min(kGroupRows, rows - g0);
    return g0 * row_bytes + s * kSegmentBytes * n + (r - g0) * SegmentBytes(s);
  }
};

// Prepared weights: rows x BlocksPerRow(cols) blocks in the Layout order,
// 64-byte aligned, plus F::kReadSlack bytes past the end.
template <class F>
struct Weights {
  size_t rows = 0;
  size_t cols = 0;
  size_t row_bytes = 0;  // BlocksPerRow(cols) * kBlockBytes
  AlignedBuffer<uint8_t> bytes;

  Layout layout() const { return {rows, row_bytes}; }
  // Block b of row r.
  const typename F::Block& block(size_t r, size_t b) const {
    return *reinterpret_cast<const typename F::Block*>(bytes.data() +
                                                       BlockOffset(r, b));
  }
  typename F::Block& block(size_t r, size_t b) {
    return *reinterpret_cast<typename F::Block*>(bytes.data() +
                                                 BlockOffset(r, b));
  }
  // Exact: packed blocks (with the last block's padding), slack, and the one
  // float tensor scale (held by the Kernel, counted here with the weights).
  size_t PreparedBytes() const { return bytes.bytes() + sizeof(float); }

 private:
  size_t BlockOffset(size_t r, size_t b) const {
    constexpr size_t kPerSegment = kSegmentBytes / F::kBlockBytes;
    return layout().Offset(r, b / kPerSegment) +
           (b % kPerSegment) * F::kBlockBytes;
  }
};

// Copies between the file order (rows one after another) and the Layout
// order; `to_layout` picks the direction.
inline void Relayout(const Layout& l, const uint8_t* from, uint8_t* to,
                     bool to_layout) {
  for (size_t r = 0; r < l.rows; ++r) {
    for (size_t s = 0; s < l.Segments(); ++s) {
      const size_t flat = r * l.row_bytes + s * kSegmentBytes;
      const size_t laid = l.Offset(r, s);
      std::memcpy(to + (to_layout ? laid : flat),
                  from + (to_layout ? flat : laid), l.SegmentBytes(s));
    }
  }
}

template <class F>
Weights<F> Pack(const TernaryMatrix& w) {
  static_assert(kSegmentBytes % F::kBlockBytes == 0);
  Weights<F> p;
  p.rows = w.rows();
  p.cols = w.cols();
  const size_t nb = BlocksPerRow<F>(p.cols);
  p.row_bytes = nb * F::kBlockBytes;
  p.bytes.Resize(p.rows * p.row_bytes + F::kReadSlack);
  for (size_t r = 0; r < p.rows; ++r) {
    const int8_t* wr = w.row(r);
    for (size_t b = 0; b < nb; ++b) {
      const size_t k0 = b * F::kBlockCodes;
      const size_t n =
          p.cols - k0 < F::kBlockCodes ? p.cols - k0 : F::kBlockCodes;
      F::PackBlock(wr + k0, n, p.block(r, b));
    }
  }
  return p;
}

// Slow twin of the SIMD kernels: exact D = sum_k w_k q_k for packed row r,
// computed as the fast paths do (raw = sum of codes * q, then raw - sum q).
template <class F>
int32_t DotRowScalar(const Weights<F>& w, size_t r, const int8_t* q) {
  int32_t raw = 0, sum = 0;
  for (size_t k = 0; k < w.cols; ++k) {
    const size_t j = k % F::kBlockCodes;
    const uint8_t byte = w.block(r, k / F::kBlockCodes).qs[j % F::kBlockBytes];
    raw += F::CodeAt(byte, j / F::kBlockBytes) * q[k];
    sum += q[k];
  }
  return raw - sum;
}

// Checks that `packed` (rows * BlocksPerRow(cols) * kBlockBytes bytes, no
// slack) is a valid image: every byte valid (F::ByteError) and every padding
// code of a row's last block F::kZeroCode. Throws rsr::Error("file").
template <class F>
void ValidatePacked(const uint8_t* packed, size_t rows, size_t cols) {
  const size_t nb = BlocksPerRow<F>(cols);
  const size_t row_bytes = nb * F::kBlockBytes;
  // Codes of the last block at positions >= `valid` are padding.
  const size_t valid = cols - (nb - 1) * F::kBlockCodes;
  const auto fail = [](const std::string& what, size_t r) {
    throw Error("file", std::string(F::kName) + ": " + what + " in row " +
                            std::to_string(r));
  };
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* row = packed + r * row_bytes;
    for (size_t b = 0; b < row_bytes; ++b) {
      if (const char* e = F::ByteError(row[b]))
        fail(std::string(e) + " (byte " + std::to_string(row[b]) + ")", r);
    }
    const uint8_t* last = row + (nb - 1) * F::kBlockBytes;
    for (size_t i = valid; i < F::kBlockCodes; ++i) {
      if (F::CodeAt(last[i % F::kBlockBytes], i / F::kBlockBytes) !=
          F::kZeroCode)
        fail("nonzero padding code", r);
    }
  }
}

// The Kernel of a row-packed format: Prepare packs, GEMV/GEMM call the
// method's SIMD drivers kGemv / kGemm (preconditions checked by Kernel's
// public entry points), the saved payload is the packed rows in file order
// (rows * row_bytes bytes; the read slack is re-allocated, zeroed, on load).
template <class F,
          void (*kGemv)(const Weights<F>&, float, const QuantizedActivations&,
                        float*, int),
          void (*kGemm)(const Weights<F>&, float, const QuantizedActivations&,
                        float*, int)>
class PackedKernel final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return F::kName; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.native_gemm = true;
    c.simd = true;
    return c;
  }
  size_t PreparedBytes() const override { return w_.PreparedBytes(); }
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    return rows * BlocksPerRow<F>(cols) * F::kBlockBytes + F::kReadSlack +
           (64u << 10);
  }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override { w_ = Pack<F>(w); }
  void GemvI8(const QuantizedActivations& xq, float* y) const override {
    kGemv(w_, weight_scale(), xq, y, threads());
  }
  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    kGemm(w_, weight_scale(), xq, y, threads());
  }

  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override {
    AlignedBuffer<uint8_t> flat(w_.rows * w_.row_bytes);
    Relayout(w_.layout(), w_.bytes.data(), flat.data(), /*to_layout=*/false);
    out.PutArray(flat);
  }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    const size_t row_bytes = BlocksPerRow<F>(cols) * F::kBlockBytes;
    AlignedBuffer<uint8_t> packed;
    in.GetArray(packed, rows * row_bytes,
                (std::string(F::kName) + " packed weights").c_str());
    ValidatePacked<F>(packed.data(), rows, cols);
    Weights<F> w;
    w.rows = rows;
    w.cols = cols;
    w.row_bytes = row_bytes;
    w.bytes.Resize(rows * row_bytes + F::kReadSlack);
    Relayout(w.layout(), packed.data(), w.bytes.data(), /*to_layout=*/true);
    w_ = std::move(w);
  }

 private:
  Weights<F> w_;
};

}  // namespace rsr::rowpack
