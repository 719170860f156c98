#include <cstdio>

#include "harness/cli.h"
#include "harness/verify.h"
#include "rsr/error.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

namespace rsr::harness {

void AddVerifyCommand(CLI::App& app, CommandResult& action) {
  auto* cmd = app.add_subcommand(
      "verify", "every selected kernel against the reference; exit 1 on mismatch");
  auto sel = std::make_shared<Selection>();
  sel->shapes = "1x1,17x33,1000x999";
  sel->AddFlags(*cmd);
  auto acts = std::make_shared<std::string>("default");
  cmd->add_option("--activations", *acts,
                  "default (the kernel's own), int8, f32, or all the kernel supports")
      ->check(CLI::IsMember({"default", "int8", "f32", "all"}))
      ->capture_default_str();
  cmd->callback([&action, sel, acts] {
    action = [sel, acts] {
      const auto kernels = sel->KernelList();
      const auto shapes = sel->ShapeList();
      const auto tokens = sel->TokenList();
      const auto threads = sel->ThreadList();
      const auto ks = sel->KList();
      const auto targets = sel->TargetList();
      // Activation modes per kernel.
      auto modes = [&](const std::string& kn) {
        std::vector<std::optional<ActivationType>> out;
        const KernelCaps caps = CreateKernel(kn)->Caps();
        if (*acts == "default") out.push_back(std::nullopt);
        if ((*acts == "int8" || *acts == "all") && caps.int8_activations)
          out.push_back(ActivationType::kInt8);
        if ((*acts == "f32" || *acts == "all") && caps.float_activations)
          out.push_back(ActivationType::kFloat32);
        return out;
      };
      size_t per_target = 0;
      for (const auto& kn : kernels) per_target += modes(kn).size();
      if (per_target == 0)
        throw Error("activations", "no selected kernel offers " + *acts + " activations");
      const size_t total = targets.size() * per_target * shapes.size() *
                           tokens.size() * threads.size() * ks.size();
      size_t done = 0, failed = 0;
      std::printf("%-12s %-14s %-4s %-12s %-6s %-7s %-3s %-5s %-6s %s\n",
                  "target", "kernel", "act", "shape", "tokens", "threads", "k",
                  "ok", "bad", "max|err|");
      for (const auto& t : targets) {
        SetTargetBits(t.bits);
        for (const auto& kn : kernels)
          for (const auto& mode : modes(kn))
          for (const auto& s : shapes)
            for (size_t n : tokens)
              for (size_t th : threads)
                for (size_t k : ks) {
                  VerifyCase c{kn, s.m, s.k, n, static_cast<int>(th),
                               static_cast<int>(k), sel->binary, sel->seed, mode};
                  const VerifyResult r = Verify(c);
                  failed += !r.ok;
                  std::printf("%-12s %-14s %-4s %-12s %-6zu %-7zu %-3zu %-5s %-6zu %.3g%s%s\n",
                              t.name.c_str(), kn.c_str(), r.activations.c_str(),
                              s.ToString().c_str(), n, th, k,
                              r.ok ? "ok" : "FAIL", r.mismatches,
                              r.max_abs_error, r.error.empty() ? "" : "  ",
                              r.error.c_str());
                  std::fflush(stdout);
                  if (total > 50) Progress(++done, total, kn + " " + s.ToString());
                }
      }
      SetTargetBits(0);
      std::printf("%zu checks, %zu failed\n", total, failed);
      return failed ? 1 : 0;
    };
  });
}

}  // namespace rsr::harness
