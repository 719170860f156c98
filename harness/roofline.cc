// Compute-roof probes; see roofline.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "harness/roofline.cc"
// clang-format off
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// clang-format on

// Highway 1.0.3's AVX3_DL attribute lacks avx512vnni (docs/toolchain.md).
#undef RSR_ROOF_ATTR
#if HWY_TARGET == HWY_AVX3_DL
#define RSR_ROOF_ATTR __attribute__((target(HWY_TARGET_STR ",avx512vnni")))
#else
#define RSR_ROOF_ATTR
#endif

HWY_BEFORE_NAMESPACE();
namespace rsr::harness {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Makes v opaque to the optimizer without emitting an instruction: the
// compiler must assume the asm changed it, so it cannot fold repeated adds
// into one multiply or hoist a loop-invariant shuffle.
template <class V>
HWY_INLINE void Opaque(V& v) {
#if HWY_TARGET == HWY_SCALAR || HWY_TARGET == HWY_EMU128
  asm volatile("" : "+m"(v));  // no register class for a struct-wrapped lane
#elif HWY_HAVE_SCALABLE
  asm volatile("" : "+w"(v));  // SVE: the vector is the sizeless type
#elif HWY_ARCH_X86
  asm volatile("" : "+v"(v.raw));
#elif HWY_ARCH_ARM
  asm volatile("" : "+w"(v.raw));
#else
  asm volatile("" : "+m"(v));
#endif
}

// Twelve named chains (SVE vectors cannot be array elements).
#define RSR_ROOF_CHAINS(X) \
  X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
constexpr size_t kChains = 12;

using DU8 = hn::ScalableTag<uint8_t>;
using DI8 = hn::ScalableTag<int8_t>;
using DI16 = hn::ScalableTag<int16_t>;
using DI32 = hn::ScalableTag<int32_t>;
using DF32 = hn::ScalableTag<float>;

// Every probe has one shape: chain i does acc_i = step(acc_i, op), then
// acc_i is made opaque. kFreshOperand also makes op opaque before each step,
// for a step whose product does not depend on acc_i (it could be hoisted or
// shared by the chains). One operand register for all chains: 12 chains + 1
// fit the 16 registers of AVX2/SSE4 without spills (one operand per chain
// spilled there and halved the measured pmaddubsw rate).
template <bool kFreshOperand, class D, class VO, class Step>
HWY_INLINE void Chains(D d, size_t iters, VO operand, Step step,
                       int64_t* sink) {
#define RSR_INIT(i) auto acc##i = hn::Set(d, static_cast<hn::TFromD<D>>(i + 1));
#define RSR_STEP(i)                        \
  if constexpr (kFreshOperand) Opaque(op); \
  acc##i = step(acc##i, op);               \
  Opaque(acc##i);
  auto op = operand;
  RSR_ROOF_CHAINS(RSR_INIT)
  for (size_t it = 0; it < iters; ++it) {
    RSR_ROOF_CHAINS(RSR_STEP)
  }
  auto sum = hn::Zero(d);
#define RSR_SUM(i) sum = hn::Add(sum, acc##i);
  RSR_ROOF_CHAINS(RSR_SUM)
  *sink += static_cast<int64_t>(hn::GetLane(sum));
#undef RSR_INIT
#undef RSR_STEP
#undef RSR_SUM
}

// int8 dot products; returns MACs per iteration. The operand is a byte
// vector of 3s (valid as u8 and s8).
RSR_ROOF_ATTR uint64_t Int8Dot(size_t iters, int64_t* sink) {
  const auto three = hn::Set(DU8(), 3);
#if HWY_TARGET == HWY_AVX3_DL
  Chains<false>(
      DI32(), iters, three,
      [](hn::Vec<DI32> acc, hn::Vec<DU8> x) RSR_ROOF_ATTR {
        return hn::Vec<DI32>{_mm512_dpbusd_epi32(acc.raw, x.raw, x.raw)};
      },
      sink);
  return hn::Lanes(DI32()) * 4 * kChains;
#elif (HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)) || \
    HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 ||               \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
  Chains<false>(
      DI32(), iters, hn::BitCast(DI8(), three),
      [](hn::Vec<DI32> acc, hn::Vec<DI8> x) {
#if HWY_TARGET == HWY_NEON
        return hn::Vec<DI32>(vdotq_s32(acc.raw, x.raw, x.raw));
#else
        return svdot_s32(acc, x, x);
#endif
      },
      sink);
  return hn::Lanes(DI32()) * 4 * kChains;
#else
  // vpmaddubsw (u8 x s8, adjacent pairs into int16) + vpaddw: the form the
  // int8 kernels use between their rare widenings to int32. The operand is
  // fresh each step so the multiply cannot be hoisted.
  Chains<true>(
      DI16(), iters, three,
      [](hn::Vec<DI16> acc, hn::Vec<DU8> x) {
#if HWY_TARGET == HWY_AVX3
        return hn::Add(acc, hn::Vec<DI16>{_mm512_maddubs_epi16(x.raw, x.raw)});
#elif HWY_TARGET == HWY_AVX2
        return hn::Add(acc, hn::Vec<DI16>{_mm256_maddubs_epi16(x.raw, x.raw)});
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
        return hn::Add(acc, hn::Vec<DI16>{_mm_maddubs_epi16(x.raw, x.raw)});
#else
        const DI16 d;
        const auto x16 = hn::BitCast(d, x);
        const auto even = hn::And(x16, hn::Set(d, 0xFF));
        const auto odd = hn::ShiftRight<8>(x16);  // bytes < 128
        return hn::Add(acc, hn::Add(hn::Mul(even, even), hn::Mul(odd, odd)));
#endif
      },
      sink);
  return hn::Lanes(DI16()) * 2 * kChains;
#endif
}

uint64_t Int16Add(size_t iters, int64_t* sink) {
  const DI16 d;
  Chains<false>(
      d, iters, hn::Set(d, 1),
      [](hn::Vec<DI16> v, hn::Vec<DI16> one) { return hn::Add(v, one); },
      sink);
  return hn::Lanes(d) * kChains;
}

RSR_ROOF_ATTR uint64_t ByteShuffle(size_t iters, int64_t* sink) {
  const DU8 d;
  const auto table = hn::Iota(d, 7);
#if HWY_TARGET == HWY_AVX3_DL
  Chains<false>(
      d, iters, table,
      [](hn::Vec<DU8> v, hn::Vec<DU8> t) RSR_ROOF_ATTR {
        return hn::Vec<DU8>{_mm512_permutexvar_epi8(v.raw, t.raw)};
      },
      sink);
#else
  Chains<false>(
      d, iters, table,
      [](hn::Vec<DU8> v, hn::Vec<DU8> t) { return hn::TableLookupBytes(t, v); },
      sink);
#endif
  return hn::Lanes(d) * kChains;
}

uint64_t F32Fma(size_t iters, int64_t* sink) {
  const DF32 d;
  Chains<false>(
      d, iters, hn::Set(d, 0.999f),
      [](hn::Vec<DF32> v, hn::Vec<DF32> a) { return hn::MulAdd(v, a, a); },
      sink);
  return hn::Lanes(d) * kChains;
}

const char* InstructionName(int op) {
  const bool vnni = HWY_TARGET == HWY_AVX3_DL;
  const bool x86 = HWY_ARCH_X86 && HWY_TARGET != HWY_EMU128 &&
                   HWY_TARGET != HWY_SCALAR;
  switch (op) {
    case 0:
      if (vnni) return "vpdpbusd";
#if HWY_TARGET == HWY_NEON && defined(__ARM_FEATURE_DOTPROD)
      return "sdot";
#elif HWY_TARGET == HWY_SVE || HWY_TARGET == HWY_SVE2 || \
    HWY_TARGET == HWY_SVE_256 || HWY_TARGET == HWY_SVE2_128
      return "sdot (SVE)";
#endif
      return x86 ? "vpmaddubsw+vpaddw" : "emulated pmaddubsw + add";
    case 1: return "int16 add";
    case 2:
      if (vnni) return "vpermb";
      return x86 ? "vpshufb" : "TableLookupBytes (tbl)";
    default: return "f32 fma";
  }
}

// op: 0 int8_dot, 1 int16_add, 2 byte_shuffle, 3 f32_fma. Returns units per
// iteration; *sink keeps the result observable.
uint64_t RunProbe(int op, size_t iters, int64_t* sink) {
  switch (op) {
    case 0: return Int8Dot(iters, sink);
    case 1: return Int16Add(iters, sink);
    case 2: return ByteShuffle(iters, sink);
    default: return F32Fma(iters, sink);
  }
}

const char* ProbeInstruction(int op) { return InstructionName(op); }

#undef RSR_ROOF_CHAINS
// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace rsr::harness
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "harness/measure.h"
#include "harness/report.h"
#include "harness/roofline.h"
#include "rsr/error.h"
#include "rsr/targets.h"

namespace rsr::harness {
HWY_EXPORT(RunProbe);
HWY_EXPORT(ProbeInstruction);

namespace {

std::atomic<int64_t> g_sink{0};

// Dependent scalar adds, 8 per iteration: one per cycle (add latency 1).
uint64_t ClockChain(size_t iters, int64_t* sink) {
  uint64_t x = static_cast<uint64_t>(*sink) | 1, y = 3;
  for (size_t i = 0; i < iters; ++i) {
    for (int j = 0; j < 8; ++j) {
      x += y;
      asm volatile("" : "+r"(x));
    }
  }
  *sink += static_cast<int64_t>(x);
  return 8;
}

struct OpInfo {
  const char* name;
  const char* unit;
  int index;  // RunProbe op, -1 = clock
};
constexpr OpInfo kOps[] = {{"clock", "cycle", -1},
                           {"int8_dot", "MAC", 0},
                           {"int16_add", "lane-add", 1},
                           {"byte_shuffle", "byte-lookup", 2},
                           {"f32_fma", "fma", 3}};

const OpInfo& FindOp(const std::string& op) {
  for (const auto& o : kOps)
    if (op == o.name) return o;
  throw Error("op", "unknown roofline op '" + op + "'");
}

}  // namespace

const std::vector<std::string>& RoofOps() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    for (const auto& o : kOps) v.push_back(o.name);
    return v;
  }();
  return ops;
}

nlohmann::json RoofResult::ToJson() const {
  return {{"op", op},         {"unit", unit},   {"instruction", instruction},
          {"target", target}, {"threads", threads},
          {"giga_per_s", giga_per_s},
          {"min", min},       {"max", max},     {"reps", reps}};
}

RoofResult MeasureRoof(const std::string& op, int threads, size_t reps,
                       double min_sample_s) {
  using Clock = std::chrono::steady_clock;
  const OpInfo& info = FindOp(op);
  if (threads < 1) throw Error("threads", "must be >= 1");
  if (reps < 1) throw Error("reps", "must be >= 1");
  auto probe = [&](size_t iters, int64_t* sink) -> uint64_t {
    if (info.index < 0) return ClockChain(iters, sink);
    return HWY_DYNAMIC_DISPATCH(RunProbe)(info.index, iters, sink);
  };
  // One sample: every thread runs `iters` iterations; units per second of
  // wall time over all threads.
  auto sample = [&](size_t iters) {
    std::atomic<uint64_t> units{0};
    const auto t0 = Clock::now();
#pragma omp parallel num_threads(threads)
    {
      int64_t sink = omp_get_thread_num();
      const uint64_t per = probe(iters, &sink);
      units.fetch_add(per * iters, std::memory_order_relaxed);
      g_sink.fetch_add(sink, std::memory_order_relaxed);
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(units.load()) / std::max(s, 1e-9);
  };
  // Iterations per sample from one thread's pace (a fork/join on a busy
  // machine can take milliseconds and would hide the per-iteration cost).
  int64_t sink = 0;
  size_t iters = 1000;
  probe(iters, &sink);  // warm-up: dispatch, clock ramp
  for (;;) {
    const auto t0 = Clock::now();
    probe(iters, &sink);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s >= min_sample_s || iters > (size_t{1} << 40)) break;
    iters *= s > min_sample_s / 16 ? 2 : 16;
  }
  g_sink.fetch_add(sink, std::memory_order_relaxed);
  sample(iters / 16 + 1);  // warm-up of the thread pool
  std::vector<double> rates;
  for (size_t r = 0; r < reps; ++r) rates.push_back(sample(iters) / 1e9);
  const TimingStats st = Summarize(rates);
  RoofResult out;
  out.op = info.name;
  out.unit = info.unit;
  out.instruction = info.index < 0
                        ? "dependent scalar add"
                        : HWY_DYNAMIC_DISPATCH(ProbeInstruction)(info.index);
  out.target = CurrentTargetName();
  out.threads = threads;
  out.giga_per_s = st.median_s;
  out.min = st.min_s;
  out.max = st.max_s;
  out.reps = st.reps;
  return out;
}

std::optional<ComputeModel> ComputeModelFor(const std::string& kernel,
                                            size_t tokens, int block_height) {
  if (kernel == "i2s") return ComputeModel{"int8_dot", 1};
  // tq5 spends 3 byte permutes (2 vpermt2b, 1 vpermb) per 5 vpdpbusd on its
  // VBMI decode, and they share the dot pipes: on AMD EPYC family 26 model 2,
  // 16 vpdpbusd + 16 vpermb take 3.59 ns against 2.00 for the 16 dots alone
  // (docs/design-notes.md, tq5). So 5 of every 8 dot-pipe slots are dots.
  if (kernel == "tq5") return ComputeModel{"int8_dot", 5.0 / 8.0};
  if (kernel == "tl1" || kernel == "tl2") {
    const double weights = kernel == "tl1" ? 2 : 3;
    return ComputeModel{tokens == 1 ? "byte_shuffle" : "int16_add", weights};
  }
  if (kernel == "rsrpp-simd" && block_height > 0)
    return ComputeModel{"int16_add", static_cast<double>(block_height)};
  if (kernel == "dense-f32") return ComputeModel{"f32_fma", 1};
  return std::nullopt;
}

namespace {

const nlohmann::json& Results(const nlohmann::json& doc,
                              const std::string& path,
                              const std::string& what) {
  if (!doc.is_object() || !doc.contains("results") ||
      !doc["results"].is_array())
    throw Error(what, path + ": no \"results\" array (expected the output of "
                             "rsr-bench " + what + " --format json)");
  return doc["results"];
}

}  // namespace

Roofs Roofs::Load(const std::string& roofline_json,
                  const std::string& bandwidth_json) {
  Roofs roofs;
  if (!roofline_json.empty()) {
    const auto doc = ReadJsonFile(roofline_json, "roofline");
    for (const auto& r : Results(doc, roofline_json, "roofline")) {
      RoofResult x;
      try {
        x.op = r.at("op").get<std::string>();
        x.target = r.at("target").get<std::string>();
        x.threads = r.at("threads").get<int>();
        x.giga_per_s = r.at("giga_per_s").get<double>();
      } catch (const nlohmann::json::exception& e) {
        throw Error("roofline", roofline_json + ": malformed record: " +
                                    e.what());
      }
      if (!(x.giga_per_s > 0) || x.threads < 1)
        throw Error("roofline", roofline_json +
                                    ": a record with a non-positive rate or "
                                    "thread count");
      roofs.compute_.push_back(x);
    }
  }
  if (!bandwidth_json.empty()) {
    const auto doc = ReadJsonFile(bandwidth_json, "bandwidth");
    for (const auto& r : Results(doc, bandwidth_json, "bandwidth")) {
      MemoryRoof m;
      int threads = 0;
      try {
        m.level = r.at("level").get<std::string>();
        m.mib = r.at("mib").get<double>();
        m.gbps = r.at("gbps").get<double>();
        threads = r.at("threads").get<int>();
      } catch (const nlohmann::json::exception& e) {
        throw Error("bandwidth", bandwidth_json + ": malformed record: " +
                                     e.what());
      }
      if (!(m.gbps > 0) || !(m.mib > 0) || threads < 1)
        throw Error("bandwidth", bandwidth_json +
                                     ": a record with a non-positive rate, "
                                     "size or thread count");
      roofs.memory_.emplace_back(threads, m);
    }
  }
  return roofs;
}

std::optional<double> Roofs::Rate(const std::string& op,
                                  const std::string& target,
                                  int threads) const {
  for (const auto& r : compute_)
    if (r.op == op && r.target == target && r.threads == threads)
      return r.giga_per_s;
  return std::nullopt;
}

std::optional<double> Roofs::ClockGhz() const {
  for (const auto& r : compute_)
    if (r.op == "clock" && r.threads == 1) return r.giga_per_s;
  return std::nullopt;
}

std::optional<MemoryRoof> Roofs::SizeMatched(double bytes, int threads) const {
  std::optional<MemoryRoof> fits, largest;
  for (const auto& [th, m] : memory_) {
    if (th != threads) continue;
    const double probe = m.mib * (1 << 20);
    if (probe * kProbeSizeSlack >= bytes && (!fits || m.mib < fits->mib))
      fits = m;
    if (!largest || m.mib > largest->mib) largest = m;
  }
  return fits ? fits : largest;
}

void Roofs::Annotate(nlohmann::json& r) const {
  const double seconds = r.at("median_ms").get<double>() * 1e-3;
  const double macs = r.at("m").get<double>() * r.at("k").get<double>() *
                      r.at("tokens").get<double>();
  const int threads = r.at("threads").get<int>();
  const double gmacs = macs / seconds / 1e9;
  r["gmacs"] = gmacs;
  if (const auto ghz = ClockGhz())
    r["cycles_per_kweight"] = seconds * *ghz * 1e9 * threads / macs * 1e3;
  const int bk = r.value("block_height", 0);
  if (const auto model =
          ComputeModelFor(r.at("kernel").get<std::string>(),
                          r.at("tokens").get<size_t>(), bk)) {
    if (const auto rate =
            Rate(model->op, r.at("target").get<std::string>(), threads)) {
      const double roof = *rate * model->macs_per_unit;
      r["compute_roof_op"] = model->op;
      r["compute_roof_gmacs"] = roof;
      r["compute_roof_fraction"] = gmacs / roof;
    }
  }
  if (const auto m =
          SizeMatched(r.at("prepared_bytes").get<double>(), threads)) {
    r["bandwidth_roof_level"] = m->level;
    r["bandwidth_roof_mib"] = m->mib;
    r["bandwidth_roof_gbps"] = m->gbps;
    r["bandwidth_fraction"] = r.at("gbps").get<double>() / m->gbps;
  }
}

}  // namespace rsr::harness
#endif  // HWY_ONCE
