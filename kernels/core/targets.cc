#include "rsr/targets.h"

#include <algorithm>
#include <cctype>

#include "hwy/targets.h"
#include "rsr/error.h"

namespace rsr {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

std::string AliasOf(int64_t bits) {
  switch (bits) {
#if HWY_ARCH_X86
    case HWY_AVX2: return "avx2";
    case HWY_AVX3: return "avx512";
    case HWY_AVX3_DL: return "avx512vnni";
    case HWY_SSE4: return "sse4";
    case HWY_SSSE3: return "ssse3";
#endif
#if HWY_ARCH_ARM
    case HWY_NEON: return "neon";
    case HWY_SVE: return "sve";
    case HWY_SVE2: return "sve2";
    case HWY_SVE_256: return "sve256";
    case HWY_SVE2_128: return "sve2_128";
#endif
    case HWY_SCALAR: return "scalar";
    case HWY_EMU128: return "emu128";
    default: return Lower(hwy::TargetName(bits));
  }
}

// The mask last forced through SetTargetBits (0 = none). Highway's
// SupportedTargets() returns the forced mask, so real CPU support is read with
// the mock lifted for a moment.
int64_t g_forced = 0;

int64_t RealSupported() {
  if (g_forced == 0) return hwy::SupportedTargets();
  hwy::SetSupportedTargetsForTest(0);
  const int64_t real = hwy::SupportedTargets();
  hwy::SetSupportedTargetsForTest(g_forced);
  return real;
}

int64_t CurrentBits() {
  // Highway's dispatch picks the best (lowest) bit among supported targets.
  const int64_t supported = hwy::SupportedTargets() & HWY_TARGETS;
  return supported & -supported;
}

}  // namespace

std::vector<TargetInfo> CompiledTargets() {
  std::vector<TargetInfo> out;
  const int64_t supported = RealSupported();
  for (int bit = 0; bit < 63; ++bit) {
    const int64_t t = int64_t{1} << bit;
    if ((HWY_TARGETS & t) == 0) continue;
    out.push_back({t, hwy::TargetName(t), AliasOf(t), (supported & t) != 0});
  }
  return out;  // lower bit = better target in Highway's numbering
}

std::vector<TargetInfo> SupportedTargets() {
  std::vector<TargetInfo> all = CompiledTargets();
  std::erase_if(all, [](const TargetInfo& t) { return !t.supported; });
  return all;
}

void SetTargetBits(int64_t bits) {
  g_forced = bits;
  hwy::SetSupportedTargetsForTest(bits);
}

void SetTarget(const std::string& name) {
  const std::string want = Lower(name);
  if (want == "best" || want.empty()) {
    SetTargetBits(0);
    return;
  }
  std::string known;
  for (const TargetInfo& t : CompiledTargets()) {
    if (want == t.alias || want == Lower(t.name)) {
      if (!t.supported)
        throw Error("target", name + " is compiled but this CPU lacks it");
      SetTargetBits(t.bits);
      return;
    }
    known += " " + t.alias;
  }
  throw Error("target", "unknown or not compiled: " + name +
                            " (compiled:" + known + ", or best)");
}

std::string CurrentTargetName() { return hwy::TargetName(CurrentBits()); }

}  // namespace rsr
