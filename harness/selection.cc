#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "harness/cli.h"
#include "rsr/error.h"
#include "rsr/registry.h"

namespace rsr::harness {

void OutputFlags::AddFlags(CLI::App& cmd,
                           const std::vector<std::string>& formats) {
  format = formats.front();
  std::string list;
  for (size_t i = 0; i < formats.size(); ++i)
    list += (i == 0                    ? ""
             : i + 1 == formats.size() ? " or "
                                       : ", ") +
            formats[i];
  cmd.add_option("--format", format, list)
      ->check(CLI::IsMember(formats))
      ->capture_default_str();
  cmd.add_option("--out", out, "output file ('-' = stdout)")
      ->capture_default_str();
}

void Selection::AddFlags(CLI::App& cmd) {
  cmd.add_option("--kernels", kernels, "all, or a comma list of registry names")
      ->capture_default_str();
  std::string sets;
  for (const auto& s : ShapeSetNames()) sets += s + " ";
  cmd.add_option("--shapes", shapes, "MxK[,MxK...] or a set: " + sets)
      ->capture_default_str();
  cmd.add_option("--tokens", tokens, "tokens N per call, comma list")
      ->capture_default_str();
  cmd.add_option("--threads", threads, "thread counts, comma list")
      ->capture_default_str();
  cmd.add_option("--target", target,
                 "best, all, or a comma list (avx2, avx512, avx512vnni, sse4, "
                 "neon, sve, sve2)")
      ->capture_default_str();
  cmd.add_option("--k", k, "RSR block height(s), comma list; 0 = default")
      ->capture_default_str();
  cmd.add_flag("--binary", binary, "binary {0,1} weights instead of ternary");
  cmd.add_option("--seed", seed, "random seed")->capture_default_str();
}

std::vector<std::string> Selection::KernelList() const {
  if (kernels == "all") return KernelNames();
  std::vector<std::string> out;
  std::stringstream ss(kernels);
  std::string item;
  const auto names = KernelNames();
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (std::find(names.begin(), names.end(), item) == names.end()) {
      std::string known;
      for (const auto& n : names) known += " " + n;
      throw Error("kernels",
                  "unknown kernel '" + item + "' (known:" + known + ")");
    }
    out.push_back(item);
  }
  if (out.empty()) throw Error("kernels", "empty list");
  return out;
}

std::vector<size_t> Selection::KList() const {
  std::vector<size_t> out;
  std::stringstream ss(k);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item.find_first_not_of("0123456789") != std::string::npos ||
        item.size() > 2 || std::stoul(item) > 16)
      throw Error("k", "'" + item + "' is not in 0..16");
    out.push_back(std::stoul(item));
  }
  if (out.empty()) out.push_back(0);
  return out;
}

std::vector<TargetInfo> Selection::TargetList() const {
  std::vector<TargetInfo> out;
  if (target == "all") return SupportedTargets();
  std::stringstream ss(target);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "best") {
      SetTarget("best");
      const auto sup = SupportedTargets();
      if (sup.empty()) throw Error("target", "no supported target");
      TargetInfo best = sup.front();
      best.alias = "best";
      best.bits = 0;
      out.push_back(best);
      continue;
    }
    SetTarget(item);  // validates: throws for unknown/unsupported
    for (const auto& t : CompiledTargets())
      if (t.bits != 0 && CurrentTargetName() == t.name) out.push_back(t);
  }
  SetTarget("best");
  if (out.empty()) throw Error("target", "empty list");
  return out;
}

void Progress(size_t done, size_t total, const std::string& what) {
  static const bool tty = isatty(fileno(stderr));
  if (tty) {
    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", done, total, what.c_str());
    if (done == total) std::fprintf(stderr, "\n");
  } else {
    std::fprintf(stderr, "[%zu/%zu] %s\n", done, total, what.c_str());
  }
  std::fflush(stderr);
}

}  // namespace rsr::harness
