// Published decoder configurations for the model view (`rsr-bench model`):
// the shapes of one transformer decoder layer plus what is needed around it
// (layer count, vocabulary, output head). Each entry names its source in
// model_config.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rsr::model {

// The FFN nonlinearity applied to the gate projection before it multiplies
// the up projection (a gated FFN: down(act(gate(x)) * up(x))).
enum class FfnActivation : uint8_t {
  kSquaredRelu,  // relu(g)^2 ("relu2" in BitNet b1.58 2B4T's config.json)
  kSilu,         // g * sigmoid(g) (LLaMA's "silu")
};
const char* FfnActivationName(FfnActivation a);

struct ModelConfig {
  std::string name;
  size_t hidden = 0;  // d_model (hidden_size)
  size_t ffn = 0;     // intermediate_size
  size_t layers = 0;  // num_hidden_layers
  size_t heads = 0;   // query heads (num_attention_heads)
  size_t kv_heads =
      0;  // key/value heads (num_key_value_heads); GQA when < heads
  size_t head_dim = 0;  // hidden / heads for every model here
  size_t vocab = 0;     // output head rows
  FfnActivation activation = FfnActivation::kSilu;
  // BitNet b1.58 2B4T's extra sub-layer RMSNorms: attn_sub_norm on the
  // attention output before o_proj, ffn_sub_norm on act(gate)*up before
  // down_proj.
  bool sub_norms = false;
  bool tied_embeddings = false;
  double rope_theta = 10000.0;
  float rms_eps = 1e-5f;
  size_t max_positions = 0;  // max_position_embeddings (informational)
  std::string source;        // where these numbers come from

  size_t q_dim() const { return heads * head_dim; }
  size_t kv_dim() const { return kv_heads * head_dim; }
  size_t group() const { return heads / kv_heads; }  // query heads per KV head
  // Ternary weights of one layer: q, k, v, o, gate, up, down.
  size_t LayerWeights() const;
  // Throws rsr::Error("model") naming the inconsistent field: any size 0,
  // heads not a multiple of kv_heads, odd head_dim (RoPE rotates pairs),
  // q_dim or ffn beyond the kernels' limits, rms_eps or rope_theta not
  // finite and positive.
  void Validate() const;
};

// bitnet-2b, bitnet-3b, llama3-8b (in that order).
const std::vector<ModelConfig>& PublishedModels();
std::vector<std::string> ModelNames();
// Throws rsr::Error("model") for an unknown name, listing the known ones.
const ModelConfig& FindModel(const std::string& name);

}  // namespace rsr::model
