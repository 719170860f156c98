// Weight matrices in the LLM orientation y = W x: W is M x K (M outputs, K
// inputs), row-major int8, entries in {-1, 0, +1} (ternary) or {0, 1}
// (binary), plus one float weight scale s_w per tensor (BitNet b1.58 absmean).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rsr {

class TernaryMatrix {
 public:
  TernaryMatrix() = default;
  // Throws rsr::Error when rows or cols is 0 or beyond limits.h, when
  // values.size() != rows*cols, when a value is outside {-1,0,+1}, or when
  // scale is not finite and positive.
  TernaryMatrix(size_t rows, size_t cols, std::vector<int8_t> values,
                float scale = 1.0f);

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  float scale() const { return scale_; }
  bool empty() const { return rows_ == 0; }
  // True when every entry is 0 or +1 (the paper's binary matrices).
  bool IsBinary() const { return binary_; }

  std::span<const int8_t> values() const { return values_; }
  const int8_t* row(size_t r) const { return values_.data() + r * cols_; }
  int8_t at(size_t r, size_t c) const { return values_[r * cols_ + c]; }

 private:
  size_t rows_ = 0;
  size_t cols_ = 0;
  float scale_ = 1.0f;
  bool binary_ = false;
  std::vector<int8_t> values_;
};

// Seeded generators (std::mt19937_64, so results are the same everywhere).
// Ternary: each entry is 0 with probability zero_fraction, else +-1 evenly.
TernaryMatrix RandomTernary(size_t rows, size_t cols, uint64_t seed,
                            double zero_fraction = 1.0 / 3.0,
                            float scale = 1.0f);
// Binary {0,1}: each entry is 1 with probability one_fraction.
TernaryMatrix RandomBinary(size_t rows, size_t cols, uint64_t seed,
                           double one_fraction = 0.5, float scale = 1.0f);
// Every entry equal to `value` (worst-case accumulator tests).
TernaryMatrix ConstantMatrix(size_t rows, size_t cols, int8_t value,
                             float scale = 1.0f);

// n floats uniform in [lo, hi).
std::vector<float> RandomActivations(size_t n, uint64_t seed, float lo = -1.0f,
                                     float hi = 1.0f);

}  // namespace rsr
