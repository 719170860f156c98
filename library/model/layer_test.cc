// The decoder layer (layer.h) against its scalar double reference
// (reference_layer.h), for every registry kernel and activation type, on
// every SIMD target here, at reduced sizes (the published models' structure
// with small dimensions, so it runs in seconds, also under qemu-user):
//   * every output element within the reference's derived bound;
//   * int8 kernels bit-identical to each other, and every kernel identical
//     across thread counts;
//   * the bound is sharp: off-by-one positions, a wrong RoPE base, a
//     missing sub-norm, the other activation, or float instead of int8
//     projections all exceed it.
#include "library/model/layer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "library/model/reference_layer.h"
#include "rsr/rsr.h"
#include "tests/kernel_tester.h"

namespace rsr::model {
namespace {

// Same structure as the published entries, small dimensions: head_dim 24
// and 26 leave scalar tails on every target, 16 none on AVX2/AVX-512; ffn
// 328 and 280 are not multiples of 16.
std::vector<ModelConfig> ReducedConfigs() {
  std::vector<ModelConfig> out;
  ModelConfig b2 = FindModel("bitnet-2b");  // GQA 4:1, relu^2, sub-norms
  b2.name = "bitnet-2b-reduced";
  b2.hidden = 192, b2.ffn = 328, b2.heads = 8, b2.kv_heads = 2,
  b2.head_dim = 24;
  b2.layers = 2, b2.vocab = 77;
  out.push_back(b2);
  ModelConfig b3 = FindModel("bitnet-3b");  // MHA, SiLU, no sub-norms
  b3.name = "bitnet-3b-reduced";
  b3.hidden = 104, b3.ffn = 280, b3.heads = 4, b3.kv_heads = 4,
  b3.head_dim = 26;
  b3.layers = 2, b3.vocab = 50;
  out.push_back(b3);
  ModelConfig l3 = FindModel("llama3-8b");  // GQA 4:1, SiLU
  l3.name = "llama3-8b-reduced";
  l3.hidden = 128, l3.ffn = 448, l3.heads = 8, l3.kv_heads = 2,
  l3.head_dim = 16;
  l3.layers = 2, l3.vocab = 64;
  out.push_back(l3);
  return out;
}

struct Case {
  size_t context, tokens;
};
// Decode with a context, prefill on a context, prefill from nothing, a
// context longer than one 64-position scores task, and one longer than the
// values pass's 1024-position chunk.
const Case kCases[] = {{37, 1}, {37, 5}, {0, 3}, {130, 2}, {1030, 2}};

struct Problem {
  ModelConfig config;
  LayerWeights weights;
  Case c;
  std::vector<float> x;
  KvCache cache;
  RopeTable rope;
  Problem(const ModelConfig& cfg, Case cs, uint64_t seed)
      : config(cfg),
        weights(RandomLayerWeights(cfg, seed)),
        c(cs),
        x(RandomActivations(cs.tokens * cfg.hidden, seed + 1, -2.0f, 2.0f)),
        cache(cfg, cs.context + cs.tokens),
        rope(cfg.head_dim, cfg.rope_theta, cs.context + cs.tokens) {
    cache.FillRandom(cs.context, seed + 2);
  }
  std::vector<float> Run(const std::string& kernel, const KernelOptions& opt,
                         LayerTrace* trace = nullptr) {
    DecoderLayer layer(config, weights, kernel, opt);
    Workspace ws;
    std::vector<float> out(c.tokens * config.hidden);
    layer.Forward(x, c.tokens, c.context, cache, rope, ws, out, nullptr, trace);
    return out;
  }
  ReferenceTrace Reference(ActivationType act, const LayerTrace* forced,
                           const ModelConfig* cfg = nullptr,
                           size_t context = SIZE_MAX) {
    return ReferenceLayer(cfg ? *cfg : config, weights, x, c.tokens,
                          context == SIZE_MAX ? c.context : context, cache, act,
                          forced);
  }
  std::string Describe() const {
    return config.name + " context=" + std::to_string(c.context) +
           " tokens=" + std::to_string(c.tokens);
  }
};

// Number of elements outside the bound; the first few go to `detail`.
size_t Violations(const std::vector<float>& got, const Bounded& ref,
                  std::string* detail) {
  if (got.size() != ref.value.size()) {
    if (detail)
      *detail += " size " + std::to_string(got.size()) + " vs " +
                 std::to_string(ref.value.size()) + ";";
    return std::max(got.size(), ref.value.size());
  }
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double diff = std::fabs(static_cast<double>(got[i]) - ref.value[i]);
    if (!(diff <= ref.bound[i])) {
      if (bad < 3 && detail) {
        char line[160];
        std::snprintf(line, sizeof(line),
                      " [%zu] got %.9g want %.9g diff %.3g bound %.3g;", i,
                      got[i], ref.value[i], diff, ref.bound[i]);
        *detail += line;
      }
      ++bad;
    }
  }
  return bad;
}

// The parameter: one SIMD target (a struct of ours so that gtest prints its
// name instead of a byte dump).
struct Target {
  TargetInfo info;
};
void PrintTo(const Target& t, std::ostream* os) { *os << t.info.name; }
std::vector<Target> Targets() {
  std::vector<Target> out;
  for (const auto& t : SupportedTargets()) out.push_back({t});
  return out;
}

class ModelLayer : public ::testing::TestWithParam<Target> {
 protected:
  void SetUp() override { SetTargetBits(GetParam().info.bits); }
  void TearDown() override { SetTargetBits(0); }
};

// Violations summed over every stage of the teacher-forced reference; the
// first failing stage and elements go to `detail`.
size_t StageViolations(const ReferenceTrace& ref, const LayerTrace& layer,
                       std::string* detail,
                       std::string* first_stage = nullptr) {
  size_t total = 0;
  for (const auto& [name, pair] : ref.Stages(layer)) {
    std::string d;
    const size_t bad = Violations(*pair.second, *pair.first, &d);
    if (bad && total == 0) {
      if (detail) *detail += " stage " + name + ":" + d;
      if (first_stage) *first_stage = name;
    }
    total += bad;
  }
  return total;
}

bool Quick() {
  const char* s = std::getenv("RSR_TEST_SCALE");
  return s != nullptr && std::string(s) == "quick";
}

bool SameTrace(const LayerTrace& a, const LayerTrace& b) {
  return a.norm_in == b.norm_in && a.q == b.q && a.k == b.k && a.v == b.v &&
         a.q_rope == b.q_rope && a.k_rope == b.k_rope && a.scores == b.scores &&
         a.probs == b.probs && a.attn == b.attn &&
         a.attn_normed == b.attn_normed && a.o == b.o && a.h == b.h &&
         a.ffn_in == b.ffn_in && a.gate == b.gate && a.up == b.up &&
         a.act == b.act && a.act_normed == b.act_normed && a.down == b.down &&
         a.out == b.out;
}

TEST_P(ModelLayer, EveryKernelMatchesReference) {
  ASSERT_EQ(CurrentTargetName(), GetParam().info.name);
  // Kernels without SIMD run on the best target only: the layer's own SIMD
  // operations are exercised on every target by the others.
  const bool best = GetParam().info.bits == SupportedTargets().front().bits;
  // Under qemu (quick): the prefill-on-context and longest-context cases.
  std::vector<Case> cases(std::begin(kCases), std::end(kCases));
  if (Quick()) cases = {kCases[1], kCases[4]};
  uint64_t seed = 100;
  for (const ModelConfig& cfg : ReducedConfigs())
    for (const Case& cs : cases) {
      Problem p(cfg, cs, seed += 10);
      std::vector<float> first_i8;
      std::string first_i8_name;
      LayerTrace checked_i8;  // int8 traces are identical: check one
      for (const std::string& kernel : KernelNames()) {
        if (!best && !CreateKernel(kernel)->Caps().simd) continue;
        for (ActivationType act : testing::SupportedActivations(kernel)) {
          const std::string what = kernel + " (" + ActivationTypeName(act) +
                                   ") " + p.Describe() + " on " +
                                   GetParam().info.name;
          LayerTrace trace;
          const auto out1 =
              p.Run(kernel, {.threads = 1, .activations = act}, &trace);
          const auto out2 = p.Run(kernel, {.threads = 2, .activations = act});
          EXPECT_TRUE(trace.out == out1)
              << what << ": trace.out is not the output";
          EXPECT_TRUE(out1 == out2) << what << ": 1 and 2 threads differ";
          const bool i8 = act == ActivationType::kInt8;
          if (!(i8 && SameTrace(trace, checked_i8))) {
            std::string detail;
            EXPECT_EQ(StageViolations(p.Reference(act, &trace), trace, &detail),
                      0u)
                << what << ":" << detail;
            if (i8) checked_i8 = trace;
          }
          if (!i8) continue;
          if (first_i8.empty()) {
            first_i8 = out1;
            first_i8_name = kernel;
          } else {
            EXPECT_TRUE(out1 == first_i8)
                << what << ": int8 layer output differs from " << first_i8_name;
          }
        }
      }
    }
}

TEST_P(ModelLayer, HeadMatchesReference) {
  for (const ModelConfig& cfg : ReducedConfigs()) {
    OutputHead head(cfg, 5);
    const auto x = RandomActivations(cfg.hidden, 6, -3.0f, 3.0f);
    Workspace ws;
    std::vector<float> y1(cfg.vocab), y2(cfg.vocab);
    head.Forward(x, y1, 1, ws);
    head.Forward(x, y2, 2, ws);
    std::string detail;
    EXPECT_EQ(Violations(y1, ReferenceHead(head, x), &detail), 0u)
        << cfg.name << ":" << detail;
    EXPECT_TRUE(y1 == y2) << cfg.name << ": 1 and 2 threads differ";
  }
}

std::string ParamName(const ::testing::TestParamInfo<Target>& p) {
  return testing::TestName(p.param.info.name);
}

INSTANTIATE_TEST_SUITE_P(Targets, ModelLayer, ::testing::ValuesIn(Targets()),
                         ParamName);

// A test that cannot fail is a defect: each deliberate mistake, made in the
// reference's configuration instead of the layer's, must exceed the bound.
TEST(ModelLayerBound, CatchesWrongLayers) {
  const ModelConfig cfg = ReducedConfigs()[0];  // the BitNet 2B4T structure
  Problem p(cfg, {37, 3}, 42);
  LayerTrace trace;
  p.Run("i2s", {}, &trace);
  // The stage where each mistake must show first.
  auto first_bad = [&](const ModelConfig& c, size_t context,
                       ActivationType act) {
    std::string stage = "none";
    StageViolations(p.Reference(act, &trace, &c, context), trace, nullptr,
                    &stage);
    return stage;
  };
  EXPECT_EQ(first_bad(cfg, 37, ActivationType::kInt8), "none");
  EXPECT_EQ(first_bad(cfg, 36, ActivationType::kInt8), "q_rope")
      << "positions off by one";
  ModelConfig theta = cfg;
  theta.rope_theta = 10000.0;
  EXPECT_EQ(first_bad(theta, 37, ActivationType::kInt8), "q_rope")
      << "RoPE base";
  ModelConfig no_sub = cfg;
  no_sub.sub_norms = false;
  EXPECT_EQ(first_bad(no_sub, 37, ActivationType::kInt8), "attn_normed")
      << "sub-norms";
  ModelConfig silu = cfg;
  silu.activation = FfnActivation::kSilu;
  EXPECT_EQ(first_bad(silu, 37, ActivationType::kInt8), "act") << "activation";
  EXPECT_EQ(first_bad(cfg, 37, ActivationType::kFloat32), "q")
      << "int8 vs float projections";
  // A context one position longer: the cache's extra row shifts every
  // score row.
  EXPECT_EQ(first_bad(cfg, 38, ActivationType::kInt8), "q_rope") << "context";
}

TEST(ModelConfigs, PublishedShapes) {
  const ModelConfig& b2 = FindModel("bitnet-2b");
  EXPECT_EQ(b2.LayerWeights(),
            69468160u);  // 2*2560^2 + 2*2560*640 + 3*2560*6912
  EXPECT_EQ(b2.group(), 4u);
  EXPECT_EQ(FindModel("bitnet-3b").head_dim * 32, 3200u);
  EXPECT_EQ(FindModel("llama3-8b").kv_dim(), 1024u);
  for (const auto& m : PublishedModels()) {
    EXPECT_NO_THROW(m.Validate()) << m.name;
    EXPECT_FALSE(m.source.empty()) << m.name;
  }
  try {
    FindModel("gpt-5");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.argument(), "model");
    EXPECT_NE(std::string(e.what()).find("bitnet-2b"), std::string::npos)
        << e.what();
  }
  ModelConfig bad = b2;
  bad.kv_heads = 3;
  EXPECT_THROW(bad.Validate(), Error);
}

