// rsr-bench model: whole decoder layers of a published model on synthetic
// ternary weights (library/model/layer.h), timed operation by operation per
// kernel, context length, tokens per call and thread count, and the
// model-level answer: the fraction f of layer time in ternary projections,
// Amdahl's bound 1 / (1 - f), modelled tokens per second (layers x layer
// time + output head) and each kernel's actual gain over dense-f32.
//
// Cache realism: one layer's weights alone fit in the 32 MiB L3 for the fast
// kernels (bitnet-2b: 17 MB as I2_S), while a real model streams all its
// layers (30 x 17 MB) from DRAM every token. So each measurement cycles
// through several prepared copies of the layer, each with its own KV cache,
// until they hold >= 3x the L3 (or the model's layer count), as consecutive
// layers of a real model would; the per-layer time is the pass time divided
// by the copies.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/cli.h"
#include "harness/machine.h"
#include "harness/measure.h"
#include "harness/report.h"
#include "harness/shapes.h"
#include "library/model/layer.h"
#include "rsr/error.h"
#include "rsr/quant.h"
#include "rsr/registry.h"

namespace rsr::harness {
namespace {

using model::DecoderLayer;
using model::KvCache;
using model::ModelConfig;
using model::Op;
using model::OpTimes;
using Clock = std::chrono::steady_clock;

struct ModelFlags {
  std::string model = "bitnet-2b";
  std::string kernels = "all";
  std::string context = "128,1024,4096";
  std::string tokens = "1,128";
  std::string threads = "1,2";
  std::string target = "best";
  double min_time = 0.3;
  size_t min_reps = 3;
  uint64_t seed = 1;
  OutputFlags output;
};

constexpr size_t kMaxContext = 65536;

// L3 bytes of this CPU (sysfs), or 32 MiB, this machine class's L3.
size_t L3Bytes() {
  std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index3/size");
  std::string s;
  if (f >> s && !s.empty()) {
    size_t v = 0, i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      v = v * 10 + (s[i++] - '0');
    if (v > 0) {
      if (i < s.size() && (s[i] == 'K' || s[i] == 'k')) return v << 10;
      if (i < s.size() && (s[i] == 'M' || s[i] == 'm')) return v << 20;
      return v;
    }
  }
  return size_t{32} << 20;
}

double Median(std::vector<double> v) {
  return Summarize(std::move(v)).median_s;
}

std::string Fmt(double v, const char* f) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// One (kernel, context, tokens, threads) measurement of the per-layer time,
// operation by operation (medians over passes).
struct LayerTiming {
  OpTimes ops;       // per-layer median seconds per operation
  double other = 0;  // per-layer median of wall - sum(ops): timers, glue
  double wall = 0;   // per-layer median wall seconds
  size_t passes = 0;
};

LayerTiming TimeLayers(std::vector<DecoderLayer>& layers,
                       std::vector<KvCache>& caches, size_t copies,
                       const std::vector<float>& x, size_t tokens,
                       size_t context, const model::RopeTable& rope,
                       double min_time, size_t min_reps) {
  model::Workspace ws;
  std::vector<float> out(x.size());
  auto pass = [&](OpTimes* t) {
    for (size_t c = 0; c < copies; ++c)
      layers[c].Forward(x, tokens, context, caches[c], rope, ws, out, t);
  };
  pass(nullptr);  // warm-up: scratch, page faults, OpenMP pool
  std::vector<std::vector<double>> per_op(model::kOpCount);
  std::vector<double> walls, others;
  const auto start = Clock::now();
  while (walls.size() < 100000) {
    OpTimes t;
    const auto t0 = Clock::now();
    pass(&t);
    const auto t1 = Clock::now();
    const double wall = std::chrono::duration<double>(t1 - t0).count() / copies;
    double sum = 0;
    for (size_t i = 0; i < model::kOpCount; ++i) {
      per_op[i].push_back(t.seconds[i] / copies);
      sum += t.seconds[i] / copies;
    }
    walls.push_back(wall);
    others.push_back(std::max(0.0, wall - sum));
    if (walls.size() >= min_reps &&
        std::chrono::duration<double>(t1 - start).count() >= min_time)
      break;
  }
  LayerTiming r;
  for (size_t i = 0; i < model::kOpCount; ++i)
    r.ops.seconds[i] = Median(per_op[i]);
  r.other = Median(others);
  r.wall = Median(walls);
  r.passes = walls.size();
  return r;
}

double TimeHead(const model::OutputHead& head, int threads, uint64_t seed,
                double min_time, size_t min_reps) {
  model::Workspace ws;
  const auto x = RandomActivations(head.cols(), seed);
  std::vector<float> logits(head.rows());
  head.Forward(x, logits, threads, ws);
  std::vector<double> s;
  const auto start = Clock::now();
  while (s.size() < 100000) {
    const auto t0 = Clock::now();
    head.Forward(x, logits, threads, ws);
    const auto t1 = Clock::now();
    s.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (s.size() >= min_reps &&
        std::chrono::duration<double>(t1 - start).count() >= min_time)
      break;
  }
  return Median(s);
}

// Per-token activation quantization as the int8 kernels do it inside their
// Gemv/Gemm: six inputs of `hidden` floats (q, k, v, o, gate, up) and one
// of `ffn` (down) per layer. Informational: already inside the projection
// times.
double TimeQuant(const ModelConfig& c, size_t tokens, uint64_t seed,
                 double min_time) {
  const auto xh = RandomActivations(tokens * c.hidden, seed);
  const auto xf = RandomActivations(tokens * c.ffn, seed + 1);
  auto once = [&] {
    for (int i = 0; i < 6; ++i) QuantizeActivations(xh, c.hidden, tokens);
    QuantizeActivations(xf, c.ffn, tokens);
  };
  once();
  std::vector<double> s;
  const auto start = Clock::now();
  while (s.size() < 100000) {
    const auto t0 = Clock::now();
    once();
    const auto t1 = Clock::now();
    s.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (s.size() >= 5 &&
        std::chrono::duration<double>(t1 - start).count() >= min_time / 4)
      break;
  }
  return Median(s);
}

nlohmann::json ConfigJson(const ModelConfig& c) {
  return {{"name", c.name},
          {"hidden", c.hidden},
          {"ffn", c.ffn},
          {"layers", c.layers},
          {"heads", c.heads},
          {"kv_heads", c.kv_heads},
          {"head_dim", c.head_dim},
          {"vocab", c.vocab},
          {"activation", model::FfnActivationName(c.activation)},
          {"sub_norms", c.sub_norms},
          {"tied_embeddings", c.tied_embeddings},
          {"rope_theta", c.rope_theta},
          {"rms_eps", c.rms_eps},
          {"max_positions", c.max_positions},
          {"layer_weights", c.LayerWeights()},
          {"source", c.source}};
}

// Derived model-level numbers, and the gains over dense-f32 measured in the
// same run at the same (context, tokens, threads).
void Derive(std::vector<nlohmann::json>& records) {
  auto key = [](const nlohmann::json& r) {
    return r["context"].dump() + "|" + r["tokens"].dump() + "|" +
           r["threads"].dump();
  };
  std::map<std::string, const nlohmann::json*> dense;
  for (const auto& r : records)
    if (r["kernel"] == "dense-f32") dense[key(r)] = &r;
  for (auto& r : records) {
    auto it = dense.find(key(r));
    if (it == dense.end()) continue;
    const nlohmann::json& d = *it->second;
    const double fd = d["f_model"].get<double>();
    const double s_proj =
        d["projection_ms"].get<double>() / r["projection_ms"].get<double>();
    r["projection_speedup_vs_dense_f32"] = s_proj;
    r["layer_gain_vs_dense_f32"] =
        d["layer_ms"].get<double>() / r["layer_ms"].get<double>();
    r["gain_vs_dense_f32"] =
        r["tokens_per_s"].get<double>() / d["tokens_per_s"].get<double>();
    // Amdahl with dense-f32's split: what this kernel's projection speed-up
    // alone predicts, and the ceiling for any kernel (projections free).
    r["amdahl_predicted_gain"] = 1.0 / ((1.0 - fd) + fd / s_proj);
    r["gain_ceiling_vs_dense_f32"] = 1.0 / (1.0 - fd);
  }
}

std::string Render(const std::vector<nlohmann::json>& records,
                   const ModelConfig& c,
                   const std::map<size_t, double>& head_ms) {
  std::ostringstream o;
  o << c.name << ": hidden " << c.hidden << ", ffn " << c.ffn << ", "
    << c.layers << " layers, " << c.heads << "/" << c.kv_heads << " heads of "
    << c.head_dim << ", " << model::FfnActivationName(c.activation)
    << (c.sub_norms ? ", sub-norms" : "") << ", vocab " << c.vocab << " ("
    << c.source << ")\n";
  o << "KV cache float32; output head f16 weights (final RMSNorm + vocab x "
       "hidden GEMV):";
  for (const auto& [th, ms] : head_ms)
    o << " " << Fmt(ms, "%.3g") << " ms (" << th << "T)";
  o << "\nTimes are per layer (median over passes), ms.\n";
  std::vector<std::string> blocks;
  for (const auto& r : records) {
    const std::string b = r["context"].dump() + "|" + r["tokens"].dump() + "|" +
                          r["threads"].dump();
    if (std::find(blocks.begin(), blocks.end(), b) == blocks.end())
      blocks.push_back(b);
  }
  for (const std::string& b : blocks) {
    std::vector<const nlohmann::json*> rs;
    for (const auto& r : records)
      if (r["context"].dump() + "|" + r["tokens"].dump() + "|" +
              r["threads"].dump() ==
          b)
        rs.push_back(&r);
    const auto& f = *rs.front();
    const size_t n = f["tokens"];
    o << "\n== context " << f["context"] << ", "
      << (n == 1 ? "decode, 1 token"
                 : "prefill, " + std::to_string(n) + " tokens")
      << ", " << f["threads"] << " thread(s) ==\n";
    char line[512];
    std::snprintf(line, sizeof(line), "%-11s", "kernel");
    o << line;
    for (size_t i = 0; i < model::kOpCount; ++i) {
      std::snprintf(line, sizeof(line), " %9.9s",
                    model::OpName(static_cast<Op>(i)));
      o << line;
    }
    std::snprintf(line, sizeof(line), " %9s %9s\n", "other", "layer");
    o << line;
    for (const auto* r : rs) {
      std::snprintf(line, sizeof(line), "%-11s",
                    (*r)["kernel"].get<std::string>().c_str());
      o << line;
      for (size_t i = 0; i < model::kOpCount; ++i) {
        std::snprintf(
            line, sizeof(line), " %9.4f",
            (*r)["ops_ms"][model::OpName(static_cast<Op>(i))].get<double>());
        o << line;
      }
      std::snprintf(line, sizeof(line), " %9.4f %9.4f\n",
                    (*r)["other_ms"].get<double>(),
                    (*r)["layer_ms"].get<double>());
      o << line;
    }
    std::snprintf(line, sizeof(line),
                  "%-11s %9s %6s %8s %9s %8s %9s %8s %8s %8s %8s\n", "kernel",
                  "proj ms", "f", "1/(1-f)", "model ms",
                  n == 1 ? "tok/s" : "ptok/s", "f_model", "bound", "gain",
                  "amdahl", "ceiling");
    o << "\n" << line;
    for (const auto* r : rs) {
      auto opt = [&](const char* k, const char* fmt) {
        return r->contains(k) ? Fmt((*r)[k].get<double>(), fmt)
                              : std::string("-");
      };
      std::snprintf(
          line, sizeof(line),
          "%-11s %9.4f %6.3f %8.2f %9.2f %8.1f %9.3f %8.2f %8s %8s %8s\n",
          (*r)["kernel"].get<std::string>().c_str(),
          (*r)["projection_ms"].get<double>(), (*r)["f"].get<double>(),
          (*r)["amdahl_bound"].get<double>(), (*r)["model_ms"].get<double>(),
          (*r)["tokens_per_s"].get<double>(), (*r)["f_model"].get<double>(),
          (*r)["amdahl_bound_model"].get<double>(),
          opt("gain_vs_dense_f32", "%.2fx").c_str(),
          opt("amdahl_predicted_gain", "%.2fx").c_str(),
          opt("gain_ceiling_vs_dense_f32", "%.2fx").c_str());
      o << line;
    }
  }
  o << "\nf = projection share of the layer; 1/(1-f): the layer's speed-up if "
       "projections cost "
       "nothing.\nmodel ms = layers x layer + head; tok/s (decode) or ptok/s "
       "(prefill tokens "
       "per second) from it;\nf_model and bound: the same with the head; gain: "
       "tokens/s over "
       "dense-f32; amdahl: the gain\ndense-f32's split predicts from the "
       "projection speed-up "
       "alone; ceiling: 1/(1-f_model) of dense-f32.\n";
  return o.str();
}

int RunModel(const ModelFlags& f) {
  const ModelConfig& cfg = model::FindModel(f.model);
  Selection sel;
  sel.kernels = f.kernels;
  const auto kernels = sel.KernelList();
  const auto contexts = ParseList(f.context, "context");
  for (size_t c : contexts)
    if (c > kMaxContext)
      throw Error("context", std::to_string(c) + " exceeds the limit " +
                                 std::to_string(kMaxContext));
  const auto tokens = ParseList(f.tokens, "tokens");
  for (size_t n : tokens)
    if (n > model::kMaxForwardTokens)
      throw Error("tokens", std::to_string(n) + " exceeds the limit " +
                                std::to_string(model::kMaxForwardTokens) +
                                " (tokens per call)");
  const auto threads = ParseList(f.threads, "threads");
  for (size_t t : threads)
    if (t > 1024) throw Error("threads", "at most 1024");
  if (f.target.find(',') != std::string::npos)
    throw Error("target", "one target per run");
  sel.target = f.target;
  const TargetInfo target = sel.TargetList().front();
  if (LikelyEmulated())
    throw Error("model",
                "this looks like emulation (qemu-user): timings would be "
                "meaningless");
  SetTargetBits(target.bits);

  const size_t max_ctx = *std::max_element(contexts.begin(), contexts.end());
  const size_t max_tok = *std::max_element(tokens.begin(), tokens.end());
  std::fprintf(stderr,
               "model %s: generating weights (%zu ternary per layer) and the "
               "%zu x %zu f16 head\n",
               cfg.name.c_str(), cfg.LayerWeights(), cfg.vocab, cfg.hidden);
  const model::LayerWeights weights = model::RandomLayerWeights(cfg, f.seed);
  std::map<size_t, double> head_ms;
  {
    const model::OutputHead head(cfg, f.seed + 100);
    for (size_t th : threads)
      head_ms[th] = 1e3 * TimeHead(head, static_cast<int>(th), f.seed + 101,
                                   f.min_time, f.min_reps);
  }
  const model::RopeTable rope(cfg.head_dim, cfg.rope_theta, max_ctx + max_tok);
  std::map<size_t, std::vector<float>> inputs;
  std::map<size_t, double> quant_ms;
  for (size_t n : tokens) {
    inputs[n] = RandomActivations(n * cfg.hidden, f.seed + 200 + n);
    quant_ms[n] = 1e3 * TimeQuant(cfg, n, f.seed + 300, f.min_time);
  }
  const size_t footprint = 3 * L3Bytes();
  const size_t kv_per_position = 2 * cfg.kv_dim() * sizeof(float);

  std::vector<nlohmann::json> records;
  const size_t total =
      kernels.size() * contexts.size() * threads.size() * tokens.size();
  size_t done = 0;
  for (const std::string& kn : kernels) {
    std::vector<DecoderLayer> layers;
    layers.emplace_back(cfg, weights, kn, KernelOptions{});
    const size_t wbytes = layers.front().PreparedBytes();
    const size_t want = std::min(
        cfg.layers, std::max<size_t>(1, (footprint + wbytes - 1) / wbytes));
    if (want > 1)
      std::fprintf(stderr,
                   "%s: preparing %zu copies of the layer (%.1f MB each)\n",
                   kn.c_str(), want, static_cast<double>(wbytes) / 1e6);
    while (layers.size() < want)
      layers.emplace_back(cfg, weights, kn, KernelOptions{});
    for (size_t ctx : contexts) {
      const size_t kv_bytes = kv_per_position * (ctx + max_tok);
      const size_t copies =
          std::min(layers.size(),
                   std::max<size_t>(1, (footprint + wbytes + kv_bytes - 1) /
                                           (wbytes + kv_bytes)));
      std::vector<KvCache> caches;
      for (size_t c = 0; c < copies; ++c) {
        caches.emplace_back(cfg, ctx + max_tok);
        caches.back().FillRandom(ctx, f.seed + 400 + c);
      }
      for (size_t th : threads) {
        for (size_t c = 0; c < copies; ++c)
          layers[c].SetThreads(static_cast<int>(th));
        for (size_t n : tokens) {
          Progress(++done, total,
                   kn + " context " + std::to_string(ctx) + " tokens " +
                       std::to_string(n) + " threads " + std::to_string(th) +
                       " (" + std::to_string(copies) + " layer copies)");
          const LayerTiming t = TimeLayers(layers, caches, copies, inputs[n], n,
                                           ctx, rope, f.min_time, f.min_reps);
          nlohmann::json ops;
          double sum = 0, proj = 0;
          for (size_t i = 0; i < model::kOpCount; ++i) {
            const double ms = t.ops.seconds[i] * 1e3;
            ops[model::OpName(static_cast<Op>(i))] = ms;
            sum += ms;
            if (model::IsProjection(static_cast<Op>(i))) proj += ms;
          }
          const double layer_ms = sum + t.other * 1e3;
          const double hms = head_ms[th];
          const double model_ms =
              static_cast<double>(cfg.layers) * layer_ms + hms;
          const double fr = proj / layer_ms;
          const double fm = static_cast<double>(cfg.layers) * proj / model_ms;
          nlohmann::json r = {
              {"kernel", kn},
              {"activations", ActivationTypeName(layers.front().activations())},
              {"target", target.name},
              {"model", cfg.name},
              {"phase", n == 1 ? "decode" : "prefill"},
              {"context", ctx},
              {"tokens", n},
              {"threads", th},
              {"layer_copies", copies},
              {"passes", t.passes},
              {"ops_ms", ops},
              {"other_ms", t.other * 1e3},
              {"layer_ms", layer_ms},
              {"layer_wall_ms", t.wall * 1e3},
              {"projection_ms", proj},
              {"f", fr},
              {"amdahl_bound", 1.0 / (1.0 - fr)},
              {"head_ms", hms},
              {"model_ms", model_ms},
              {"tokens_per_s", static_cast<double>(n) / (model_ms * 1e-3)},
              {"f_model", fm},
              {"amdahl_bound_model", 1.0 / (1.0 - fm)},
              {"prepared_bytes_per_layer", wbytes},
              {"kv_cache_bytes_per_layer", kv_per_position * (ctx + n)}};
          if (layers.front().activations() == ActivationType::kInt8)
            r["act_quant_ms"] = quant_ms[n];
          records.push_back(std::move(r));
        }
      }
    }
  }
  SetTargetBits(0);
  Derive(records);
  if (f.output.format == "json") {
    nlohmann::json doc = ToDocument(records);
    doc["model"] = ConfigJson(cfg);
    nlohmann::json heads = nlohmann::json::array();
    for (const auto& [th, ms] : head_ms)
      heads.push_back({{"threads", th}, {"ms", ms}});
    doc["head"] = heads;
    doc["head_precision"] =
        "f16 weights, f32 accumulation (bitnet.cpp keeps BitNet "
        "b1.58 2B4T's tied embedding in f16)";
    doc["kv_cache_precision"] = "float32";
    doc["ops"] = nlohmann::json::array();
    for (size_t i = 0; i < model::kOpCount; ++i)
      doc["ops"].push_back(
          {{"name", model::OpName(static_cast<Op>(i))},
           {"projection", model::IsProjection(static_cast<Op>(i))}});
    doc["min_time_s"] = f.min_time;
    doc["layer_copies_footprint_bytes"] = footprint;
    WriteText(f.output.out, doc.dump(2) + "\n");
  } else {
    WriteText(f.output.out, Render(records, cfg, head_ms));
  }
  return 0;
}

}  // namespace

void AddModelCommand(CLI::App& app, CommandResult& action) {
  auto [cmd, f] = AddCommand<ModelFlags>(
      app, action, "model",
      "whole decoder layers of a published model per kernel: per-operation "
      "breakdown, projection share f, Amdahl bound, modelled tokens/s",
      RunModel);
  std::string models;
  for (const auto& m : model::ModelNames())
    models += (models.empty() ? "" : ", ") + m;
  cmd->add_option("--model", f->model, models)->capture_default_str();
  cmd->add_option("--kernels", f->kernels,
                  "all, or a comma list of registry names")
      ->capture_default_str();
  cmd->add_option("--context", f->context,
                  "tokens already in the KV cache, comma list (1.." +
                      std::to_string(kMaxContext) + ")")
      ->capture_default_str();
  cmd->add_option(
         "--tokens", f->tokens,
         "new tokens per call, comma list: 1 = decode, more = prefill (1.." +
             std::to_string(model::kMaxForwardTokens) + ")")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "thread counts, comma list")
      ->capture_default_str();
  cmd->add_option("--target", f->target,
                  "one SIMD target (best, avx2, avx512, ...)")
      ->capture_default_str();
  cmd->add_option("--min-time", f->min_time, "seconds of timed passes per case")
      ->check(CLI::Range(0.0, 60.0))
      ->capture_default_str();
  cmd->add_option("--min-reps", f->min_reps, "minimum timed passes per case")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "random seed")->capture_default_str();
  f->output.AddFlags(*cmd, {"table", "json"});
}

}  // namespace rsr::harness
