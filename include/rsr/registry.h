// Names -> kernel factories. Tests, the benchmark suite and rsr-bench iterate
// over this list, so a new kernel is one folder plus one line in
// library/registry.cc.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "rsr/kernel.h"

namespace rsr {

using KernelFactory = std::unique_ptr<Kernel> (*)(const KernelOptions&);

struct KernelInfo {
  std::string name;
  std::string description;
  KernelFactory factory;
};

const std::vector<KernelInfo>& Registry();
// Throws rsr::Error("kernel") for an unknown name (listing the known ones) or
// options the kernel cannot honour (e.g. float activations on i2s).
std::unique_ptr<Kernel> CreateKernel(const std::string& name,
                                     const KernelOptions& options = {});
std::vector<std::string> KernelNames();

}  // namespace rsr
