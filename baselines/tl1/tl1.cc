// tl1: TL1 lookup-table GEMV/GEMM (format in tl1.h, SIMD body in lut-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/tl1/tl1.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "baselines/tl1/lut-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {

void Tl1Tiles(const uint8_t* HWY_RESTRICT packed, size_t blocks_per_tile,
              const uint8_t* HWY_RESTRICT tables, size_t tokens,
              size_t tile_begin, size_t tile_end, int32_t* HWY_RESTRICT dots,
              size_t dot_stride) {
  lut::LutTiles<false>(packed, 256, blocks_per_tile, tables, tokens,
                       tile_begin, tile_end, dots, dot_stride);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <string>
#include <utility>

#include "baselines/tl1/tl1.h"
#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "rsr/error.h"

namespace rsr {
HWY_EXPORT(Tl1Tiles);

namespace {

constexpr size_t kColsPerBlock = 2 * kTlGroupsPerBlock;  // 16
// Tokens whose tables are built together: bounds the scratch to
// 8 * K/2 * 32 bytes (1 MiB at K = 8192) while each tile's weights are read
// from DRAM once and from L2 for the other tokens.
constexpr size_t kTokenBlock = 8;

int8_t Tl1Weight(uint8_t index, int which) {
  return static_cast<int8_t>(which == 0 ? index / 3 - 1 : index % 3 - 1);
}

}  // namespace

Tl1Packed PackTl1(const TernaryMatrix& w) {
  Tl1Packed p;
  p.rows = w.rows();
  p.cols = w.cols();
  p.tiles = (p.rows + kTlRows - 1) / kTlRows;
  p.blocks_per_tile = (p.cols + kColsPerBlock - 1) / kColsPerBlock;
  p.blocks.Resize(p.tiles * p.blocks_per_tile);
  for (size_t tile = 0; tile < p.tiles; ++tile) {
    for (size_t b = 0; b < p.blocks_per_tile; ++b) {
      Tl1Block& blk = p.blocks[tile * p.blocks_per_tile + b];
      for (size_t r = 0; r < kTlRows; ++r) {
        const size_t row = tile * kTlRows + r;
        for (size_t g = 0; g < kTlGroupsPerBlock; ++g) {
          const size_t c = b * kColsPerBlock + 2 * g;
          int w0 = 0, w1 = 0;
          if (row < p.rows) {
            if (c < p.cols) w0 = w.at(row, c);
            if (c + 1 < p.cols) w1 = w.at(row, c + 1);
          }
          const uint8_t index = static_cast<uint8_t>(3 * w0 + w1 + 4);
          blk.idx[g / 2][r] |= static_cast<uint8_t>(index << (4 * (g % 2)));
        }
      }
    }
  }
  return p;
}

std::vector<int8_t> UnpackTl1(const Tl1Packed& p) {
  std::vector<int8_t> out(p.rows * p.cols);
  for (size_t row = 0; row < p.rows; ++row) {
    const size_t tile = row / kTlRows, r = row % kTlRows;
    for (size_t c = 0; c < p.cols; ++c) {
      const size_t b = c / kColsPerBlock, g = (c % kColsPerBlock) / 2;
      const Tl1Block& blk = p.blocks[tile * p.blocks_per_tile + b];
      const uint8_t index = (blk.idx[g / 2][r] >> (4 * (g % 2))) & 0x0F;
      out[row * p.cols + c] = Tl1Weight(index, static_cast<int>(c % 2));
    }
  }
  return out;
}

void BuildTl1Table(int8_t a0, int8_t a1, uint8_t* table32) {
  for (int i = 0; i < 16; ++i) {
    int v = 0;
    if (i < 9) v = (i / 3 - 1) * a0 + (i % 3 - 1) * a1;
    table32[i] = static_cast<uint8_t>(v & 63);
    table32[16 + i] = static_cast<uint8_t>(static_cast<int8_t>(v >> 6));
  }
}

namespace {

class Tl1 final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return "tl1"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.simd = true;
    c.native_gemm = true;  // one weight pass per 8 tokens
    return c;
  }
  size_t PreparedBytes() const override { return p_.blocks.bytes(); }

  void RunI8(const QuantizedActivations& xq, float* y) const {
    const size_t M = p_.rows, K = p_.cols;
    if (xq.cols != K) throw Error("x", "K mismatch with the weights");
    const size_t groups = p_.blocks_per_tile * kTlGroupsPerBlock;
    const size_t m_pad = p_.tiles * kTlRows;
    const size_t tb = std::min(kTokenBlock, xq.tokens);
    auto tables = hwy::AllocateAligned<uint8_t>(tb * groups * kTlTableBytes);
    auto dots = hwy::AllocateAligned<int32_t>(tb * m_pad);
    const float ws = weight_scale();
    for (size_t t0 = 0; t0 < xq.tokens; t0 += tb) {
      const size_t nt = std::min(tb, xq.tokens - t0);
      ParallelFor(nt, threads(), [&](size_t t) {
        const int8_t* q = xq.token(t0 + t);
        uint8_t* tab = tables.get() + t * groups * kTlTableBytes;
        for (size_t g = 0; g < groups; ++g) {
          const size_t c = 2 * g;
          const int8_t a0 = c < K ? q[c] : 0;
          const int8_t a1 = c + 1 < K ? q[c + 1] : 0;
          BuildTl1Table(a0, a1, tab + g * kTlTableBytes);
        }
      });
      ParallelChunks(p_.tiles, threads(), 1, [&](size_t b, size_t e) {
        HWY_DYNAMIC_DISPATCH(Tl1Tiles)(
            reinterpret_cast<const uint8_t*>(p_.blocks.data()),
            p_.blocks_per_tile, tables.get(), nt, b, e, dots.get(), m_pad);
        const size_t r1 = std::min(M, e * kTlRows);
        for (size_t t = 0; t < nt; ++t) {
          const float as = xq.scale[t0 + t];
          for (size_t r = b * kTlRows; r < r1; ++r)
            y[(t0 + t) * M + r] = DequantizeDot(dots[t * m_pad + r], as, ws);
        }
      });
    }
  }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override { p_ = PackTl1(w); }
  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    RunI8(xq, y);
  }

  // Payload: the blocks (tiles * blocks_per_tile, tile-major). tiles and
  // blocks_per_tile are recomputed from the shape on load.
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { out.PutArray(p_.blocks); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    Tl1Packed p;
    p.rows = rows;
    p.cols = cols;
    p.tiles = (rows + kTlRows - 1) / kTlRows;
    p.blocks_per_tile = (cols + kColsPerBlock - 1) / kColsPerBlock;
    in.GetArray(p.blocks, p.tiles * p.blocks_per_tile, "tl1 blocks");
    // Every index is 0..8; padding rows and columns hold index 4 (0, 0); a
    // pair whose second column is past K has w1 = 0 (index % 3 == 1).
    for (size_t tile = 0; tile < p.tiles; ++tile) {
      for (size_t b = 0; b < p.blocks_per_tile; ++b) {
        const Tl1Block& blk = p.blocks[tile * p.blocks_per_tile + b];
        for (size_t g = 0; g < kTlGroupsPerBlock; ++g) {
          const size_t c = b * kColsPerBlock + 2 * g;
          for (size_t r = 0; r < kTlRows; ++r) {
            const size_t row = tile * kTlRows + r;
            const unsigned index = (blk.idx[g / 2][r] >> (4 * (g % 2))) & 0x0F;
            const bool ok = index > 8                     ? false
                            : row >= rows || c >= cols    ? index == 4
                            : c + 1 >= cols               ? index % 3 == 1
                                                          : true;
            if (!ok)
              throw Error("file", "tl1: invalid index " + std::to_string(index) +
                                      " at row " + std::to_string(row) +
                                      ", column " + std::to_string(c));
          }
        }
      }
    }
    p_ = std::move(p);
  }

 private:
  Tl1Packed p_;
};

}  // namespace

std::unique_ptr<Kernel> MakeTl1(const KernelOptions& o) {
  return std::make_unique<Tl1>(o);
}

void Tl1GemmI8ForTest(const Kernel& kernel, const QuantizedActivations& xq,
                      float* y) {
  const auto* k = dynamic_cast<const Tl1*>(&kernel);
  if (k == nullptr) throw Error("kernel", "not a tl1 kernel");
  if (!k->prepared()) throw Error("kernel", "tl1: Prepare() not called");
  k->RunI8(xq, y);
}

}  // namespace rsr
#endif  // HWY_ONCE
