// Scalar double reference of the decoder layer, with error bounds.
//
// Each tensor is a pair (value v, bound e): v is computed in double from
// the same inputs, weights and cache the implementation gets, and e bounds
// |implementation - v| for any correct float implementation, whatever its
// summation order (SIMD width, target, thread split). Each operation maps
// (v, e) of its inputs to (v, e) of its output by two parts:
//   * propagation: how far the exact operation can move when its inputs are
//     off by at most e (worst case; exact rules, not first-order estimates,
//     wherever that is simple: softmax, products, RMSNorm);
//   * rounding: the float operations' own error, Higham's gamma_n = n u /
//     (1 - n u), u = 2^-24, on the sum of the absolute terms. Sums of n
//     products use gamma_{2n+...}: a scalar tail rounds the product and the
//     add separately (g++ does not contract a*b+c in ISO C++ mode).
// Quantization (int8 projections) is where the layer is not smooth: the
// kernels round x * s_a to integers. The reference rounds its own t = x * s_a
// (double) the same way, and bounds how far the implementation's t can be
// (w = e * s_a + |x| * |ds_a| + rounding). Where no rounding boundary
// (k + 1/2) lies within w of t, the implementation's integer is the
// reference's; elsewhere it may differ by one, i.e. one quantization step
// Delta = 1/s_a, worth |w_rk| * Delta * s_w in output r. So the tolerance is
// built from the quantization step, but spent only on the few elements
// within float rounding of a step boundary (w is ~1e-6 steps here), which
// keeps the bound near float precision and the test sharp.
//
// Softmax: with scores off by delta_j (|delta_j| <= e_j, M = max e), the
// exact probabilities move by a factor in [exp(-(e_j + M)), exp(e_j + M)]
// (p_j ~ exp(s_j) / sum_i exp(s_i)); the float part adds rho (Exp within 1 ulp
// = 2u; the argument s - max rounds; the sum gamma_n; reciprocal and
// product 2u).
#include "library/model/reference_layer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "rsr/error.h"

