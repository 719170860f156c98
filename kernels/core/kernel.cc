#include "rsr/kernel.h"

#include <omp.h>

#include <cmath>
#include <string>

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
  PrepareImpl(w);
  rows_ = w.rows();
  cols_ = w.cols();
  weight_scale_ = w.scale();
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
  if (tokens == 0) throw Error("tokens", "must be >= 1");
  if (tokens > kMaxTokens)
    throw Error("tokens", std::to_string(tokens) + " exceeds the limit " +
                              std::to_string(kMaxTokens));
  if (x.size() != tokens * cols_)
    throw Error("x", "size " + std::to_string(x.size()) + " != tokens*K = " +
                         std::to_string(tokens) + "*" + std::to_string(cols_));
  if (y.size() != tokens * rows_)
    throw Error("y", "size " + std::to_string(y.size()) + " != tokens*M = " +
                         std::to_string(tokens) + "*" + std::to_string(rows_));
  const int repeats = 1 + std::max(0, options_.test_slowdown);
  if (activations() == ActivationType::kInt8) {
    const QuantizedActivations xq = QuantizeActivations(x, cols_, tokens);
    for (int i = 0; i < repeats; ++i) GemmI8(xq, y.data());
  } else {
    for (size_t i = 0; i < x.size(); ++i) {
      if (!std::isfinite(x[i]))
        throw Error("x", "activation " + std::to_string(i % cols_) +
                             " of token " + std::to_string(i / cols_) +
                             " is not finite");
    }
    for (int i = 0; i < repeats; ++i) GemmF32(x.data(), tokens, y.data());
  }
}

void Kernel::GemmI8(const QuantizedActivations&, float*) const {
  throw Error("activations", Name() + " has no int8 path");
}

void Kernel::GemmF32(const float*, size_t, float*) const {
  throw Error("activations", Name() + " has no float path");
}

void Kernel::SaveImpl(ByteWriter&) const {
  throw Error("kernel", Name() + " does not support save/load");
}

void Kernel::LoadImpl(ByteReader&, size_t, size_t) {
  throw Error("kernel", Name() + " does not support save/load");
}

}  // namespace rsr
