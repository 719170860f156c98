// tl2: TL2 lookup-table GEMV/GEMM (format in tl2.h; SIMD bodies and the
// Kernel shared with TL1 in baselines/lut/lut-inl.h and lut_kernel.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/tl2/tl2.cc"
// foreach_target.h must come first (it re-includes this file per target).
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "baselines/lut/lut-inl.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {

void Tl2Tiles(const LutTileJob& job) { lut::LutTiles</*kSigned=*/true>(job); }
void Tl2VecRows(const LutVecJob& job) {
  lut::LutVecRows</*kCols=*/3, /*kSigned=*/true>(job);
}
// Slot 9*c0 + 3*c1 + c2 holds c0*a0 + c1*a1 + c2*a2 for slots 0..13.
void Tl2Tables(const int8_t* q, size_t K, uint8_t* tables) {
  lut::BuildTables<3, 0, 14>(q, K, tables);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "baselines/tl2/tl2.h"

#include "baselines/lut/lut_kernel.h"

namespace rsr {
HWY_EXPORT(Tl2Tiles);
HWY_EXPORT(Tl2Tables);
HWY_EXPORT(Tl2VecRows);

namespace {

// Triples (w0, w1, w2) -> v = 9*w0 + 3*w1 + w2 as a magnitude nibble and a
// sign bit (tl2.h); the kernel's +1 per negative triple is undone by
// neg_count, recomputed from the sign bits after packing and loading.
struct Tl2Format {
  using Packed = Tl2Packed;
  using Block = Tl2Block;
  static constexpr const char* kName = "tl2";
  static constexpr const char* kGroup = "triple";
  static constexpr size_t kCols = 3;

  static int Magnitude(const Block& blk, size_t r, size_t g) {
    return (blk.mag[g / 2][r] >> (4 * (g % 2))) & 0x0F;
  }
  static bool Negative(const Block& blk, size_t r, size_t g) {
    return (blk.sign[r] >> (7 - g)) & 1;
  }
  static void Encode(Block& blk, size_t r, size_t g, const int8_t* w) {
    const int v = 9 * w[0] + 3 * w[1] + w[2];
    blk.mag[g / 2][r] |=
        static_cast<uint8_t>((v < 0 ? -v : v) << (4 * (g % 2)));
    if (v < 0) blk.sign[r] |= static_cast<uint8_t>(0x80 >> g);
  }
  static int8_t Decode(const Block& blk, size_t r, size_t g, size_t i) {
    const int mag = Magnitude(blk, r, g);
    return static_cast<int8_t>(
        TernaryDigit(Negative(blk, r, g) ? -mag : mag, i, 3));
  }
  static const char* Invalid(const Block& blk, size_t r, size_t g) {
    if (Magnitude(blk, r, g) > 13) return "magnitude above 13";
    if (Negative(blk, r, g) && Magnitude(blk, r, g) == 0)
      return "sign bit on a zero triple";
    return nullptr;
  }
  static void Finish(Packed& p) {
    p.neg_count.Resize(p.rows);
    lut::ForEachGroup<Tl2Format>(
        p, [&](const Block& blk, size_t row, size_t r, size_t g, size_t) {
          if (row < p.rows && Negative(blk, r, g)) ++p.neg_count[row];
        });
  }
  static int32_t RowBias(const Packed& p, size_t row) {
    return p.neg_count[row];
  }
  static size_t ExtraBytes(const Packed& p) { return p.neg_count.bytes(); }
  static constexpr auto* BuildTables = &BuildTl2Tables;
  static void Tiles(const LutTileJob& job) {
    HWY_DYNAMIC_DISPATCH(Tl2Tiles)(job);
  }
  static void VecRows(const LutVecJob& job) {
    HWY_DYNAMIC_DISPATCH(Tl2VecRows)(job);
  }
};

}  // namespace

Tl2Packed PackTl2(const TernaryMatrix& w) { return lut::Pack<Tl2Format>(w); }

std::vector<int8_t> UnpackTl2(const Tl2Packed& p) {
  return lut::Unpack<Tl2Format>(p);
}

void BuildTl2Table(int8_t a0, int8_t a1, int8_t a2, uint8_t* table32) {
  for (int i = 0; i < 16; ++i) {
    int v = 0;
    if (i < 14) {
      v = TernaryDigit(i, 0, 3) * a0 + TernaryDigit(i, 1, 3) * a1 +
          TernaryDigit(i, 2, 3) * a2;
    }
    table32[i] = static_cast<uint8_t>(v & 63);
    table32[16 + i] = static_cast<uint8_t>(static_cast<int8_t>(v >> 6));
  }
}

void BuildTl2Tables(const int8_t* q, size_t K, uint8_t* tables) {
  HWY_DYNAMIC_DISPATCH(Tl2Tables)(q, K, tables);
}

std::unique_ptr<Kernel> MakeTl2(const KernelOptions& o) {
  return std::make_unique<lut::LutKernel<Tl2Format>>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
