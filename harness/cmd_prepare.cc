// rsr-bench prepare: build a kernel's prepared form offline and save it;
// rsr-bench inspect: load (with full validation) and describe a saved file.
#include <cstdio>

#include "harness/cli.h"
#include "rsr/error.h"
#include "rsr/matrix.h"
#include "rsr/registry.h"
#include "rsr/serialize.h"

namespace rsr::harness {

namespace {

struct PrepareFlags {
  std::string kernel, shape = "1024x1024", out;
  int k = 0;
  bool binary = false;
  uint64_t seed = 1;
};

int RunPrepare(const PrepareFlags& f) {
  const auto shapes = ParseShapes(f.shape);
  if (shapes.size() != 1) throw Error("shape", "exactly one MxK");
  KernelOptions opt;
  opt.k = f.k;
  auto kernel = CreateKernel(f.kernel, opt);
  const TernaryMatrix w = f.binary
                              ? RandomBinary(shapes[0].m, shapes[0].k, f.seed)
                              : RandomTernary(shapes[0].m, shapes[0].k, f.seed);
  kernel->Prepare(w);
  SaveKernel(*kernel, f.out);
  // Self-check: the saved form reloads to identical results.
  auto loaded = LoadKernel(f.out);
  const auto x = RandomActivations(w.cols(), f.seed + 1);
  std::vector<float> y1(w.rows()), y2(w.rows());
  kernel->Gemv(x, y1);
  loaded->Gemv(x, y2);
  if (y1 != y2) {
    std::fprintf(stderr,
                 "prepare: reloaded kernel differs from the fresh one\n");
    return 1;
  }
  std::printf("%s %s: %zu prepared bytes (%.3f bits/weight) -> %s\n",
              kernel->Name().c_str(), shapes[0].ToString().c_str(),
              kernel->PreparedBytes(), kernel->BitsPerWeight(), f.out.c_str());
  return 0;
}

struct InspectFlags {
  std::string path;
};

int RunInspect(const InspectFlags& f) {
  auto k = LoadKernel(f.path);
  std::printf(
      "kernel %s\nshape %zux%zu\nk option %d\nactivations %s\n"
      "weight scale %g\nprepared bytes %zu (%.3f bits/weight)\nvalid: yes\n",
      k->Name().c_str(), k->rows(), k->cols(), k->options().k,
      ActivationTypeName(k->activations()), k->weight_scale(),
      k->PreparedBytes(), k->BitsPerWeight());
  return 0;
}

}  // namespace

void AddPrepareCommands(CLI::App& app, CommandResult& action) {
  auto [prep, a] = AddCommand<PrepareFlags>(
      app, action, "prepare",
      "prepare a kernel on seeded random weights and save it to a file",
      RunPrepare);
  prep->add_option("--kernel", a->kernel, "registry name")->required();
  prep->add_option("--shape", a->shape, "MxK")->capture_default_str();
  prep->add_option("--k", a->k, "RSR block height (0 = default)")
      ->capture_default_str();
  prep->add_flag("--binary", a->binary, "binary {0,1} weights");
  prep->add_option("--seed", a->seed, "random seed")->capture_default_str();
  prep->add_option("--out", a->out, "output file")->required();

  auto [insp, i] = AddCommand<InspectFlags>(
      app, action, "inspect",
      "load a saved prepared kernel with full validation and describe it",
      RunInspect);
  insp->add_option("file", i->path, "file written by prepare / rsr::SaveKernel")
      ->required();
}

}  // namespace rsr::harness
