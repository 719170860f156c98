// Save/load: a loaded kernel gives bit-identical results to the freshly
// prepared one, and hostile files are rejected by the check meant for them.
//
// Hostile files get correct checksums (Seal), so that they pass the FNV-1a
// checks and reach the header checks in library/serialize.cc and each
// kernel's LoadImpl validator. Families, for every registry kernel (a kernel
// whose save fails fails them):
//   header checks   one edit per check in LoadKernelFromBytes, each rejected
//                   with that check's message (HeaderChecks)
//   payload checks  one edit per check of the kernel's validator (for the RSR
//                   family rsr_index::Load, Validate, ValidateCanonical and
//                   the plane checks), each rejected with its message
//   header words    every 4-byte header word set to 0, 1, 17, 65537,
//                   0x7FFFFFFF, 0xFFFFFFFF, original +-1: the edits that load
//                   are listed per kernel (SweepLoads)
//   payload bytes   every payload byte xor 0x01, 0x80, 0xFF: the number that
//                   load is derived or pinned per kernel (ExpectedPayloadLoads)
//   truncations     every shorter payload (sealed) and every shorter file,
//                   plus random flips left unsealed: all rejected
// A file that loads must compute what it represents: the test reads the
// weights back from the loaded kernel by running it on unit activations
// (Unpack), requires them in {-1, 0, +1}, and compares the kernel on random
// activations with the reference for those weights, with ==.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "kernels/core/bytes.h"
#include "baselines/tl2/tl2.h"
#include "baselines/tq5/tq5_format.h"
#include "kernels/rsr/rsr_index.h"
#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr {
namespace {

using Bytes = std::vector<uint8_t>;

// Header offsets (library/serialize.cc, FileHeader).
constexpr size_t kHeaderBytes = 104;
constexpr size_t kVersionAt = 8, kByteOrderAt = 12, kNameAt = 16, kRowsAt = 48,
                 kColsAt = 56, kBlockKAt = 64, kActAt = 68, kScaleAt = 72,
                 kLayoutAt = 76, kPayloadBytesAt = 80,
                 kPayloadChecksumAt = 88, kHeaderChecksumAt = 96;

template <class T>
void Poke(Bytes& f, size_t at, T v) {
  std::memcpy(f.data() + at, &v, sizeof(T));
}
template <class T>
T Peek(const Bytes& f, size_t at) {
  T v;
  std::memcpy(&v, f.data() + at, sizeof(T));
  return v;
}

// New header checksum only (the payload checksum field is left as it is).
void SealHeader(Bytes& f) {
  Poke<uint64_t>(f, kHeaderChecksumAt, Checksum({f.data(), kHeaderChecksumAt}));
}
// Payload size and both checksums made to agree with the bytes.
void Seal(Bytes& f) {
  Poke<uint64_t>(f, kPayloadBytesAt, f.size() - kHeaderBytes);
  Poke<uint64_t>(f, kPayloadChecksumAt,
                 Checksum({f.data() + kHeaderBytes, f.size() - kHeaderBytes}));
  SealHeader(f);
}
// a + b. resize + memcpy rather than insert: g++ 12 reports a false
// -Warray-bounds on vector::insert here (as in library/serialize.cc).
Bytes Concat(const uint8_t* a, size_t na, const Bytes& b) {
  Bytes out(na + b.size());
  if (na) std::memcpy(out.data(), a, na);
  if (!b.empty()) std::memcpy(out.data() + na, b.data(), b.size());
  return out;
}
// The header of `file` with another payload, sealed.
Bytes WithPayload(const Bytes& file, const Bytes& payload) {
  Bytes f = Concat(file.data(), kHeaderBytes, payload);
  Seal(f);
  return f;
}
Bytes PayloadOf(const Bytes& file) {
  return Bytes(file.begin() + kHeaderBytes, file.end());
}

// The weights a loaded kernel represents. Every kernel is linear in its
// activations, and the unit activation e_j quantizes exactly (amax = 1,
// s_a = 127, q_j = 127), so token j of the probe gives
// y_r = DequantizeDot(127 w_rj, 127, s_w) = w_rj * s_w, and the float path
// gives w_rj * s_w too: y / s_w is w exactly whenever w is a small integer.
// A constant offset (e.g. a wrong TL2 neg_count) makes it non-integral.
std::optional<TernaryMatrix> Unpack(const Kernel& k, std::string& why) {
  const size_t M = k.rows(), K = k.cols();
  std::vector<float> x(K * K, 0.0f), y(K * M);
  for (size_t j = 0; j < K; ++j) x[j * K + j] = 1.0f;
  k.Gemm(x, K, y);
  std::vector<int8_t> w(M * K);
  for (size_t r = 0; r < M; ++r)
    for (size_t j = 0; j < K; ++j) {
      const double v = static_cast<double>(y[j * M + r]) / k.weight_scale();
      if (v != -1.0 && v != 0.0 && v != 1.0) {
        why = "row " + std::to_string(r) + " column " + std::to_string(j) +
              " computes weight " + std::to_string(v);
        return std::nullopt;
      }
      w[r * K + j] = static_cast<int8_t>(v);
    }
  return TernaryMatrix(M, K, std::move(w), k.weight_scale());
}

// A loaded kernel computes, for random activations (int8) or activations on
// a 1/8 grid (float: exact in any order), exactly what the reference
// computes for the weights it unpacks to; Gemm (3 tokens) and Gemv alike.
void ExpectComputesItsWeights(const Kernel& k, const std::string& ctx) {
  SCOPED_TRACE(ctx);
  std::string why;
  const std::optional<TernaryMatrix> w = Unpack(k, why);
  ASSERT_TRUE(w.has_value()) << "loaded kernel " << k.Name() << " " << k.rows()
                             << "x" << k.cols() << ": " << why;
  const size_t M = k.rows(), K = k.cols(), n = 3;
  std::vector<float> x(n * K);
  std::mt19937_64 rng(K * 131 + M);
  for (auto& e : x)
    e = k.activations() == ActivationType::kInt8
            ? std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng)
            : static_cast<float>(
                  std::uniform_int_distribution<int>(-32, 32)(rng)) /
                  8;
  std::vector<float> y(n * M), ref(n * M), y1(M);
  k.Gemm(x, n, y);
  k.Gemv(std::span<const float>(x).first(K), y1);
  if (k.activations() == ActivationType::kInt8)
    ReferenceGemmI8(*w, QuantizeActivations(x, K, n), ref);
  else
    ReferenceGemmF32(*w, x, n, ref);
  EXPECT_EQ(y, ref) << "Gemm of a loaded " << k.Name();
  EXPECT_EQ(y1, std::vector<float>(ref.begin(), ref.begin() + M))
      << "Gemv of a loaded " << k.Name();
}

