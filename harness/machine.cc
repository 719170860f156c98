#include "harness/machine.h"

#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hwy/base.h"

#ifndef RSR_SOURCE_DIR
#define RSR_SOURCE_DIR "."
#endif
#ifndef RSR_BUILD_TYPE
#define RSR_BUILD_TYPE "unknown"
#endif

namespace rsr::harness {
namespace {

std::string Trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\n");
  const auto e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string RunCommand(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (fgets(buf, sizeof(buf), p)) out += buf;
    pclose(p);
  }
  return Trim(out);
}

std::string CpuInfoField(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return Trim(line.substr(colon + 1));
    }
  }
  return "";
}

std::string ReadFile(const char* path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

bool LikelyEmulated() {
#if HWY_ARCH_ARM
  const std::string cpuinfo = ReadFile("/proc/cpuinfo");
  return cpuinfo.find("GenuineIntel") != std::string::npos ||
         cpuinfo.find("AuthenticAMD") != std::string::npos;
#else
  return false;
#endif
}

MachineInfo GetMachineInfo() {
  MachineInfo m;
  const std::string cpuinfo = ReadFile("/proc/cpuinfo");
  m.cpu_model = CpuInfoField(cpuinfo, "model name");
  if (m.cpu_model.empty()) {
    const std::string part = CpuInfoField(cpuinfo, "CPU part");
    m.cpu_model = part.empty() ? "unknown-cpu" : "arm-part-" + part;
  }
  if (LikelyEmulated()) m.cpu_model = "qemu-emulated-aarch64 on " + m.cpu_model;
  static const std::set<std::string> kInteresting = {
      "sse4_2", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
      "avx512_vnni", "avx512vbmi", "avx512_vbmi2", "avx512_bf16",
      "avx_vnni", "asimd", "asimddp", "sve", "sve2", "i8mm"};
  std::string flags = CpuInfoField(cpuinfo, "flags");
  if (flags.empty()) flags = CpuInfoField(cpuinfo, "Features");
  std::istringstream fs(flags);
  std::string f;
  std::set<std::string> seen;
  while (fs >> f)
    if (kInteresting.count(f) && seen.insert(f).second)
      m.cpu_flags += (m.cpu_flags.empty() ? "" : " ") + f;
  m.cores = static_cast<int>(std::thread::hardware_concurrency());
  std::string id;
  for (char c : m.cpu_model) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!id.empty() && id.back() != '-') {
      id += '-';
    }
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  m.id = id + "-" + std::to_string(m.cores) + "c";
  m.compiler = std::string("g++ ") + __VERSION__;
#if defined(__clang__)
  m.compiler = std::string("clang ") + __clang_version__;
#endif
  m.build_type = RSR_BUILD_TYPE;
  m.git_revision = RunCommand(std::string("git -C '") + RSR_SOURCE_DIR +
                              "' describe --always --dirty 2>/dev/null");
  if (m.git_revision.empty()) m.git_revision = "unknown";
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  m.date = date;
  std::istringstream la(ReadFile("/proc/loadavg"));
  la >> m.load_average;
  return m;
}

nlohmann::json ToJson(const MachineInfo& m) {
  return {{"cpu_model", m.cpu_model}, {"cpu_flags", m.cpu_flags},
          {"cores", m.cores},         {"machine_id", m.id},
          {"compiler", m.compiler},   {"build_type", m.build_type},
          {"git_revision", m.git_revision}, {"date", m.date},
          {"load_average", m.load_average}};
}

}  // namespace rsr::harness
