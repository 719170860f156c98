#include <cstdio>

#include "harness/cli.h"
#include "rsr/registry.h"

namespace rsr::harness {

void AddListCommand(CLI::App& app, CommandResult& action) {
  auto* cmd = app.add_subcommand("list", "kernels with capabilities, and SIMD targets");
  cmd->callback([&action] {
    action = [] {
      std::printf("%-14s %-8s %-8s %-5s %-5s %-5s %-5s  %s\n", "kernel", "ternary",
                  "binary", "int8", "f32", "gemm", "simd", "description");
      for (const auto& info : Registry()) {
        const auto k = info.factory(KernelOptions{});
        const KernelCaps c = k->Caps();
        auto yn = [](bool b) { return b ? "yes" : "-"; };
        std::printf("%-14s %-8s %-8s %-5s %-5s %-5s %-5s  %s\n",
                    info.name.c_str(), yn(c.ternary), yn(c.binary || c.ternary),
                    yn(c.int8_activations), yn(c.float_activations),
                    yn(c.native_gemm), yn(c.simd), info.description.c_str());
      }
      std::printf("\ntargets (compiled, best first):\n");
      for (const auto& t : CompiledTargets())
        std::printf("  %-12s %-10s %s\n", t.alias.c_str(), t.name.c_str(),
                    t.supported ? "supported" : "not supported by this CPU");
      std::printf("best here: %s\n", CurrentTargetName().c_str());
      return 0;
    };
  });
}

}  // namespace rsr::harness
