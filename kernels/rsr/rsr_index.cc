#include "kernels/rsr/rsr_index.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/core/parallel.h"
#include "rsr/error.h"

namespace rsr::rsr_index {

const char* CodeFormName(CodeForm f) {
  switch (f) {
    case CodeForm::kBinary:
      return "binary";
    case CodeForm::kBase3:
      return "base3";
  }
  return "?";
}

int MaxK(CodeForm f) {
  switch (f) {
    case CodeForm::kBinary:
      return 16;
    case CodeForm::kBase3:
      return 12;
  }
  return 0;
}

size_t NumBuckets(CodeForm f, int k) {
  if (k < 1 || k > MaxK(f))
    throw Error("k", std::string("must be in 1..") + std::to_string(MaxK(f)) +
                         " for the " + CodeFormName(f) + " code, got " +
                         std::to_string(k));
  const size_t base = f == CodeForm::kBinary ? 2 : 3;
  size_t n = 1;
  for (int i = 0; i < k; ++i) n *= base;
  return n;
}

int CodeDigit(CodeForm form, int k, uint32_t code, int t) {
  if (form == CodeForm::kBase3) {
    for (int i = k - 1; i > t; --i) code /= 3;
    return static_cast<int>(code % 3);
  }
  return static_cast<int>((code >> (k - 1 - t)) & 1u);
}

namespace {

template <class Idx>
void BuildBlocks(const TernaryMatrix& w, int k, CodeForm form, int plane_value,
                 size_t buckets, Idx* perm_all, Idx* off_all, int threads) {
  const size_t M = w.rows(), K = w.cols();
  const size_t blocks = (M + k - 1) / k;
  ParallelChunks(blocks, threads, 1, [&](size_t b0, size_t b1) {
    std::vector<uint32_t> code(K);
    std::vector<size_t> count(buckets + 1);
    for (size_t b = b0; b < b1; ++b) {
      std::fill(code.begin(), code.end(), 0u);
      for (int t = 0; t < k; ++t) {
        const size_t r = b * k + t;
        const int8_t* wr = r < M ? w.row(r) : nullptr;  // padding row: zeros
        for (size_t j = 0; j < K; ++j) {
          const int v = wr ? wr[j] : 0;
          uint32_t& c = code[j];
          switch (form) {
            case CodeForm::kBinary:
              c = (c << 1) | (v == plane_value ? 1u : 0u);
              break;
            case CodeForm::kBase3:
              c = c * 3 + static_cast<uint32_t>(v + 1);
              break;
          }
        }
      }
      // Counting sort, stable: ascending j inside each bucket.
      std::fill(count.begin(), count.end(), size_t{0});
      for (size_t j = 0; j < K; ++j) ++count[code[j] + 1];
      Idx* off = off_all + b * (buckets + 1);
      for (size_t c = 0; c < buckets; ++c) count[c + 1] += count[c];
      for (size_t c = 0; c <= buckets; ++c) off[c] = static_cast<Idx>(count[c]);
      Idx* perm = perm_all + b * K;
      for (size_t j = 0; j < K; ++j) perm[count[code[j]]++] = static_cast<Idx>(j);
    }
  });
}

}  // namespace

Index Build(const TernaryMatrix& w, int k, CodeForm form, int plane_value,
            int threads) {
  Index ix;
  ix.buckets = NumBuckets(form, k);  // validates k
  ix.rows = w.rows();
  ix.cols = w.cols();
  ix.k = k;
  ix.form = form;
  ix.blocks = (ix.rows + k - 1) / k;
  ix.wide = NeedsWideIndex(ix.cols);
  const size_t n_perm = ix.blocks * ix.cols;
  const size_t n_off = ix.blocks * (ix.buckets + 1);
  if (ix.wide) {
    ix.perm32.Resize(n_perm);
    ix.off32.Resize(n_off);
    BuildBlocks<uint32_t>(w, k, form, plane_value, ix.buckets, ix.perm32.data(),
                          ix.off32.data(), threads);
  } else {
    ix.perm16.Resize(n_perm);
    ix.off16.Resize(n_off);
    BuildBlocks<uint16_t>(w, k, form, plane_value, ix.buckets, ix.perm16.data(),
                          ix.off16.data(), threads);
  }
  return ix;
}

void Validate(const Index& ix) {
  if (ix.k < 1 || ix.k > MaxK(ix.form)) throw Error("index", "bad k");
  if (ix.buckets != NumBuckets(ix.form, ix.k))
    throw Error("index", "bucket count does not match k");
  if (ix.blocks != (ix.rows + ix.k - 1) / ix.k)
    throw Error("index", "block count does not match M and k");
  const size_t n_perm = ix.blocks * ix.cols;
  const size_t n_off = ix.blocks * (ix.buckets + 1);
  const bool sizes_ok =
      ix.wide ? (ix.perm32.size() == n_perm && ix.off32.size() == n_off &&
                 ix.perm16.size() == 0 && ix.off16.size() == 0)
              : (ix.perm16.size() == n_perm && ix.off16.size() == n_off &&
                 ix.perm32.size() == 0 && ix.off32.size() == 0);
  if (!sizes_ok) throw Error("index", "buffer sizes do not match the shape");
  std::vector<uint8_t> seen(ix.cols);
  for (size_t b = 0; b < ix.blocks; ++b) {
    const std::string where = "block " + std::to_string(b) + ": ";
    if (ix.Offset(b, 0) != 0) throw Error("index", where + "offsets must start at 0");
    for (size_t c = 0; c < ix.buckets; ++c)
      if (ix.Offset(b, c + 1) < ix.Offset(b, c))
        throw Error("index", where + "offsets not monotone at bucket " +
                                 std::to_string(c));
    if (ix.Offset(b, ix.buckets) != ix.cols)
      throw Error("index", where + "offsets must end at K");
    std::fill(seen.begin(), seen.end(), uint8_t{0});
    for (size_t p = 0; p < ix.cols; ++p) {
      const size_t j = ix.PermAt(b, p);
      if (j >= ix.cols)
        throw Error("index", where + "permutation entry " + std::to_string(p) +
                                 " out of range");
      if (seen[j]++)
        throw Error("index", where + "column " + std::to_string(j) +
                                 " appears twice in the permutation");
    }
  }
}

std::vector<uint32_t> ColumnCodes(const Index& ix, size_t block) {
  std::vector<uint32_t> codes(ix.cols);
  for (size_t c = 0; c < ix.buckets; ++c)
    for (size_t p = ix.Offset(block, c); p < ix.Offset(block, c + 1); ++p)
      codes[ix.PermAt(block, p)] = static_cast<uint32_t>(c);
  return codes;
}

int PaperK(size_t cols) {
  const double l = std::log2(static_cast<double>(std::max<size_t>(cols, 2)));
  const double k = l - (l > 1.0 ? std::log2(l) : 0.0);
  return std::max(1, static_cast<int>(std::lround(k)));
}

}  // namespace rsr::rsr_index
