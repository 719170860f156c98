// tl2: TL2 lookup-table GEMV/GEMM (format in tl2.h, SIMD body shared with
// TL1 in baselines/tl1/lut-inl.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/tl2/tl2.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

#include "baselines/tl1/lut-inl.h"

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {

void Tl2Tiles(const uint8_t* HWY_RESTRICT packed, size_t blocks_per_tile,
              const uint8_t* HWY_RESTRICT tables, size_t tokens,
              size_t tile_begin, size_t tile_end, int32_t* HWY_RESTRICT dots,
              size_t dot_stride) {
  lut::LutTiles<true>(packed, 320, blocks_per_tile, tables, tokens,
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

#include "baselines/tl2/tl2.h"
#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "rsr/error.h"

namespace rsr {
HWY_EXPORT(Tl2Tiles);

namespace {

constexpr size_t kColsPerBlock = 3 * kTlGroupsPerBlock;  // 24
constexpr size_t kTokenBlock = 8;  // as in tl1.cc

// Balanced-ternary digits (c0, c1, c2) of v in -13..13: v = 9c0 + 3c1 + c2.
struct Digits {
  int c[3];
};
constexpr Digits DigitsOf(int v) {
  Digits d{};
  for (int i = 2; i >= 0; --i) {
    int r = ((v % 3) + 3) % 3;  // 0, 1, 2
    if (r == 2) r = -1;
    d.c[i] = r;
    v = (v - r) / 3;
  }
  return d;
}
static_assert(DigitsOf(13).c[0] == 1 && DigitsOf(13).c[2] == 1);
static_assert(DigitsOf(2).c[1] == 1 && DigitsOf(2).c[2] == -1);
static_assert(DigitsOf(-5).c[0] == -1 && DigitsOf(-5).c[1] == 1 &&
              DigitsOf(-5).c[2] == 1);

}  // namespace

Tl2Packed PackTl2(const TernaryMatrix& w) {
  Tl2Packed p;
  p.rows = w.rows();
  p.cols = w.cols();
  p.tiles = (p.rows + kTlRows - 1) / kTlRows;
  p.blocks_per_tile = (p.cols + kColsPerBlock - 1) / kColsPerBlock;
  p.blocks.Resize(p.tiles * p.blocks_per_tile);
  p.neg_count.Resize(p.rows);
  for (size_t tile = 0; tile < p.tiles; ++tile) {
    for (size_t b = 0; b < p.blocks_per_tile; ++b) {
      Tl2Block& blk = p.blocks[tile * p.blocks_per_tile + b];
      for (size_t r = 0; r < kTlRows; ++r) {
        const size_t row = tile * kTlRows + r;
        if (row >= p.rows) continue;  // zero rows: magnitude 0, sign 0
        for (size_t g = 0; g < kTlGroupsPerBlock; ++g) {
          int v = 0;
          for (size_t i = 0; i < 3; ++i) {
            const size_t c = b * kColsPerBlock + 3 * g + i;
            v = 3 * v + (c < p.cols ? w.at(row, c) : 0);
          }
          const int mag = v < 0 ? -v : v;
          blk.mag[g / 2][r] |= static_cast<uint8_t>(mag << (4 * (g % 2)));
          if (v < 0) {
            blk.sign[r] |= static_cast<uint8_t>(0x80 >> g);
            ++p.neg_count[row];
          }
        }
      }
    }
  }
  return p;
}

std::vector<int8_t> UnpackTl2(const Tl2Packed& p) {
  std::vector<int8_t> out(p.rows * p.cols);
  for (size_t row = 0; row < p.rows; ++row) {
    const size_t tile = row / kTlRows, r = row % kTlRows;
    for (size_t c = 0; c < p.cols; ++c) {
      const size_t b = c / kColsPerBlock, g = (c % kColsPerBlock) / 3;
      const Tl2Block& blk = p.blocks[tile * p.blocks_per_tile + b];
      const int mag = (blk.mag[g / 2][r] >> (4 * (g % 2))) & 0x0F;
      const bool neg = (blk.sign[r] >> (7 - g)) & 1;
      const Digits d = DigitsOf(neg ? -mag : mag);
      out[row * p.cols + c] = static_cast<int8_t>(d.c[c % 3]);
    }
  }
  return out;
}

void BuildTl2Table(int8_t a0, int8_t a1, int8_t a2, uint8_t* table32) {
  static constexpr Digits kDigits[14] = {
      DigitsOf(0), DigitsOf(1), DigitsOf(2),  DigitsOf(3),  DigitsOf(4),
      DigitsOf(5), DigitsOf(6), DigitsOf(7),  DigitsOf(8),  DigitsOf(9),
      DigitsOf(10), DigitsOf(11), DigitsOf(12), DigitsOf(13)};
  for (int i = 0; i < 16; ++i) {
    int v = 0;
    if (i < 14)
      v = kDigits[i].c[0] * a0 + kDigits[i].c[1] * a1 + kDigits[i].c[2] * a2;
    table32[i] = static_cast<uint8_t>(v & 63);
    table32[16 + i] = static_cast<uint8_t>(static_cast<int8_t>(v >> 6));
  }
}

namespace {

class Tl2 final : public Kernel {
 public:
  using Kernel::Kernel;
  std::string Name() const override { return "tl2"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.simd = true;
    c.native_gemm = true;  // one weight pass per 8 tokens
    return c;
  }
  size_t PreparedBytes() const override {
    return p_.blocks.bytes() + p_.neg_count.bytes();
  }

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
          const size_t c = 3 * g;
          const int8_t a0 = c < K ? q[c] : 0;
          const int8_t a1 = c + 1 < K ? q[c + 1] : 0;
          const int8_t a2 = c + 2 < K ? q[c + 2] : 0;
          BuildTl2Table(a0, a1, a2, tab + g * kTlTableBytes);
        }
      });
      ParallelChunks(p_.tiles, threads(), 1, [&](size_t b, size_t e) {
        HWY_DYNAMIC_DISPATCH(Tl2Tiles)(
            reinterpret_cast<const uint8_t*>(p_.blocks.data()),
            p_.blocks_per_tile, tables.get(), nt, b, e, dots.get(), m_pad);
        const size_t r1 = std::min(M, e * kTlRows);
        for (size_t t = 0; t < nt; ++t) {
          const float as = xq.scale[t0 + t];
          for (size_t r = b * kTlRows; r < r1; ++r)
            y[(t0 + t) * M + r] = DequantizeDot(
                dots[t * m_pad + r] + p_.neg_count[r], as, ws);
        }
      });
    }
  }

 protected:
  void PrepareImpl(const TernaryMatrix& w) override { p_ = PackTl2(w); }
  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    RunI8(xq, y);
  }

  // Payload: the blocks (tiles * blocks_per_tile, tile-major). tiles and
  // blocks_per_tile are recomputed from the shape, and neg_count from the
  // sign bits, on load (so it cannot disagree with the packed data).
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override { out.PutArray(p_.blocks); }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    Tl2Packed p;
    p.rows = rows;
    p.cols = cols;
    p.tiles = (rows + kTlRows - 1) / kTlRows;
    p.blocks_per_tile = (cols + kColsPerBlock - 1) / kColsPerBlock;
    in.GetArray(p.blocks, p.tiles * p.blocks_per_tile, "tl2 blocks");
    p.neg_count.Resize(rows);
    // As PackTl2 writes it: |v| <= 13, a sign bit only where |v| > 0, and
    // the digits of columns past K (padding triples, whole padding blocks)
    // and of padding rows are all zero.
    for (size_t tile = 0; tile < p.tiles; ++tile) {
      for (size_t b = 0; b < p.blocks_per_tile; ++b) {
        const Tl2Block& blk = p.blocks[tile * p.blocks_per_tile + b];
        for (size_t r = 0; r < kTlRows; ++r) {
          const size_t row = tile * kTlRows + r;
          for (size_t g = 0; g < kTlGroupsPerBlock; ++g) {
            const int mag = (blk.mag[g / 2][r] >> (4 * (g % 2))) & 0x0F;
            const bool neg = (blk.sign[r] >> (7 - g)) & 1;
            const auto fail = [&](const char* what) {
              throw Error("file", std::string("tl2: ") + what + " at row " +
                                      std::to_string(row) + ", triple " +
                                      std::to_string(b * kTlGroupsPerBlock + g));
            };
            if (mag > 13) fail("magnitude above 13");
            if (neg && mag == 0) fail("sign bit on a zero triple");
            if (row >= rows) {
              if (mag != 0 || neg) fail("nonzero padding row");
              continue;
            }
            const Digits d = DigitsOf(neg ? -mag : mag);
            for (size_t i = 0; i < 3; ++i)
              if (b * kColsPerBlock + 3 * g + i >= cols && d.c[i] != 0)
                fail("nonzero padding column");
            if (neg) ++p.neg_count[row];
          }
        }
      }
    }
    p_ = std::move(p);
  }

 private:
  Tl2Packed p_;
};

}  // namespace

std::unique_ptr<Kernel> MakeTl2(const KernelOptions& o) {
  return std::make_unique<Tl2>(o);
}

void Tl2GemmI8ForTest(const Kernel& kernel, const QuantizedActivations& xq,
                      float* y) {
  const auto* k = dynamic_cast<const Tl2*>(&kernel);
  if (k == nullptr) throw Error("kernel", "not a tl2 kernel");
  if (!k->prepared()) throw Error("kernel", "tl2: Prepare() not called");
  k->RunI8(xq, y);
}

}  // namespace rsr
#endif  // HWY_ONCE
