#include "rsr/registry.h"

#include "baselines/dense/dense.h"
#include "rsr/error.h"

namespace rsr {

const std::vector<KernelInfo>& Registry() {
  // One line per kernel. Order: the subject first, then baselines.
  static const std::vector<KernelInfo> kRegistry = {
      {"dense-naive", "row-major scalar float loop, int8 weights", &MakeDenseNaive},
      {"dense-f32", "Highway SIMD float GEMV/GEMM, float weights", &MakeDenseF32},
  };
  return kRegistry;
}

std::vector<std::string> KernelNames() {
  std::vector<std::string> names;
  for (const auto& k : Registry()) names.push_back(k.name);
  return names;
}

std::unique_ptr<Kernel> CreateKernel(const std::string& name,
                                     const KernelOptions& options) {
  for (const auto& info : Registry()) {
    if (info.name != name) continue;
    if (options.threads < 0) throw Error("threads", "must be >= 0");
    if (options.k < 0 || options.k > 16)
      throw Error("k", "must be in 0..16 (0 = automatic), got " +
                           std::to_string(options.k));
    auto kernel = info.factory(options);
    const KernelCaps caps = kernel->Caps();
    if (options.activations == ActivationType::kInt8 && !caps.int8_activations)
      throw Error("activations", name + " has no int8 activation path");
    if (options.activations == ActivationType::kFloat32 &&
        !caps.float_activations)
      throw Error("activations", name + " has no float activation path");
    return kernel;
  }
  std::string known;
  for (const auto& n : KernelNames()) known += " " + n;
  throw Error("kernel", "unknown kernel '" + name + "' (known:" + known + ")");
}

}  // namespace rsr