struct Outcome {
  bool loaded = false;
  std::string error;
};

// Loads f; a file that loads is checked by ExpectComputesItsWeights.
Outcome TryLoad(const Bytes& f, const std::string& ctx) {
  Outcome o;
  std::unique_ptr<Kernel> k;
  try {
    k = LoadKernelFromBytes(f);
  } catch (const Error& e) {
    o.error = e.what();
    return o;
  }
  o.loaded = true;
  ExpectComputesItsWeights(*k, ctx);
  return o;
}

struct Hostile {
  std::string what;  // the check it aims at
  Bytes file;
  std::string expect;  // substring of the error; empty: must load
};

void ExpectOutcomes(const std::vector<Hostile>& cases) {
  for (const Hostile& h : cases) {
    const Outcome o = TryLoad(h.file, h.what);
    if (h.expect.empty()) {
      EXPECT_TRUE(o.loaded) << h.what << ": rejected with '" << o.error << "'";
    } else {
      EXPECT_FALSE(o.loaded) << h.what << ": loaded";
      EXPECT_NE(o.error.find(h.expect), std::string::npos)
          << h.what << ": rejected with '" << o.error << "', want '" << h.expect
          << "'";
    }
  }
}

// 9 x 21 reaches every format's padding: i2s's 128-code block (107 padding
// codes per row), TL1's 16-column and TL2's 24-column blocks (5 and 3
// padding columns, 55 padding rows of the 64-row tile), tq5's 320-column
// block (299 padding trits per row), and the RSR index's padding rows when k
// does not divide 9.
constexpr size_t kM = 9, kK = 21;

TernaryMatrix Weights() { return RandomTernary(kM, kK, 3, 1.0 / 3, 0.75f); }

Bytes SaveOrFail(const std::string& name, const TernaryMatrix& w,
                 KernelOptions opt = {}) {
  auto k = CreateKernel(name, opt);
  k->Prepare(w);
  return SaveKernelToBytes(*k);  // throws: the test fails
}

bool HasFloatPath(const std::string& name) {
  return CreateKernel(name)->Caps().float_activations;
}
bool HasInt8Path(const std::string& name) {
  return CreateKernel(name)->Caps().int8_activations;
}

