// The Kernel shared by TL1 and TL2: one class template over a small
// format-traits struct, plus the packer, unpacker and load-time validation
// loops that both formats walk the same way (tiles of 64 rows, blocks of 8
// column groups). Non-Highway code: included from the HWY_ONCE part of tl1.cc
// and tl2.cc, whose traits reach the SIMD bodies (lut-inl.h) through
// HWY_DYNAMIC_DISPATCH.
//
// A Format provides:
//   Packed, Block        Tl1Packed / Tl1Block or Tl2Packed / Tl2Block
//   kName, kGroup        "tl1", "pair": for error messages
//   kCols                columns per group (2 or 3)
//   kTableBytes          bytes per activation group's table (32 or 64)
//   BlockIndex(tiles, bpt, tile, b)  where block b of a tile is stored
//   Finish(p)            derived fields, after packing and after loading
//   RowBias(p)           LutTileJob::row_bias (TL2: neg_count) or nullptr
//   ExtraBytes(p)        prepared bytes besides the blocks
//   kPayloadLayout       Kernel::PayloadLayout of saved files (1 or 2)
//   Encode(blk, r, g, w) ors the kCols weights w of group g, tile row r, into
//                        the zeroed block (zero weights for padding)
//   Decode(blk, r, g, i) weight i of that group
//   Invalid(blk, r, g)   nullptr, or why the code is not one Encode writes
//   BuildTables(q, K, t) all group tables of one token (SIMD, dispatched)
//   Tiles(job)           the dispatched tile loop (lut-inl.h LutTiles)
//   VecRows(job)         the dispatched token-table loop (LutVecRows)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "baselines/lut/lut_format.h"
#include "hwy/aligned_allocator.h"
#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "rsr/error.h"
#include "rsr/kernel.h"

