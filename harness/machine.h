// What every result records about where it was measured, and the machine id
// that names its results/<id>/ folder.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rsr::harness {

// The CPU as /proc/cpuinfo describes its first processor.
struct CpuIdentity {
  std::string vendor;      // "amd", "intel", "arm", or "unknown"
  std::string model_name;  // "AMD EPYC" (x86 "model name"), "" when absent
  // x86: CPUID family/model/stepping as the kernel prints them (decimal).
  // Arm: family -1, model = "CPU part", stepping = "CPU revision".
  int family = -1, model = -1, stepping = -1;
  std::string uarch;      // "zen4", "sapphire-rapids", "neoverse-n1", or ""
  std::string cpu_flags;  // the SIMD-relevant subset of "flags"/"Features"
};

// Pure: parses /proc/cpuinfo text (unit-tested with snapshots).
CpuIdentity ParseCpuInfo(const std::string& cpuinfo);
// Microarchitecture name for a vendor/family/model, "" when not in the table.
std::string MicroarchName(const std::string& vendor, int family, int model);
// "amd-zen5-f26m2-2c": vendor, microarchitecture (when known), family and
// model, core count. Two CPUs that time differently (Zen 4 and Zen 5 of the
// same "AMD EPYC" name) get different ids, so their results/<id>/ folders
// and regression baselines stay apart.
std::string MachineId(const CpuIdentity& cpu, int cores);
// "48K", "1024K", "32M" (sysfs cache sizes) -> bytes; 0 when unparseable.
size_t ParseCacheSize(const std::string& text);

struct MachineInfo {
  CpuIdentity cpu;
  int cores = 0;
  std::string id;  // MachineId(cpu, cores), "qemu-aarch64-" prefixed under qemu
  // Per-core (L1d, L2) and per-instance (L3) cache sizes from sysfs; 0 when
  // unknown.
  size_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;
  std::vector<std::string>
      targets;  // Highway targets this CPU runs, best first
  std::string compiler;
  std::string build_type;
  std::string git_revision;
  std::string date;         // UTC, ISO 8601
  double load_average = 0;  // 1-minute load at start
};

MachineInfo GetMachineInfo();
nlohmann::json ToJson(const MachineInfo& m);
// Empty when the two contexts (ToJson output, e.g. a baseline's "context")
// describe the same CPU model (vendor, family, model); otherwise a sentence
// naming both. A context without family/model (results older than these
// fields) only matches by machine_id.
std::string CpuModelMismatch(const nlohmann::json& baseline,
                             const nlohmann::json& now);
// Highway's name for whether we run under emulation (qemu-user): true when
// the binary's architecture differs from the host's, as far as we can tell.
bool LikelyEmulated();

}  // namespace rsr::harness
