#include "harness/machine.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hwy/base.h"
#include "rsr/targets.h"

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

// The value of the first "key<tabs/spaces>: value" line whose key is exactly
// `key` (so "model" does not match "model name").
std::string CpuInfoField(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (Trim(line.substr(0, colon)) == key) return Trim(line.substr(colon + 1));
  }
  return "";
}

// Decimal or 0x-prefixed hexadecimal; -1 when absent or malformed.
int ParseInt(const std::string& s) {
  if (s.empty()) return -1;
  try {
    size_t used = 0;
    const long v = std::stol(s, &used, 0);
    return used == s.size() && v >= 0 ? static_cast<int>(v) : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ModelRange {
  int family, first, last;
  const char* name;
};

// AMD Zen generations by CPUID family and model range (the ranges Linux's
// arch/x86/kernel/cpu/amd.c assigns to its ZEN1..ZEN6 flags).
constexpr ModelRange kAmd[] = {
    {23, 0x00, 0x2f, "zen1"}, {23, 0x50, 0x5f, "zen1"},
    {23, 0x30, 0x4f, "zen2"}, {23, 0x60, 0x7f, "zen2"},
    {23, 0x90, 0x91, "zen2"}, {23, 0xa0, 0xaf, "zen2"},
    {25, 0x00, 0x0f, "zen3"}, {25, 0x20, 0x5f, "zen3"},
    {25, 0x10, 0x1f, "zen4"}, {25, 0x60, 0xaf, "zen4"},
    {26, 0x00, 0x2f, "zen5"}, {26, 0x40, 0x4f, "zen5"},
    {26, 0x60, 0x7f, "zen5"}, {26, 0x50, 0x5f, "zen6"},
    {26, 0x80, 0xaf, "zen6"}, {26, 0xc0, 0xcf, "zen6"},
};

// Intel family 6 server and client cores with AVX2 or AVX-512 (one model
// number may cover several products of one core, e.g. Skylake-SP and Cascade
// Lake share 0x55).
constexpr ModelRange kIntel[] = {
    {6, 0x3c, 0x3c, "haswell"},         {6, 0x45, 0x46, "haswell"},
    {6, 0x3f, 0x3f, "haswell-x"},       {6, 0x3d, 0x3d, "broadwell"},
    {6, 0x47, 0x47, "broadwell"},       {6, 0x4f, 0x4f, "broadwell-x"},
    {6, 0x56, 0x56, "broadwell-x"},     {6, 0x4e, 0x4e, "skylake"},
    {6, 0x5e, 0x5e, "skylake"},         {6, 0x55, 0x55, "skylake-x"},
    {6, 0x8e, 0x8e, "kaby-lake"},       {6, 0x9e, 0x9e, "coffee-lake"},
    {6, 0xa5, 0xa6, "comet-lake"},      {6, 0x6a, 0x6a, "icelake-x"},
    {6, 0x6c, 0x6c, "icelake-x"},       {6, 0x7d, 0x7e, "icelake"},
    {6, 0x8c, 0x8d, "tiger-lake"},      {6, 0xa7, 0xa7, "rocket-lake"},
    {6, 0x8f, 0x8f, "sapphire-rapids"}, {6, 0xcf, 0xcf, "emerald-rapids"},
    {6, 0xad, 0xae, "granite-rapids"},  {6, 0x97, 0x97, "alder-lake"},
    {6, 0x9a, 0x9a, "alder-lake"},      {6, 0xb7, 0xb7, "raptor-lake"},
    {6, 0xba, 0xba, "raptor-lake"},     {6, 0xbf, 0xbf, "raptor-lake"},
    {6, 0xaa, 0xac, "meteor-lake"},     {6, 0xc5, 0xc6, "arrow-lake"},
    {6, 0xbd, 0xbd, "lunar-lake"},
};

// Arm's own cores by "CPU part" (implementer 0x41).
constexpr ModelRange kArm[] = {
    {-1, 0xd08, 0xd08, "cortex-a72"},  {-1, 0xd0b, 0xd0b, "cortex-a76"},
    {-1, 0xd0c, 0xd0c, "neoverse-n1"}, {-1, 0xd40, 0xd40, "neoverse-v1"},
    {-1, 0xd49, 0xd49, "neoverse-n2"}, {-1, 0xd4f, 0xd4f, "neoverse-v2"},
    {-1, 0xd8e, 0xd8e, "neoverse-n3"}, {-1, 0xd84, 0xd84, "neoverse-v3"},
};

template <size_t N>
std::string Lookup(const ModelRange (&table)[N], int family, int model) {
  for (const auto& r : table)
    if (r.family == family && model >= r.first && model <= r.last)
      return r.name;
  return "";
}

// Lower-case alphanumerics, other runs collapsed to one '-'.
std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

std::string MicroarchName(const std::string& vendor, int family, int model) {
  if (vendor == "amd") return Lookup(kAmd, family, model);
  if (vendor == "intel") return Lookup(kIntel, family, model);
  if (vendor == "arm") return Lookup(kArm, -1, model);
  return "";
}

CpuIdentity ParseCpuInfo(const std::string& cpuinfo) {
  CpuIdentity c;
  // Only the first processor's block: on hybrid parts later blocks may name
  // other cores, and the id must not depend on their order.
  const auto blank = cpuinfo.find("\n\n");
  const std::string first =
      blank == std::string::npos ? cpuinfo : cpuinfo.substr(0, blank);
  c.model_name = CpuInfoField(first, "model name");
  const std::string vendor_id = CpuInfoField(first, "vendor_id");
  const std::string implementer = CpuInfoField(first, "CPU implementer");
  if (vendor_id == "AuthenticAMD" || vendor_id == "HygonGenuine") {
    c.vendor = vendor_id == "AuthenticAMD" ? "amd" : "hygon";
  } else if (vendor_id == "GenuineIntel") {
    c.vendor = "intel";
  } else if (!implementer.empty()) {
    c.vendor =
        ParseInt(implementer) == 0x41 ? "arm" : "arm-impl-" + Slug(implementer);
  } else {
    c.vendor = vendor_id.empty() ? "unknown" : Slug(vendor_id);
  }
  if (!implementer.empty() && vendor_id.empty()) {
    c.model = ParseInt(CpuInfoField(first, "CPU part"));
    c.stepping = ParseInt(CpuInfoField(first, "CPU revision"));
  } else {
    c.family = ParseInt(CpuInfoField(first, "cpu family"));
    c.model = ParseInt(CpuInfoField(first, "model"));
    c.stepping = ParseInt(CpuInfoField(first, "stepping"));
  }
  c.uarch = MicroarchName(c.vendor, c.family, c.model);
  static const std::set<std::string> kInteresting = {
      "sse4_2",       "avx2",        "fma",         "avx512f",
      "avx512bw",     "avx512vl",    "avx512_vnni", "avx512vbmi",
      "avx512_vbmi2", "avx512_bf16", "avx_vnni",    "asimd",
      "asimddp",      "sve",         "sve2",        "i8mm"};
  std::string flags = CpuInfoField(first, "flags");
  if (flags.empty()) flags = CpuInfoField(first, "Features");
  std::istringstream fs(flags);
  std::string f;
  std::set<std::string> seen;
  while (fs >> f)
    if (kInteresting.count(f) && seen.insert(f).second)
      c.cpu_flags += (c.cpu_flags.empty() ? "" : " ") + f;
  return c;
}

std::string MachineId(const CpuIdentity& cpu, int cores) {
  std::string id = cpu.vendor.empty() ? "unknown" : cpu.vendor;
  if (!cpu.uarch.empty()) id += "-" + cpu.uarch;
  if (cpu.family >= 0 && cpu.model >= 0) {
    id += "-f" + std::to_string(cpu.family) + "m" + std::to_string(cpu.model);
  } else if (cpu.model >= 0) {
    char part[16];
    std::snprintf(part, sizeof(part), "-p%x", static_cast<unsigned>(cpu.model));
    id += part;
  } else if (!cpu.model_name.empty()) {
    id += "-" + Slug(cpu.model_name);  // no numbers at all: the name is all
  }
  return id + "-" + std::to_string(cores) + "c";
}

size_t ParseCacheSize(const std::string& text) {
  const std::string t = Trim(text);
  size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(t, &used, 10);
  } catch (const std::exception&) {
    return 0;
  }
  const std::string unit = t.substr(used);
  if (unit.empty()) return v;
  if (unit == "K") return v << 10;
  if (unit == "M") return v << 20;
  if (unit == "G") return v << 30;
  return 0;
}

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
  m.cpu = ParseCpuInfo(ReadFile("/proc/cpuinfo"));
  m.cores = static_cast<int>(std::thread::hardware_concurrency());
  m.id = MachineId(m.cpu, m.cores);
  if (LikelyEmulated()) {
    // /proc/cpuinfo describes the host; the code runs on qemu's CPU.
    m.cpu.model_name = "qemu-emulated-aarch64 on " + m.cpu.model_name;
    m.id = "qemu-aarch64-" + m.id;
  }
  // sysfs cache leaves of cpu0: level + type + size per index.
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator("/sys/devices/system/cpu/cpu0/cache", ec)) {
    if (e.path().filename().string().rfind("index", 0) != 0) continue;
    const std::string dir = e.path().string() + "/";
    const int level = ParseInt(Trim(ReadFile(dir + "level")));
    const std::string type = Trim(ReadFile(dir + "type"));
    const size_t size = ParseCacheSize(ReadFile(dir + "size"));
    if (level == 1 && type == "Data") m.l1d_bytes = size;
    if (level == 2 && type != "Instruction") m.l2_bytes = size;
    if (level == 3) m.l3_bytes = size;
  }
  for (const auto& t : SupportedTargets()) m.targets.push_back(t.name);
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
  return {{"cpu_model", m.cpu.model_name},
          {"cpu_vendor", m.cpu.vendor},
          {"cpu_family", m.cpu.family},
          {"cpu_model_number", m.cpu.model},
          {"cpu_stepping", m.cpu.stepping},
          {"cpu_uarch", m.cpu.uarch},
          {"cpu_flags", m.cpu.cpu_flags},
          {"cores", m.cores},
          {"l1d_bytes", m.l1d_bytes},
          {"l2_bytes", m.l2_bytes},
          {"l3_bytes", m.l3_bytes},
          {"targets", m.targets},
          {"machine_id", m.id},
          {"compiler", m.compiler},
          {"build_type", m.build_type},
          {"git_revision", m.git_revision},
          {"date", m.date},
          {"load_average", m.load_average}};
}

std::string CpuModelMismatch(const nlohmann::json& baseline,
                             const nlohmann::json& now) {
  auto describe = [](const nlohmann::json& c) {
    std::string s = c.value("machine_id", std::string("?"));
    if (c.contains("cpu_family"))
      s += " (" + c.value("cpu_vendor", std::string("?")) + " family " +
           std::to_string(c.value("cpu_family", -1)) + " model " +
           std::to_string(c.value("cpu_model_number", -1)) + ")";
    return s;
  };
  const auto keys = {"cpu_vendor", "cpu_family", "cpu_model_number"};
  bool both_have = true;
  for (const char* k : keys)
    both_have = both_have && baseline.contains(k) && now.contains(k);
  bool same = true;
  if (both_have) {
    for (const char* k : keys) same = same && baseline[k] == now[k];
  } else {
    same = baseline.contains("machine_id") && now.contains("machine_id") &&
           baseline["machine_id"] == now["machine_id"];
  }
  if (same) return "";
  return "baseline measured on " + describe(baseline) + ", this machine is " +
         describe(now);
}

}  // namespace rsr::harness
