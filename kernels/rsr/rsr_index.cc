#include "kernels/rsr/rsr_index.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/core/bytes.h"
#include "kernels/core/parallel.h"
#include "rsr/error.h"

namespace rsr::rsr_index {

const char* CodeFormName(CodeForm f) {
  switch (f) {
    case CodeForm::kBinary:
      return "binary";
    case CodeForm::kBase3:
      return "base3";
  }
  return "?";
}

int MaxK(CodeForm f) {
  switch (f) {
    case CodeForm::kBinary:
      return 16;
    case CodeForm::kBase3:
      return 12;
  }
  return 0;
}

size_t NumBuckets(CodeForm f, int k) {
  if (k < 1 || k > MaxK(f))
    throw Error("k", std::string("must be in 1..") + std::to_string(MaxK(f)) +
                         " for the " + CodeFormName(f) + " code, got " +
                         std::to_string(k));
  const size_t base = f == CodeForm::kBinary ? 2 : 3;
  size_t n = 1;
  for (int i = 0; i < k; ++i) n *= base;
  return n;
}

int CodeDigit(CodeForm form, int k, uint32_t code, int t) {
  if (form == CodeForm::kBase3) {
    for (int i = k - 1; i > t; --i) code /= 3;
    return static_cast<int>(code % 3);
  }
  return static_cast<int>((code >> (k - 1 - t)) & 1u);
}

namespace {

// row(r, buf) returns row r's K values: a pointer into the matrix, or buf
// filled with them (buf holds buf_size values per thread; Build needs none,
// so its memory bound stays as it was).
template <class Idx, class RowFn>
void BuildBlocks(size_t M, size_t K, int k, CodeForm form, int plane_value,
                 size_t buckets, Idx* perm_all, Idx* off_all, int threads,
                 size_t buf_size, const RowFn& row) {
  const size_t blocks = (M + k - 1) / k;
  ParallelChunks(blocks, threads, 1, [&](size_t b0, size_t b1) {
    std::vector<uint32_t> code(K);
    std::vector<size_t> count(buckets + 1);
    std::vector<int8_t> buf(buf_size);
    for (size_t b = b0; b < b1; ++b) {
      std::fill(code.begin(), code.end(), 0u);
      for (int t = 0; t < k; ++t) {
        const size_t r = b * k + t;
        // Padding rows past M: zeros.
        const int8_t* wr = r < M ? row(r, buf.data()) : nullptr;
        for (size_t j = 0; j < K; ++j) {
          const int v = wr ? wr[j] : 0;
          uint32_t& c = code[j];
          switch (form) {
            case CodeForm::kBinary:
              c = (c << 1) | (v == plane_value ? 1u : 0u);
              break;
            case CodeForm::kBase3:
              c = c * 3 + static_cast<uint32_t>(v + 1);
              break;
          }
        }
      }
      // Counting sort, stable: ascending j inside each bucket.
      std::fill(count.begin(), count.end(), size_t{0});
      for (size_t j = 0; j < K; ++j) ++count[code[j] + 1];
      Idx* off = off_all + b * (buckets + 1);
      for (size_t c = 0; c < buckets; ++c) count[c + 1] += count[c];
      for (size_t c = 0; c <= buckets; ++c) off[c] = static_cast<Idx>(count[c]);
      Idx* perm = perm_all + b * K;
      for (size_t j = 0; j < K; ++j)
        perm[count[code[j]]++] = static_cast<Idx>(j);
    }
  });
}

template <class RowFn>
Index BuildFromRows(size_t rows, size_t cols, int k, CodeForm form,
                    int plane_value, int threads, size_t buf_size,
                    const RowFn& row) {
  Index ix;
  ix.buckets = NumBuckets(form, k);  // validates k
  ix.rows = rows;
  ix.cols = cols;
  ix.k = k;
  ix.form = form;
  ix.blocks = (ix.rows + k - 1) / k;
  ix.wide = NeedsWideIndex(ix.cols);
  const size_t n_perm = ix.blocks * ix.cols;
  const size_t n_off = ix.blocks * (ix.buckets + 1);
  if (ix.wide) {
    ix.perm32.Resize(n_perm);
    ix.off32.Resize(n_off);
    BuildBlocks<uint32_t>(rows, cols, k, form, plane_value, ix.buckets,
                          ix.perm32.data(), ix.off32.data(), threads, buf_size,
                          row);
  } else {
    ix.perm16.Resize(n_perm);
    ix.off16.Resize(n_off);
    BuildBlocks<uint16_t>(rows, cols, k, form, plane_value, ix.buckets,
                          ix.perm16.data(), ix.off16.data(), threads, buf_size,
                          row);
  }
  return ix;
}

}  // namespace

size_t IndexBytes(size_t rows, size_t cols, int k, CodeForm form) {
  const size_t blocks = (rows + k - 1) / k;
  const size_t width = NeedsWideIndex(cols) ? 4 : 2;
  return blocks * (cols + NumBuckets(form, k) + 1) * width;
}

Index Build(const TernaryMatrix& w, int k, CodeForm form, int plane_value,
            int threads) {
  return BuildFromRows(w.rows(), w.cols(), k, form, plane_value, threads, 0,
                       [&](size_t r, int8_t*) { return w.row(r); });
}

Index Rebuild(const Index& ix, int k, int threads) {
  const size_t radix = ix.form == CodeForm::kBase3 ? 3 : 2;
  const int8_t low = ix.form == CodeForm::kBase3 ? -1 : 0;
  // Row r: the digit of its row in each bucket's code, for the bucket's
  // columns (a kBinary index built on plane +1 decodes to {0, 1}).
  return BuildFromRows(
      ix.rows, ix.cols, k, ix.form, +1, threads, ix.cols,
      [&](size_t r, int8_t* buf) {
        const size_t b = r / ix.k;
        size_t div = 1;
        for (int i = static_cast<int>(r % ix.k) + 1; i < ix.k; ++i)
          div *= radix;
        for (size_t c = 0; c < ix.buckets; ++c) {
          const int8_t v = static_cast<int8_t>((c / div) % radix) + low;
          for (size_t p = ix.Offset(b, c); p < ix.Offset(b, c + 1); ++p)
            buf[ix.PermAt(b, p)] = v;
        }
        return static_cast<const int8_t*>(buf);
      });
}

namespace {

// Validate, throwing rsr::Error(argument).
void ValidateAs(const Index& ix, const std::string& argument) {
  if (ix.k < 1 || ix.k > MaxK(ix.form)) throw Error(argument, "bad k");
  if (ix.buckets != NumBuckets(ix.form, ix.k))
    throw Error(argument, "bucket count does not match k");
  if (ix.blocks != (ix.rows + ix.k - 1) / ix.k)
    throw Error(argument, "block count does not match M and k");
  const size_t n_perm = ix.blocks * ix.cols;
  const size_t n_off = ix.blocks * (ix.buckets + 1);
  const bool sizes_ok =
      ix.wide ? (ix.perm32.size() == n_perm && ix.off32.size() == n_off &&
                 ix.perm16.size() == 0 && ix.off16.size() == 0)
              : (ix.perm16.size() == n_perm && ix.off16.size() == n_off &&
                 ix.perm32.size() == 0 && ix.off32.size() == 0);
  if (!sizes_ok) throw Error(argument, "buffer sizes do not match the shape");
  std::vector<uint8_t> seen(ix.cols);
  for (size_t b = 0; b < ix.blocks; ++b) {
    const std::string where = "block " + std::to_string(b) + ": ";
    if (ix.Offset(b, 0) != 0)
      throw Error(argument, where + "offsets must start at 0");
    for (size_t c = 0; c < ix.buckets; ++c)
      if (ix.Offset(b, c + 1) < ix.Offset(b, c))
        throw Error(argument, where + "offsets not monotone at bucket " +
                                  std::to_string(c));
    if (ix.Offset(b, ix.buckets) != ix.cols)
      throw Error(argument, where + "offsets must end at K");
    std::fill(seen.begin(), seen.end(), uint8_t{0});
    for (size_t p = 0; p < ix.cols; ++p) {
      const size_t j = ix.PermAt(b, p);
      if (j >= ix.cols)
        throw Error(argument, where + "permutation entry " + std::to_string(p) +
                                  " out of range");
      if (seen[j]++)
        throw Error(argument, where + "column " + std::to_string(j) +
                                  " appears twice in the permutation");
    }
  }
}

void ValidateCanonicalAs(const Index& ix, const std::string& argument) {
  // Validate has run: offsets are monotone and end at K, entries < K.
  for (size_t b = 0; b < ix.blocks; ++b) {
    for (size_t c = 0; c < ix.buckets; ++c) {
      const size_t e = ix.Offset(b, c + 1);
      for (size_t p = ix.Offset(b, c) + 1; p < e; ++p)
        if (ix.PermAt(b, p) <= ix.PermAt(b, p - 1))
          throw Error(argument, "block " + std::to_string(b) +
                                    ": columns not ascending in bucket " +
                                    std::to_string(c));
    }
  }
  if (ix.blocks == 0) return;
  const size_t last = ix.blocks - 1;
  const size_t real_rows = ix.rows - last * static_cast<size_t>(ix.k);
  const size_t pad = static_cast<size_t>(ix.k) - real_rows;
  if (pad == 0) return;
  // Padding rows are the last rows of the block: the low `pad` digits.
  const size_t radix = ix.form == CodeForm::kBase3 ? 3 : 2;
  size_t mod = 1;
  for (size_t i = 0; i < pad; ++i) mod *= radix;
  const size_t want =
      ix.form == CodeForm::kBase3 ? (mod - 1) / 2 : 0;  // 11..1 or 00..0
  for (size_t c = 0; c < ix.buckets; ++c)
    if (ix.Offset(last, c + 1) > ix.Offset(last, c) && c % mod != want)
      throw Error(argument, "block " + std::to_string(last) + ": bucket " +
                                std::to_string(c) +
                                " encodes a nonzero weight in a padding row");
}

}  // namespace

void Validate(const Index& ix) { ValidateAs(ix, "index"); }
void ValidateCanonical(const Index& ix) { ValidateCanonicalAs(ix, "index"); }

void Save(ByteWriter& out, const Index& ix) {
  out.Put<int32_t>(ix.k);
  out.Put<uint8_t>(static_cast<uint8_t>(ix.form));
  out.Put<uint8_t>(ix.wide ? 1 : 0);
  if (ix.wide) {
    out.PutArray(ix.perm32);
    out.PutArray(ix.off32);
  } else {
    out.PutArray(ix.perm16);
    out.PutArray(ix.off16);
  }
}

Index Load(ByteReader& in, size_t rows, size_t cols, int required_k,
           const std::string& what) {
  const auto fail = [&](const std::string& msg) {
    throw Error("file", what + ": " + msg);
  };
  const int32_t k = in.Get<int32_t>("rsr index k");
  const uint8_t form = in.Get<uint8_t>("rsr index code form");
  const uint8_t wide = in.Get<uint8_t>("rsr index width");
  if (form > static_cast<uint8_t>(CodeForm::kBase3))
    fail("unknown code form " + std::to_string(form));
  Index ix;
  ix.form = static_cast<CodeForm>(form);
  if (k < 1 || k > MaxK(ix.form))
    fail("k = " + std::to_string(k) + " outside 1.." +
         std::to_string(MaxK(ix.form)) + " for the " + CodeFormName(ix.form) +
         " code");
  if (required_k != 0 && k != required_k)
    fail("k = " + std::to_string(k) +
         " does not match the header's k = " + std::to_string(required_k));
  if (wide > 1)
    fail("index width flag " + std::to_string(wide) + " is not 0 or 1");
  if ((wide == 1) != NeedsWideIndex(cols))
    fail(std::string(wide ? "uint32" : "uint16") +
         " index does not match K = " + std::to_string(cols));
  ix.rows = rows;
  ix.cols = cols;
  ix.k = k;
  ix.buckets = NumBuckets(ix.form, k);
  ix.blocks = (rows + static_cast<size_t>(k) - 1) / static_cast<size_t>(k);
  ix.wide = wide == 1;
  const size_t n_perm = ix.blocks * cols;
  const size_t n_off = ix.blocks * (ix.buckets + 1);
  if (ix.wide) {
    in.GetArray(ix.perm32, n_perm, "rsr index permutation");
    in.GetArray(ix.off32, n_off, "rsr index offsets");
  } else {
    in.GetArray(ix.perm16, n_perm, "rsr index permutation");
    in.GetArray(ix.off16, n_off, "rsr index offsets");
  }
  ValidateAs(ix, "file");
  ValidateCanonicalAs(ix, "file");
  return ix;
}

std::vector<uint32_t> ColumnCodes(const Index& ix, size_t block) {
  std::vector<uint32_t> codes(ix.cols);
  for (size_t c = 0; c < ix.buckets; ++c)
    for (size_t p = ix.Offset(block, c); p < ix.Offset(block, c + 1); ++p)
      codes[ix.PermAt(block, p)] = static_cast<uint32_t>(c);
  return codes;
}

bool HasMinusOne(const Index& ix) {
  if (ix.form != CodeForm::kBase3) return false;
  for (size_t b = 0; b < ix.blocks; ++b)
    for (size_t c = 0; c < ix.buckets; ++c) {
      if (ix.Offset(b, c + 1) == ix.Offset(b, c)) continue;
      size_t code = c;
      for (int t = 0; t < ix.k; ++t, code /= 3)
        if (code % 3 == 0) return true;
    }
  return false;
}

int PaperK(size_t cols) {
  const double l = std::log2(static_cast<double>(std::max<size_t>(cols, 2)));
  const double k = l - (l > 1.0 ? std::log2(l) : 0.0);
  return std::max(1, static_cast<int>(std::lround(k)));
}

}  // namespace rsr::rsr_index
