// The read-bandwidth probe (harness/bandwidth.cc): exact sums, input checks.
#include "harness/bandwidth.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "rsr/error.h"

namespace rsr::harness {
namespace {

// The bandwidth probe's sum must see every element (tails included).
TEST(Bandwidth, SumInt64IsExact) {
  for (size_t n : {0, 1, 7, 8, 31, 64, 1000, 4099}) {
    std::vector<int64_t> v(n);
    int64_t want = 0;
    for (size_t i = 0; i < n; ++i) {
      v[i] = static_cast<int64_t>(i * 2654435761u % 1000003) - 500000;
      want += v[i];
    }
    EXPECT_EQ(SumInt64(v.data(), n), want) << n;
  }
}

// The probe's buffers hold large values whose sum wraps; the sum wraps
// (as uint64) without signed overflow (the ASan+UBSan build checks that).
// Values near 2^61: with one vector per stream (n = 4 * lanes) every lane
// holds about 2^63 after the four streams are added, so a signed reduction
// of the lanes overflows.
TEST(Bandwidth, SumInt64Wraps) {
  for (size_t n : {8, 16, 32, 35, 64, 4099}) {
    std::vector<int64_t> v(n);
    uint64_t want = 0;
    for (size_t i = 0; i < n; ++i) {
      v[i] = std::numeric_limits<int64_t>::max() / 4 - static_cast<int64_t>(i);
      want += static_cast<uint64_t>(v[i]);
    }
    EXPECT_EQ(SumInt64(v.data(), n), static_cast<int64_t>(want)) << n;
  }
}

TEST(Bandwidth, RejectsBadCases) {
  EXPECT_THROW(MeasureReadBandwidth({"L2", 1 << 20, 0}, 3), rsr::Error);
  EXPECT_THROW(MeasureReadBandwidth({"L2", 100, 1}, 3), rsr::Error);
  EXPECT_THROW(MeasureReadBandwidth({"L2", 1 << 20, 1}, 0), rsr::Error);
  const BandwidthResult r = MeasureReadBandwidth({"L2", 64 << 10, 1}, 3, 1e-4);
  EXPECT_GT(r.gbps_median, 0.0);
  EXPECT_EQ(r.reps, 3u);
}

// rsr-bench run pairs kernel windows with samples of one probe buffer.
TEST(Bandwidth, ReadProbeSamplesOnDemand) {
  EXPECT_THROW(ReadProbe({"L2", 1 << 20, 0}), rsr::Error);
  EXPECT_THROW(ReadProbe({"L2", 4096, 2}), rsr::Error);  // < 4 KiB per thread
  ReadProbe probe({"L2", 64 << 10, 2});
  EXPECT_EQ(probe.config().bytes, size_t{64} << 10);
  EXPECT_GT(probe.TimePasses(3), 0.0);
  EXPECT_GT(probe.SampleGbps(1e-4), 0.0);
  EXPECT_GT(probe.SampleGbps(0), 0.0);  // at least one timed pass
}

}  // namespace
}  // namespace rsr::harness
