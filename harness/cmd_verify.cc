#include <cstdio>

#include "harness/cli.h"
#include "harness/verify.h"
#include "rsr/error.h"
#include "rsr/registry.h"
#include "rsr/targets.h"

namespace rsr::harness {

namespace {

struct VerifyFlags {
  Selection sel;
  std::string activations = "default";
  VerifyFlags() { sel.shapes = "1x1,17x33,1000x999"; }
};

int RunVerify(const VerifyFlags& f) {
  const auto kernels = f.sel.KernelList();
  const auto shapes = f.sel.ShapeList();
  const auto tokens = f.sel.TokenList();
  const auto threads = f.sel.ThreadList();
  const auto ks = f.sel.KList();
  const auto targets = f.sel.TargetList();
  // Activation modes per kernel.
  auto modes = [&](const std::string& kn) {
    std::vector<std::optional<ActivationType>> out;
    const KernelCaps caps = CreateKernel(kn)->Caps();
    if (f.activations == "default") out.push_back(std::nullopt);
    if ((f.activations == "int8" || f.activations == "all") &&
        caps.int8_activations)
      out.push_back(ActivationType::kInt8);
    if ((f.activations == "f32" || f.activations == "all") &&
        caps.float_activations)
      out.push_back(ActivationType::kFloat32);
    return out;
  };
  size_t per_target = 0;
  for (const auto& kn : kernels) per_target += modes(kn).size();
  if (per_target == 0)
    throw Error("activations",
                "no selected kernel offers " + f.activations + " activations");
  const size_t total = targets.size() * per_target * shapes.size() *
                       tokens.size() * threads.size() * ks.size();
  size_t done = 0, failed = 0;
  std::printf("%-12s %-14s %-4s %-12s %-6s %-7s %-3s %-5s %-6s %s\n", "target",
              "kernel", "act", "shape", "tokens", "threads", "k", "ok", "bad",
              "max|err|");
  for (const auto& t : targets) {
    SetTargetBits(t.bits);
    for (const auto& kn : kernels)
      for (const auto& mode : modes(kn))
        for (const auto& s : shapes)
          for (size_t n : tokens)
            for (size_t th : threads)
              for (size_t k : ks) {
                VerifyCase c{kn,
                             s.m,
                             s.k,
                             n,
                             static_cast<int>(th),
                             static_cast<int>(k),
                             f.sel.binary,
                             f.sel.seed,
                             mode};
                const VerifyResult r = Verify(c);
                failed += !r.ok;
                std::printf(
                    "%-12s %-14s %-4s %-12s %-6zu %-7zu %-3zu %-5s %-6zu "
                    "%.3g%s%s\n",
                    t.name.c_str(), kn.c_str(), r.activations.c_str(),
                    s.ToString().c_str(), n, th, k, r.ok ? "ok" : "FAIL",
                    r.mismatches, r.max_abs_error, r.error.empty() ? "" : "  ",
                    r.error.c_str());
                std::fflush(stdout);
                if (total > 50)
                  Progress(++done, total, kn + " " + s.ToString());
              }
  }
  SetTargetBits(0);
  std::printf("%zu checks, %zu failed\n", total, failed);
  return failed ? 1 : 0;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<VerifyFlags>(
      app, action, "verify",
      "every selected kernel against the reference; exit 1 on mismatch",
      RunVerify);
  f->sel.AddFlags(*cmd);
  cmd->add_option(
         "--activations", f->activations,
         "default (the kernel's own), int8, f32, or all the kernel supports")
      ->check(CLI::IsMember({"default", "int8", "f32", "all"}))
      ->capture_default_str();
}

}  // namespace rsr::harness
