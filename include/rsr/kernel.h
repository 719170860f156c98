// The one interface every method implements (DESIGN.md, "The one interface").
//
//   auto kernel = rsr::CreateKernel("i2s", {.threads = 2});
//   kernel->Prepare(w);              // offline: pack weights / build index
//   kernel->Gemv(x, y);              // online: y = W x, float in, float out
//   kernel->Gemm(x, n_tokens, y);    // x is N x K, y is N x M (token-major)
//
// Int8 kernels quantize x per token inside Gemv/Gemm (quant.h) and produce
// results bit-identical to ReferenceGemmI8 on every target and thread count.
// Float kernels sum in float and match ReferenceGemmF32 within FloatTolerance.
//
// Threads: once prepared, a kernel is immutable under Gemv, Gemm and
// GemmQuantized, which keep their scratch per call: any number of threads may
// call them on one prepared kernel at once (each with its own x and y), with
// results identical to single-threaded calls (tests/concurrency_test.cc).
// Prepare, LoadPayload and SetThreads modify the kernel and must not overlap
// any other call on it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rsr/limits.h"
#include "rsr/matrix.h"
#include "rsr/quant.h"

namespace rsr {

class ByteReader;
class ByteWriter;

enum class ActivationType : uint8_t { kInt8, kFloat32 };
const char* ActivationTypeName(ActivationType a);

struct KernelCaps {
  bool ternary = true;             // accepts weights in {-1, 0, +1}
  bool binary = true;              // accepts weights in {0, 1}
  bool int8_activations = false;   // exact int8 path
  bool float_activations = false;  // float path
  bool native_gemm = false;        // Gemm is more than a loop over tokens
  bool simd = false;               // Highway dynamic dispatch inside
  bool block_k = false;            // honours KernelOptions::k (RSR family)
  size_t max_rows = kMaxRows;
  size_t max_cols = kMaxCols;
};

struct KernelOptions {
  int threads = 1;  // OpenMP threads; 0 = all hardware threads
  int k = 0;        // RSR block height (1..16); 0 = the kernel's per-shape rule
  // nullopt = the kernel's preferred type (int8 where supported).
  std::optional<ActivationType> activations;
};

class Kernel {
 public:
  explicit Kernel(const KernelOptions& options) : options_(options) {}
  virtual ~Kernel() = default;
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  // Registry name, e.g. "rsrpp-simd".
  virtual std::string Name() const = 0;
  virtual KernelCaps Caps() const = 0;

  // Validates w against Caps() (value set, shape limits) and prepares. May be
  // called again with another matrix. An allocation failure becomes
  // rsr::Error("w") naming the kernel, the shape and PrepareBytesBound (never
  // std::bad_alloc); the kernel is then unprepared.
  void Prepare(const TernaryMatrix& w);

  // x.size() == cols(), y.size() == rows(). Throws rsr::Error on a size
  // mismatch, NaN/Inf in x (policy: reject), or when not prepared.
  void Gemv(std::span<const float> x, std::span<float> y) const;
  // x.size() == tokens*cols(), y.size() == tokens*rows(), 1 <= tokens <=
  // kMaxTokens. One token takes the same path as Gemv.
  void Gemm(std::span<const float> x, size_t tokens, std::span<float> y) const;
  // The int8 path on activations the caller quantized: one quantization
  // shared by several matrices with the same input, or hand-made values
  // (e.g. all -128, which QuantizeActivations never produces). Requires
  // Caps().int8_activations. xq is validated: xq.cols == cols(), 1 <=
  // xq.tokens <= kMaxTokens, array sizes, finite positive scales and
  // sum[t] == the sum of token t's q. y.size() == xq.tokens * rows().
  void GemmQuantized(const QuantizedActivations& xq, std::span<float> y) const;

  // Exact bytes of the prepared form (weights, index, scales; not scratch).
  virtual size_t PreparedBytes() const = 0;
  // Block height k a call with `tokens` tokens uses (RSR family, prepared);
  // 0 for kernels without row blocks. Reported by rsr-bench run.
  virtual int BlockK(size_t /*tokens*/) const { return 0; }
  double BitsPerWeight() const;

