// tl1: TL1 lookup-table GEMV/GEMM (format in tl1.h, SIMD bodies in
// lut-inl.h, the Kernel shared with TL2 in lut_kernel.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "baselines/tl1/tl1.cc"
// foreach_target.h must come first (it re-includes this file per target).
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "baselines/lut/lut-inl.h"
// clang-format on

HWY_BEFORE_NAMESPACE();
namespace rsr {
namespace HWY_NAMESPACE {

void Tl1Tiles(const LutTileJob& job) { lut::LutTiles(job); }
void Tl1VecRows(const LutVecJob& job) {
  lut::LutVecRows</*kCols=*/2, /*kSigned=*/false>(job);
}
// Slot 3*c0 + c1 + 4 holds c0*a0 + c1*a1 for slots 0..8.
void Tl1Tables(const int8_t* q, size_t K, uint8_t* tables) {
  lut::BuildTables<2, 4, 9>(q, K, tables);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "baselines/tl1/tl1.h"

#include "baselines/lut/lut_kernel.h"

namespace rsr {
HWY_EXPORT(Tl1Tiles);
HWY_EXPORT(Tl1Tables);
HWY_EXPORT(Tl1VecRows);

namespace {

// Pairs (w0, w1) -> index 3*w0 + w1 + 4 in a nibble (tl1.h).
struct Tl1Format {
  using Packed = Tl1Packed;
  using Block = Tl1Block;
  static constexpr const char* kName = "tl1";
  static constexpr const char* kGroup = "pair";
  static constexpr size_t kCols = 2;
  static constexpr size_t kTableBytes = kTlTableBytes;
  static constexpr uint32_t kPayloadLayout = 1;
  static constexpr size_t BlockIndex(size_t /*tiles*/, size_t bpt,
                                     size_t tile, size_t b) {
    return tile * bpt + b;  // tile-major
  }

  static unsigned Index(const Block& blk, size_t r, size_t g) {
    return (blk.idx[g / 2][r] >> (4 * (g % 2))) & 0x0F;
  }
  static void Encode(Block& blk, size_t r, size_t g, const int8_t* w) {
    const int index = 3 * w[0] + w[1] + 4;
    blk.idx[g / 2][r] |= static_cast<uint8_t>(index << (4 * (g % 2)));
  }
  static int8_t Decode(const Block& blk, size_t r, size_t g, size_t i) {
    const int index = static_cast<int>(Index(blk, r, g));
    return static_cast<int8_t>((i == 0 ? index / 3 : index % 3) - 1);
  }
  static const char* Invalid(const Block& blk, size_t r, size_t g) {
    return Index(blk, r, g) > 8 ? "index above 8" : nullptr;
  }
  static void Finish(Packed& /*p*/) {}
  static const int32_t* RowBias(const Packed& /*p*/) { return nullptr; }
  static size_t ExtraBytes(const Packed& /*p*/) { return 0; }
  static constexpr auto* BuildTables = &BuildTl1Tables;
  static void Tiles(const LutTileJob& job) {
    HWY_DYNAMIC_DISPATCH(Tl1Tiles)(job);
  }
  static void VecRows(const LutVecJob& job) {
    HWY_DYNAMIC_DISPATCH(Tl1VecRows)(job);
  }
};

}  // namespace

Tl1Packed PackTl1(const TernaryMatrix& w) { return lut::Pack<Tl1Format>(w); }

std::vector<int8_t> UnpackTl1(const Tl1Packed& p) {
  return lut::Unpack<Tl1Format>(p);
}

void BuildTl1Table(int8_t a0, int8_t a1, uint8_t* table32) {
  for (int i = 0; i < 16; ++i) {
    int v = 0;
    if (i < 9) v = (i / 3 - 1) * a0 + (i % 3 - 1) * a1;
    table32[i] = static_cast<uint8_t>(v & 63);
    table32[16 + i] = static_cast<uint8_t>(static_cast<int8_t>(v >> 6));
  }
}

void BuildTl1Tables(const int8_t* q, size_t K, uint8_t* tables) {
  HWY_DYNAMIC_DISPATCH(Tl1Tables)(q, K, tables);
}

std::unique_ptr<Kernel> MakeTl1(const KernelOptions& o) {
  return std::make_unique<lut::LutKernel<Tl1Format>>(o);
}

}  // namespace rsr
#endif  // HWY_ONCE
