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

void Tl2Tiles(const LutTileJob& job) { lut::Tl2Tiles(job); }
void Tl2VecRows(const LutVecJob& job) {
  lut::LutVecRows</*kCols=*/3, /*kSigned=*/true>(job);
}
// Slot 9*c0 + 3*c1 + c2 holds c0*a0 + c1*a1 + c2*a2 for slots 0..13, and
// slot 16 + m its negation (tl2.h).
void Tl2Tables(const int8_t* q, size_t K, uint8_t* tables) {
  lut::BuildTables<3, 0, 14, /*kWithNegation=*/true>(q, K, tables);
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

// Triples (w0, w1, w2) -> v = 9*w0 + 3*w1 + w2 as the 5-bit code
// (v < 0 ? 16 : 0) | |v| (tl2.h).
struct Tl2Format {
  using Packed = Tl2Packed;
  using Block = Tl2Block;
  static constexpr const char* kName = "tl2";
  static constexpr const char* kGroup = "triple";
  static constexpr size_t kCols = 3;
  static constexpr size_t kTableBytes = kTl2TableBytes;
  static constexpr uint32_t kPayloadLayout = kTl2PayloadLayout;
  static constexpr auto* BlockIndex = &Tl2BlockIndex;

  static void Encode(Block& blk, size_t r, size_t g, const int8_t* w) {
    const int v = 9 * w[0] + 3 * w[1] + w[2];
    Tl2SetCode(blk, r, g, static_cast<unsigned>(v < 0 ? 16 - v : v));
  }
  static int8_t Decode(const Block& blk, size_t r, size_t g, size_t i) {
    const int c = static_cast<int>(Tl2Code(blk, r, g));
    return static_cast<int8_t>(TernaryDigit(c & 16 ? -(c & 15) : c, i, 3));
  }
  static const char* Invalid(const Block& blk, size_t r, size_t g) {
    const unsigned c = Tl2Code(blk, r, g);
    if ((c & 15) > 13) return "magnitude above 13";
    if (c == 16) return "negative zero code";
    return nullptr;
  }
  static void Finish(Packed& p) {
    p.neg_count.Resize(p.tiles * kTlRows);  // padding rows: 0
    lut::ForEachGroup<Tl2Format>(
        p, [&](const Block& blk, size_t row, size_t r, size_t g, size_t) {
          if (Tl2Code(blk, r, g) & 16) ++p.neg_count[row];
        });
  }
  static const int32_t* RowBias(const Packed& p) {
    return p.neg_count.data();
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

void BuildTl2Table(int8_t a0, int8_t a1, int8_t a2, uint8_t* table64) {
  for (int c = 0; c < 32; ++c) {
    const int m = c % 16;
    int v = 0;
    if (m < 14) {
      v = TernaryDigit(m, 0, 3) * a0 + TernaryDigit(m, 1, 3) * a1 +
          TernaryDigit(m, 2, 3) * a2;
    }
    if (c >= 16) v = -v;
    table64[c] = static_cast<uint8_t>(v & 63);
    table64[32 + c] = static_cast<uint8_t>(static_cast<int8_t>(v >> 6));
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