// One case per check in LoadKernelFromBytes, in its order. The shape-caps
// check (rows/cols above a kernel's Caps) has no case: every kernel accepts
// the global limits today.
std::vector<Hostile> HeaderChecks(const std::string& name, const Bytes& good) {
  std::vector<Hostile> out;
  auto add = [&](std::string what, std::string expect,
                 const std::function<void(Bytes&)>& edit, bool seal = true) {
    Bytes f = good;
    edit(f);
    if (seal) SealHeader(f);
    out.push_back({std::move(what), std::move(f), std::move(expect)});
  };
  add("short", "too short", [](Bytes& f) { f.resize(kHeaderBytes - 1); });
  add("magic", "bad magic", [](Bytes& f) { f[3] = 'X'; });
  add("byte order", "byte order",
      [](Bytes& f) { Poke<uint32_t>(f, kByteOrderAt, 0x04030201u); });
  add("version", "format version",
      [](Bytes& f) { Poke<uint32_t>(f, kVersionAt, 2); });
  add(
      "header checksum", "header checksum", [](Bytes& f) { f[kRowsAt] ^= 1; },
      /*seal=*/false);
  add("name not terminated", "not terminated",
      [](Bytes& f) { std::memset(f.data() + kNameAt, 'x', 32); });
  add("bytes after the name", "after the kernel name",
      [](Bytes& f) { f[kNameAt + 31 - 1] = 'x'; });
  add("reserved0", "reserved", [](Bytes& f) { f[kActAt + 2] = 1; });
  // The payload layout field (formerly reserved1): 1 is never written (layout
  // 1 is stored as 0) and no kernel has layout 7.
  add("payload layout field 1", "payload layout",
      [](Bytes& f) { Poke<uint32_t>(f, kLayoutAt, 1); });
  add("payload layout 7", "payload layout 7 is not the layout",
      [](Bytes& f) { Poke<uint32_t>(f, kLayoutAt, 7); });
  add("rows 0", "outside the limits",
      [](Bytes& f) { Poke<uint64_t>(f, kRowsAt, 0); });
  add("rows > kMaxRows", "outside the limits",
      [](Bytes& f) { Poke<uint64_t>(f, kRowsAt, kMaxRows + 1); });
  add("cols 0", "outside the limits",
      [](Bytes& f) { Poke<uint64_t>(f, kColsAt, 0); });
  add("cols > kMaxCols", "outside the limits",
      [](Bytes& f) { Poke<uint64_t>(f, kColsAt, kMaxCols + 1); });
  add("rows*cols > kMaxWeights", "outside the limits", [](Bytes& f) {
    Poke<uint64_t>(f, kRowsAt, kMaxRows);
    Poke<uint64_t>(f, kColsAt, kMaxWeights / kMaxRows + 1);
  });
  add("k -1", "outside 0..16",
      [](Bytes& f) { Poke<int32_t>(f, kBlockKAt, -1); });
  add("k 17", "outside 0..16",
      [](Bytes& f) { Poke<int32_t>(f, kBlockKAt, 17); });
  add("activations 2", "unknown activation type",
      [](Bytes& f) { f[kActAt] = 2; });
  for (float s : {std::nanf(""), INFINITY, 0.0f, -0.75f})
    add("weight scale " + std::to_string(s), "weight scale",
        [s](Bytes& f) { Poke<float>(f, kScaleAt, s); });
  add("payload size", "payload size", [](Bytes& f) {
    Poke<uint64_t>(f, kPayloadBytesAt, f.size() - kHeaderBytes + 1);
  });
  add("payload checksum", "payload checksum",
      [](Bytes& f) { f[kPayloadChecksumAt] ^= 1; });
  add("unknown kernel", "unknown kernel 'no-such-kernel'", [](Bytes& f) {
    std::memset(f.data() + kNameAt, 0, 32);
    std::memcpy(f.data() + kNameAt, "no-such-kernel", 14);
  });
  // The other activation type: CreateKernel refuses it where the kernel has
  // no such path; where it has, the file loads and runs on that path.
  const bool is_int8 = good[kActAt] == 0;
  const bool other_ok = is_int8 ? HasFloatPath(name) : HasInt8Path(name);
  add("other activation type", other_ok ? "" : "kernel in file",
      [](Bytes& f) { f[kActAt] ^= 1; });
  // Another weight scale is a valid file: it computes with that scale.
  add("weight scale 2", "", [](Bytes& f) { Poke<float>(f, kScaleAt, 2.0f); });
  return out;
}

// Payload checks every kernel shares (ByteReader, ExpectEnd).
void AddReaderChecks(const Bytes& good, std::vector<Hostile>& out) {
  Bytes p = PayloadOf(good);
  p.pop_back();
  out.push_back({"payload one byte short", WithPayload(good, p), "truncated"});
  p = PayloadOf(good);
  p.push_back(0);
  out.push_back({"trailing byte", WithPayload(good, p), "trailing bytes"});
}

// Kernels whose payload is one length-prefixed array (i2s, tl1, tl2, dense):
// the count must match the shape.
void AddCountCheck(const Bytes& good, std::vector<Hostile>& out) {
  Bytes p = PayloadOf(good);
  Poke<uint64_t>(p, 0, Peek<uint64_t>(p, 0) + 1);
  out.push_back(
      {"array count", WithPayload(good, p), "does not match the shape"});
}

using rsr_index::CodeForm;
using rsr_index::Index;

Bytes SaveIndex(const Index& ix) {
  ByteWriter w;
  rsr_index::Save(w, ix);
  return w.bytes();
}

