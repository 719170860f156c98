// rsr and rsrpp: the scalar kernels, written to follow the paper step by step
// (docs/algorithms.md §1-3). They are the slow twins of rsrpp-simd and the
// subject of the paper-reproduction tables.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "kernels/rsr/rsr.h"
#include "kernels/rsr/rsr_index.h"
#include "rsr/error.h"

namespace rsr {

namespace {

using rsr_index::CodeForm;
using rsr_index::Index;

// Step 1, segmented sums: u[c] = sum of x over bucket c of block b.
template <class Idx, class T>
void SegmentedSums(const Index& ix, size_t b, const T* x, T* u) {
  const Idx* perm = ix.Perm<Idx>(b);
  const Idx* off = ix.Offsets<Idx>(b);
  for (size_t c = 0; c < ix.buckets; ++c) {
    T s = 0;
    for (size_t p = off[c]; p < off[c + 1]; ++p) s += x[perm[p]];
    u[c] = s;
  }
}

// Step 2 (RSR): out[t] = sum_c u[c] * bit_t(c), bit_t = row t's bit (row 0
// is the MSB). k * 2^k additions.
template <class T>
void BlockProduct(const T* u, int k, T* out) {
  const size_t n = size_t{1} << k;
  for (int t = 0; t < k; ++t) {
    T s = 0;
    for (size_t c = 0; c < n; ++c)
      if ((c >> (k - 1 - t)) & 1) s += u[c];
    out[t] = s;
  }
}

// Step 2 (RSR++): the halving fold, last row (LSB) first:
// out[t] = sum of odd entries, then u'[c] = u[2c] + u[2c+1]. Destroys u.
template <class T>
void HalvingFold(T* u, int k, T* out) {
  size_t n = size_t{1} << k;
  for (int t = k - 1; t >= 0; --t) {
    T s = 0;
    for (size_t c = 1; c < n; c += 2) s += u[c];
    out[t] = s;
    n /= 2;
    for (size_t c = 0; c < n; ++c) u[c] = u[2 * c] + u[2 * c + 1];
  }
}

class RsrScalar final : public Kernel {
 public:
  RsrScalar(const KernelOptions& options, bool plus_plus)
      : Kernel(options), plus_plus_(plus_plus) {}
  std::string Name() const override { return plus_plus_ ? "rsrpp" : "rsr"; }
  KernelCaps Caps() const override {
    KernelCaps c;
    c.int8_activations = true;
    c.float_activations = true;
    c.block_k = true;
    return c;
  }
  size_t PreparedBytes() const override { return pos_.Bytes() + neg_.Bytes(); }
  // Two binary-code planes (ternary); Build's per-thread codes and counts.
  size_t PrepareBytesBound(size_t rows, size_t cols) const override {
    const int k = BlockHeight(cols);
    const size_t buckets = rsr_index::NumBuckets(CodeForm::kBinary, k);
    return 2 * rsr_index::IndexBytes(rows, cols, k, CodeForm::kBinary) +
           static_cast<size_t>(threads()) * (4 * cols + 8 * (buckets + 1)) +
           (64u << 10);
  }

 protected:
  // Payload: uint8 planes (1 = binary matrix, B+ only; 2 = ternary, B+ and
  // B-), then each plane's index (rsr_index::Save).
  bool Serializable() const override { return true; }
  void SaveImpl(ByteWriter& out) const override {
    out.Put<uint8_t>(binary_ ? 1 : 2);
    rsr_index::Save(out, pos_);
    if (!binary_) rsr_index::Save(out, neg_);
  }
  void LoadImpl(ByteReader& in, size_t rows, size_t cols) override {
    const std::string name = Name();
    const uint8_t planes = in.Get<uint8_t>("rsr plane count");
    if (planes != 1 && planes != 2)
      throw Error("file", name + ": plane count " + std::to_string(planes) +
                              " is not 1 or 2");
    Index pos =
        rsr_index::Load(in, rows, cols, options().k, name + " B+ index");
    Index neg;
    if (planes == 2)
      neg = rsr_index::Load(in, rows, cols, options().k, name + " B- index");
    if (pos.form != CodeForm::kBinary ||
        (planes == 2 && neg.form != CodeForm::kBinary))
      throw Error("file", name + ": planes must use the binary code");
    if (planes == 2) {
      if (neg.k != pos.k)
        throw Error("file", name + ": the B+ and B- indexes use different k");
      CheckPlanes(pos, neg, name);
    }
    pos_ = std::move(pos);
    neg_ = std::move(neg);
    binary_ = planes == 1;
  }

