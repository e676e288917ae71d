// Fusion on efm-level ops: BatchNormalization folded into a preceding Conv/Gemm/MatMul's constant
// weights, then Relu/Clip merged into the preceding op's FusedActivation.
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ir.h"

namespace edge::compiler::internal {
namespace {

using T = efm::OpType;

struct Uses {
  std::vector<int> producer;   // op index per tensor, -1
  std::vector<int> consumers;  // number of op input slots reading the tensor
};

Uses CountUses(const Graph& g) {
  Uses u;
  u.producer.assign(g.tensors.size(), -1);
  u.consumers.assign(g.tensors.size(), 0);
  for (size_t k = 0; k < g.ops.size(); ++k) {
    for (int id : g.ops[k].inputs) {
      if (id >= 0) ++u.consumers[id];
    }
    for (int id : g.ops[k].outputs) {
      if (id >= 0) u.producer[id] = static_cast<int>(k);
    }
  }
  return u;
}

bool IsConstFloat(const Graph& g, int id) {
  return id >= 0 && g.tensors[id].is_const() && g.tensors[id].elem == kFloat;
}

const std::vector<float>& F(const Graph& g, int id) { return g.tensors[id].value->f; }

// Per-channel scale and shift of an inference BatchNormalization: y = x * s + t.
void BnAffine(const Graph& g, const Op& bn, std::vector<double>* s, std::vector<double>* t) {
  const auto& scale = F(g, bn.inputs[1]);
  const auto& bias = F(g, bn.inputs[2]);
  const auto& mean = F(g, bn.inputs[3]);
  const auto& var = F(g, bn.inputs[4]);
  const size_t c = scale.size();
  s->resize(c);
  t->resize(c);
  for (size_t k = 0; k < c; ++k) {
    (*s)[k] = static_cast<double>(scale[k]) /
              std::sqrt(static_cast<double>(var[k]) + static_cast<double>(bn.a.epsilon));
    (*t)[k] = static_cast<double>(bias[k]) - static_cast<double>(mean[k]) * (*s)[k];
  }
}

// Folds `bn` into op `p` (whose only consumer it is). Returns false if the pattern does not fit.
bool FoldBatchNorm(Graph& g, Op& p, const Op& bn) {
  for (int k = 1; k < 5; ++k) {
    if (!IsConstFloat(g, bn.inputs[k])) return false;
  }
  std::vector<double> s, t;
  BnAffine(g, bn, &s, &t);
  const int64_t c = static_cast<int64_t>(s.size());
  if (p.type == T::Conv) {
    const int w = p.inputs[1];
    const int b = p.inputs.size() > 2 ? p.inputs[2] : -1;
    if (!IsConstFloat(g, w) || (b >= 0 && !IsConstFloat(g, b))) return false;
    const Tensor& wt = g.tensors[w];
    if (wt.shape[0] != c) return false;
    HostValue nw = *wt.value;
    const int64_t per = NumElements(wt.shape) / c;
    for (int64_t m = 0; m < c; ++m) {
      for (int64_t q = 0; q < per; ++q) {
        nw.f[m * per + q] = static_cast<float>(static_cast<double>(nw.f[m * per + q]) * s[m]);
      }
    }
    std::vector<float> nb(c);
    for (int64_t m = 0; m < c; ++m) {
      const double b0 = b >= 0 ? static_cast<double>(F(g, b)[m]) : 0.0;
      nb[m] = static_cast<float>(b0 * s[m] + t[m]);
    }
    const std::string wname = g.tensors[w].name + "/bn_folded";
    const std::string bname = g.tensors[bn.inputs[2]].name + "/bn_folded";
    const int nwid = g.AddConstant(wname, std::move(nw));
    const int nbid = g.AddConstant(bname, HostValue::Floats({c}, std::move(nb)));
    p.inputs = {p.inputs[0], nwid, nbid};
    return true;
  }
  if (p.type == T::Gemm || p.type == T::MatMul) {
    const int bw = p.inputs[1];
    if (!IsConstFloat(g, bw) || g.tensors[bw].shape.size() != 2) return false;
    const Tensor& out = g.tensors[p.outputs[0]];
    if (out.shape.size() != 2 || out.shape[1] != c) return false;
    if (p.type == T::MatMul && g.tensors[p.inputs[0]].shape.size() != 2) return false;
    const bool tb = p.type == T::Gemm && p.a.trans_b;
    const float alpha = p.type == T::Gemm ? p.a.alpha : 1.0f;
    const float beta = p.type == T::Gemm ? p.a.beta : 1.0f;
    const int cc = p.type == T::Gemm && p.inputs.size() > 2 ? p.inputs[2] : -1;
    if (cc >= 0 && !IsConstFloat(g, cc)) return false;
    HostValue nw = *g.tensors[bw].value;
    const int64_t rows = nw.shape[0], cols = nw.shape[1];
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        const int64_t ch = tb ? i : j;
        nw.f[i * cols + j] = static_cast<float>(static_cast<double>(nw.f[i * cols + j]) * s[ch]);
      }
    }
    // C' = beta * C * s + t, broadcast over [.., N].
    HostValue nc;
    if (cc >= 0) {
      const HostValue& c0 = *g.tensors[cc].value;
      Dims shape;
      BroadcastShapes(c0.shape, {c}, &shape);
      const int64_t n = NumElements(shape);
      std::vector<float> v(static_cast<size_t>(n));
      // Element k of the broadcast result reads C at the broadcast index.
      std::vector<int64_t> cs(c0.shape.size(), 1);
      for (int k = static_cast<int>(c0.shape.size()) - 2; k >= 0; --k) {
        cs[k] = cs[k + 1] * c0.shape[k + 1];
      }
      std::vector<int64_t> idx(shape.size(), 0);
      for (int64_t lin = 0; lin < n; ++lin) {
        int64_t src = 0;
        const size_t off = shape.size() - c0.shape.size();
        for (size_t k = 0; k < c0.shape.size(); ++k) {
          if (c0.shape[k] != 1) src += idx[k + off] * cs[k];
        }
        const int64_t ch = idx.back();
        v[lin] = static_cast<float>(static_cast<double>(beta) * c0.f[src] * s[ch] + t[ch]);
        for (int k = static_cast<int>(shape.size()) - 1; k >= 0; --k) {
          if (++idx[k] < shape[k]) break;
          idx[k] = 0;
        }
      }
      nc = HostValue::Floats(shape, std::move(v));
    } else {
      std::vector<float> v(c);
      for (int64_t k = 0; k < c; ++k) v[k] = static_cast<float>(t[k]);
      nc = HostValue::Floats({c}, std::move(v));
    }
    const int nwid = g.AddConstant(g.tensors[bw].name + "/bn_folded", std::move(nw));
    const int ncid = g.AddConstant(g.tensors[bn.inputs[2]].name + "/bn_folded_bias", std::move(nc));
    if (p.type == T::MatMul) {
      p.type = T::Gemm;
      p.a.trans_a = false;
      p.a.trans_b = false;
    }
    p.a.alpha = alpha;
    p.a.beta = 1.0f;
    p.inputs = {p.inputs[0], nwid, ncid};
    return true;
  }
  return false;
}