// One case per check of rsr_index::Load, Validate and ValidateCanonical, on
// the index `ix` (serialized alone or, for the scalar kernels, as plane
// `plane` after `prefix`).
void AddIndexChecks(const Bytes& good, const Index& ix,
                    const std::function<Bytes(const Bytes&)>& wrap,
                    std::vector<Hostile>& out) {
  const Bytes base = SaveIndex(ix);
  auto raw = [&](std::string what, std::string expect,
                 const std::function<void(Bytes&)>& edit) {
    Bytes p = base;
    edit(p);
    out.push_back(
        {std::move(what), WithPayload(good, wrap(p)), std::move(expect)});
  };
  // Index serialization: int32 k, uint8 form, uint8 wide, u64 n + perm,
  // u64 n + offsets.
  raw("index code form 2", "unknown code form", [](Bytes& p) { p[4] = 2; });
  raw("index k 0", "outside 1..", [](Bytes& p) { Poke<int32_t>(p, 0, 0); });
  raw("index k above MaxK", "outside 1..",
      [&](Bytes& p) { Poke<int32_t>(p, 0, rsr_index::MaxK(ix.form) + 1); });
  raw("index width 2", "width flag", [](Bytes& p) { p[5] = 2; });
  raw("index width 1 at small K", "uint32 index does not match K",
      [](Bytes& p) { p[5] = 1; });
  raw("permutation count", "does not match the shape",
      [](Bytes& p) { Poke<uint64_t>(p, 6, Peek<uint64_t>(p, 6) + 1); });
  auto edited = [&](std::string what, std::string expect,
                    const std::function<void(Index&)>& edit) {
    ByteReader in(base);  // a copy of ix
    Index e = rsr_index::Load(in, ix.rows, ix.cols, 0, "copy");
    edit(e);
    out.push_back({std::move(what), WithPayload(good, wrap(SaveIndex(e))),
                   std::move(expect)});
  };
  const size_t K = ix.cols, B = ix.buckets;
  const size_t last = ix.blocks - 1;
  edited("offsets start at 1", "start at 0", [](Index& e) { e.off16[0] = 1; });
  edited("offsets not monotone", "not monotone", [&](Index& e) {
    e.off16[last * (B + 1) + B - 1] = static_cast<uint16_t>(K + 1);
  });
  edited("offsets end past K", "end at K", [&](Index& e) {
    e.off16[last * (B + 1) + B] = static_cast<uint16_t>(K + 1);
  });
  edited("permutation entry K", "out of range",
         [&](Index& e) { e.perm16[last * K] = static_cast<uint16_t>(K); });
  edited("permutation entry twice", "appears twice",
         [&](Index& e) { e.perm16[last * K + 1] = e.perm16[last * K]; });
  // Two columns of one bucket swapped: still a bijection, not ascending.
  for (size_t c = 0; c < B; ++c) {
    const size_t p0 = ix.Offset(last, c), p1 = ix.Offset(last, c + 1);
    if (p1 - p0 < 2) continue;
    edited("bucket not ascending", "not ascending", [&](Index& e) {
      std::swap(e.perm16[last * K + p0], e.perm16[last * K + p0 + 1]);
    });
    break;
  }
  // A padding row (rows past M in the last block) given a nonzero weight:
  // the last column of an allowed bucket c moved into bucket c + 1.
  const size_t real = ix.rows - last * ix.k, pad = ix.k - real;
  if (pad > 0) {
    const size_t radix = ix.form == CodeForm::kBase3 ? 3 : 2;
    size_t mod = 1;
    for (size_t i = 0; i < pad; ++i) mod *= radix;
    const size_t want = ix.form == CodeForm::kBase3 ? (mod - 1) / 2 : 0;
    bool added = false;
    for (size_t c = 0; c + 1 < B && !added; ++c) {
      if (c % mod != want || (c + 1) % mod == want) continue;
      if (ix.Offset(last, c + 1) == ix.Offset(last, c)) continue;
      edited("padding row nonzero", "padding row",
             [&](Index& e) { --e.off16[last * (B + 1) + c + 1]; });
      added = true;
    }
    EXPECT_TRUE(added) << "no case for the padding-row check";
  }
}

Index LoadIndexFrom(ByteReader& in, size_t rows, size_t cols) {
  return rsr_index::Load(in, rows, cols, 0, "test");
}

