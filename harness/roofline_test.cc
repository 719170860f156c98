// The compute-roof probes and the roof arithmetic of run records
// (harness/roofline.cc).
#include "harness/roofline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "harness/machine.h"
#include "rsr/error.h"
#include "rsr/targets.h"

namespace rsr::harness {
namespace {

// Every probe runs on every target this CPU (or emulator) supports and
// reports a positive rate under that target's name. Natively the rate must
// also be physically plausible: 0.5..512 units per core-cycle at the
// measured clock. A probe whose loop the compiler folded or hoisted would
// report thousands per cycle; one doing a fraction of its work, far fewer.
// The fastest sample of each (max) is compared: on a busy machine a sample
// can lose the core for part of its time, and that only ever lowers a rate.
// Sanitizer builds instrument and out-of-line the probe steps: the rate
// bounds hold for optimized, uninstrumented code only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    !defined(__OPTIMIZE__)
constexpr bool kTimedBuild = false;
#else
constexpr bool kTimedBuild = true;
#endif

TEST(Roofline, EveryOpOnEveryTarget) {
  const bool emulated = LikelyEmulated();
  SetTargetBits(0);
  const double ghz = MeasureRoof("clock", 1, 5, 2e-3).max;
  ASSERT_GT(ghz, 0.0);
  for (const auto& t : SupportedTargets()) {
    SetTargetBits(t.bits);
    for (const auto& op : RoofOps()) {
      if (op == "clock") continue;
      const RoofResult r = MeasureRoof(op, 1, 5, emulated ? 1e-4 : 2e-3);
      EXPECT_EQ(r.target, t.name) << op;
      EXPECT_FALSE(r.instruction.empty()) << op << " " << t.name;
      EXPECT_GT(r.giga_per_s, 0.0) << op << " " << t.name;
      if (!emulated && kTimedBuild) {
        const double per_cycle = r.max / ghz;
        EXPECT_GE(per_cycle, 0.5) << op << " " << t.name;
        EXPECT_LE(per_cycle, 512.0) << op << " " << t.name;
      }
    }
  }
  SetTargetBits(0);
}

TEST(Roofline, RejectsBadArguments) {
  EXPECT_THROW(MeasureRoof("int4_dot", 1, 1, 1e-4), rsr::Error);
  EXPECT_THROW(MeasureRoof("int8_dot", 0, 1, 1e-4), rsr::Error);
  EXPECT_THROW(MeasureRoof("int8_dot", 1, 0, 1e-4), rsr::Error);
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Roofline, AnnotateDividesByBothRoofs) {
  const std::string roof = WriteTemp("roof.json", R"({"results": [
    {"op": "clock", "target": "AVX2", "threads": 1, "giga_per_s": 2.0},
    {"op": "int8_dot", "target": "AVX2", "threads": 1, "giga_per_s": 100.0},
    {"op": "int16_add", "target": "AVX2", "threads": 1, "giga_per_s": 50.0},
    {"op": "byte_shuffle", "target": "AVX2", "threads": 1, "giga_per_s": 40.0}]})");
  const std::string bw = WriteTemp("bw.json", R"({"results": [
    {"level": "L3", "mib": 16, "gbps": 100, "threads": 1},
    {"level": "DRAM", "mib": 64, "gbps": 30, "threads": 1},
    {"level": "DRAM", "mib": 512, "gbps": 25, "threads": 1},
    {"level": "DRAM", "mib": 512, "gbps": 40, "threads": 2}]})");
  const Roofs roofs = Roofs::Load(roof, bw);
  auto rec = [](const std::string& kernel, size_t tokens, double mib) {
    return nlohmann::json{{"kernel", kernel},   {"target", "AVX2"},
                          {"m", 1000},          {"k", 1000},
                          {"tokens", tokens},   {"threads", 1},
                          {"median_ms", 1.0},   {"prepared_bytes", mib * (1 << 20)},
                          {"gbps", 3.0}};
  };
  nlohmann::json r = rec("i2s", 10, 20);  // 1e7 MACs in 1 ms: 10 GMAC/s
  roofs.Annotate(r);
  EXPECT_DOUBLE_EQ(r["gmacs"].get<double>(), 10.0);
  EXPECT_EQ(r["compute_roof_op"], "int8_dot");
  EXPECT_DOUBLE_EQ(r["compute_roof_fraction"].get<double>(), 0.1);
  // 1 ms at 2 GHz over 1e7 products: 0.2 cycles each, 200 per 1000.
  EXPECT_DOUBLE_EQ(r["cycles_per_kweight"].get<double>(), 200.0);
  EXPECT_EQ(r["bandwidth_roof_level"], "DRAM");  // 20 MiB: the 64 MiB probe
  EXPECT_DOUBLE_EQ(r["bandwidth_roof_mib"].get<double>(), 64.0);
  EXPECT_DOUBLE_EQ(r["bandwidth_fraction"].get<double>(), 0.1);

  r = rec("i2s", 1, 64.0 + 260.0 / (1 << 20));  // 64 MiB + slack: 64 MiB
  roofs.Annotate(r);
  EXPECT_DOUBLE_EQ(r["bandwidth_roof_mib"].get<double>(), 64.0);
  r = rec("i2s", 1, 64.0 * 1.02);  // 2% past the probe: the next one
  roofs.Annotate(r);
  EXPECT_DOUBLE_EQ(r["bandwidth_roof_mib"].get<double>(), 512.0);

  r = rec("tl2", 1, 600);  // larger than every probe: the largest
  roofs.Annotate(r);
  EXPECT_EQ(r["compute_roof_op"], "byte_shuffle");
  EXPECT_DOUBLE_EQ(r["compute_roof_gmacs"].get<double>(), 120.0);  // 3 w/lookup
  EXPECT_DOUBLE_EQ(r["bandwidth_roof_mib"].get<double>(), 512.0);

  r = rec("tl1", 4, 1);  // int16 adds of token-vector entries, 2 w each
  roofs.Annotate(r);
  EXPECT_DOUBLE_EQ(r["compute_roof_gmacs"].get<double>(), 100.0);
  EXPECT_EQ(r["bandwidth_roof_level"], "L3");

  r = rec("rsrpp-simd", 4, 1);
  r["block_height"] = 5;  // 5 rows per int16 add
  roofs.Annotate(r);
  EXPECT_DOUBLE_EQ(r["compute_roof_gmacs"].get<double>(), 250.0);

  r = rec("rsr", 1, 1);  // scalar: no compute roof
  roofs.Annotate(r);
  EXPECT_FALSE(r.contains("compute_roof_fraction"));
  EXPECT_TRUE(r.contains("bandwidth_fraction"));

  r = rec("i2s", 1, 1);
  r["target"] = "AVX3";  // no row for this target: no compute fields
  roofs.Annotate(r);
  EXPECT_FALSE(r.contains("compute_roof_fraction"));
}

TEST(Roofline, LoadRejectsMalformedFiles) {
  const std::string none = ::testing::TempDir() + "no-such-roof.json";
  std::remove(none.c_str());
  EXPECT_THROW(Roofs::Load(none, ""), rsr::Error);
  EXPECT_THROW(Roofs::Load(WriteTemp("r1.json", "{\"results\": 3}"), ""),
               rsr::Error);
  EXPECT_THROW(Roofs::Load(WriteTemp("r2.json", R"({"results": [{"op": 1}]})"), ""),
               rsr::Error);
  EXPECT_THROW(Roofs::Load(WriteTemp("r3.json", R"({"results": [
    {"op": "int8_dot", "target": "AVX2", "threads": 1, "giga_per_s": -1}]})"), ""),
               rsr::Error);
  EXPECT_THROW(Roofs::Load("", WriteTemp("b1.json", R"({"results": [
    {"level": "DRAM", "mib": 0, "gbps": 1, "threads": 1}]})")),
               rsr::Error);
  EXPECT_NO_THROW(Roofs::Load("", ""));
}

}  // namespace
}  // namespace rsr::harness
