// SIMD targets: which Highway targets were compiled and which this CPU runs,
// and forcing one for tests and benchmarks (`--target`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rsr {

struct TargetInfo {
  int64_t bits;       // Highway target bit (HWY_AVX2, ...)
  std::string name;   // Highway's name: "AVX2", "AVX3", "AVX3_DL", "NEON", ...
  std::string alias;  // our CLI name: "avx2", "avx512", "avx512vnni", "neon"
  bool supported;     // this CPU can run it
};

// Compiled targets, best first.
std::vector<TargetInfo> CompiledTargets();
// Compiled and supported, best first.
std::vector<TargetInfo> SupportedTargets();
// Forces every kernel onto one target ("best" restores dynamic choice).
// Accepts our alias or Highway's name, case-insensitive. Throws rsr::Error
// ("target") when unknown, not compiled, or not supported by this CPU.
void SetTarget(const std::string& name);
void SetTargetBits(int64_t bits);  // 0 = best
// Name of the target the next dispatch will use.
std::string CurrentTargetName();

}  // namespace rsr