std::vector<Hostile> PayloadChecks(const std::string& name, const Bytes& good) {
  std::vector<Hostile> out;
  AddReaderChecks(good, out);
  const Bytes payload = PayloadOf(good);
  auto edit = [&](std::string what, std::string expect,
                  const std::function<void(Bytes&)>& f) {
    Bytes p = payload;
    f(p);
    out.push_back({std::move(what), WithPayload(good, p), std::move(expect)});
  };
  const TernaryMatrix w = Weights();
  if (name == "rsrpp-simd") {
    ByteReader in(payload);
    const Index ix = LoadIndexFrom(in, kM, kK);
    auto self = [](const Bytes& p) { return p; };
    AddIndexChecks(good, ix, self, out);
    // k fixed in the header (prepared with k = 2; 9 rows leave a padding
    // row): the index must use it, and the padding-row check is reached.
    KernelOptions opt;
    opt.k = 2;
    const Bytes good2 = SaveOrFail(name, w, opt);
    Bytes p2 = PayloadOf(good2);
    Poke<int32_t>(p2, 0, 3);
    out.push_back({"index k != header k", WithPayload(good2, p2),
                   "does not match the header's k"});
    const Bytes payload2 = PayloadOf(good2);
    ByteReader in2(payload2);
    AddIndexChecks(good2, LoadIndexFrom(in2, kM, kK), self, out);
    // A valid base-3 index of a matrix without -1.
    const Index b3 = rsr_index::Build(RandomBinary(kM, kK, 4), ix.k,
                                      CodeForm::kBase3, +1, 1);
    out.push_back({"base-3 without -1", WithPayload(good, SaveIndex(b3)),
                   "without a -1 weight"});
  } else if (name == "rsr" || name == "rsrpp") {
    ByteReader in(payload);
    const uint8_t planes = in.Get<uint8_t>("planes");
    EXPECT_EQ(planes, 2);
    const Index pos = LoadIndexFrom(in, kM, kK);
    const Index neg = LoadIndexFrom(in, kM, kK);
    const Bytes pos_bytes = SaveIndex(pos), neg_bytes = SaveIndex(neg);
    auto two = [](const Bytes& a, const Bytes& b) {
      const uint8_t planes = 2;
      return Concat(&planes, 1, Concat(a.data(), a.size(), b));
    };
    edit("plane count 0", "plane count", [](Bytes& p) { p[0] = 0; });
    edit("plane count 3", "plane count", [](Bytes& p) { p[0] = 3; });
    // Index checks on each plane.
    AddIndexChecks(
        good, pos, [&](const Bytes& p) { return two(p, neg_bytes); }, out);
    AddIndexChecks(
        good, neg, [&](const Bytes& p) { return two(pos_bytes, p); }, out);
    out.push_back(
        {"B+ plane in base 3",
         WithPayload(good, two(SaveIndex(rsr_index::Build(
                                   w, pos.k, CodeForm::kBase3, +1, 1)),
                               neg_bytes)),
         "binary code"});
    out.push_back(
        {"B- plane with another k",
         WithPayload(good, two(pos_bytes,
                               SaveIndex(rsr_index::Build(
                                   w, pos.k + 1, CodeForm::kBinary, -1, 1)))),
         "different k"});
    // B- marks a column that B+ marks too.
    std::vector<int8_t> v(w.values().begin(), w.values().end());
    for (auto& e : v)
      if (e == 1) {
        e = -1;
        break;
      }
    out.push_back(
        {"column both +1 and -1",
         WithPayload(good, two(pos_bytes, SaveIndex(rsr_index::Build(
                                              TernaryMatrix(kM, kK, v), pos.k,
                                              CodeForm::kBinary, -1, 1)))),
         "both +1 and -1"});
    out.push_back(
        {"two planes without -1",
         WithPayload(good, two(pos_bytes, SaveIndex(rsr_index::Build(
                                              RandomBinary(kM, kK, 4), pos.k,
                                              CodeForm::kBinary, -1, 1)))),
         "without a -1 weight"});
  } else if (name == "i2s") {
    AddCountCheck(good, out);
    // Row r's bytes at 8 + 32 r; code i of a block in byte i % 32 at bit
    // 6 - 2 (i / 32). K = 21: codes 21..127 are padding.
    edit("code 0b11", "invalid code 0b11",
         [](Bytes& p) { p[8 + 32 * 4] |= 0xC0; });
    edit("padding code -1", "nonzero padding code",
         [](Bytes& p) { p[8 + 32 * 8 + 31] &= 0xFC; });
    edit("padding code +1", "nonzero padding code",
         [](Bytes& p) { p[8 + 21] ^= 0xC0; });  // code 21: 01 -> 10
  } else if (name == "tl1") {
    AddCountCheck(good, out);
    // Block b (16 columns) at 8 + 256 b: idx[p][r] = byte 64 p + r, pair
    // 2p in bits 3:0, 2p+1 in bits 7:4; index 4 is weight (0, 0).
    auto nib = [](Bytes& p, size_t blk, size_t g, size_t r, unsigned v) {
      uint8_t& b = p[8 + 256 * blk + 64 * (g / 2) + r];
      const unsigned s = 4 * (g % 2);
      b = static_cast<uint8_t>((b & ~(0xF << s)) | (v << s));
    };
    edit("index 9", "index above 8", [&](Bytes& p) { nib(p, 0, 0, 0, 9); });
    edit("index 15", "index above 8", [&](Bytes& p) { nib(p, 1, 5, 63, 15); });
    edit("padding row", "nonzero padding row",
         [&](Bytes& p) { nib(p, 0, 0, kM, 5); });
    // Block 1, pair 2 = columns 20, 21 (21 is padding); pair 3 = 22, 23.
    edit("padding column in a mixed pair", "nonzero padding column",
         [&](Bytes& p) { nib(p, 1, 2, 0, 3 * 0 + 1 + 4); });
    edit("padding pair", "nonzero padding column",
         [&](Bytes& p) { nib(p, 1, 3, 0, 3); });
  } else if (name == "tl2") {
    AddCountCheck(good, out);
    // One block (24 columns) at 8: plane k row r = byte 64 k + r; code bits
    // of triple g as tl2.h's kTl2CodeBits.
    auto code = [](Bytes& p, size_t g, size_t r, unsigned c) {
      for (size_t i = 0; i < 5; ++i) {
        const unsigned at = kTl2CodeBits[g][i];
        uint8_t& b = p[8 + 64 * (at / 8) + r];
        b = static_cast<uint8_t>((b & ~(1u << (at % 8))) |
                                 (((c >> i) & 1u) << (at % 8)));
      }
    };
    edit("magnitude 14", "magnitude above 13",
         [&](Bytes& p) { code(p, 0, 0, 14); });
    edit("magnitude 15 of triple 5", "magnitude above 13",
         [&](Bytes& p) { code(p, 5, 1, 16 + 15); });
    edit("negative zero", "negative zero code",
         [&](Bytes& p) { code(p, 6, 2, 16); });
    edit("padding row", "nonzero padding row",
         [&](Bytes& p) { code(p, 0, kM, 1); });
    // Triple 7 = columns 21..23: all padding.
    edit("padding triple", "nonzero padding column",
         [&](Bytes& p) { code(p, 7, 0, 9); });
    edit("negative padding triple", "nonzero padding column",
         [&](Bytes& p) { code(p, 7, 3, 17); });
  } else if (name == "tq5") {
    AddCountCheck(good, out);
    // Row r's 64 bytes at 8 + 64 r; byte j holds columns j, j + 64, ...,
    // j + 256 (trits t0..t4). K = 21: bytes 21..63 are all padding, and
    // trits t1..t4 of bytes 0..20.
    edit("byte 243", ">= 243", [](Bytes& p) { p[8 + 64 * 2 + 5] = 243; });
    edit("byte 255", ">= 243", [](Bytes& p) { p[8 + 64 * 8 + 63] = 255; });
    // All five codes 0 (-1) in a padding byte; t4 = 0 (-1) beside a real
    // weight in t0.
    edit("padding byte -1", "nonzero padding code",
         [](Bytes& p) { p[8 + 30] = tq5::kTables.encode[0]; });
    edit("padding trit t4", "nonzero padding code",
         [](Bytes& p) { p[8 + 64 * 4 + 3] = tq5::kTables.encode[1 + 3 + 9 + 27]; });
    // A real weight changed (t0 of byte 4: code 2 = +1), padding kept:
    // a valid file of another matrix.
    edit("real weight +1", "", [](Bytes& p) {
      p[8 + 4] = tq5::kTables.encode[2 + 3 + 9 + 27 + 81];
    });
  } else if (name == "dense-naive") {
    AddCountCheck(good, out);
    edit("weight 2", "outside", [](Bytes& p) { p[8 + 5] = 2; });
    edit("weight -128", "outside", [](Bytes& p) { p[8 + kM * kK - 1] = 0x80; });
  } else if (name == "dense-f32") {
    AddCountCheck(good, out);
    // Rows of 32 floats (21 weights, 11 padding).
    edit("weight 0.5", "outside",
         [](Bytes& p) { Poke<float>(p, 8 + 4 * 3, 0.5f); });
    edit("padding column 1", "nonzero padding",
         [](Bytes& p) { Poke<float>(p, 8 + 4 * (32 * 2 + kK), 1.0f); });
    edit("weight NaN", "outside",
         [](Bytes& p) { Poke<float>(p, 8, std::nanf("")); });
  } else {
    ADD_FAILURE() << name << ": no payload checks written for this kernel";
  }
  return out;
}

