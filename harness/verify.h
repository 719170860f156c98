// Checks one kernel against the reference on one problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "rsr/kernel.h"

namespace rsr::harness {

struct VerifyCase {
  std::string kernel;
  size_t m = 0, k = 0, tokens = 1;
  int threads = 1;
  int block_k = 0;      // RSR k option (0 = default)
  bool binary = false;  // {0,1} weights instead of ternary
  uint64_t seed = 1;
  std::optional<ActivationType> activations;  // nullopt = kernel's default
};

struct VerifyResult {
  bool ok = false;
  std::string activations;  // "int8" or "f32"
  size_t mismatches = 0;    // outputs outside tolerance (== for int8)
  double max_abs_error = 0;
  std::string error;        // exception text when the kernel threw
};

VerifyResult Verify(const VerifyCase& c);

}  // namespace rsr::harness
