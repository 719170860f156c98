// The shape both lookup-table formats (TL1, TL2) share, defined once: tiles of
// kTlRows rows, blocks of kTlGroupsPerBlock column groups, one 32-byte table
// per activation group; plus the arguments of the dispatched tile loop.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rsr {

inline constexpr size_t kTlRows = 64;           // rows per tile (one zmm)
inline constexpr size_t kTlGroupsPerBlock = 8;  // column groups per block
inline constexpr size_t kTlTableBytes = 32;     // 16 low + 16 high bytes

// One call of the dispatched tile loop (lut-inl.h LutTiles).
struct LutTileJob {
  const uint8_t* packed;
  size_t blocks_per_tile;
  const uint8_t* tables;
  size_t tokens;
  size_t tile_begin, tile_end;
  int32_t* dots;
  size_t dot_stride;
};

// Balanced-ternary digit i (0 = most significant) of v written with n digits:
// TL2's v = 9*w0 + 3*w1 + w2 has the digits (w0, w1, w2).
constexpr int TernaryDigit(int v, size_t i, size_t n) {
  int d = 0;
  for (size_t k = n; k-- > i;) {
    d = (v % 3 + 4) % 3 - 1;  // v - d is a multiple of 3, d in {-1, 0, 1}
    v = (v - d) / 3;
  }
  return d;
}
static_assert(TernaryDigit(13, 0, 3) == 1 && TernaryDigit(13, 2, 3) == 1);
static_assert(TernaryDigit(2, 1, 3) == 1 && TernaryDigit(2, 2, 3) == -1);
static_assert(TernaryDigit(-5, 0, 3) == -1 && TernaryDigit(-5, 1, 3) == 1 &&
              TernaryDigit(-5, 2, 3) == 1);

}  // namespace rsr