  // Memory for sizing a deployment, before preparing anything (rsr-bench
  // checks them against the available memory; tests check them against the
  // heap measured around Prepare and calls).
  // Upper bound on the heap bytes Prepare holds at its peak for an M x K
  // matrix (the prepared form plus temporaries; the input matrix not
  // counted), for ternary and binary matrices alike, at threads() threads.
  virtual size_t PrepareBytesBound(size_t rows, size_t cols) const = 0;
  // Upper bound on the heap bytes one Gemv/Gemm call with N = `tokens` on an
  // M x K matrix allocates (quantized activations and kernel scratch, all
  // freed before it returns), for every kernel:
  // 8 N K + 4 N M + threads() (256 K + 2 MiB).
  size_t ScratchBytesBound(size_t rows, size_t cols, size_t tokens) const;

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  bool prepared() const { return rows_ != 0; }
  float weight_scale() const { return weight_scale_; }
  const KernelOptions& options() const { return options_; }
  ActivationType activations() const;
  int threads() const;  // resolved thread count (>= 1)
  // Threads are a run-time option: change them without preparing again.
  // Throws rsr::Error("threads") when negative.
  void SetThreads(int threads);

  // Save/load protocol, used by rsr/serialize.h (which owns the file header
  // and checksums). SavePayload throws rsr::Error("kernel") when not
  // prepared or not Serializable(). LoadPayload reads and validates the
  // payload for an M x K matrix with tensor scale s_w; on success the kernel
  // is prepared, on rsr::Error("file") it is left unprepared.
  virtual bool Serializable() const { return false; }
  // The version of this kernel's payload layout, stored in the file header
  // (rsr/serialize.h): raised when a kernel's packed format changes, so that
  // older files are refused with a clear message instead of being misread.
  // Kernels start at 1; tl2 is at 2 (5-bit codes, baselines/tl2/tl2.h).
  virtual uint32_t PayloadLayout() const { return 1; }
  void SavePayload(ByteWriter& out) const;
  void LoadPayload(ByteReader& in, size_t rows, size_t cols,
                   float weight_scale);

 protected:
  virtual void PrepareImpl(const TernaryMatrix& w) = 0;
  // The multiply, called with validated arguments only (the public entry
  // points above check shapes, token counts and activations once). y is
  // N x M. GEMV (one token) and GEMM (N >= 2) are separate paths; a kernel
  // without a dedicated GEMV leaves GemvI8/GemvF32 alone and its GemmI8 /
  // GemmF32 then also sees N = 1.
  // Int8: xq holds N tokens. Defaults: GemvI8 calls GemmI8, which throws.
  virtual void GemvI8(const QuantizedActivations& xq, float* y) const;
  virtual void GemmI8(const QuantizedActivations& xq, float* y) const;
  // Float: x is N x K, finite. Defaults: GemvF32 calls GemmF32, which throws.
  virtual void GemvF32(const float* x, float* y) const;
  virtual void GemmF32(const float* x, size_t tokens, float* y) const;

  // The kernel's half of save/load (SavePayload / LoadPayload above).
  // SaveImpl writes the payload; LoadImpl reads it for the given shape and
  // must validate every field (throw rsr::Error("file")) before the kernel is
  // used. Defaults: not supported (throws rsr::Error("kernel")).
  virtual void SaveImpl(ByteWriter& out) const;
  virtual void LoadImpl(ByteReader& in, size_t rows, size_t cols);

 private:
  void CheckPrepared() const;
  // Dispatches validated arguments to the GEMV or GEMM path.
  void RunI8(const QuantizedActivations& xq, float* y) const;
  KernelOptions options_;
  size_t rows_ = 0;
  size_t cols_ = 0;
  float weight_scale_ = 1.0f;
};

}  // namespace rsr
