// Recurrent kernels: LSTM and GRU as the ONNX operators define them (default activations
// sigmoid / tanh / tanh only; gate order LSTM i, o, f, c and GRU z, r, h; directions forward,
// reverse and bidirectional; layout 0 [seq, batch, ...] and 1 [batch, seq, ...]; optional
// sequence_lens, initial states, peepholes, clip, input_forget and linear_before_reset).
//
// Per step and direction the optimised path computes the gate pre-activations of the whole batch
// with two GEMM calls on the weights as stored (W [G*H, I] and R [G*H, H] are "column-major B"
// for the shared GEMM): g1 = X_t W^T + Wb, g2 = H_{t-1} R^T + g1, both into scratch; then the
// elementwise cell update. Batch entries whose sequence has ended (sequence_lens) keep their state
// and get zeros in Y, as in onnxruntime; in reverse direction each sequence is walked from its own
// last valid step.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"
#include "edge/status/try.h"
#include "internal_gemm.h"
#include "internal_nn.h"

namespace edge::runtime {
namespace {

using internal::GemmArgs;
using internal::HasInput;
using internal::HasOutput;
using internal::ScratchCarver;

// ONNX input and output positions.
enum : int { kX = 0, kW = 1, kR = 2, kB = 3, kLens = 4, kH0 = 5, kC0 = 6, kP = 7 };
enum : int { kY = 0, kYh = 1, kYc = 2 };

struct RnnGeom {
  bool gru = false;
  int gates = 4;  // G: 4 (LSTM) or 3 (GRU)
  int dirs = 1;
  efm::RnnDirection direction = efm::RnnDirection::Forward;
  int layout = 0;
  int32_t seq = 0, batch = 0, input = 0, hidden = 0;  // int32_t: shape dims (long on arm-none-eabi)
  float clip = 0.0f;
  bool input_forget = false;
  bool linear_before_reset = false;
  bool has_b = false, has_lens = false, has_h0 = false, has_c0 = false, has_p = false;
  bool has_y = false, has_yh = false, has_yc = false;
};

struct RnnScratch {
  float* g1 = nullptr;  // [batch, G*H]
  float* g2 = nullptr;  // [batch, G*H]
  float* h = nullptr;   // [batch, H]
  float* c = nullptr;   // [batch, H] (LSTM)
  float* rh = nullptr;  // [batch, H] (GRU, linear_before_reset = 0)
};

size_t CarveRnn(const RnnGeom& g, void* base, RnnScratch* s) {
  ScratchCarver sc(base);
  const size_t gh = static_cast<size_t>(g.batch) * g.gates * g.hidden;
  const size_t bh = static_cast<size_t>(g.batch) * g.hidden;
  s->g1 = sc.Take(gh);
  s->g2 = sc.Take(gh);
  s->h = sc.Take(bh);
  s->c = g.gru ? nullptr : sc.Take(bh);
  s->rh = g.gru ? sc.Take(bh) : nullptr;
  return base == nullptr ? sc.bytes() : sc.used();
}

bool ShapeIs(const Tensor& t, int rank, const int32_t* dims) {
  if (t.shape.rank != rank) return false;
  for (int i = 0; i < rank; ++i) {
    if (t.shape.dims[i] != dims[i]) return false;
  }
  return true;
}

Status ParseRnn(const OpContext& ctx, bool gru, RnnGeom* g) {
  g->gru = gru;
  g->gates = gru ? 3 : 4;
  if (ctx.num_inputs < 3 || !HasInput(ctx, kX) || !HasInput(ctx, kW) || !HasInput(ctx, kR)) {
    return OpFail(ctx, "expects inputs X, W, R");
  }
  const int max_inputs = gru ? 6 : 8;
  for (int i = max_inputs; i < ctx.num_inputs; ++i) {
    if (ctx.inputs[i].present) return OpFail(ctx, "too many inputs");
  }
  const int max_outputs = gru ? 2 : 3;
  for (int i = max_outputs; i < ctx.num_outputs; ++i) {
    if (ctx.outputs[i].present) return OpFail(ctx, "too many outputs");
  }
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_RnnOptions() : nullptr;
  if (o == nullptr) return OpFail(ctx, "missing RnnOptions");
  g->direction = o->direction();
  if (g->direction != efm::RnnDirection::Forward && g->direction != efm::RnnDirection::Reverse &&
      g->direction != efm::RnnDirection::Bidirectional) {
    return OpFail(ctx, "unknown direction");
  }
  g->dirs = g->direction == efm::RnnDirection::Bidirectional ? 2 : 1;
  g->layout = o->layout();
  if (g->layout != 0 && g->layout != 1) return OpFail(ctx, "layout must be 0 or 1");
  g->clip = o->clip();
  if (!(g->clip >= 0.0f) && !(g->clip < 0.0f)) return OpFail(ctx, "clip is NaN");
  g->input_forget = !gru && o->input_forget();
  g->linear_before_reset = gru && o->linear_before_reset();

  const Tensor& x = ctx.inputs[kX];
  const Tensor& w = ctx.inputs[kW];
  const Tensor& r = ctx.inputs[kR];
  for (int i = 0; i < ctx.num_inputs && i < max_inputs; ++i) {
    if (ctx.inputs[i].present && i != kLens && ctx.inputs[i].dtype != DType::kF32) {
      return OpFail(ctx, "input ", i, " must be f32");
    }
  }
  if (x.shape.rank != 3) return OpFail(ctx, "X must be 3-D");
  g->seq = x.shape.dims[g->layout == 0 ? 0 : 1];
  g->batch = x.shape.dims[g->layout == 0 ? 1 : 0];
  g->input = x.shape.dims[2];
  if (r.shape.rank != 3) return OpFail(ctx, "R must be 3-D");
  g->hidden = o->hidden_size() > 0 ? o->hidden_size() : r.shape.dims[2];
  if (static_cast<int64_t>(g->gates) * g->hidden > (int64_t{1} << 24)) {
    return OpFail(ctx, "hidden_size too large");
  }
  const int gh = g->gates * g->hidden;
  const int32_t wd[3] = {g->dirs, gh, g->input};
  const int32_t rd[3] = {g->dirs, gh, g->hidden};
  if (g->hidden < 1) return OpFail(ctx, "hidden_size must be >= 1");
  if (!ShapeIs(w, 3, wd)) {
    return OpFail(ctx, "W must be [", g->dirs, ", ", gh, ", ", g->input, "]");
  }
  if (!ShapeIs(r, 3, rd)) {
    return OpFail(ctx, "R must be [", g->dirs, ", ", gh, ", ", g->hidden, "]");
  }
  g->has_b = HasInput(ctx, kB);
  if (g->has_b) {
    const int32_t bd[2] = {g->dirs, 2 * gh};
    if (!ShapeIs(ctx.inputs[kB], 2, bd))
      return OpFail(ctx, "B must be [", g->dirs, ", ", 2 * gh, "]");
  }
  g->has_lens = HasInput(ctx, kLens);
  if (g->has_lens) {
    const Tensor& l = ctx.inputs[kLens];
    if (l.dtype != DType::kI32) return OpFail(ctx, "sequence_lens must be i32");
    if (!ShapeIs(l, 1, &g->batch)) return OpFail(ctx, "sequence_lens must be [", g->batch, "]");
  }
  // Initial states and Y_h / Y_c: [dirs, batch, H] (layout 0) or [batch, dirs, H] (layout 1).
  const int32_t sd0[3] = {g->dirs, g->batch, g->hidden};
  const int32_t sd1[3] = {g->batch, g->dirs, g->hidden};
  const int32_t* sd = g->layout == 0 ? sd0 : sd1;
  g->has_h0 = HasInput(ctx, kH0);
  if (g->has_h0 && !ShapeIs(ctx.inputs[kH0], 3, sd))
    return OpFail(ctx, "initial_h has the wrong shape");
  if (!gru) {
    g->has_c0 = HasInput(ctx, kC0);
    if (g->has_c0 && !ShapeIs(ctx.inputs[kC0], 3, sd)) {
      return OpFail(ctx, "initial_c has the wrong shape");
    }
    g->has_p = HasInput(ctx, kP);
    const int32_t pd[2] = {g->dirs, 3 * g->hidden};
    if (g->has_p && !ShapeIs(ctx.inputs[kP], 2, pd)) {
      return OpFail(ctx, "P must be [", g->dirs, ", ", 3 * g->hidden, "]");
    }
  }
  g->has_y = HasOutput(ctx, kY);
  g->has_yh = HasOutput(ctx, kYh);
  g->has_yc = !gru && HasOutput(ctx, kYc);
  for (int i = 0; i < max_outputs && i < ctx.num_outputs; ++i) {
    if (ctx.outputs[i].present && ctx.outputs[i].dtype != DType::kF32) {
      return OpFail(ctx, "outputs must be f32");
    }
  }
  if (g->has_y) {
    const int32_t y0[4] = {g->seq, g->dirs, g->batch, g->hidden};
    const int32_t y1[4] = {g->batch, g->seq, g->dirs, g->hidden};
    if (!ShapeIs(ctx.outputs[kY], 4, g->layout == 0 ? y0 : y1)) {
      return OpFail(ctx, "Y has the wrong shape");
    }
  }
  if (g->has_yh && !ShapeIs(ctx.outputs[kYh], 3, sd)) return OpFail(ctx, "Y_h has the wrong shape");
  if (g->has_yc && !ShapeIs(ctx.outputs[kYc], 3, sd)) return OpFail(ctx, "Y_c has the wrong shape");
  return OkStatus();
}

// Element offsets of [d, b, :] in a state-shaped tensor and of [t, d, b, :] in Y.
int64_t StateOffset(const RnnGeom& g, int d, int b) {
  return g.layout == 0 ? (static_cast<int64_t>(d) * g.batch + b) * g.hidden
                       : (static_cast<int64_t>(b) * g.dirs + d) * g.hidden;
}
int64_t YOffset(const RnnGeom& g, int t, int d, int b) {
  return g.layout == 0 ? ((static_cast<int64_t>(t) * g.dirs + d) * g.batch + b) * g.hidden
                       : ((static_cast<int64_t>(b) * g.seq + t) * g.dirs + d) * g.hidden;
}
int64_t XOffset(const RnnGeom& g, int t, int b) {
  return g.layout == 0 ? (static_cast<int64_t>(t) * g.batch + b) * g.input
                       : (static_cast<int64_t>(b) * g.seq + t) * g.input;
}

inline float Sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }
inline float Clip(float v, float clip) {
  if (clip <= 0.0f) return v;
  return v < -clip ? -clip : (v > clip ? clip : v);
}

Status CheckLens(const OpContext& ctx, const RnnGeom& g) {
  if (!g.has_lens) return OkStatus();
  const int32_t* lens = ctx.inputs[kLens].i32();
  for (int b = 0; b < g.batch; ++b) {
    if (lens[b] < 0 || lens[b] > g.seq) {
      return OpFail(ctx, "sequence_lens[", b, "] = ", lens[b], " is outside [0, ", g.seq, "]");
    }
  }
  return OkStatus();
}

int SeqLen(const OpContext& ctx, const RnnGeom& g, int b) {
  return g.has_lens ? ctx.inputs[kLens].i32()[b] : g.seq;
}

// Gate pre-activations of direction d at step t into s.g2 (LSTM: without Rb; GRU: see below).
// reference: textbook dot products instead of the GEMM.
void GatePreactivations(const OpContext& ctx, const RnnGeom& g, int d, int t, const RnnScratch& s) {
  const int gh = g.gates * g.hidden;
  const float* x = ctx.inputs[kX].f32();
  const float* w = ctx.inputs[kW].f32() + static_cast<int64_t>(d) * gh * g.input;
  const float* r = ctx.inputs[kR].f32() + static_cast<int64_t>(d) * gh * g.hidden;
  const float* wb = g.has_b ? ctx.inputs[kB].f32() + static_cast<int64_t>(d) * 2 * gh : nullptr;
  const float* rb = wb != nullptr ? wb + gh : nullptr;
  const bool split_h = g.gru && !g.linear_before_reset;  // GRU h gate needs r first
  if (ctx.reference) {
    for (int b = 0; b < g.batch; ++b) {
      const float* xt = x + XOffset(g, t, b);
      const float* hp = s.h + static_cast<int64_t>(b) * g.hidden;
      for (int n = 0; n < gh; ++n) {
        float sx = 0.0f, sh = 0.0f;
        for (int k = 0; k < g.input; ++k) sx += xt[k] * w[static_cast<int64_t>(n) * g.input + k];
        s.g1[static_cast<int64_t>(b) * gh + n] = sx + (wb != nullptr ? wb[n] : 0.0f);
        if (split_h && n >= 2 * g.hidden) continue;
        for (int k = 0; k < g.hidden; ++k) sh += hp[k] * r[static_cast<int64_t>(n) * g.hidden + k];
        if (g.gru) {
          s.g2[static_cast<int64_t>(b) * gh + n] = sh + (rb != nullptr ? rb[n] : 0.0f);
        } else {
          s.g2[static_cast<int64_t>(b) * gh + n] = sh + s.g1[static_cast<int64_t>(b) * gh + n];
        }
      }
    }
    return;
  }
  // g1 = X_t W^T + Wb
  GemmArgs a;
  a.m = g.batch;
  a.n = gh;
  a.k = g.input;
  a.a = x + XOffset(g, t, 0);
  a.a_rs = g.layout == 0 ? g.input : static_cast<int64_t>(g.seq) * g.input;
  a.a_cs = 1;
  a.b = w;
  a.b_rs = 1;
  a.b_cs = g.input;
  a.y = s.g1;
  a.y_rs = gh;
  a.c = wb;
  a.c_rs = 0;
  a.c_cs = 1;
  internal::Gemm(a);
  // LSTM: g2 = H R^T + g1. GRU: g2 = H R^T + Rb (only the z, r rows when the h gate needs r).
  GemmArgs h;
  h.m = g.batch;
  h.n = split_h ? 2 * g.hidden : gh;
  h.k = g.hidden;
  h.a = s.h;
  h.a_rs = g.hidden;
  h.a_cs = 1;
  h.b = r;
  h.b_rs = 1;
  h.b_cs = g.hidden;
  h.y = s.g2;
  h.y_rs = gh;
  if (g.gru) {
    h.c = rb;
    h.c_rs = 0;
    h.c_cs = 1;
  } else {
    h.c = s.g1;
    h.c_rs = gh;
    h.c_cs = 1;
  }
  internal::Gemm(h);
}

// GRU, linear_before_reset = 0: g2[:, 2H:3H] = (r * H) Rh^T + Rbh, with r already in s.rh's
// place computed by the caller as r * H_{t-1}.
void GruResetProduct(const OpContext& ctx, const RnnGeom& g, int d, const RnnScratch& s) {
  const int gh = g.gates * g.hidden;
  const float* rh_w =
      ctx.inputs[kR].f32() + (static_cast<int64_t>(d) * gh + 2 * g.hidden) * g.hidden;
  const float* rbh =
      g.has_b ? ctx.inputs[kB].f32() + static_cast<int64_t>(d) * 2 * gh + gh + 2 * g.hidden
              : nullptr;
  if (ctx.reference) {
    for (int b = 0; b < g.batch; ++b) {
      const float* in = s.rh + static_cast<int64_t>(b) * g.hidden;
      for (int n = 0; n < g.hidden; ++n) {
        float sum = 0.0f;
        for (int k = 0; k < g.hidden; ++k)
          sum += in[k] * rh_w[static_cast<int64_t>(n) * g.hidden + k];
        s.g2[static_cast<int64_t>(b) * gh + 2 * g.hidden + n] =
            sum + (rbh != nullptr ? rbh[n] : 0.0f);
      }
    }
    return;
  }
  GemmArgs a;
  a.m = g.batch;
  a.n = g.hidden;
  a.k = g.hidden;
  a.a = s.rh;
  a.a_rs = g.hidden;
  a.a_cs = 1;
  a.b = rh_w;
  a.b_rs = 1;
  a.b_cs = g.hidden;
  a.y = s.g2 + 2 * g.hidden;
  a.y_rs = gh;
  a.c = rbh;
  a.c_rs = 0;
  a.c_cs = 1;
  internal::Gemm(a);
}

Status EvalRnn(const OpContext& ctx, bool gru) {
  RnnGeom g;
  EDGE_TRY(ParseRnn(ctx, gru, &g));
  EDGE_TRY(CheckLens(ctx, g));
  RnnScratch s;
  if (CarveRnn(g, ctx.scratch, &s) > ctx.scratch_bytes) return OpFail(ctx, "scratch too small");
  const int hs = g.hidden;
  const int gh = g.gates * hs;
  float* y = g.has_y ? ctx.outputs[kY].f32() : nullptr;
  if (y != nullptr) {
    // Steps past a sequence's end stay zero.
    const int64_t n = ctx.outputs[kY].elements();
    for (int64_t i = 0; i < n; ++i) y[i] = 0.0f;
  }
  for (int d = 0; d < g.dirs; ++d) {
    const bool reverse = g.direction == efm::RnnDirection::Reverse || d == 1;
    for (int b = 0; b < g.batch; ++b) {
      const int64_t so = StateOffset(g, d, b);
      for (int j = 0; j < hs; ++j) {
        s.h[b * hs + j] = g.has_h0 ? ctx.inputs[kH0].f32()[so + j] : 0.0f;
        if (!gru) s.c[b * hs + j] = g.has_c0 ? ctx.inputs[kC0].f32()[so + j] : 0.0f;
      }
    }
    const float* wb = g.has_b ? ctx.inputs[kB].f32() + static_cast<int64_t>(d) * 2 * gh : nullptr;
    const float* rb = wb != nullptr ? wb + gh : nullptr;
    const float* p = g.has_p ? ctx.inputs[kP].f32() + static_cast<int64_t>(d) * 3 * hs : nullptr;
    for (int step = 0; step < g.seq; ++step) {
      const int t = reverse ? g.seq - 1 - step : step;
      GatePreactivations(ctx, g, d, t, s);
      if (gru && !g.linear_before_reset) {
        // r first, then (r * H_{t-1}) Rh^T.
        for (int b = 0; b < g.batch; ++b) {
          const float* g1 = s.g1 + static_cast<int64_t>(b) * gh;
          const float* g2 = s.g2 + static_cast<int64_t>(b) * gh;
          for (int j = 0; j < hs; ++j) {
            const float rg = Sigmoid(Clip(g1[hs + j] + g2[hs + j], g.clip));
            s.rh[b * hs + j] = rg * s.h[b * hs + j];
          }
        }
        GruResetProduct(ctx, g, d, s);
      }
      for (int b = 0; b < g.batch; ++b) {
        if (t >= SeqLen(ctx, g, b)) continue;
        const float* g1 = s.g1 + static_cast<int64_t>(b) * gh;
        const float* g2 = s.g2 + static_cast<int64_t>(b) * gh;
        float* h = s.h + static_cast<int64_t>(b) * hs;
        if (gru) {
          for (int j = 0; j < hs; ++j) {
            const float z = Sigmoid(Clip(g1[j] + g2[j], g.clip));
            float pre;
            if (g.linear_before_reset) {
              const float rg = Sigmoid(Clip(g1[hs + j] + g2[hs + j], g.clip));
              pre = g1[2 * hs + j] + rg * g2[2 * hs + j];
            } else {
              pre = g1[2 * hs + j] + g2[2 * hs + j];
            }
            const float ht = std::tanh(Clip(pre, g.clip));
            h[j] = (1.0f - z) * ht + z * h[j];
          }
        } else {
          float* c = s.c + static_cast<int64_t>(b) * hs;
          for (int j = 0; j < hs; ++j) {
            const float rbi = rb != nullptr ? rb[j] : 0.0f;
            const float rbo = rb != nullptr ? rb[hs + j] : 0.0f;
            const float rbf = rb != nullptr ? rb[2 * hs + j] : 0.0f;
            const float rbc = rb != nullptr ? rb[3 * hs + j] : 0.0f;
            float pi = g2[j] + rbi, po = g2[hs + j] + rbo;
            float pf = g2[2 * hs + j] + rbf;
            const float pc = g2[3 * hs + j] + rbc;
            if (p != nullptr) {
              pi += p[j] * c[j];
              pf += p[2 * hs + j] * c[j];
            }
            const float ig = Sigmoid(Clip(pi, g.clip));
            const float fg = g.input_forget ? 1.0f - ig : Sigmoid(Clip(pf, g.clip));
            const float cg = std::tanh(Clip(pc, g.clip));
            c[j] = fg * c[j] + ig * cg;
            if (p != nullptr) po += p[hs + j] * c[j];
            const float og = Sigmoid(Clip(po, g.clip));
            h[j] = og * std::tanh(c[j]);
          }
        }
        if (y != nullptr) {
          float* yo = y + YOffset(g, t, d, b);
          for (int j = 0; j < hs; ++j) yo[j] = h[j];
        }
      }
    }
    for (int b = 0; b < g.batch; ++b) {
      const int64_t so = StateOffset(g, d, b);
      if (g.has_yh) {
        for (int j = 0; j < hs; ++j) ctx.outputs[kYh].f32()[so + j] = s.h[b * hs + j];
      }
      if (g.has_yc) {
        for (int j = 0; j < hs; ++j) ctx.outputs[kYc].f32()[so + j] = s.c[b * hs + j];
      }
    }
  }
  return OkStatus();
}

Status PrepareRnn(const OpContext& ctx, bool gru, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  RnnGeom g;
  EDGE_TRY(ParseRnn(ctx, gru, &g));
  RnnScratch s;
  *scratch_bytes = CarveRnn(g, nullptr, &s);
  return OkStatus();
}

}  // namespace

Status PrepareLstm(const OpContext& ctx, size_t* scratch_bytes) {
  return PrepareRnn(ctx, /*gru=*/false, scratch_bytes);
}
Status EvalLstm(const OpContext& ctx) { return EvalRnn(ctx, /*gru=*/false); }
Status PrepareGru(const OpContext& ctx, size_t* scratch_bytes) {
  return PrepareRnn(ctx, /*gru=*/true, scratch_bytes);
}
Status EvalGru(const OpContext& ctx) { return EvalRnn(ctx, /*gru=*/true); }

}  // namespace edge::runtime