namespace rsr::model {
namespace {

constexpr double kU = 1.0 / 16777216.0;  // 2^-24, float unit roundoff
// Subnormal slack: hn::Exp of arguments below -87 returns subnormals (or 0
// below -104) without the 1-ulp guarantee.
constexpr double kTiny = std::numeric_limits<float>::min();

double Gamma(double n) { return n * kU / (1.0 - n * kU); }

// RMSNorm of one row: y = g x / r, r = sqrt(sum x^2 / n + eps).
//  propagation: r(x) is 1/sqrt(n)-Lipschitz in the 2-norm, so
//    |r(x^) - r(x)| <= dr = |e|_2 / sqrt(n), r(x^) >= r_lo = r - dr, and
//    |x^_i / r^ - x_i / r| <= e_i / r_lo + |x_i| dr / (r r_lo);
//  rounding: r^ has relative error gamma_{2n+4} (sum of squares, /n, +eps,
//    sqrt), then 1/r, *x, *g: gamma_{2n+8} on |g| (|x|+e) / r_lo.
void NormRow(const double* x, const double* e, const float* g, size_t n,
             double eps, double* y, double* ey) {
  double ss = 0, e2 = 0;
  for (size_t i = 0; i < n; ++i) {
    ss += x[i] * x[i];
    e2 += e[i] * e[i];
  }
  const double r = std::sqrt(ss / static_cast<double>(n) + eps);
  const double dr = std::sqrt(e2 / static_cast<double>(n));
  const double r_lo = r - dr;
  const double gam = Gamma(2.0 * static_cast<double>(n) + 8);
  for (size_t i = 0; i < n; ++i) {
    const double gi = std::fabs(static_cast<double>(g[i]));
    y[i] = static_cast<double>(g[i]) * x[i] / r;
    ey[i] = r_lo <= 0 ? HUGE_VAL
                      : gi * (e[i] / r_lo + std::fabs(x[i]) * dr / (r * r_lo)) +
                            gam * gi * (std::fabs(x[i]) + e[i]) / r_lo;
  }
}

Bounded Norm(const Bounded& x, size_t rows, size_t n,
             const std::vector<float>& g, float eps) {
  Bounded y{std::vector<double>(rows * n), std::vector<double>(rows * n)};
  for (size_t r = 0; r < rows; ++r)
    NormRow(&x.value[r * n], &x.bound[r * n], g.data(), n,
            static_cast<double>(eps), &y.value[r * n], &y.bound[r * n]);
  return y;
}

// y = W x for each token: int8 (BitLinear quantization, see the top of the
// file) or float activations.
Bounded Project(const TernaryMatrix& w, const Bounded& x, size_t tokens,
                ActivationType act) {
  const size_t M = w.rows(), K = w.cols();
  const double sw = static_cast<double>(w.scale());
  Bounded y{std::vector<double>(tokens * M), std::vector<double>(tokens * M)};
  std::vector<int32_t> q(K);
  std::vector<int32_t> flip(K);
  for (size_t t = 0; t < tokens; ++t) {
    const double* xv = &x.value[t * K];
    const double* xe = &x.bound[t * K];
    double* yv = &y.value[t * M];
    double* ye = &y.bound[t * M];
    if (act == ActivationType::kFloat32) {
      // Any summation order of K exact products (w in {-1, 0, 1}), then the
      // scale: gamma_{K+2} (as rsr::FloatTolerance).
      const double gam = Gamma(static_cast<double>(K) + 2);
      for (size_t r = 0; r < M; ++r) {
        double s = 0, prop = 0, abs = 0;
        for (size_t k = 0; k < K; ++k) {
          const int wk = w.at(r, k);
          s += wk * xv[k];
          prop += std::abs(wk) * xe[k];
          abs += std::abs(wk) * (std::fabs(xv[k]) + xe[k]);
        }
        yv[r] = s * sw;
        ye[r] = sw * (prop + gam * abs) + kTiny;
      }
      continue;
    }
    if (std::all_of(xe, xe + K, [](double e) { return e == 0; })) {
      // Exact inputs (teacher-forced): emulate rsr/quant.h in float, which
      // every IEEE target rounds identically, and DequantizeDot: the
      // implementation must match exactly.
      float amax_f = 1e-5f;
      for (size_t k = 0; k < K; ++k)
        amax_f = std::max(amax_f, std::fabs(static_cast<float>(xv[k])));
      const float s_f = 127.0f / amax_f;
      for (size_t k = 0; k < K; ++k)
        q[k] = static_cast<int32_t>(std::clamp(
            std::nearbyint(static_cast<float>(xv[k]) * s_f), -128.0f, 127.0f));
      for (size_t r = 0; r < M; ++r) {
        int64_t D = 0;
        for (size_t k = 0; k < K; ++k) D += w.at(r, k) * q[k];
        yv[r] = static_cast<double>(static_cast<float>(D) / s_f * w.scale());
        ye[r] = 0;
      }
      continue;
    }
    // amax (floored at 1e-5f as in rsr/quant.h) moves by at most E = max e.
    double amax = static_cast<double>(1e-5f), emax = 0;
    for (size_t k = 0; k < K; ++k) {
      amax = std::max(amax, std::fabs(xv[k]));
      emax = std::max(emax, xe[k]);
    }
    const double s = 127.0 / amax;
    const double s_hi =
        amax > emax ? 127.0 / (amax - emax) * (1 + kU) : HUGE_VAL;
    const double s_lo = 127.0 / (amax + emax) * (1 - kU);
    const double ds = std::max(s_hi - s, s - s_lo);
    for (size_t k = 0; k < K; ++k) {
      const double tk = xv[k] * s;
      const double wk = xe[k] * s_hi + std::fabs(xv[k]) * ds +
                        kU * (std::fabs(xv[k]) + xe[k]) * s_hi;
      q[k] =
          static_cast<int32_t>(std::clamp(std::nearbyint(tk), -128.0, 127.0));
      // A boundary k + 1/2 within reach: the implementation's integer may
      // differ, by one step per unit of w (w is ~1e-6 in practice).
      flip[k] = std::fabs(tk - std::floor(tk) - 0.5) <= wk
                    ? static_cast<int32_t>(std::max(1.0, std::ceil(wk)))
                    : 0;
    }
    const double inv_lo = 1.0 / s_hi, inv_hi = 1.0 / s_lo;
    for (size_t r = 0; r < M; ++r) {
      int64_t D = 0, dD = 0;
      for (size_t k = 0; k < K; ++k) {
        const int wk = w.at(r, k);
        D += wk * q[k];
        dD += std::abs(wk) * flip[k];
      }
      const double aD = std::fabs(static_cast<double>(D));
      yv[r] = static_cast<double>(D) / s * sw;
      // |D^/s^ - D/s| <= dD/s_lo + |D| |1/s^ - 1/s|; then D/s, *s_w: 2
      // roundings.
      ye[r] = sw * (static_cast<double>(dD) * inv_hi +
                    aD * std::max(inv_hi - 1 / s, 1 / s - inv_lo) +
                    Gamma(2) * (aD + static_cast<double>(dD)) * inv_hi) +
              kTiny;
    }
  }
  return y;
}

// Rotate-half RoPE of `heads` heads of one token at position pos. The
// implementation's cos/sin are the double values rounded once to float.
void Rope(double* v, double* e, size_t heads, size_t d, size_t pos,
          double theta) {
  const size_t half = d / 2;
  const double gam = Gamma(4);  // table rounding, two products, one add
  for (size_t h = 0; h < heads; ++h) {
    double* a = v + h * d;
    double* ea = e + h * d;
    for (size_t i = 0; i < half; ++i) {
      const double ang = RopeTable::Angle(pos, i, d, theta);
      const double c = std::cos(ang), s = std::sin(ang);
      const double x1 = a[i], x2 = a[i + half], e1 = ea[i], e2 = ea[i + half];
      const double ac = std::fabs(c), as = std::fabs(s);
      const double mag = (std::fabs(x1) + e1) * ac + (std::fabs(x2) + e2) * as;
      const double mag2 = (std::fabs(x2) + e2) * ac + (std::fabs(x1) + e1) * as;
      a[i] = x1 * c - x2 * s;
      a[i + half] = x2 * c + x1 * s;
      ea[i] = ac * e1 + as * e2 + gam * mag + kTiny;
      ea[i + half] = ac * e2 + as * e1 + gam * mag2 + kTiny;
    }
  }
}

// |a^ b^ - a b| <= |a| eb + |b| ea + ea eb.
double ProdBound(double a, double ea, double b, double eb) {
  return std::fabs(a) * eb + std::fabs(b) * ea + ea * eb;
}

// Free-running: the reference's own value; teacher-forced: the layer's,
// exact (bound 0). A layer tensor of another size (a trace of another shape)
// is not used: that stage then runs free and its comparison reports the
// size mismatch.
const Bounded& Source(const Bounded& own, const std::vector<float>* layer,
                      Bounded& slot) {
  if (layer == nullptr || layer->size() != own.value.size()) return own;
  slot.value.assign(layer->begin(), layer->end());
  slot.bound.assign(layer->size(), 0.0);
  return slot;
}

Bounded Add(const Bounded& p, const Bounded& r) {
  Bounded y{std::vector<double>(p.value.size()),
            std::vector<double>(p.value.size())};
  for (size_t i = 0; i < p.value.size(); ++i) {
    y.value[i] = p.value[i] + r.value[i];
    const double e = p.bound[i] + r.bound[i];
    y.bound[i] = e + kU * (std::fabs(y.value[i]) + e);
  }
  return y;
}

}  // namespace

std::vector<std::pair<std::string,
                      std::pair<const Bounded*, const std::vector<float>*>>>
ReferenceTrace::Stages(const LayerTrace& l) const {
  std::vector<std::pair<std::string,
                        std::pair<const Bounded*, const std::vector<float>*>>>
      stages;
  auto add = [&](const char* name, const Bounded& r,
                 const std::vector<float>& v) {
    if (!r.value.empty() || !v.empty()) stages.push_back({name, {&r, &v}});
  };
  add("norm_in", norm_in, l.norm_in);
  add("q", q, l.q);
  add("k", k, l.k);
  add("v", v, l.v);
  add("q_rope", q_rope, l.q_rope);
  add("k_rope", k_rope, l.k_rope);
  add("scores", scores, l.scores);
  add("probs", probs, l.probs);
  add("attn", attn, l.attn);
  add("attn_normed", attn_normed, l.attn_normed);
  add("o", o, l.o);
  add("h", h, l.h);
  add("ffn_in", ffn_in, l.ffn_in);
  add("gate", gate, l.gate);
  add("up", up, l.up);
  add("act", act, l.act);
  add("act_normed", act_normed, l.act_normed);
  add("down", down, l.down);
  add("out", out, l.out);
  return stages;
}

ReferenceTrace ReferenceLayer(const ModelConfig& c, const LayerWeights& w,
                              std::span<const float> x, size_t tokens,
                              size_t context, const KvCache& cache,
                              ActivationType act, const LayerTrace* forced) {
  c.Validate();
  const size_t H = c.hidden, Q = c.q_dim(), KV = c.kv_dim(), F = c.ffn;
  const size_t d = c.head_dim, G = c.group(), S = context + tokens;
  if (x.size() != tokens * H) throw Error("x", "size must be tokens * hidden");
  if (cache.positions() < context)
    throw Error("cache", "shorter than the context");
  const LayerTrace* f = forced;
  Bounded slot;  // the forced copy of the current stage's input
  ReferenceTrace r;

  const Bounded in{std::vector<double>(x.begin(), x.end()),
                   std::vector<double>(x.size(), 0.0)};
  r.norm_in = Norm(in, tokens, H, w.attn_norm, c.rms_eps);
  {
    const Bounded& n = Source(r.norm_in, f ? &f->norm_in : nullptr, slot);
    r.q = Project(w.q, n, tokens, act);
    r.k = Project(w.k, n, tokens, act);
    r.v = Project(w.v, n, tokens, act);
  }
  r.q_rope = Source(r.q, f ? &f->q : nullptr, slot);
  r.k_rope = Source(r.k, f ? &f->k : nullptr, slot);
  for (size_t t = 0; t < tokens; ++t) {
    Rope(&r.q_rope.value[t * Q], &r.q_rope.bound[t * Q], c.heads, d,
         context + t, c.rope_theta);
    Rope(&r.k_rope.value[t * KV], &r.k_rope.bound[t * KV], c.kv_heads, d,
         context + t, c.rope_theta);
  }

  // Keys and values: the cache (exact) before the context's end, else the
  // new tokens' (bounded).
  Bounded kslot, vslot;
  const Bounded& kr = Source(r.k_rope, f ? &f->k_rope : nullptr, kslot);
  const Bounded& vr = Source(r.v, f ? &f->v : nullptr, vslot);
  auto kv_at = [&](const Bounded& fresh, bool key, size_t j, size_t p, size_t i,
                   double* e) {
    if (p < context) {
      *e = 0;
      return static_cast<double>(key ? cache.key(j, p, i)
                                     : cache.value(j, p, i));
    }
    const size_t idx = (p - context) * KV + j * d + i;
    *e = fresh.bound[idx];
    return fresh.value[idx];
  };

  // Scores, one (token, query head) row of S positions at a time.
  r.scores = {std::vector<double>(tokens * c.heads * S),
              std::vector<double>(tokens * c.heads * S)};
  {
    Bounded qslot;
    const Bounded& qr = Source(r.q_rope, f ? &f->q_rope : nullptr, qslot);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const double gam = Gamma(2.0 * static_cast<double>(d) + 2);
    for (size_t t = 0; t < tokens; ++t)
      for (size_t h = 0; h < c.heads; ++h)
        for (size_t p = 0; p < context + t + 1; ++p) {
          const double* qv = &qr.value[t * Q + h * d];
          const double* qe = &qr.bound[t * Q + h * d];
          double dot = 0, prop = 0, abs = 0;
          for (size_t i = 0; i < d; ++i) {
            double ek;
            const double kv = kv_at(kr, true, h / G, p, i, &ek);
            dot += qv[i] * kv;
            prop += ProdBound(qv[i], qe[i], kv, ek);
            abs += (std::fabs(qv[i]) + qe[i]) * (std::fabs(kv) + ek);
          }
          r.scores.value[(t * c.heads + h) * S + p] = dot * scale;
          r.scores.bound[(t * c.heads + h) * S + p] =
              scale * (prop + gam * abs) + kTiny;
        }
  }
  // Softmax rows.
  r.probs = {std::vector<double>(tokens * c.heads * S),
             std::vector<double>(tokens * c.heads * S)};
  {
    const Bounded& sc = Source(r.scores, f ? &f->scores : nullptr, slot);
    for (size_t t = 0; t < tokens; ++t)
      for (size_t h = 0; h < c.heads; ++h) {
        const size_t row = (t * c.heads + h) * S, len = context + t + 1;
        const double* s = &sc.value[row];
        const double* es = &sc.bound[row];
        const double m = *std::max_element(s, s + len);
        const double big_m = *std::max_element(es, es + len);
        double sum = 0, spread = 0;
        for (size_t p = 0; p < len; ++p) {
          spread = std::max(spread, m - s[p]);
          sum += std::exp(s[p] - m);
        }
        // Float part rho: each exp's relative error phi (argument rounding
        // u |s - m| plus the 1-ulp Exp), twice (numerator and the sum's
        // terms), plus the sum's gamma_n and the reciprocal and product.
        const double phi = kU * (spread + 2 * big_m) + 2 * kU;
        const double rho = 2 * phi + Gamma(static_cast<double>(len) + 4);
        for (size_t p = 0; p < len; ++p) {
          const double pv = std::exp(s[p] - m) / sum;
          r.probs.value[row + p] = pv;
          r.probs.bound[row + p] =
              pv * std::expm1(es[p] + big_m + rho + rho * rho) + kTiny;
        }
      }
  }
  // probs x V.
  r.attn = {std::vector<double>(tokens * Q), std::vector<double>(tokens * Q)};
  {
    const Bounded& pr = Source(r.probs, f ? &f->probs : nullptr, slot);
    for (size_t t = 0; t < tokens; ++t)
      for (size_t h = 0; h < c.heads; ++h) {
        const size_t row = (t * c.heads + h) * S, len = context + t + 1;
        const double gam = Gamma(2.0 * static_cast<double>(len) + 2);
        for (size_t i = 0; i < d; ++i) {
          double o = 0, prop = 0, abs = 0;
          for (size_t p = 0; p < len; ++p) {
            double ev;
            const double vv = kv_at(vr, false, h / G, p, i, &ev);
            const double pv = pr.value[row + p], ep = pr.bound[row + p];
            o += pv * vv;
            prop += ProdBound(pv, ep, vv, ev);
            abs += (pv + ep) * (std::fabs(vv) + ev);
          }
          r.attn.value[t * Q + h * d + i] = o;
          r.attn.bound[t * Q + h * d + i] = prop + gam * abs + kTiny;
        }
      }
  }

  const Bounded* o_in = &Source(r.attn, f ? &f->attn : nullptr, slot);
  Bounded slot2;
  if (c.sub_norms) {
    r.attn_normed = Norm(*o_in, tokens, Q, w.attn_sub_norm, c.rms_eps);
    o_in = &Source(r.attn_normed, f ? &f->attn_normed : nullptr, slot2);
  }
  r.o = Project(w.o, *o_in, tokens, act);
  r.h = Add(in, Source(r.o, f ? &f->o : nullptr, slot));
  r.ffn_in = Norm(Source(r.h, f ? &f->h : nullptr, slot), tokens, H, w.ffn_norm,
                  c.rms_eps);
  {
    const Bounded& m = Source(r.ffn_in, f ? &f->ffn_in : nullptr, slot);
    r.gate = Project(w.gate, m, tokens, act);
    r.up = Project(w.up, m, tokens, act);
  }
  {
    Bounded gslot, uslot;
    const Bounded& g = Source(r.gate, f ? &f->gate : nullptr, gslot);
    const Bounded& up = Source(r.up, f ? &f->up : nullptr, uslot);
    r.act = {std::vector<double>(tokens * F), std::vector<double>(tokens * F)};
    for (size_t i = 0; i < tokens * F; ++i) {
      const double gv = g.value[i], ge = g.bound[i], uv = up.value[i],
                   ue = up.bound[i];
      double fv, fe, gam;
      if (c.activation == FfnActivation::kSilu) {
        // |SiLU'| <= 1.0998 everywhere; float: Exp (2u), 1 + e, x / (1 + e),
        // * u: gamma_7 (e^-x clamped at e^88 changes |SiLU| by < 1e-36).
        fv = gv / (1.0 + std::exp(-gv));
        fe = 1.0998 * ge;
        gam = Gamma(7);
      } else {
        // |relu(a)^2 - relu(b)^2| <= |a - b| (|a| + |b|) <= ge (2|g| + ge).
        const double rl = gv > 0 ? gv : 0.0;
        fv = rl * rl;
        fe = ge * (2 * std::fabs(gv) + ge);
        gam = Gamma(3);
      }
      r.act.value[i] = fv * uv;
      r.act.bound[i] = ProdBound(fv, fe, uv, ue) +
                       gam * (std::fabs(fv) + fe) * (std::fabs(uv) + ue) +
                       kTiny;
    }
  }
  const Bounded* down_in = &Source(r.act, f ? &f->act : nullptr, slot);
  if (c.sub_norms) {
    r.act_normed = Norm(*down_in, tokens, F, w.ffn_sub_norm, c.rms_eps);
    down_in = &Source(r.act_normed, f ? &f->act_normed : nullptr, slot2);
  }
  r.down = Project(w.down, *down_in, tokens, act);
  {
    Bounded hslot;
    r.out = Add(Source(r.h, f ? &f->h : nullptr, hslot),
                Source(r.down, f ? &f->down : nullptr, slot));
  }
  return r;
}

Bounded ReferenceHead(const OutputHead& head, std::span<const float> x) {
  const size_t V = head.rows(), K = head.cols();
  if (x.size() != K) throw Error("x", "size must be hidden");
  Bounded in{std::vector<double>(x.begin(), x.end()),
             std::vector<double>(K, 0.0)};
  const Bounded y = Norm(in, 1, K, head.norm(), head.eps());
  Bounded out{std::vector<double>(V), std::vector<double>(V)};
  const double gam = Gamma(2.0 * static_cast<double>(K) + 2);
  for (size_t r = 0; r < V; ++r) {
    double s = 0, prop = 0, abs = 0;
    for (size_t k = 0; k < K; ++k) {
      const double wk =
          static_cast<double>(F32FromF16Bits(head.WeightBits(r, k)));
      s += wk * y.value[k];
      prop += std::fabs(wk) * y.bound[k];
      abs += std::fabs(wk) * (std::fabs(y.value[k]) + y.bound[k]);
    }
    out.value[r] = s;
    out.bound[r] = prop + gam * abs + kTiny;
  }
  return out;
}

}  // namespace rsr::model
