// rsrpp-simd's padded index (the form its GEMM runs on), derived from the RSR
// index (rsr_index.h) at Prepare and at Load; never saved.
//
// Per row block b, the permutation sigma_b with every bucket (segment) padded
// to a multiple of kGroup = 4 positions by entries equal to K, which name a
// zero column the kernels append to the activations. Bucket boundaries then
// fall on multiples of 4, so a running prefix stored once per group of 4
// positions yields every bucket sum as a difference of two stored prefixes:
// one loop over groups with no data-dependent exit per segment
// (docs/design-notes.md, "rsrpp-simd").
//
//   perm     Idx[start[blocks]]   block b's padded permutation at start[b];
//                                 start[b + 1] - start[b] is a multiple of 4
//   group    Idx[blocks*(buckets+1)]  group index (position / 4, relative to
//                                 start[b]) where bucket c starts; the last
//                                 entry is the block's group count
//   narrow   uint8[blocks]        1 when every bucket of the block holds at
//                                 most kMaxNarrowSegment columns: int16 lanes
//                                 are exact there (see below)
//   row_sum  int32[rows]          sum_j W[r, j] (binary: the count of ones),
//                                 for the activation bias correction
//
// Idx is uint16 when K <= 65535 (group indices are below K then: a padded
// block holds at most 4 K positions) and uint32 beyond, as in the index.
//
// int16 exactness: the GEMM adds biased activations u = q + 128 in [0, 255]
// (any int8 q, including -128) in 16-bit lanes, modulo 2^16. A bucket sum of
// n columns lies in [0, 255 n]; it is exact as an unsigned 16-bit value when
// 255 n <= 65535, i.e. n <= 257. Bucket sums are widened to int32 before the
// fold, whose sums cover up to K columns. A block with a longer bucket takes
// the int32 path (decided here, at Prepare/Load).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/core/aligned.h"
#include "kernels/rsr/rsr_index.h"

namespace rsr::rsr_index {

inline constexpr size_t kGroup = 4;
// Longest bucket the int16 GEMM path accepts: 255 * 257 = 65535.
inline constexpr size_t kMaxNarrowSegment = 257;

struct PaddedIndex {
  size_t rows = 0, cols = 0;
  int k = 0;
  CodeForm form = CodeForm::kBinary;
  size_t blocks = 0, buckets = 0;
  bool wide = false;
  AlignedBuffer<uint16_t> perm16, group16;
  AlignedBuffer<uint32_t> perm32, group32;
  AlignedBuffer<uint64_t> start;   // blocks + 1
  AlignedBuffer<uint8_t> narrow;   // blocks
  AlignedBuffer<int32_t> row_sum;  // rows

  size_t Bytes() const {
    return perm16.bytes() + group16.bytes() + perm32.bytes() + group32.bytes() +
           start.bytes() + narrow.bytes() + row_sum.bytes();
  }
  template <class Idx>
  const Idx* Perm(size_t b) const;
  template <class Idx>
  const Idx* Groups(size_t b) const;
};

template <>
inline const uint16_t* PaddedIndex::Perm<uint16_t>(size_t b) const {
  return perm16.data() + start[b];
}
template <>
inline const uint32_t* PaddedIndex::Perm<uint32_t>(size_t b) const {
  return perm32.data() + start[b];
}
template <>
inline const uint16_t* PaddedIndex::Groups<uint16_t>(size_t b) const {
  return group16.data() + b * (buckets + 1);
}
template <>
inline const uint32_t* PaddedIndex::Groups<uint32_t>(size_t b) const {
  return group32.data() + b * (buckets + 1);
}

// Derives the padded form of a valid index (Build or Load). threads: OpenMP
// over blocks.
PaddedIndex Pad(const Index& index, int threads);

// Upper bound on Pad(...).Bytes() for an M x K matrix at block height k:
// every bucket padded by 3 at most, and at most min(K, buckets) buckets are
// non-empty.
size_t PaddedBytesBound(size_t rows, size_t cols, int k, CodeForm form);

}  // namespace rsr::rsr_index
