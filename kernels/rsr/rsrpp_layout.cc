#include "kernels/rsr/rsrpp_layout.h"

#include <algorithm>

#include "kernels/core/parallel.h"

namespace rsr::rsr_index {

namespace {

size_t RoundUpGroup(size_t n) { return (n + kGroup - 1) / kGroup * kGroup; }

template <class Idx>
void PadBlocks(const Index& ix, int threads, PaddedIndex& px, Idx* perm,
               Idx* group) {
  const size_t K = ix.cols, buckets = ix.buckets;
  ParallelChunks(ix.blocks, threads, 1, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      const Idx* src = ix.Perm<Idx>(b);
      const Idx* off = ix.Offsets<Idx>(b);
      Idx* dst = perm + px.start[b];
      Idx* g = group + b * (buckets + 1);
      size_t pos = 0, longest = 0;
      for (size_t c = 0; c < buckets; ++c) {
        g[c] = static_cast<Idx>(pos / kGroup);
        const size_t len = size_t{off[c + 1]} - off[c];
        longest = std::max(longest, len);
        std::copy(src + off[c], src + off[c + 1], dst + pos);
        const size_t padded = RoundUpGroup(len);
        std::fill(dst + pos + len, dst + pos + padded, static_cast<Idx>(K));
        pos += padded;
      }
      g[buckets] = static_cast<Idx>(pos / kGroup);
      px.narrow[b] = longest <= kMaxNarrowSegment ? 1 : 0;
      // Row sums: sum over buckets of the digit's weight times the length.
      const size_t radix = ix.form == CodeForm::kBase3 ? 3 : 2;
      for (int t = 0; t < ix.k; ++t) {
        const size_t r = b * ix.k + t;
        if (r >= ix.rows) break;
        size_t div = 1;
        for (int i = t + 1; i < ix.k; ++i) div *= radix;
        int64_t sum = 0;
        for (size_t c = 0; c < buckets; ++c) {
          const int digit = static_cast<int>((c / div) % radix);
          const int w = radix == 3 ? digit - 1 : digit;
          sum += w * static_cast<int64_t>(size_t{off[c + 1]} - off[c]);
        }
        px.row_sum[r] = static_cast<int32_t>(sum);
      }
    }
  });
}

}  // namespace

PaddedIndex Pad(const Index& ix, int threads) {
  PaddedIndex px;
  px.rows = ix.rows;
  px.cols = ix.cols;
  px.k = ix.k;
  px.form = ix.form;
  px.blocks = ix.blocks;
  px.buckets = ix.buckets;
  px.wide = ix.wide;
  px.start.Resize(ix.blocks + 1);
  px.narrow.Resize(ix.blocks);
  px.row_sum.Resize(ix.rows);
  for (size_t b = 0; b < ix.blocks; ++b) {
    size_t n = 0;
    for (size_t c = 0; c < ix.buckets; ++c)
      n += RoundUpGroup(ix.Offset(b, c + 1) - ix.Offset(b, c));
    px.start[b + 1] = px.start[b] + n;
  }
  const size_t n_perm = px.start[ix.blocks];
  const size_t n_group = ix.blocks * (ix.buckets + 1);
  if (ix.wide) {
    px.perm32.Resize(n_perm);
    px.group32.Resize(n_group);
    PadBlocks<uint32_t>(ix, threads, px, px.perm32.data(), px.group32.data());
  } else {
    px.perm16.Resize(n_perm);
    px.group16.Resize(n_group);
    PadBlocks<uint16_t>(ix, threads, px, px.perm16.data(), px.group16.data());
  }
  return px;
}

size_t PaddedBytesBound(size_t rows, size_t cols, int k, CodeForm form) {
  const size_t blocks = (rows + k - 1) / k;
  const size_t buckets = NumBuckets(form, k);
  const size_t width = NeedsWideIndex(cols) ? 4 : 2;
  const size_t perm = cols + (kGroup - 1) * std::min(cols, buckets);
  return blocks * ((perm + buckets + 1) * width + 8 + 1) + 8 + 4 * rows;
}

}  // namespace rsr::rsr_index