// The header-word edits that load, per kernel, as "offset=value"; all other
// edits of the sweep are rejected. Every kernel: the weight scale (offset
// 72, originally 0.75f = 1061158912) set to another finite positive float
// (1, 17, 65537 are denormals; +-1 ulp). Besides:
//   64=1   k = 1 where the kernel ignores k or its index has k = 1
//   68=1   the float path of an int8 file, where the kernel has one
//   48=r   rows 9 -> r where the payload of r rows is the same bytes: the
//          padding rows already hold zeros (TL tiles of 64 rows; rsr's
//          k = 5 blocks)
//   56=22  cols 21 -> 22 where column 21 is padding (i2s 128-code blocks,
//          TL blocks of 16 and 24 columns, dense-f32 rows of 32 floats)
const std::map<std::string, std::set<std::string>>& SweepLoads() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"rsr", {"48=10", "68=1"}},
      {"rsrpp", {"68=1"}},
      {"rsrpp-simd", {"64=1", "68=1"}},
      {"dense-naive", {"64=1"}},
      {"dense-f32", {"56=22", "64=1"}},
      {"i2s", {"56=22", "64=1"}},
      {"tl1", {"48=10", "48=17", "56=22", "64=1"}},
      {"tl2", {"48=10", "48=17", "56=22", "64=1"}},
      {"tq5", {"56=22", "64=1"}},
  };
  return m;
}

