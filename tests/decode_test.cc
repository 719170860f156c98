// Single-token int8 rsrpp-simd (the decode path behind every headline
// figure) at the K that matter: its GEMV keeps the running prefix for one
// 1024-column chunk at a time (kPrefixChunk), so K = 1023, 1024, 1025 sit on
// the first chunk boundary, 65535 is the largest K with uint16 indexes, and
// 2560, 3200, 6912, 8640 are the K of the bitnet-2b and bitnet-3b shape sets
// (rsr-bench shapes). Exact (==) against ReferenceGemmI8 on every supported
// target, with 1 and 2 threads. The index is built once per shape and reused
// across targets (it does not depend on the target), which keeps this quick.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "rsr/rsr.h"

namespace rsr {
namespace {

bool Quick() {
  const char* s = std::getenv("RSR_TEST_SCALE");
  return s != nullptr && std::string(s) == "quick";
}

void ExpectDecodeExact(size_t m, size_t k, uint64_t seed) {
  SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(k));
  const TernaryMatrix w = RandomTernary(m, k, seed, 1.0 / 3, 0.75f);
  KernelOptions opt;
  opt.activations = ActivationType::kInt8;
  auto kernel = CreateKernel("rsrpp-simd", opt);
  kernel->Prepare(w);
  const std::vector<float> x = RandomActivations(k, seed + 1, -2.0f, 2.0f);
  std::vector<float> ref(m);
  ReferenceGemmI8(w, QuantizeActivations(x, k, 1), ref);
  for (const TargetInfo& t : SupportedTargets()) {
    SetTargetBits(t.bits);
    for (int threads : {1, 2}) {
      kernel->SetThreads(threads);
      std::vector<float> y(m, -1.0f);
      kernel->Gemv(x, y);
      size_t bad = 0;
      for (size_t r = 0; r < m; ++r) bad += y[r] != ref[r];
      EXPECT_EQ(bad, 0u) << t.name << ", " << threads << " threads";
    }
  }
  SetTargetBits(0);
}

// K around the chunk and the index-width limits; M = 40 rows is several
// blocks at every default k (1..8).
TEST(RsrppSimdDecode, ChunkAndWidthEdges) {
  for (size_t k : {1023, 1024, 1025, 2047, 2049, 65535})
    ExpectDecodeExact(40, k, k);
}

// The bitnet-2b and bitnet-3b decode shapes with K > 1024. The GEMV's path
// depends on K (chunks, k) and only through the block count on M, so M is cut
// to 320 rows (quick: 40), except 2560x2560, run whole.
TEST(RsrppSimdDecode, BitnetShapes) {
  const size_t m = Quick() ? 40 : 320;
  ExpectDecodeExact(Quick() ? m : 2560, 2560, 1);
  for (auto [rows, k] : {std::pair<size_t, size_t>{640, 2560},
                         {6912, 2560},
                         {2560, 6912},
                         {3200, 3200},
                         {3200, 8640},
                         {8640, 3200}})
    ExpectDecodeExact(std::min(rows, m), k, rows + k);
}

}  // namespace
}  // namespace rsr
