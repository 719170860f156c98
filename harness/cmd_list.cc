#include <cstdio>

#include "harness/cli.h"
#include "rsr/registry.h"

namespace rsr::harness {

namespace {

struct ListFlags {};

int RunList(const ListFlags&) {
  std::printf("%-11s %-8s %-7s %-5s %-4s %-5s %-5s %-3s %-9s %-8s %s\n",
              "kernel", "ternary", "binary", "int8", "f32", "gemm", "simd", "k",
              "max M", "max K", "description");
  for (const auto& info : Registry()) {
    const auto k = info.factory(KernelOptions{});
    const KernelCaps c = k->Caps();
    auto yn = [](bool b) { return b ? "yes" : "-"; };
    std::printf("%-11s %-8s %-7s %-5s %-4s %-5s %-5s %-3s %-9zu %-8zu %s\n",
                info.name.c_str(), yn(c.ternary), yn(c.binary || c.ternary),
                yn(c.int8_activations), yn(c.float_activations),
                yn(c.native_gemm), yn(c.simd), yn(c.block_k), c.max_rows,
                c.max_cols, info.description.c_str());
  }
  std::printf("\nlimits for all kernels: M*K <= %zu, tokens per call <= %zu\n",
              kMaxWeights, kMaxTokens);
  std::printf("\ntargets (compiled, best first):\n");
  for (const auto& t : CompiledTargets())
    std::printf("  %-12s %-10s %s\n", t.alias.c_str(), t.name.c_str(),
                t.supported ? "supported" : "not supported by this CPU");
  std::printf("best here: %s\n", CurrentTargetName().c_str());
  return 0;
}

}  // namespace

void AddListCommand(CLI::App& app, CommandResult& action) {
  AddCommand<ListFlags>(app, action, "list",
                        "kernels with capabilities, and SIMD targets", RunList);
}

}  // namespace rsr::harness