// Payload-byte edits (3 per byte: xor 0x01, 0x80, 0xFF) that load, per
// kernel; the rest are rejected. Derived for the simple formats from W's
// nnz (nonzero weights) and z (zeros); pinned, with the reason, for the rest.
int ExpectedPayloadLoads(const std::string& name, const TernaryMatrix& w) {
  int nnz = 0;
  for (int8_t v : w.values()) nnz += v != 0;
  const int z = static_cast<int>(w.values().size()) - nnz;
  // i2s: 0x80 turns code 00 <-> 10 (-1 <-> +1) of a real weight; it makes
  // 01 (zero) 11, invalid. Every 0x01/0xFF edit touches a padding code.
  if (name == "i2s") return nnz;
  // dense-naive (int8): 0 -> 1 (^0x01) and 0 -> -1 (^0xFF); 1 -> 0 (^0x01);
  // -1 -> 0 (^0xFF). Everything else leaves {-1, 0, 1}.
  if (name == "dense-naive") return 2 * z + nnz;
  // dense-f32 (rows of 32 floats): ^0x80 on the top byte flips the sign:
  // +-1 -> -+1, and 0 -> -0.0, which compares equal to 0 (padding too).
  if (name == "dense-f32") return static_cast<int>(w.rows()) * 32;
  // RSR family: every permutation edit breaks the bijection; an offset +-1
  // (^0x01) that moves one column into the neighbouring bucket, where it
  // still ascends, is a valid index of another matrix.
  if (name == "rsr") return 1;
  if (name == "rsrpp") return 6;
  if (name == "rsrpp-simd") return 0;
  // TL1: index nibbles of real rows and columns changed to another valid
  // code (index <= 8).
  if (name == "tl1") return 54;
  // TL2: an edit of byte r of plane k loads when row r is real and every
  // code with a bit in that byte stays valid (magnitude <= 13, not 16) and
  // zero where it is padding (triple 7, K = 21): derived here from the
  // packed block and tl2.h's bit map.
  if (name == "tl2") {
    const Tl2Packed p = PackTl2(w);
    int loads = 0;
    for (size_t k = 0; k < 5; ++k)
      for (size_t r = 0; r < kM; ++r)
        for (uint8_t mask : {0x01, 0x80, 0xFF}) {
          Tl2Block b = p.blocks[0];
          b.plane[k][r] ^= mask;
          bool ok = true;
          for (size_t g = 0; g < 8; ++g) {
            const unsigned c = Tl2Code(b, r, g);
            ok = ok && (c & 15) <= 13 && c != 16 && (g < 7 || c == 0);
          }
          loads += ok;
        }
    return loads;
  }
  // tq5 (K = 21: every real weight is trit t0 of bytes 0..20, the other
  // trits padding): the three valid bytes there are 118, 119, 120 (t0 = 0,
  // 1, 2), and only ^0x01 links two of them (118 <-> 119: -1 <-> 0). Every
  // other edit gives a byte >= 243 or changes a padding trit.
  if (name == "tq5") {
    int minus_or_zero = 0;
    for (int8_t v : w.values()) minus_or_zero += v != 1;
    return minus_or_zero;
  }
  ADD_FAILURE() << name << ": no expected payload loads written";
  return -1;
}

class Serialize : public ::testing::TestWithParam<std::string> {};

TEST_P(Serialize, RoundTripIsBitIdentical) {
  // 20 x 2560: rsrpp-simd's GEMM block height (4) differs from its index's
  // (5), so Load rebuilds the GEMM index from the loaded one.
  for (auto [m, k] : {std::pair<size_t, size_t>{1, 1}, {17, 33}, {130, 1001},
                      {20, 2560}}) {
    for (ActivationType act :
         {ActivationType::kInt8, ActivationType::kFloat32}) {
      KernelOptions opt;
      opt.activations = act;
      std::unique_ptr<Kernel> fresh;
      try {
        fresh = CreateKernel(GetParam(), opt);
      } catch (const Error&) {
        continue;  // activation type not offered
      }
      const TernaryMatrix w = RandomTernary(m, k, m + k, 1.0 / 3, 0.5f);
      fresh->Prepare(w);
      const std::vector<uint8_t> bytes = SaveKernelToBytes(*fresh);
      auto loaded = LoadKernelFromBytes(bytes);
      EXPECT_EQ(loaded->Name(), fresh->Name());
      EXPECT_EQ(loaded->PreparedBytes(), fresh->PreparedBytes());
      const auto x = RandomActivations(k * 3, 9);
      std::vector<float> y1(m * 3), y2(m * 3);
      fresh->Gemm(x, 3, y1);
      loaded->Gemm(x, 3, y2);
      EXPECT_EQ(y1, y2) << m << "x" << k;
    }
  }
}

// The unmodified file loads and unpacks to the weights it was prepared from.
TEST_P(Serialize, UnpackRecoversThePreparedWeights) {
  const TernaryMatrix w = Weights();
  auto k = LoadKernelFromBytes(SaveOrFail(GetParam(), w));
  std::string why;
  const auto got = Unpack(*k, why);
  ASSERT_TRUE(got.has_value()) << why;
  EXPECT_TRUE(
      std::equal(w.values().begin(), w.values().end(), got->values().begin()));
  EXPECT_EQ(got->scale(), w.scale());
}

TEST_P(Serialize, HeaderChecksEachReject) {
  const Bytes good = SaveOrFail(GetParam(), Weights());
  ExpectOutcomes(HeaderChecks(GetParam(), good));
}

TEST_P(Serialize, PayloadChecksEachReject) {
  const Bytes good = SaveOrFail(GetParam(), Weights());
  ExpectOutcomes(PayloadChecks(GetParam(), good));
}

TEST_P(Serialize, HeaderWordSweepLoadsOnlyValidFiles) {
  const std::string name = GetParam();
  const Bytes good = SaveOrFail(name, Weights());
  std::set<std::string> loaded;
  // Every header word but the header checksum, sealed.
  for (size_t at = 0; at < kHeaderChecksumAt; at += 4) {
    const uint32_t orig = Peek<uint32_t>(good, at);
    std::set<uint32_t> values = {0u,          1u,          17u,      65537u,
                                 0x7FFFFFFFu, 0xFFFFFFFFu, orig + 1, orig - 1};
    values.erase(orig);
    for (uint32_t v : values) {
      Bytes f = good;
      Poke<uint32_t>(f, at, v);
      SealHeader(f);
      const std::string edit = std::to_string(at) + "=" + std::to_string(v);
      if (TryLoad(f, "header word " + edit).loaded && at != kScaleAt)
        loaded.insert(edit);
    }
  }
  const auto it = SweepLoads().find(name);
  ASSERT_NE(it, SweepLoads().end()) << name << ": no expected loads written";
  EXPECT_EQ(loaded, it->second);
}

