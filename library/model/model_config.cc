#include "library/model/model_config.h"

#include <cmath>

#include "rsr/error.h"
#include "rsr/limits.h"

namespace rsr::model {

const char* FfnActivationName(FfnActivation a) {
  switch (a) {
    case FfnActivation::kSquaredRelu:
      return "relu2";
    case FfnActivation::kSilu:
      return "silu";
  }
  return "?";
}

size_t ModelConfig::LayerWeights() const {
  return 2 * hidden * q_dim() + 2 * hidden * kv_dim() + 3 * hidden * ffn;
}

void ModelConfig::Validate() const {
  auto fail = [&](const std::string& what) {
    throw Error("model",
                (name.empty() ? std::string("config") : name) + ": " + what);
  };
  if (hidden == 0 || ffn == 0 || layers == 0 || heads == 0 || kv_heads == 0 ||
      head_dim == 0 || vocab == 0)
    fail("every size must be >= 1");
  if (heads % kv_heads != 0) fail("heads must be a multiple of kv_heads");
  if (head_dim % 2 != 0) fail("head_dim must be even (RoPE rotates pairs)");
  for (size_t d : {hidden, ffn, q_dim()})
    if (d > kMaxCols) fail("a dimension exceeds the kernels' K limit");
  if (!(std::isfinite(rms_eps) && rms_eps > 0)) fail("rms_eps must be > 0");
  if (!(std::isfinite(rope_theta) && rope_theta > 1))
    fail("rope_theta must be > 1");
}

const std::vector<ModelConfig>& PublishedModels() {
  static const std::vector<ModelConfig> kModels = [] {
    std::vector<ModelConfig> m;
    // BitNet b1.58 2B4T (Microsoft, 2025). Source: config.json of
    // huggingface.co/microsoft/bitnet-b1.58-2B-4T: hidden_size 2560,
    // intermediate_size 6912, num_hidden_layers 30, num_attention_heads 20,
    // num_key_value_heads 5, hidden_act "relu2", rope_theta 500000,
    // rms_norm_eps 1e-5, max_position_embeddings 4096, vocab_size 128256,
    // tie_word_embeddings true. The sub-layer norms (attn_sub_norm,
    // ffn_sub_norm) are in its modeling code (transformers' BitNet model)
    // and the technical report, arXiv 2504.12285.
    m.push_back(
        {.name = "bitnet-2b",
         .hidden = 2560,
         .ffn = 6912,
         .layers = 30,
         .heads = 20,
         .kv_heads = 5,
         .head_dim = 128,
         .vocab = 128256,
         .activation = FfnActivation::kSquaredRelu,
         .sub_norms = true,
         .tied_embeddings = true,
         .rope_theta = 500000.0,
         .rms_eps = 1e-5f,
         .max_positions = 4096,
         .source = "huggingface.co/microsoft/bitnet-b1.58-2B-4T config.json"});
    // BitNet b1.58 3B, the 1bitLLM reproduction of the BitNet b1.58 paper.
    // Source: config.json of huggingface.co/1bitLLM/bitnet_b1_58-3B:
    // hidden_size 3200, intermediate_size 8640, num_hidden_layers 26,
    // num_attention_heads 32, num_key_value_heads 32 (MHA), hidden_act
    // "silu" (LLaMA-style gated FFN, model_type "llama"), rope_theta 10000,
    // rms_norm_eps 1e-5, max_position_embeddings 2048, vocab_size 32002
    // (32000 + 2 added tokens), tie_word_embeddings true.
    m.push_back(
        {.name = "bitnet-3b",
         .hidden = 3200,
         .ffn = 8640,
         .layers = 26,
         .heads = 32,
         .kv_heads = 32,
         .head_dim = 100,
         .vocab = 32002,
         .activation = FfnActivation::kSilu,
         .sub_norms = false,
         .tied_embeddings = true,
         .rope_theta = 10000.0,
         .rms_eps = 1e-5f,
         .max_positions = 2048,
         .source = "huggingface.co/1bitLLM/bitnet_b1_58-3B config.json"});
    // Llama-3-8B shapes as a ternarised what-if (no ternary Llama-3-8B is
    // published with these exact weights; the shapes are what matter here).
    // Source: config.json of huggingface.co/meta-llama/Meta-Llama-3-8B:
    // hidden_size 4096, intermediate_size 14336, num_hidden_layers 32,
    // num_attention_heads 32, num_key_value_heads 8, hidden_act "silu",
    // rope_theta 500000, rms_norm_eps 1e-5, max_position_embeddings 8192,
    // vocab_size 128256, tie_word_embeddings false.
    m.push_back(
        {.name = "llama3-8b",
         .hidden = 4096,
         .ffn = 14336,
         .layers = 32,
         .heads = 32,
         .kv_heads = 8,
         .head_dim = 128,
         .vocab = 128256,
         .activation = FfnActivation::kSilu,
         .sub_norms = false,
         .tied_embeddings = false,
         .rope_theta = 500000.0,
         .rms_eps = 1e-5f,
         .max_positions = 8192,
         .source = "huggingface.co/meta-llama/Meta-Llama-3-8B config.json"});
    return m;
  }();
  return kModels;
}

std::vector<std::string> ModelNames() {
  std::vector<std::string> names;
  for (const auto& m : PublishedModels()) names.push_back(m.name);
  return names;
}

const ModelConfig& FindModel(const std::string& name) {
  for (const auto& m : PublishedModels())
    if (m.name == name) return m;
  std::string known;
  for (const auto& n : ModelNames()) known += " " + n;
  throw Error("model", "unknown model '" + name + "' (known:" + known + ")");
}

}  // namespace rsr::model
