#include "kernels/core/prefetch.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace rsr {
namespace {

// Bytes of cpu0's level-3 cache from sysfs ("32768K"), 0 when absent. Not
// sysconf(_SC_LEVEL3_CACHE_SIZE): glibc reports the whole socket's L3 on
// this Zen 5 (384 MiB for twelve 32 MiB slices), not the slice a core uses.
size_t L3Bytes() {
  for (int i = 0; i < 8; ++i) {
    const std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream level(dir + "level"), size(dir + "size");
    int l = 0;
    std::string s;
    if (!(level >> l) || l != 3 || !(size >> s) || s.empty()) continue;
    const size_t n = std::strtoull(s.c_str(), nullptr, 10);
    const char unit = s.back();
    return unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : n;
  }
  return 0;
}

}  // namespace

bool StreamsFromMemory(size_t bytes) {
  static const size_t threshold = [] {
    const size_t l3 = L3Bytes();
    return l3 > 0 ? l3 / 2 : size_t{16} << 20;
  }();
  return bytes > threshold;
}

}  // namespace rsr
