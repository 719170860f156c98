// rsr-bench regress's comparisons (harness/regress_compare.cc) at their
// boundaries, with synthetic numbers: timing would make these tests flaky.
#include "harness/regress_compare.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "harness/regress.h"
#include "rsr/error.h"

namespace rsr::harness {
namespace {

// The default timing threshold (0.8, README): a ratio that grew 1.79x
// passes, 1.81x fails. (At exactly 1.8x the outcome is a matter of the last
// bit of now / base - 1, which is why the comments speak of "more than".)
TEST(RegressCompare, TimingThresholdBoundary) {
  const double threshold = RegressOptions{}.threshold;
  EXPECT_EQ(threshold, 0.8);
  for (double base : {0.25, 1.0, 3.7}) {
    EXPECT_FALSE(RatioRegressed(base, base * 1.79, threshold)) << base;
    EXPECT_TRUE(RatioRegressed(base, base * 1.81, threshold)) << base;
    EXPECT_FALSE(RatioRegressed(base, base * 0.2, threshold)) << base;
  }
}

CountCase Case(double instr, double d1, double ll) {
  // Initialized, not assigned: g++ 12 -O3 warns falsely (-Wrestrict) on
  // assigning a short literal to a std::string member here.
  return CountCase{.kernel = "k",
                   .m = 64,
                   .k = 64,
                   .tokens = 1,
                   .calls = 1,
                   .per_call = {instr, d1, ll}};
}

CountStatus Status(const CountCase& base, const CountCase& now,
                   const CountThresholds& t = {}) {
  const auto rows = CompareCounts({{"k", base}}, {{"k", now}}, t);
  EXPECT_EQ(rows.size(), 1u);
  return rows.at(0).status;
}

// Defaults: +3% instructions, +10% misses. Just above fails, just below
// passes, for each count on its own.
TEST(RegressCompare, CountThresholdBoundaries) {
  const CountCase base = Case(1e6, 1e4, 5e3);
  EXPECT_EQ(Status(base, base), CountStatus::kOk);
  EXPECT_EQ(Status(base, Case(1.0299e6, 1e4, 5e3)), CountStatus::kOk);
  EXPECT_EQ(Status(base, Case(1.0301e6, 1e4, 5e3)), CountStatus::kRegressed);
  EXPECT_EQ(Status(base, Case(1e6, 1.0999e4, 5e3)), CountStatus::kOk);
  EXPECT_EQ(Status(base, Case(1e6, 1.1001e4, 5e3)), CountStatus::kRegressed);
  EXPECT_EQ(Status(base, Case(1e6, 1e4, 5499)), CountStatus::kOk);
  EXPECT_EQ(Status(base, Case(1e6, 1e4, 5501)), CountStatus::kRegressed);
  // Fewer instructions beyond the threshold: improved (time to --update).
  EXPECT_EQ(Status(base, Case(0.96e6, 1e4, 5e3)), CountStatus::kImproved);
  // Worse in one count and better in another is a regression.
  EXPECT_EQ(Status(base, Case(0.5e6, 1.2e4, 5e3)), CountStatus::kRegressed);
}

// A few misses per call (data in the simulated cache) are compared against
// the floor, so +6 misses on 10 passes while +7 on 64 would not.
TEST(RegressCompare, MissFloor) {
  const CountThresholds t;  // floor 64, +10%
  EXPECT_EQ(Status(Case(1e6, 10, 10), Case(1e6, 16, 16), t), CountStatus::kOk);
  EXPECT_EQ(Status(Case(1e6, 10, 10), Case(1e6, 17, 10), t),
            CountStatus::kRegressed);
  EXPECT_EQ(Status(Case(1e6, 64, 64), Case(1e6, 71, 64), t),
            CountStatus::kRegressed);
}

// A matrix that mostly fits the simulated cache: its misses are compared
// with its cache lines (64 KiB = 1024 lines), not with the few it misses.
TEST(RegressCompare, MissFloorIsTheMatrixLines) {
  CountCase base = Case(1e6, 2000, 200), now = Case(1e6, 2000, 300);
  base.prepared_bytes = now.prepared_bytes = 64 << 10;
  EXPECT_EQ(Status(base, now), CountStatus::kOk);  // +100 < 10% of 1024
  now.per_call.ll_misses = 200 + 103;              // +103 > 102.4
  EXPECT_EQ(Status(base, now), CountStatus::kRegressed);
  now = Case(1e6, 2000 + 201, 200);  // D1: 2000 > 1024 lines: +10% of 2000
  now.prepared_bytes = base.prepared_bytes;
  EXPECT_EQ(Status(base, now), CountStatus::kRegressed);
}

TEST(RegressCompare, CasesOnOneSide) {
  const auto rows = CompareCounts({{"a", Case(1, 1, 1)}},
                                  {{"b", Case(1, 1, 1)}}, CountThresholds{});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].key, "a");
  EXPECT_EQ(rows[0].status, CountStatus::kMissing);
  EXPECT_EQ(rows[1].status, CountStatus::kNew);
  EXPECT_EQ(CountCaseKey("i2s", 2048, 2048, 8), "i2s 2048x2048 N=8");
}

TEST(RegressCompare, ParseCallgrindDump) {
  const CallgrindDump d = ParseCallgrindDump(
      "version: 1\ncreator: callgrind-3.19.0\n"
      "desc: I1 cache: 32768 B, 64 B, 8-way associative\n"
      "desc: Trigger: Client Request: rsr-count:i2s:64:64:1:2\n"
      "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n"
      "fn=(1) main\n0 5 1 1\n"
      "summary: 1001 11 2 3 4 5 6 7 8\n"
      "totals: 1000 10 2 3 4 5 6 7 8\n");
  EXPECT_EQ(d.trigger, "rsr-count:i2s:64:64:1:2");
  EXPECT_EQ(d.totals.at("Ir"), 1000u);
  EXPECT_EQ(d.totals.at("D1mw"), 5u);
  EXPECT_EQ(d.totals.at("DLmw"), 8u);
  EXPECT_EQ(ParseCallgrindDump("events: Ir\nsummary: 7\n").totals.at("Ir"), 7u);
  EXPECT_THROW(ParseCallgrindDump("desc: nothing\n"), Error);
}

}  // namespace
}  // namespace rsr::harness
