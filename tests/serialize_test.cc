// Save/load: a loaded kernel gives bit-identical results to the freshly
// prepared one, and corrupted or hostile files (byte flips, truncation,
// edited header fields, with and without recomputed checksums) load with an
// rsr::Error or to a kernel that still runs safely — never a crash.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr {
namespace {

std::vector<std::string> SerializableKernels() {
  std::vector<std::string> out;
  for (const auto& name : KernelNames()) {
    auto k = CreateKernel(name);
    k->Prepare(RandomTernary(2, 3, 1));
    try {
      SaveKernelToBytes(*k);
      out.push_back(name);
    } catch (const Error&) {
    }
  }
  return out;
}

// Header offsets (library/serialize.cc, FileHeader).
constexpr size_t kHeaderBytes = 104;
constexpr size_t kHeaderChecksumAt = 96;
constexpr size_t kPayloadChecksumAt = 88;

void FixChecksums(std::vector<uint8_t>& f) {
  if (f.size() < kHeaderBytes) return;
  const uint64_t payload = Checksum({f.data() + kHeaderBytes, f.size() - kHeaderBytes});
  std::memcpy(f.data() + kPayloadChecksumAt, &payload, 8);
  const uint64_t header = Checksum({f.data(), kHeaderChecksumAt});
  std::memcpy(f.data() + kHeaderChecksumAt, &header, 8);
}

class Serialize : public ::testing::TestWithParam<std::string> {};

TEST_P(Serialize, RoundTripIsBitIdentical) {
  for (auto [m, k] : {std::pair<size_t, size_t>{1, 1}, {17, 33}, {130, 1001}}) {
    for (ActivationType act : {ActivationType::kInt8, ActivationType::kFloat32}) {
      KernelOptions opt;
      opt.activations = act;
      std::unique_ptr<Kernel> fresh;
      try {
        fresh = CreateKernel(GetParam(), opt);
      } catch (const Error&) {
        continue;  // activation type not offered
      }
      const TernaryMatrix w = RandomTernary(m, k, m + k, 1.0 / 3, 0.5f);
      fresh->Prepare(w);
      const std::vector<uint8_t> bytes = SaveKernelToBytes(*fresh);
      auto loaded = LoadKernelFromBytes(bytes);
      EXPECT_EQ(loaded->Name(), fresh->Name());
      EXPECT_EQ(loaded->PreparedBytes(), fresh->PreparedBytes());
      const auto x = RandomActivations(k * 3, 9);
      std::vector<float> y1(m * 3), y2(m * 3);
      fresh->Gemm(x, 3, y1);
      loaded->Gemm(x, 3, y2);
      EXPECT_EQ(y1, y2) << m << "x" << k;
    }
  }
}

TEST_P(Serialize, CorruptedFilesNeverCrash) {
  auto kernel = CreateKernel(GetParam());
  kernel->Prepare(RandomTernary(9, 21, 3));
  const std::vector<uint8_t> good = SaveKernelToBytes(*kernel);
  std::mt19937_64 rng(12345);
  const std::vector<float> x = RandomActivations(21, 1);
  std::vector<float> y(9);
  size_t rejected = 0, loaded = 0;
  for (int i = 0; i < 10000; ++i) {
    std::vector<uint8_t> f = good;
    switch (i % 4) {
      case 0: {  // flip 1..4 random bytes
        const int n = 1 + rng() % 4;
        for (int j = 0; j < n; ++j) f[rng() % f.size()] ^= 1 + rng() % 255;
        break;
      }
      case 1:  // truncate
        f.resize(rng() % f.size());
        break;
      case 2: {  // edit a header field with a random or extreme value
        const size_t at = (rng() % (kHeaderBytes / 4)) * 4;
        const uint32_t vals[] = {0, 1, 0xFFFFFFFFu, 0x7FFFFFFFu, 17, 65537,
                                 static_cast<uint32_t>(rng())};
        const uint32_t v = vals[rng() % 7];
        std::memcpy(f.data() + at, &v, 4);
        break;
      }
      case 3: {  // hostile: flip payload bytes, then make checksums agree
        const int n = 1 + rng() % 3;
        for (int j = 0; j < n && f.size() > kHeaderBytes; ++j)
          f[kHeaderBytes + rng() % (f.size() - kHeaderBytes)] ^= 1 + rng() % 255;
        break;
      }
    }
    if (i % 2 == 1 || i % 4 == 3) FixChecksums(f);
    try {
      auto k = LoadKernelFromBytes(f);
      // Loaded: it passed validation and must run safely on its shape.
      std::vector<float> xs(k->cols(), 0.5f), ys(k->rows());
      k->Gemv(xs, ys);
      ++loaded;
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 5000u);
  RecordProperty("loaded", static_cast<int>(loaded));
}

TEST(SerializeErrors, NotPreparedOrMissingFile) {
  auto k = CreateKernel("dense-f32");
  EXPECT_THROW(SaveKernelToBytes(*k), Error);
  EXPECT_THROW(LoadKernel("/nonexistent/file.rsr"), Error);
  EXPECT_THROW(LoadKernelFromBytes(std::vector<uint8_t>(3)), Error);
}

INSTANTIATE_TEST_SUITE_P(AllSerializable, Serialize,
                         ::testing::ValuesIn(SerializableKernels()),
                         [](const auto& p) { return testing::TestName(p.param); });

}  // namespace
}  // namespace rsr
