// The row-blocked packed ternary format that I2_S (baselines/i2s) and TQ5
// (baselines/tq5) share, defined once: each row of W is cut into blocks of
// F::kBlockCodes consecutive codes stored in F::kBlockBytes bytes, the last
// block padded with F::kZeroCode; rows follow each other without gaps. What
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

// Prepared weights: rows x BlocksPerRow(cols) blocks, 64-byte aligned, plus
// F::kReadSlack bytes past the last row.
template <class F>
struct Weights {
  size_t rows = 0;
  size_t cols = 0;
  size_t row_bytes = 0;  // BlocksPerRow(cols) * kBlockBytes
  AlignedBuffer<uint8_t> bytes;

  const typename F::Block* row(size_t r) const {
    return reinterpret_cast<const typename F::Block*>(bytes.data() +
                                                      r * row_bytes);
  }
  // Exact: packed blocks (with the last block's padding), slack, and the one
  // float tensor scale (held by the Kernel, counted here with the weights).
  size_t PreparedBytes() const { return bytes.bytes() + sizeof(float); }
};

template <class F>
Weights<F> Pack(const TernaryMatrix& w) {
  Weights<F> p;
  p.rows = w.rows();
  p.cols = w.cols();
  const size_t nb = BlocksPerRow<F>(p.cols);
  p.row_bytes = nb * F::kBlockBytes;
  p.bytes.Resize(p.rows * p.row_bytes + F::kReadSlack);
  for (size_t r = 0; r < p.rows; ++r) {
    auto* out =
        reinterpret_cast<typename F::Block*>(p.bytes.data() + r * p.row_bytes);
    const int8_t* wr = w.row(r);
    for (size_t b = 0; b < nb; ++b) {
      const size_t k0 = b * F::kBlockCodes;
      const size_t n =
          p.cols - k0 < F::kBlockCodes ? p.cols - k0 : F::kBlockCodes;
      F::PackBlock(wr + k0, n, out[b]);
    }
  }
  return p;
}

// Slow twin of the SIMD kernels: exact D = sum_k w_k q_k for one packed row,
// computed as the fast paths do (raw = sum of codes * q, then raw - sum q).
template <class F>
int32_t DotRowScalar(const typename F::Block* row, size_t cols,
                     const int8_t* q) {
  int32_t raw = 0, sum = 0;
  for (size_t k = 0; k < cols; ++k) {
    const size_t j = k % F::kBlockCodes;
    const uint8_t byte = row[k / F::kBlockCodes].qs[j % F::kBlockBytes];
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
// public entry points), the saved payload is the packed rows (rows *
// row_bytes bytes; the read slack is re-allocated, zeroed, on load).
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
    out.PutArray(w_.bytes.data(), w_.rows * w_.row_bytes);
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
    if (F::kReadSlack == 0) {
      w.bytes = std::move(packed);
    } else {
      w.bytes.Resize(rows * row_bytes + F::kReadSlack);
      std::memcpy(w.bytes.data(), packed.data(), rows * row_bytes);
    }
    w_ = std::move(w);
  }

 private:
  Weights<F> w_;
};

}  // namespace rsr::rowpack
