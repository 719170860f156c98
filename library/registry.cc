#include "rsr/registry.h"

#include "baselines/dense/dense.h"
#include "baselines/i2s/i2s.h"
#include "baselines/tl1/tl1.h"
#include "baselines/tl2/tl2.h"
#include "baselines/tq5/tq5.h"
#include "kernels/rsr/rsr.h"
#include "rsr/error.h"

namespace rsr {

const std::vector<KernelInfo>& Registry() {
  // One line per kernel. Order: the subject first, then baselines.
  static const std::vector<KernelInfo> kRegistry = {
      {"rsr", "RSR (paper), scalar, ternary as B+ - B-, int8/f32", &MakeRsr},
      {"rsrpp", "RSR++ halving fold, scalar, int8/f32", &MakeRsrpp},
      {"rsrpp-simd", "RSR++ Highway SIMD, base-3 one-pass index, token-tiled Gemm, int8/f32", &MakeRsrppSimd},
      {"dense-naive", "row-major scalar float loop, int8 weights", &MakeDenseNaive},
      {"dense-f32", "Highway SIMD float GEMV/GEMM, float weights", &MakeDenseF32},
      {"i2s", "bitnet.cpp I2_S 2-bit packed, int8 activations, SIMD", &MakeI2s},
      {"tl1", "bitnet.cpp TL1 2-bit pair lookup tables, int8 activations, SIMD", &MakeTl1},
      {"tl2", "bitnet.cpp TL2 1.67-bit triple lookup tables, int8 activations, SIMD", &MakeTl2},
      {"tq5", "1.6-bit, 5 trits per byte decoded by in-register byte permutes, int8 activations, SIMD", &MakeTq5},
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