void Compact(Graph& g, const std::vector<bool>& dead) {
  std::vector<Op> ops;
  for (size_t k = 0; k < g.ops.size(); ++k) {
    if (!dead[k]) ops.push_back(std::move(g.ops[k]));
  }
  g.ops = std::move(ops);
}

}  // namespace

void Fuse(Graph& g, const std::vector<bool>& keep_in, FusionStats* stats) {
  std::vector<bool> keep = keep_in;
  keep.resize(g.tensors.size(), false);
  // BatchNormalization folding.
  {
    Uses u = CountUses(g);
    std::vector<bool> dead(g.ops.size(), false);
    for (size_t k = 0; k < g.ops.size(); ++k) {
      Op& bn = g.ops[k];
      if (bn.type != T::BatchNormalization || bn.a.act != efm::FusedActivation::None) continue;
      const int x = bn.inputs[0];
      const int pi = u.producer[x];
      if (pi < 0 || dead[pi] || u.consumers[x] != 1 || keep[x]) continue;
      Op& p = g.ops[pi];
      if ((p.type != T::Conv && p.type != T::Gemm && p.type != T::MatMul) ||
          p.a.act != efm::FusedActivation::None || g.tensors[x].elem != kFloat) {
        continue;
      }
      if (!FoldBatchNorm(g, p, bn)) continue;
      keep.resize(g.tensors.size(), false);
      p.outputs[0] = bn.outputs[0];
      u.producer.resize(g.tensors.size(), -1);
      u.consumers.resize(g.tensors.size(), 0);
      u.producer[bn.outputs[0]] = pi;
      dead[k] = true;
      ++stats->fused_nodes;
      stats->notes.push_back(absl::StrCat("BatchNormalization '", bn.name, "' folded into ",
                                          efm::EnumNameOpType(p.type), " '", p.name, "'"));
    }
    Compact(g, dead);
  }
  // Relu / Clip fusion.
  {
    Uses u = CountUses(g);
    std::vector<bool> dead(g.ops.size(), false);
    for (size_t k = 0; k < g.ops.size(); ++k) {
      Op& act = g.ops[k];
      if (act.type != T::Relu && act.type != T::Clip) continue;
      const int x = act.inputs[0];
      const int pi = u.producer[x];
      if (pi < 0 || dead[pi] || u.consumers[x] != 1 || keep[x]) continue;
      Op& p = g.ops[pi];
      if (p.type != T::Conv && p.type != T::ConvTranspose && p.type != T::Gemm &&
          p.type != T::MatMul && p.type != T::BatchNormalization) {
        continue;
      }
      if (p.a.act != efm::FusedActivation::None || g.tensors[x].elem != kFloat) continue;
      // ONNX defines Clip with min > max (every output = max); the fused form does not.
      if (act.type != T::Relu && !(act.a.alpha <= act.a.beta)) continue;
      if (act.type == T::Relu) {
        p.a.act = efm::FusedActivation::Relu;
      } else {
        p.a.act = efm::FusedActivation::Clip;
        p.a.act_min = act.a.alpha;
        p.a.act_max = act.a.beta;
      }
      p.outputs[0] = act.outputs[0];
      u.producer[act.outputs[0]] = pi;
      dead[k] = true;
      ++stats->fused_nodes;
      stats->notes.push_back(absl::StrCat(efm::EnumNameOpType(act.type), " '", act.name,
                                          "' fused into ", efm::EnumNameOpType(p.type), " '",
                                          p.name, "'"));
    }
    Compact(g, dead);
  }
}

}  // namespace edge::compiler::internal