  int BlockHeight(size_t cols) const {
    if (options().k != 0) return options().k;
    return plus_plus_ ? RsrppDefaultK(cols) : RsrDefaultK(cols);
  }

  void PrepareImpl(const TernaryMatrix& w) override {
    const int k = BlockHeight(w.cols());
    binary_ = w.IsBinary();
    pos_ = rsr_index::Build(w, k, CodeForm::kBinary, +1, threads());
    neg_ = binary_ ? Index{}
                   : rsr_index::Build(w, k, CodeForm::kBinary, -1, threads());
  }

  void GemmI8(const QuantizedActivations& xq, float* y) const override {
    const size_t K = pos_.cols;
    std::vector<int32_t> x(K);
    for (size_t t = 0; t < xq.tokens; ++t) {
      const int8_t* q = xq.token(t);
      for (size_t j = 0; j < K; ++j) x[j] = q[j];
      Run<int32_t>(x.data(), [&](size_t r, int32_t d) {
        y[t * pos_.rows + r] = DequantizeDot(d, xq.scale[t], weight_scale());
      });
    }
  }

  void GemmF32(const float* x, size_t tokens, float* y) const override {
    const size_t K = pos_.cols;
    for (size_t t = 0; t < tokens; ++t) {
      Run<float>(x + t * K, [&](size_t r, float d) {
        y[t * pos_.rows + r] = d * weight_scale();
      });
    }
  }

 private:
  // One token: every block, then emit(row, value) for the block's real rows.
  template <class T, class Emit>
  void Run(const T* x, const Emit& emit) const {
    const int k = pos_.k;
    const size_t align = (16 + k - 1) / k;  // 16 floats of output per chunk
    ParallelChunks(pos_.blocks, threads(), align, [&](size_t b0, size_t b1) {
      std::vector<T> u(pos_.buckets), rp(k), rn(k, T{0});
      for (size_t b = b0; b < b1; ++b) {
        Plane(pos_, b, x, u.data(), rp.data());
        if (!binary_) Plane(neg_, b, x, u.data(), rn.data());
        for (int t = 0; t < k; ++t) {
          const size_t r = b * k + t;
          if (r < pos_.rows) emit(r, static_cast<T>(rp[t] - rn[t]));
        }
      }
    });
  }

  template <class T>
  void Plane(const Index& ix, size_t b, const T* x, T* u, T* out) const {
    if (ix.wide)
      SegmentedSums<uint32_t>(ix, b, x, u);
    else
      SegmentedSums<uint16_t>(ix, b, x, u);
    if (plus_plus_)
      HalvingFold(u, ix.k, out);
    else
      BlockProduct(u, ix.k, out);
  }

  // Ternary planes (both validated): no weight is both +1 and -1, and B- is
  // not empty (a matrix without -1 is binary: one plane). O(index size).
  static void CheckPlanes(const Index& pos, const Index& neg,
                          const std::string& name) {
    std::vector<uint32_t> code(pos.cols);
    bool any_negative = false;
    for (size_t b = 0; b < pos.blocks; ++b) {
      for (size_t c = 0; c < pos.buckets; ++c)
        for (size_t p = pos.Offset(b, c); p < pos.Offset(b, c + 1); ++p)
          code[pos.PermAt(b, p)] = static_cast<uint32_t>(c);
      for (size_t c = 1; c < neg.buckets; ++c) {
        const size_t p0 = neg.Offset(b, c), p1 = neg.Offset(b, c + 1);
        if (p0 < p1) any_negative = true;
        for (size_t p = p0; p < p1; ++p)
          if (code[neg.PermAt(b, p)] & c)
            throw Error("file", name + ": block " + std::to_string(b) +
                                    ": column " +
                                    std::to_string(neg.PermAt(b, p)) +
                                    " is both +1 and -1");
      }
    }
    if (!any_negative)
      throw Error("file", name +
                              ": ternary file without a -1 weight (binary "
                              "matrices have one plane)");
  }

  bool plus_plus_;
  bool binary_ = false;
  Index pos_, neg_;  // B+ (or the binary matrix) and B-
};

}  // namespace

std::unique_ptr<Kernel> MakeRsr(const KernelOptions& o) {
  return std::make_unique<RsrScalar>(o, false);
}
std::unique_ptr<Kernel> MakeRsrpp(const KernelOptions& o) {
  return std::make_unique<RsrScalar>(o, true);
}

}  // namespace rsr
