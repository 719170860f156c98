// libFuzzer target: the prepared-kernel loader. Any byte string must either
// load (and then run safely on its own shape) or raise rsr::Error.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rsr/rsr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto kernel = rsr::LoadKernelFromBytes({data, size});
    if (kernel->rows() * kernel->cols() <= (size_t{1} << 20)) {
      std::vector<float> x(kernel->cols(), 0.25f), y(kernel->rows());
      kernel->Gemv(x, y);
    }
  } catch (const rsr::Error&) {
  }
  return 0;
}