TEST_P(Serialize, PayloadByteSweepLoadsOnlyValidFiles) {
  const std::string name = GetParam();
  const TernaryMatrix w = Weights();
  const Bytes good = SaveOrFail(name, w);
  int loaded = 0, total = 0;
  for (size_t at = kHeaderBytes; at < good.size(); ++at)
    for (uint8_t mask : {0x01, 0x80, 0xFF}) {
      Bytes f = good;
      f[at] ^= mask;
      Seal(f);
      ++total;
      loaded += TryLoad(f, "payload byte " + std::to_string(at - kHeaderBytes) +
                               " ^ " + std::to_string(mask))
                    .loaded;
    }
  EXPECT_EQ(loaded, ExpectedPayloadLoads(name, w)) << "of " << total;
}

TEST_P(Serialize, TruncatedOrUnsealedFilesAllReject) {
  const Bytes good = SaveOrFail(GetParam(), Weights());
  int loaded = 0;
  // Every shorter payload, sealed: every kernel reads a fixed amount for its
  // shape, so none is complete.
  for (size_t n = 0; n < good.size() - kHeaderBytes; ++n) {
    Bytes f(good.begin(), good.begin() + kHeaderBytes + n);
    Seal(f);
    loaded += TryLoad(f, "payload truncated to " + std::to_string(n)).loaded;
  }
  // Every shorter file as it is (no new checksums or size).
  for (size_t n = 0; n < good.size(); ++n)
    loaded += TryLoad(Bytes(good.begin(), good.begin() + n), "cut").loaded;
  // 1..4 random byte flips anywhere, checksums left as they were.
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 500; ++i) {
    Bytes f = good;
    const int n = 1 + rng() % 4;
    for (int j = 0; j < n; ++j) f[rng() % f.size()] ^= 1 + rng() % 255;
    if (f == good) continue;
    loaded += TryLoad(f, "unsealed flips").loaded;
  }
  EXPECT_EQ(loaded, 0);
}

TEST(SerializeErrors, NotPreparedOrMissingFile) {
  auto k = CreateKernel("dense-f32");
  EXPECT_THROW(SaveKernelToBytes(*k), Error);
  EXPECT_THROW(LoadKernel("/nonexistent/file.rsr"), Error);
  EXPECT_THROW(LoadKernelFromBytes(std::vector<uint8_t>(3)), Error);
}

// A tl2 file of payload layout 1 (magnitude nibbles + sign plane, before
// the 5-bit codes): tests/fuzz/corpus/load/tl2-3x5.rsr as it was saved
// before layout 2 (header payload_layout field 0), 3 x 5 weights.
constexpr uint8_t kTl2Layout1File[] = {
  0x52, 0x53, 0x52, 0x50, 0x52, 0x45, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00,
  0x04, 0x03, 0x02, 0x01, 0x74, 0x6c, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x48, 0x01, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x3f, 0x9e, 0x63, 0x61, 0x82, 0x29, 0x3c, 0x14,
  0x86, 0xaf, 0xf9, 0xcb, 0xa7, 0x80, 0xfd, 0xc0, 0x01, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x35, 0x33, 0x67, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xc0, 0x40, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

TEST(SerializeErrors, Tl2Layout1FileAsksToPrepareAgain) {
  const Bytes old(std::begin(kTl2Layout1File), std::end(kTl2Layout1File));
  ASSERT_EQ(old.size(), kHeaderBytes + 8 + 320u);
  ASSERT_EQ(Peek<uint32_t>(old, kLayoutAt), 0u);
  try {
    LoadKernelFromBytes(old);
    ADD_FAILURE() << "a tl2 layout-1 file loaded";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tl2 payload layout 1"), std::string::npos) << what;
    EXPECT_NE(what.find("prepare the weights again"), std::string::npos)
        << what;
  }
  // A file saved now says layout 2 and loads; other kernels' files keep
  // the field at 0 (their saved bytes are unchanged).
  const Bytes now = SaveOrFail("tl2", RandomTernary(3, 5, 1));
  EXPECT_EQ(Peek<uint32_t>(now, kLayoutAt), kTl2PayloadLayout);
  EXPECT_NO_THROW(LoadKernelFromBytes(now));
  EXPECT_EQ(Peek<uint32_t>(SaveOrFail("tl1", RandomTernary(3, 5, 1)),
                           kLayoutAt),
            0u);
}

// Every registry kernel: one whose save fails fails these tests.
INSTANTIATE_TEST_SUITE_P(AllKernels, Serialize,
                         ::testing::ValuesIn(KernelNames()), [](const auto& p) {
                           return testing::TestName(p.param);
                         });

}  // namespace
}  // namespace rsr