namespace rsr::lut {

// Tokens whose tables are built together: bounds the scratch to
// 8 * groups * 32 bytes (1 MiB for TL1 at K = 8192) while each tile's weights
// are read from DRAM once and from L2 for the other tokens.
inline constexpr size_t kTokenBlock = 8;

// Token-table path (lut-inl.h LutVecRows): a last partial tile of fewer than
// kVecMinTokens tokens goes through the per-token path instead, whose cost
// grows per token while a token tile costs the same for 1 or 32 tokens. AMD
// Zen 5 (family 26 model 2), AVX3_DL, 1 thread, min ms, N = 8 / 12 / 16 / 20
// / 24 per token vs one token tile, 6912x2560: tl1 0.82 / 1.14 / 1.48 / 1.66
// / 1.97 vs 1.35-1.42, tl2 0.61 / 0.91 / 1.22 / 1.53 / 1.83 vs 1.43-1.47;
// 2560x6912: tl1 0.70 / 1.04 / 1.40 / 1.75 / 2.08 vs 1.35-1.44, tl2 0.61 /
// 0.91 / 1.20 / 1.52 / 1.83 vs 1.42-1.50 (load 5 from other jobs).
template <class Format>
inline constexpr size_t kVecMinTokens = Format::kCols == 2 ? 16 : 20;
// Tables are rebuilt per chunk of at most kVecRowTiles tiles, whose int16
// and int32 sums (64 * 32 * 6 bytes per tile) stay in L2.
inline constexpr size_t kVecRowTiles = 16;

template <class Format>
inline constexpr size_t kBlockCols = kTlGroupsPerBlock* Format::kCols;

// Shape fields for rows x cols; the blocks are left empty.
template <class Format>
typename Format::Packed Shaped(size_t rows, size_t cols) {
  typename Format::Packed p;
  p.rows = rows;
  p.cols = cols;
  p.tiles = (rows + kTlRows - 1) / kTlRows;
  p.blocks_per_tile = (cols + kBlockCols<Format> - 1) / kBlockCols<Format>;
  return p;
}

// Calls f(block, row, r, g, col) for every group g of every block and every
// tile row r (row = tile * 64 + r, padding rows included); col is the group's
// first column (>= cols for padding).
template <class Format, class Packed, class F>
void ForEachGroup(Packed& p, const F& f) {
  for (size_t tile = 0; tile < p.tiles; ++tile) {
    for (size_t b = 0; b < p.blocks_per_tile; ++b) {
      auto& blk =
          p.blocks[Format::BlockIndex(p.tiles, p.blocks_per_tile, tile, b)];
      for (size_t r = 0; r < kTlRows; ++r) {
        for (size_t g = 0; g < kTlGroupsPerBlock; ++g)
          f(blk, tile * kTlRows + r, r, g,
            b * kBlockCols<Format> + g * Format::kCols);
      }
    }
  }
}

template <class Format>
typename Format::Packed Pack(const TernaryMatrix& w) {
  auto p = Shaped<Format>(w.rows(), w.cols());
  p.blocks.Resize(p.tiles * p.blocks_per_tile);
  ForEachGroup<Format>(
      p, [&](auto& blk, size_t row, size_t r, size_t g, size_t col) {
        int8_t group[Format::kCols] = {};
        for (size_t i = 0; i < Format::kCols && row < p.rows; ++i)
          if (col + i < p.cols) group[i] = w.at(row, col + i);
        Format::Encode(blk, r, g, group);
      });
  Format::Finish(p);
  return p;
}

template <class Format>
std::vector<int8_t> Unpack(const typename Format::Packed& p) {
  std::vector<int8_t> out(p.rows * p.cols);
  ForEachGroup<Format>(
      p, [&](const auto& blk, size_t row, size_t r, size_t g, size_t col) {
        for (size_t i = 0; i < Format::kCols && row < p.rows; ++i)
          if (col + i < p.cols)
            out[row * p.cols + col + i] = Format::Decode(blk, r, g, i);
      });
  return out;
}

template <class Format>
class LutKernel final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return Format::kName; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.simd = true;
    c.native_gemm = true;  // token tables: one lookup serves 32 tokens
    return c;
  }
  size_t PreparedBytes() const override {
    return p_.blocks.bytes() + Format::ExtraBytes(p_);
  }
  // The blocks, plus TL2's int32 per row.
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    const auto p = Shaped<Format>(rows, cols);
    return p.tiles * p.blocks_per_tile * sizeof(typename Format::Block) +
           rows * sizeof(int32_t) + (64u << 10);
  }
  uint32_t PayloadLayout() const override { return Format::kPayloadLayout; }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override { p_ = Pack<Format>(w); }

  // Tokens [0, n_vec) go through the token tables (LutVecRows), the rest
  // through the per-token tables (LutTiles); see VecTokens for the rule.
  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    HWY_DASSERT(xq.cols == p_.cols);
    const size_t n_vec = VecTokens(xq.tokens);
    const size_t parts = ChunkParts(p_.tiles, threads(), 1);
    const size_t cols_pad = p_.blocks_per_tile * kBlockCols<Format>;
    const size_t vec_tiles = (n_vec + kVecTokens - 1) / kVecTokens;
    hwy::AlignedFreeUniquePtr<int16_t[]> xt;
    if (n_vec > 0) {
      xt = hwy::AllocateAligned<int16_t>(vec_tiles * cols_pad * kVecTokens);
      if (!xt) throw ScratchError();
      // Token-minor int16 copies of the activations, zero past K and N.
      ParallelChunks(vec_tiles, threads(), 1, [&](size_t b, size_t e) {
        for (size_t tt = b; tt < e; ++tt) {
          int16_t* out = xt.get() + tt * cols_pad * kVecTokens;
          std::fill_n(out, cols_pad * kVecTokens, int16_t{0});
          const size_t t0 = tt * kVecTokens;
          const size_t nt = std::min(kVecTokens, n_vec - t0);
          for (size_t t = 0; t < nt; ++t) {
            const int8_t* q = xq.token(t0 + t);
            for (size_t k = 0; k < xq.cols; ++k) out[k * kVecTokens + t] = q[k];
          }
        }
      });
    }
    // Per part: the token-table scratch, then the per-token tables.
    const size_t vec_bytes = n_vec == 0 ? 0 : VecScratchBytes();
    const size_t token_bytes =
        p_.blocks_per_tile * kTlGroupsPerBlock * Format::kTableBytes;
    const size_t tb = std::min(kTokenBlock, xq.tokens - n_vec);
    const size_t part_bytes = vec_bytes + tb * token_bytes;
    auto scratch = hwy::AllocateAligned<uint8_t>(parts * part_bytes);
    // (hwy::AllocateAligned asserts on 0 bytes.)
    auto dots = hwy::AllocateAligned<int32_t>(std::max<size_t>(1, tb) *
                                              p_.tiles * kTlRows);
    if (!scratch || !dots) throw ScratchError();
    ParallelChunks(
        p_.tiles, threads(), 1, [&](size_t b, size_t e, size_t part) {
          uint8_t* mine = scratch.get() + part * part_bytes;
          if (n_vec > 0) VecPart(xq, xt.get(), n_vec, b, e, mine, y);
          if (n_vec < xq.tokens)
            TokenPart(xq, n_vec, b, e, mine + vec_bytes, dots.get(), y);
        });
  }

  // Payload: the blocks (tiles * blocks_per_tile, in BlockIndex order). The shape
  // fields are recomputed from the shape (so they cannot disagree with the
  // packed data).
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { out.PutArray(p_.blocks); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    auto p = Shaped<Format>(rows, cols);
    const std::string name = Format::kName;
    in.GetArray(p.blocks, p.tiles * p.blocks_per_tile,
                (name + " blocks").c_str());
    // As Pack writes it: valid codes, and zero weights in padding rows and
    // in columns past K (padding groups, whole padding blocks).
    ForEachGroup<Format>(p, [&](const auto& blk, size_t row, size_t r, size_t g,
                                size_t col) {
      const char* what = Format::Invalid(blk, r, g);
      for (size_t i = 0; i < Format::kCols && !what; ++i) {
        if ((row >= rows || col + i >= cols) && Format::Decode(blk, r, g, i))
          what = row >= rows ? "nonzero padding row" : "nonzero padding column";
      }
      if (what) {
        throw Error("file", name + ": " + what + " at row " +
                                std::to_string(row) + ", " + Format::kGroup +
                                " " + std::to_string(col / Format::kCols) +
                                " (columns " + std::to_string(col) + ".." +
                                std::to_string(col + Format::kCols - 1) + ")");
      }
    });
    Format::Finish(p);
    p_ = std::move(p);
  }

 private:
  static constexpr size_t kSlots = kVecSlots(Format::kCols);
  static constexpr size_t kGroups = kVecGroups(Format::kCols);

  static Error ScratchError() {
    return Error("x", std::string(Format::kName) +
                          ": cannot allocate the table scratch");
  }

  // How many of N tokens take the token tables: whole tiles of 32 tokens,
  // plus the last partial tile when it holds at least kVecMinTokens tokens
  // (fewer go through the per-token path, whose cost grows per token while a
  // token tile costs the same for 1 or 32 tokens).
  static size_t VecTokens(size_t n) {
    switch (g_lut_path.load(std::memory_order_relaxed)) {
      case LutPath::kPerToken:
        return 0;
      case LutPath::kTokenTable:
        return n;
      case LutPath::kAuto:
        break;
    }
    const size_t full = n / kVecTokens * kVecTokens;
    return n - full >= kVecMinTokens<Format> ? n : full;
  }

  // Per part: tables, offsets, int16 and int32 sums of kVecRowTiles tiles.
  static size_t VecScratchBytes() {
    return kGroups * kSlots * kVecTokens * sizeof(int16_t) +
           kGroups * kTlRows * sizeof(uint16_t) +
           kVecRowTiles * kTlRows * kVecTokens * (2 + 4);
  }

  // Tiles [b, e) x tokens [0, n_vec): per chunk of kVecRowTiles tiles and
  // tile of 32 tokens, LutVecRows, then the dequantized sums to y.
  void VecPart(const QuantizedActivations& xq, const int16_t* xt, size_t n_vec,
               size_t b, size_t e, uint8_t* scratch, float* y) const {
    const size_t M = p_.rows;
    const size_t cols_pad = p_.blocks_per_tile * kBlockCols<Format>;
    auto* tables = reinterpret_cast<int16_t*>(scratch);
    auto* offsets =
        reinterpret_cast<uint16_t*>(tables + kGroups * kSlots * kVecTokens);
    auto* acc16 = reinterpret_cast<int16_t*>(offsets + kGroups * kTlRows);
    auto* acc32 =
        reinterpret_cast<int32_t*>(acc16 + kVecRowTiles * kTlRows * kVecTokens);
    const float ws = weight_scale();
    // Chunks of at most kVecRowTiles tiles, as equal as possible (each
    // builds its own tables).
    const size_t chunks = (e - b + kVecRowTiles - 1) / kVecRowTiles;
    const size_t chunk = (e - b + chunks - 1) / chunks;
    for (size_t c0 = b; c0 < e; c0 += chunk) {
      const size_t c1 = std::min(e, c0 + chunk);
      const size_t r0 = c0 * kTlRows, r1 = std::min(M, c1 * kTlRows);
      for (size_t t0 = 0; t0 < n_vec; t0 += kVecTokens) {
        const size_t nt = std::min(kVecTokens, n_vec - t0);
        alignas(64) float scale[kVecTokens];
        for (size_t t = 0; t < kVecTokens; ++t)
          scale[t] = t < nt ? xq.scale[t0 + t] : 1.0f;
        Format::VecRows({reinterpret_cast<const uint8_t*>(p_.blocks.data()),
                         p_.tiles, p_.blocks_per_tile, xt + t0 * cols_pad, c0, c1, tables,
                         offsets, acc16, acc32, scale, ws});
        // Row-major, token-minor results to the token-major y, a tile of
        // rows at a time.
        const float* deq = reinterpret_cast<const float*>(acc32);
        for (size_t s0 = r0; s0 < r1; s0 += kTlRows) {
          const size_t s1 = std::min(r1, s0 + kTlRows);
          for (size_t t = 0; t < nt; ++t) {
            float* yt = y + (t0 + t) * M;
            for (size_t r = s0; r < s1; ++r)
              yt[r] = deq[(r - r0) * kVecTokens + t];
          }
        }
      }
    }
  }

  // Tiles [b, e) x tokens [t_begin, N) through the per-token tables: blocks
  // of kTokenBlock tokens build their tables into this part's scratch (no
  // thread reads tables another core wrote, for one extra table build per
  // extra thread, ~1 ns per group and token), then run the tiles. AVX3_DL,
  // 2 threads, median ms, one shared table built first -> per thread:
  // 640x2560 tl1 0.0147 -> 0.0117, tl2 0.0121 -> 0.0104; 2560^2 tl1 0.0405
  // -> 0.0375, tl2 0.0341 -> 0.0322 (1 thread unchanged). The SIMD table
  // build (lut-inl.h) took the 1-thread GEMV 640x2560 from 0.0257 to 0.0189
  // ms (tl1), 0.0227 to 0.0162 (tl2); 2560^2 0.0766 -> 0.0693, 0.0664 ->
  // 0.0601.
  void TokenPart(const QuantizedActivations& xq, size_t t_begin, size_t b,
                 size_t e, uint8_t* tab, int32_t* dots, float* y) const {
    const size_t M = p_.rows, K = p_.cols;
    const size_t token_bytes =
        p_.blocks_per_tile * kTlGroupsPerBlock * Format::kTableBytes;
    const size_t m_pad = p_.tiles * kTlRows;
    const size_t tb = std::min(kTokenBlock, xq.tokens - t_begin);
    const float ws = weight_scale();
    const size_t r1 = std::min(M, e * kTlRows);
    for (size_t t0 = t_begin; t0 < xq.tokens; t0 += tb) {
      const size_t nt = std::min(tb, xq.tokens - t0);
      for (size_t t = 0; t < nt; ++t)
        Format::BuildTables(xq.token(t0 + t), K, tab + t * token_bytes);
      Format::Tiles({reinterpret_cast<const uint8_t*>(p_.blocks.data()),
                     p_.tiles, p_.blocks_per_tile, tab, nt, b, e, dots, m_pad,
                     Format::RowBias(p_)});
      for (size_t t = 0; t < nt; ++t) {
        const float as = xq.scale[t0 + t];
        for (size_t r = b * kTlRows; r < r1; ++r) {
          y[(t0 + t) * M + r] = DequantizeDot(dots[t * m_pad + r], as, ws);
        }
      }
    }
  }

  typename Format::Packed p_;
};

}  // namespace rsr::lut
