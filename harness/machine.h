// What every result records about where it was measured.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rsr::harness {

struct MachineInfo {
  std::string cpu_model;
  std::string cpu_flags;  // SIMD-relevant subset
  int cores = 0;
  std::string id;         // stable: sanitized CPU model + core count
  std::string compiler;
  std::string build_type;
  std::string git_revision;
  std::string date;       // UTC, ISO 8601
  double load_average = 0;  // 1-minute load at start
};

MachineInfo GetMachineInfo();
nlohmann::json ToJson(const MachineInfo& m);
// Highway's name for whether we run under emulation (qemu-user): true when
// the binary's architecture differs from the host's, as far as we can tell.
bool LikelyEmulated();

}  // namespace rsr::harness
