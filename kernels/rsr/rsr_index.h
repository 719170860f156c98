// The RSR index (docs/algorithms.md §1-3): per row block of k rows, a
// column permutation sigma_b sorted by column code (counting sort, ascending
// column inside a bucket) and the bucket start offsets L_b (buckets + 1
// entries, L_b[0] = 0, L_b[buckets] = K). W itself is not kept.
//
// Code forms (first row of the block = most significant digit):
//   kBinary     one plane: c = sum_t [W[bk+t, j] == plane_value] 2^(k-1-t),
//               2^k buckets. Binary {0,1} matrices use plane_value = +1;
//               the paper's ternary form uses two planes (+1 and -1).
//   kBase3      unified ternary: c = sum_t (W[bk+t, j] + 1) 3^(k-1-t),
//               3^k buckets (padding rows are 0, digit 1). It beat the 2k-bit
//               code c = (pos_mask << k) | neg_mask (4^k buckets) by 1.24x at
//               3.4 instead of 4.0-4.5 bits/weight (docs/design-notes.md,
//               "rsrpp-simd").
//
// Index width: uint16 permutation and offsets when K <= 65535 (offsets must
// hold K itself), uint32 beyond. Bytes() is exact: permutation plus offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/core/aligned.h"
#include "rsr/matrix.h"

namespace rsr {
class ByteReader;
class ByteWriter;
}  // namespace rsr

namespace rsr::rsr_index {

enum class CodeForm : uint8_t { kBinary, kBase3 };
const char* CodeFormName(CodeForm f);

// Largest k each form accepts (bucket arrays of 2^16 = 65536 or 3^12 = 531441
// entries per block are already far past any useful k).
int MaxK(CodeForm f);
// Buckets per block: 2^k or 3^k. Throws rsr::Error("k") beyond MaxK.
size_t NumBuckets(CodeForm f, int k);

struct Index {
  size_t rows = 0;  // M (unpadded)
  size_t cols = 0;  // K
  int k = 0;
  CodeForm form = CodeForm::kBinary;
  size_t blocks = 0;   // ceil(M / k)
  size_t buckets = 0;  // per block
  bool wide = false;   // uint32 entries
  // blocks x K permutation, blocks x (buckets + 1) offsets; one width used.
  AlignedBuffer<uint16_t> perm16, off16;
  AlignedBuffer<uint32_t> perm32, off32;

  size_t Bytes() const {
    return perm16.bytes() + off16.bytes() + perm32.bytes() + off32.bytes();
  }
  template <class Idx>
  const Idx* Perm(size_t b) const;
  template <class Idx>
  const Idx* Offsets(size_t b) const;
  // Offset entry as size_t, either width.
  size_t Offset(size_t b, size_t c) const {
    return wide ? off32[b * (buckets + 1) + c] : off16[b * (buckets + 1) + c];
  }
  size_t PermAt(size_t b, size_t p) const {
    return wide ? perm32[b * cols + p] : perm16[b * cols + p];
  }
};

template <>
inline const uint16_t* Index::Perm<uint16_t>(size_t b) const {
  return perm16.data() + b * cols;
}
template <>
inline const uint32_t* Index::Perm<uint32_t>(size_t b) const {
  return perm32.data() + b * cols;
}
template <>
inline const uint16_t* Index::Offsets<uint16_t>(size_t b) const {
  return off16.data() + b * (buckets + 1);
}
template <>
inline const uint32_t* Index::Offsets<uint32_t>(size_t b) const {
  return off32.data() + b * (buckets + 1);
}

// True when K needs uint32 index entries.
inline bool NeedsWideIndex(size_t cols) { return cols > 65535; }

// Builds the index. plane_value (kBinary only) selects the plane: +1 for
// B+ (and binary matrices), -1 for B-. threads: OpenMP over blocks.
// Throws rsr::Error("k") when k is outside 1..MaxK(form).
Index Build(const TernaryMatrix& w, int k, CodeForm form, int plane_value,
            int threads);

// The index of the same matrix at block height k, from an index built on
// plane +1 (kBase3, or kBinary of a {0, 1} matrix): rows are decoded from
// `index` block by block (K bytes per thread), W itself is not needed.
// Equal to Build(W, k, index.form, +1, threads).
Index Rebuild(const Index& index, int k, int threads);

// Bytes() of the index Build makes for an M x K matrix.
size_t IndexBytes(size_t rows, size_t cols, int k, CodeForm form);

// Checks every block: permutation is a bijection on [0, K), offsets start at
// 0, are monotone and end at K. Throws rsr::Error("index") naming the block
// and the defect.
void Validate(const Index& index);

// Checks what Build guarantees beyond Validate: columns ascend inside each
// bucket (the stable counting sort), and padding rows past M in the last
// block encode weight 0 (bit 0 for kBinary, trit 1 for kBase3). Throws
// rsr::Error("index"). Linear in the index size.
void ValidateCanonical(const Index& index);

// Serialized form (rsr/serialize.h): int32 k, uint8 form, uint8 wide, then
// the permutation and offsets arrays of the one width in use.
void Save(ByteWriter& out, const Index& index);
// Reads an index for an M x K matrix. Checks k in 1..MaxK(form) (and
// k == required_k when that is non-zero), the width against
// NeedsWideIndex(K), every array length against the shape, then Validate
// and ValidateCanonical. Throws rsr::Error("file") prefixed with `what`.
Index Load(ByteReader& in, size_t rows, size_t cols, int required_k,
           const std::string& what);

// True when some non-empty bucket's code has a trit 0 (a -1 weight) in a
// kBase3 index. Build picks kBase3 only for a matrix with a -1 weight and
// padding rows are trit 1 (ValidateCanonical), so a loaded kBase3 index
// without one is not what Build writes. O(blocks * 3^k * k).
bool HasMinusOne(const Index& index);

// Reconstructs what the index encodes, for tests: the code of column j in
// block b (the bucket holding j).
std::vector<uint32_t> ColumnCodes(const Index& index, size_t block);
// Digit of row t (0 = first row of the block) in code c: a bit for kBinary,
// a trit 0..2 for kBase3.
int CodeDigit(CodeForm form, int k, uint32_t code, int t);

// The paper's theoretical choice k = log2 K - log2 log2 K, rounded, >= 1.
int PaperK(size_t cols);

}  // namespace rsr::rsr_index
