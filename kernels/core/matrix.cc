#include "rsr/matrix.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "rsr/error.h"
#include "rsr/limits.h"

namespace rsr {
namespace {

void CheckShape(size_t rows, size_t cols) {
  if (rows == 0) throw Error("rows", "must be >= 1");
  if (cols == 0) throw Error("cols", "must be >= 1");
  if (rows > kMaxRows)
    throw Error("rows", std::to_string(rows) + " exceeds the limit " +
                            std::to_string(kMaxRows));
  if (cols > kMaxCols)
    throw Error("cols", std::to_string(cols) + " exceeds the limit " +
                            std::to_string(kMaxCols));
  if (rows * cols > kMaxWeights)
    throw Error("rows*cols", std::to_string(rows * cols) +
                                 " weights exceed the limit " +
                                 std::to_string(kMaxWeights));
}

}  // namespace

TernaryMatrix::TernaryMatrix(size_t rows, size_t cols,
                             std::vector<int8_t> values, float scale) {
  CheckShape(rows, cols);
  if (values.size() != rows * cols)
    throw Error("values", "size " + std::to_string(values.size()) +
                              " != rows*cols = " + std::to_string(rows * cols));
  if (!std::isfinite(scale) || !(scale > 0.0f))
    throw Error("scale", "weight scale must be finite and > 0, got " +
                             std::to_string(scale));
  bool binary = true;
  for (size_t i = 0; i < values.size(); ++i) {
    const int8_t v = values[i];
    if (v < -1 || v > 1)
      throw Error("values", "entry (" + std::to_string(i / cols) + ", " +
                                std::to_string(i % cols) + ") = " +
                                std::to_string(v) + " is not in {-1, 0, +1}");
    binary &= (v >= 0);
  }
  rows_ = rows;
  cols_ = cols;
  scale_ = scale;
  binary_ = binary;
  values_ = std::move(values);
}

TernaryMatrix RandomTernary(size_t rows, size_t cols, uint64_t seed,
                            double zero_fraction, float scale) {
  CheckShape(rows, cols);
  if (!(zero_fraction >= 0.0 && zero_fraction <= 1.0))
    throw Error("zero_fraction", "must be in [0, 1]");
  // Four entries per 64-bit draw (16 random bits each: probabilities to
  // 1/65536), so that a 2^30-entry matrix takes seconds, not minutes.
  std::mt19937_64 rng(seed);
  const uint32_t zero_below =
      static_cast<uint32_t>(std::lround(zero_fraction * 65536.0));
  const uint32_t minus_below = zero_below + (65536 - zero_below) / 2;
  std::vector<int8_t> v(rows * cols);
  for (size_t i = 0; i < v.size(); i += 4) {
    uint64_t bits = rng();
    for (size_t j = i; j < std::min(i + 4, v.size()); ++j, bits >>= 16) {
      const uint32_t r = static_cast<uint32_t>(bits & 0xFFFF);
      v[j] = r < zero_below ? int8_t{0} : (r < minus_below ? int8_t{-1} : int8_t{1});
    }
  }
  return TernaryMatrix(rows, cols, std::move(v), scale);
}

TernaryMatrix RandomBinary(size_t rows, size_t cols, uint64_t seed,
                           double one_fraction, float scale) {
  CheckShape(rows, cols);
  if (!(one_fraction >= 0.0 && one_fraction <= 1.0))
    throw Error("one_fraction", "must be in [0, 1]");
  std::mt19937_64 rng(seed);
  const uint32_t one_below =
      static_cast<uint32_t>(std::lround(one_fraction * 65536.0));
  std::vector<int8_t> v(rows * cols);
  for (size_t i = 0; i < v.size(); i += 4) {
    uint64_t bits = rng();
    for (size_t j = i; j < std::min(i + 4, v.size()); ++j, bits >>= 16)
      v[j] = static_cast<uint32_t>(bits & 0xFFFF) < one_below ? 1 : 0;
  }
  return TernaryMatrix(rows, cols, std::move(v), scale);
}

TernaryMatrix ConstantMatrix(size_t rows, size_t cols, int8_t value,
                             float scale) {
  CheckShape(rows, cols);
  return TernaryMatrix(rows, cols, std::vector<int8_t>(rows * cols, value),
                       scale);
}

std::vector<float> RandomActivations(size_t n, uint64_t seed, float lo,
                                     float hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> x(n);
  for (auto& e : x) e = u(rng);
  return x;
}

}  // namespace rsr
