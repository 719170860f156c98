// Machine identity (harness/machine.cc): /proc/cpuinfo snapshots of the two
// CPUs this project's machines have been (both "AMD EPYC" under KVM) must
// give different ids, and regress must see them as different CPU models.
#include "harness/machine.h"

#include <gtest/gtest.h>

#include <string>

namespace rsr::harness {
namespace {

// First processor block, as the kernel prints it, plus the start of the
// second (the parser must read only the first).
std::string Snapshot(int family, int model, int stepping) {
  return "processor\t: 0\n"
         "vendor_id\t: AuthenticAMD\n"
         "cpu family\t: " +
         std::to_string(family) +
         "\n"
         "model\t\t: " +
         std::to_string(model) +
         "\n"
         "model name\t: AMD EPYC\n"
         "stepping\t: " +
         std::to_string(stepping) +
         "\n"
         "cache size\t: 1024 KB\n"
         "flags\t\t: fpu sse4_2 avx2 fma avx512f avx512bw avx512vl "
         "avx512_vnni avx512vbmi\n"
         "\n"
         "processor\t: 1\n"
         "vendor_id\t: GenuineIntel\n"
         "cpu family\t: 6\n"
         "model\t\t: 143\n";
}

TEST(Machine, Zen4AndZen5GetDifferentIds) {
  const CpuIdentity zen4 = ParseCpuInfo(Snapshot(25, 17, 1));
  const CpuIdentity zen5 = ParseCpuInfo(Snapshot(26, 2, 1));
  EXPECT_EQ(zen4.vendor, "amd");
  EXPECT_EQ(zen4.model_name, "AMD EPYC");
  EXPECT_EQ(zen4.family, 25);
  EXPECT_EQ(zen4.model, 17);
  EXPECT_EQ(zen4.stepping, 1);
  EXPECT_EQ(zen4.uarch, "zen4");
  EXPECT_EQ(zen5.family, 26);
  EXPECT_EQ(zen5.model, 2);
  EXPECT_EQ(zen5.uarch, "zen5");
  EXPECT_EQ(zen4.cpu_flags,
            "sse4_2 avx2 fma avx512f avx512bw avx512vl "
            "avx512_vnni avx512vbmi");
  EXPECT_EQ(MachineId(zen4, 2), "amd-zen4-f25m17-2c");
  EXPECT_EQ(MachineId(zen5, 2), "amd-zen5-f26m2-2c");
}

TEST(Machine, MicroarchTable) {
  EXPECT_EQ(MicroarchName("amd", 25, 0x01), "zen3");
  EXPECT_EQ(MicroarchName("amd", 25, 0x61), "zen4");
  EXPECT_EQ(MicroarchName("amd", 25, 0xa0), "zen4");
  EXPECT_EQ(MicroarchName("amd", 26, 0x44), "zen5");
  EXPECT_EQ(MicroarchName("amd", 23, 0x31), "zen2");
  EXPECT_EQ(MicroarchName("intel", 6, 0x8f), "sapphire-rapids");
  EXPECT_EQ(MicroarchName("amd", 27, 0), "");  // unknown: no name, id has f/m
  CpuIdentity future;
  future.vendor = "amd";
  future.family = 27;
  future.model = 0;
  EXPECT_EQ(MachineId(future, 4), "amd-f27m0-4c");
}

TEST(Machine, ArmCpuinfo) {
  const CpuIdentity c = ParseCpuInfo(
      "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd asimddp sve\n"
      "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x1\n"
      "CPU part\t: 0xd0c\nCPU revision\t: 1\n");
  EXPECT_EQ(c.vendor, "arm");
  EXPECT_EQ(c.model, 0xd0c);
  EXPECT_EQ(c.uarch, "neoverse-n1");
  EXPECT_EQ(c.cpu_flags, "asimd asimddp sve");
  EXPECT_EQ(MachineId(c, 4), "arm-neoverse-n1-pd0c-4c");
}

TEST(Machine, CacheSizes) {
  EXPECT_EQ(ParseCacheSize("48K\n"), 48u << 10);
  EXPECT_EQ(ParseCacheSize("1024K"), 1u << 20);
  EXPECT_EQ(ParseCacheSize("32M"), 32u << 20);
  EXPECT_EQ(ParseCacheSize("4096"), 4096u);
  EXPECT_EQ(ParseCacheSize("lots"), 0u);
  EXPECT_EQ(ParseCacheSize("12Q"), 0u);
}

TEST(Machine, CpuModelMismatch) {
  MachineInfo a, b;
  a.cpu = ParseCpuInfo(Snapshot(25, 17, 1));
  a.id = MachineId(a.cpu, 2);
  b.cpu = ParseCpuInfo(Snapshot(26, 2, 1));
  b.id = MachineId(b.cpu, 2);
  EXPECT_EQ(CpuModelMismatch(ToJson(a), ToJson(a)), "");
  const std::string msg = CpuModelMismatch(ToJson(a), ToJson(b));
  EXPECT_NE(msg.find("amd-zen4-f25m17-2c"), std::string::npos) << msg;
  EXPECT_NE(msg.find("family 26 model 2"), std::string::npos) << msg;
  // Another stepping of the same model is the same CPU model.
  MachineInfo c = a;
  c.cpu.stepping = 2;
  EXPECT_EQ(CpuModelMismatch(ToJson(a), ToJson(c)), "");
  // A context from before family/model were recorded matches by id only.
  const nlohmann::json old = {{"machine_id", "amd-epyc-2c"}};
  EXPECT_NE(CpuModelMismatch(old, ToJson(a)), "");
  EXPECT_EQ(CpuModelMismatch(old, {{"machine_id", "amd-epyc-2c"}}), "");
}

}  // namespace
}  // namespace rsr::harness
