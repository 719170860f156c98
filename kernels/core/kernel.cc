#include "rsr/kernel.h"

#include <omp.h>

#include <cmath>
#include <new>
#include <string>

#include "kernels/core/quantize.h"
#include "rsr/error.h"

namespace rsr {

const char* ActivationTypeName(ActivationType a) {
  return a == ActivationType::kInt8 ? "int8" : "f32";
}

ActivationType Kernel::activations() const {
  if (options_.activations) return *options_.activations;
  return Caps().int8_activations ? ActivationType::kInt8
                                 : ActivationType::kFloat32;
}

int Kernel::threads() const {
  if (options_.threads > 0) return options_.threads;
  return omp_get_max_threads();
}

void Kernel::SetThreads(int threads) {
  if (threads < 0) throw Error("threads", "must be >= 0");
  options_.threads = threads;
}

double Kernel::BitsPerWeight() const {
  if (!prepared()) return 0.0;
  return 8.0 * static_cast<double>(PreparedBytes()) /
         (static_cast<double>(rows_) * static_cast<double>(cols_));
}

void Kernel::Prepare(const TernaryMatrix& w) {
  const KernelCaps caps = Caps();
  if (w.empty()) throw Error("w", "empty matrix");
  if (!w.IsBinary() && !caps.ternary)
    throw Error("w", Name() + " accepts binary {0,1} weights only");
  if (w.IsBinary() && !caps.binary && !caps.ternary)
    throw Error("w", Name() + " does not accept binary weights");
  if (w.rows() > caps.max_rows)
    throw Error("w", "M = " + std::to_string(w.rows()) + " exceeds " + Name() +
                         "'s limit " + std::to_string(caps.max_rows));
  if (w.cols() > caps.max_cols)
    throw Error("w", "K = " + std::to_string(w.cols()) + " exceeds " + Name() +
                         "'s limit " + std::to_string(caps.max_cols));
  rows_ = 0;  // not prepared while PrepareImpl runs (it may throw)
  try {
    PrepareImpl(w);
  } catch (const std::bad_alloc&) {
    throw Error("w", Name() + ": out of memory preparing " +
                         std::to_string(w.rows()) + "x" +
                         std::to_string(w.cols()) + " (needs up to " +
                         std::to_string(PrepareBytesBound(w.rows(), w.cols())) +
                         " bytes besides the matrix)");
  }
  rows_ = w.rows();
  cols_ = w.cols();
  weight_scale_ = w.scale();
}

size_t Kernel::ScratchBytesBound(size_t rows, size_t cols,
                                 size_t tokens) const {
  const size_t t = static_cast<size_t>(threads());
  return 8 * tokens * cols + 4 * tokens * rows + t * (256 * cols + (2u << 20));
}

void Kernel::CheckPrepared() const {
  if (!prepared()) throw Error("kernel", Name() + ": Prepare() not called");
}

void Kernel::Gemv(std::span<const float> x, std::span<float> y) const {
  Gemm(x, 1, y);
}

void Kernel::Gemm(std::span<const float> x, size_t tokens,
                  std::span<float> y) const {
  CheckPrepared();
  CheckActivationShape(x.size(), cols_, tokens);
  if (y.size() != tokens * rows_)
    throw Error("y", "size " + std::to_string(y.size()) + " != tokens*M = " +
                         std::to_string(tokens) + "*" + std::to_string(rows_));
  if (activations() == ActivationType::kInt8) {
    RunI8(QuantizeChecked(x.data(), cols_, tokens), y.data());
    return;
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]))
      throw Error("x", "activation " + std::to_string(i % cols_) +
                           " of token " + std::to_string(i / cols_) +
                           " is not finite");
  }
  if (tokens == 1)
    GemvF32(x.data(), y.data());
  else
    GemmF32(x.data(), tokens, y.data());
}

void Kernel::GemmQuantized(const QuantizedActivations& xq,
                           std::span<float> y) const {
  CheckPrepared();
  if (!Caps().int8_activations)
    throw Error("activations", Name() + " has no int8 path");
  if (xq.cols != cols_)
    throw Error("x", "K = " + std::to_string(xq.cols) + " but the kernel has " +
                         std::to_string(cols_) + " columns");
  CheckActivationShape(xq.q.size(), cols_, xq.tokens);
  if (xq.scale.size() != xq.tokens || xq.sum.size() != xq.tokens)
    throw Error("x", "scale and sum need one entry per token");
  for (size_t t = 0; t < xq.tokens; ++t) {
    if (!std::isfinite(xq.scale[t]) || !(xq.scale[t] > 0.0f))
      throw Error("x", "scale of token " + std::to_string(t) +
                           " is not finite and positive");
    int64_t sum = 0;
    for (size_t k = 0; k < cols_; ++k) sum += xq.token(t)[k];
    if (sum != xq.sum[t])
      throw Error("x", "sum of token " + std::to_string(t) + " is " +
                           std::to_string(xq.sum[t]) + ", its values add to " +
                           std::to_string(sum));
  }
  if (y.size() != xq.tokens * rows_)
    throw Error("y", "size " + std::to_string(y.size()) +
                         " != tokens*M = " + std::to_string(xq.tokens) + "*" +
                         std::to_string(rows_));
  RunI8(xq, y.data());
}

void Kernel::RunI8(const QuantizedActivations& xq, float* y) const {
  if (xq.tokens == 1)
    GemvI8(xq, y);
  else
    GemmI8(xq, y);
}

void Kernel::GemvI8(const QuantizedActivations& xq, float* y) const {
  GemmI8(xq, y);
}

void Kernel::GemmI8(const QuantizedActivations&, float*) const {
  throw Error("activations", Name() + " has no int8 path");
}

void Kernel::GemvF32(const float* x, float* y) const { GemmF32(x, 1, y); }

void Kernel::GemmF32(const float*, size_t, float*) const {
  throw Error("activations", Name() + " has no float path");
}

void Kernel::SavePayload(ByteWriter& out) const {
  CheckPrepared();
  if (!Serializable())
    throw Error("kernel", Name() + " does not support save/load");
  SaveImpl(out);
}

void Kernel::LoadPayload(ByteReader& in, size_t rows, size_t cols,
                         float weight_scale) {
  rows_ = 0;  // unprepared unless LoadImpl succeeds
  LoadImpl(in, rows, cols);
  rows_ = rows;
  cols_ = cols;
  weight_scale_ = weight_scale;
}

void Kernel::SaveImpl(ByteWriter&) const {
  throw Error("kernel", Name() + " does not support save/load");
}

void Kernel::LoadImpl(ByteReader&, size_t, size_t) {
  throw Error("kernel", Name() + " does not support save/load");
}

}  // namespace rsr