TEST(ModelLayerErrors, BadArgumentsThrow) {
  const ModelConfig cfg = ReducedConfigs()[2];
  Problem p(cfg, {4, 2}, 9);
  DecoderLayer layer(cfg, p.weights, "i2s");
  Workspace ws;
  std::vector<float> out(2 * cfg.hidden);
  auto arg = [&](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.argument();
    }
    return std::string("no error");
  };
  EXPECT_EQ(arg([&] { layer.Forward(p.x, 0, 4, p.cache, p.rope, ws, out); }),
            "tokens");
  EXPECT_EQ(arg([&] { layer.Forward(p.x, 2, 5, p.cache, p.rope, ws, out); }),
            "cache");
  EXPECT_EQ(arg([&] { layer.Forward(p.x, 1, 4, p.cache, p.rope, ws, out); }),
            "x");
  EXPECT_EQ(arg([&] { KvCache c(cfg, 0); }), "context");
  LayerWeights w = p.weights;
  w.k = w.q;  // wrong shape for k
  EXPECT_EQ(arg([&] { DecoderLayer l(cfg, w, "i2s"); }), "weights");
}

TEST(ModelHead, F16Conversion) {
  EXPECT_EQ(F32FromF16Bits(0x3C00), 1.0f);
  EXPECT_EQ(F32FromF16Bits(0xC000), -2.0f);
  EXPECT_EQ(F32FromF16Bits(0x7BFF), 65504.0f);
  EXPECT_EQ(F32FromF16Bits(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(F32FromF16Bits(0x3555), 0.25f * (1.0f + 0x155 / 1024.0f));
  EXPECT_TRUE(std::signbit(F32FromF16Bits(0x8000)));
  EXPECT_TRUE(std::isinf(F32FromF16Bits(0x7C00)));
}

}  // namespace
}  // namespace rsr::model
