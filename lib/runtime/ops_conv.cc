// Convolution-family kernels: Conv and ConvTranspose (1-D and 2-D), MaxPool / AveragePool
// (1-D to 3-D), GlobalAveragePool / GlobalMaxPool and BatchNormalization (inference).
//
// Conv runs as im2col + the shared GEMM (internal_gemm.h): for each image and group, the
// receptive fields of a tile of output positions are copied into scratch as a [C/g * kH * kW,
// positions] matrix (rows 64-byte aligned, padding taps written as zeros, the valid range of
// every row computed up front), and Y[oc, p] = W[oc, :] . col[:, p] + bias. 1x1 stride-1
// unpadded convolutions read X directly. ConvTranspose is the mirror image: col = W^T . X, then
// col2im scatters the columns into Y. The reference implementations are the textbook loops.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "edge/runtime/internal/kernel_util.h"
#include "edge/runtime/internal/op_context.h"
#include "edge/status/try.h"
#include "internal_gemm.h"
#include "internal_nn.h"

namespace edge::runtime {
namespace {

using internal::FusedActOf;
using internal::FusedActValid;
using internal::GemmArgs;
using internal::HasInput;
using internal::HasOutput;
using internal::ScratchCarver;

// Target size of an im2col / col2im tile, in floats (the tile is at least 32 positions wide).
constexpr size_t kColBudgetFloats = 16384;

Status CheckF32(const OpContext& ctx, const Tensor& t, const char* what) {
  if (t.dtype != DType::kF32) return OpFail(ctx, what, " must be f32");
  return OkStatus();
}

// Reads an optional per-axis attribute: absent or empty -> `def` on every axis.
bool ReadAxes(const flatbuffers::Vector<int32_t>* v, int count, int32_t def, int32_t* out) {
  if (v == nullptr || v->size() == 0) {
    for (int i = 0; i < count; ++i) out[i] = def;
    return true;
  }
  if (static_cast<int>(v->size()) != count) return false;
  for (int i = 0; i < count; ++i) out[i] = v->Get(i);
  return true;
}

int64_t CeilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// ---- Conv / ConvTranspose geometry ----

// 1-D convolutions are 2-D ones with height 1.
struct ConvGeom {
  int n = 0, c = 0, oc = 0, group = 1, cg = 0, ocg = 0;
  int ih = 1, iw = 1, oh = 1, ow = 1;
  int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int ph = 0, pw = 0, peh = 0, pew = 0;  // begin and end pads
  int oph = 0, opw = 0;                  // ConvTranspose output_padding
  int ckk = 0;                           // C/g * kh * kw (Conv), OC/g * kh * kw (ConvTranspose)
  bool has_bias = false;
  FusedAct act;
  // Scratch plan.
  bool direct = false;   // Conv 1x1 / stride 1 / no pads: X is the GEMM's B
  bool wide = false;     // Conv with unit horizontal stride: padded copy + wide output grid
  int phw = 0, pww = 0;  // wide: padded input height and width (= wide grid width)
  int tile = 0;          // positions per tile (wide: output rows per tile)
  int ldc = 0;           // row stride of the col buffer
};

Status ParseConv(const OpContext& ctx, bool transpose, ConvGeom* g) {
  if (ctx.num_inputs < 2 || !HasInput(ctx, 0) || !HasInput(ctx, 1) || !HasOutput(ctx, 0)) {
    return OpFail(ctx, "expects inputs X, W[, B] and output Y");
  }
  const Tensor& x = ctx.inputs[0];
  const Tensor& w = ctx.inputs[1];
  const Tensor& y = ctx.outputs[0];
  EDGE_TRY(CheckF32(ctx, x, "X"));
  EDGE_TRY(CheckF32(ctx, w, "W"));
  EDGE_TRY(CheckF32(ctx, y, "Y"));
  const int rank = x.shape.rank;
  if (rank != 3 && rank != 4) {
    return OpFail(ctx, "X has rank ", rank, "; only 1-D and 2-D (rank 3 or 4) are supported");
  }
  if (w.shape.rank != rank || y.shape.rank != rank) {
    return OpFail(ctx, "X, W and Y must have the same rank");
  }
  const int sp = rank - 2;
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_ConvOptions() : nullptr;
  int32_t ks[2], st[2], dl[2], pd[4], op[2];
  const bool ok = ReadAxes(o ? o->kernel_shape() : nullptr, sp, 0, ks) &&
                  ReadAxes(o ? o->strides() : nullptr, sp, 1, st) &&
                  ReadAxes(o ? o->dilations() : nullptr, sp, 1, dl) &&
                  ReadAxes(o ? o->pads() : nullptr, 2 * sp, 0, pd) &&
                  ReadAxes(o ? o->output_padding() : nullptr, sp, 0, op);
  if (!ok) return OpFail(ctx, "kernel_shape, strides, dilations, pads or output_padding length");
  g->group = o != nullptr ? o->group() : 1;
  g->act = FusedActOf(o);
  if (!FusedActValid(g->act)) return OpFail(ctx, "invalid fused activation");
  if (g->group < 1) return OpFail(ctx, "group must be >= 1");
  g->n = x.shape.dims[0];
  g->c = x.shape.dims[1];
  if (g->c % g->group != 0) return OpFail(ctx, "channels ", g->c, " not divisible by group");
  g->cg = g->c / g->group;
  if (!transpose) {
    g->oc = w.shape.dims[0];
    if (g->oc % g->group != 0) return OpFail(ctx, "W.dims[0] not divisible by group");
    if (w.shape.dims[1] != g->cg) return OpFail(ctx, "W.dims[1] must be C/group = ", g->cg);
  } else {
    if (w.shape.dims[0] != g->c) return OpFail(ctx, "W.dims[0] must be C = ", g->c);
    g->oc = w.shape.dims[1] * g->group;
  }
  g->ocg = g->oc / g->group;
  for (int i = 0; i < sp; ++i) {
    if (ks[i] != 0 && ks[i] != w.shape.dims[2 + i]) {
      return OpFail(ctx, "kernel_shape does not match W");
    }
    if (st[i] < 1 || dl[i] < 1 || pd[i] < 0 || pd[sp + i] < 0 || op[i] < 0) {
      return OpFail(ctx, "strides and dilations must be >= 1, pads >= 0");
    }
    if (w.shape.dims[2 + i] < 1) return OpFail(ctx, "empty kernel");
  }
  // Axis 0 of the 2-D geometry is H (unit for 1-D), axis 1 is W.
  const int h = sp == 2 ? 0 : -1, wd = sp - 1;
  if (h >= 0) {
    g->ih = x.shape.dims[2];
    g->kh = w.shape.dims[2];
    g->sh = st[h];
    g->dh = dl[h];
    g->ph = pd[h];
    g->peh = pd[sp + h];
    g->oph = op[h];
  }
  g->iw = x.shape.dims[2 + wd];
  g->kw = w.shape.dims[2 + wd];
  g->sw = st[wd];
  g->dw = dl[wd];
  g->pw = pd[wd];
  g->pew = pd[sp + wd];
  g->opw = op[wd];
  if (g->oph >= g->sh && g->oph >= g->dh && g->oph > 0) {
    return OpFail(ctx, "output_padding must be smaller than stride or dilation");
  }
  if (g->opw >= g->sw && g->opw >= g->dw && g->opw > 0) {
    return OpFail(ctx, "output_padding must be smaller than stride or dilation");
  }
  // Expected output size per axis.
  int64_t want[2];
  const int32_t in_d[2] = {g->ih, g->iw}, k_d[2] = {g->kh, g->kw}, s_d[2] = {g->sh, g->sw};
  const int32_t d_d[2] = {g->dh, g->dw}, pb_d[2] = {g->ph, g->pw}, pe_d[2] = {g->peh, g->pew};
  const int32_t op_d[2] = {g->oph, g->opw};
  for (int i = 0; i < 2; ++i) {
    const int64_t span = static_cast<int64_t>(d_d[i]) * (k_d[i] - 1) + 1;
    if (!transpose) {
      const int64_t num = static_cast<int64_t>(in_d[i]) + pb_d[i] + pe_d[i] - span;
      want[i] = num < 0 ? 0 : num / s_d[i] + 1;
    } else {
      want[i] = static_cast<int64_t>(s_d[i]) * (in_d[i] - 1) + op_d[i] + span - pb_d[i] - pe_d[i];
    }
  }
  const int32_t got_h = h >= 0 ? y.shape.dims[2] : 1, got_w = y.shape.dims[2 + wd];
  if (y.shape.dims[0] != g->n || y.shape.dims[1] != g->oc) {
    return OpFail(ctx, "output Y must have ", g->n, " x ", g->oc, " leading dims");
  }
  if (want[0] < 1 || want[1] < 1) return OpFail(ctx, "the kernel does not fit the padded input");
  if (got_h != want[0] || got_w != want[1]) {
    return OpFail(ctx, "output Y spatial dims ", got_h, "x", got_w, " differ from expected ",
                  want[0], "x", want[1]);
  }
  g->oh = got_h;
  g->ow = got_w;
  if (HasInput(ctx, 2)) {
    const Tensor& b = ctx.inputs[2];
    EDGE_TRY(CheckF32(ctx, b, "B"));
    if (b.shape.rank != 1 || b.shape.dims[0] != g->oc)
      return OpFail(ctx, "B must be [", g->oc, "]");
    g->has_bias = true;
  }
  {
    // Bound the geometry before any int arithmetic: a zero-size W or Y does not bound the kernel
    // size or the pads through the tensor size limit (found by review: kh * kw wrapped to 0).
    constexpr int64_t kLimit = int64_t{1} << 24;
    const int64_t kk64 = static_cast<int64_t>(g->kh) * g->kw;
    const int64_t ckk64 = static_cast<int64_t>(transpose ? g->ocg : g->cg) * kk64;
    const int64_t ph64 = static_cast<int64_t>(g->ih) + g->ph + g->peh;
    const int64_t pw64 = static_cast<int64_t>(g->iw) + g->pw + g->pew;
    if (kk64 > kLimit || ckk64 > kLimit || ph64 > kLimit || pw64 > kLimit) {
      return OpFail(ctx, "kernel or padded input too large (limit ", kLimit, ")");
    }
  }
  const int kk = g->kh * g->kw;
  g->ckk = (transpose ? g->ocg : g->cg) * kk;
  // Tiles: Conv over output positions, ConvTranspose over input positions.
  const int64_t positions =
      transpose ? static_cast<int64_t>(g->ih) * g->iw : static_cast<int64_t>(g->oh) * g->ow;
  g->direct = !transpose && kk == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
              g->peh == 0 && g->pew == 0;
  g->wide = !transpose && !g->direct && g->sw == 1;
  const int64_t ckk = g->ckk > 0 ? g->ckk : 1;
  if (g->wide) {
    // Output rows are computed PW wide (the padded input width): every col row of a tile is then
    // one contiguous run of the padded input (per output row when sh > 1).
    g->phw = g->ih + g->ph + g->peh;
    g->pww = g->iw + g->pw + g->pew;
    int64_t rows = static_cast<int64_t>(kColBudgetFloats) / (ckk * g->pww);
    if (rows < 1) rows = 1;
    if (rows > g->oh) rows = g->oh;
    g->tile = static_cast<int>(rows);
    g->ldc = static_cast<int>(internal::AlignUp(static_cast<size_t>(rows * g->pww), 16));
  } else {
    int64_t tile = static_cast<int64_t>(kColBudgetFloats) / ckk;
    tile = tile < 32 ? 32 : tile / 16 * 16;
    if (tile >= positions) tile = positions;
    g->tile = static_cast<int>(tile);
    g->ldc = static_cast<int>(internal::AlignUp(static_cast<size_t>(tile), 16));
  }
  return OkStatus();
}

struct ConvBuffers {
  float* col = nullptr;    // [ckk, ldc]
  float* xpad = nullptr;   // wide: [C/g, PH, PW] + one spare row of zeros
  float* ywide = nullptr;  // wide: [OC/g, ldc]
};

size_t ConvScratch(const ConvGeom& g, void* base, ConvBuffers* b) {
  ScratchCarver sc(base);
  *b = ConvBuffers();
  if (!g.direct && g.ckk > 0) b->col = sc.Take(static_cast<size_t>(g.ckk) * g.ldc);
  if (g.wide) {
    b->xpad = sc.Take((static_cast<size_t>(g.cg) * g.phw + 1) * g.pww);
    b->ywide = sc.Take(static_cast<size_t>(g.ocg) * g.ldc);
  }
  return base == nullptr ? sc.bytes() : sc.used();
}

// Wide path: the group's input channels with their pads, plus a spare zero row (the wide grid's
// last columns read up to (kW - 1) * dW floats past the last padded row).
EDGE_KERNEL_CLONES void PadInput(const ConvGeom& g, const float* EDGE_RESTRICT x,
                                 float* EDGE_RESTRICT xpad) {
  const int64_t plane = static_cast<int64_t>(g.phw) * g.pww;
  for (int64_t i = 0; i < plane * g.cg + g.pww; ++i) xpad[i] = 0.0f;
  for (int ic = 0; ic < g.cg; ++ic) {
    for (int ih = 0; ih < g.ih; ++ih) {
      const float* EDGE_RESTRICT s = x + (static_cast<int64_t>(ic) * g.ih + ih) * g.iw;
      float* EDGE_RESTRICT d = xpad + ic * plane + static_cast<int64_t>(ih + g.ph) * g.pww + g.pw;
      for (int iw = 0; iw < g.iw; ++iw) d[iw] = s[iw];
    }
  }
}

// Wide path: col[(ic, kh, kw), (r, j)] = xpad[ic, (oh0 + r) * sh + kh * dh, j + kw * dw] for
// output rows oh0 + r, r < rows, and wide columns j < PW.
EDGE_KERNEL_CLONES void Im2colWide(const ConvGeom& g, const float* EDGE_RESTRICT xpad, int oh0,
                                   int rows, float* EDGE_RESTRICT col) {
  const int64_t plane = static_cast<int64_t>(g.phw) * g.pww;
  const int64_t run = g.sh == 1 ? static_cast<int64_t>(rows) * g.pww : g.pww;
  const int runs = g.sh == 1 ? 1 : rows;
  for (int ic = 0; ic < g.cg; ++ic) {
    for (int kh = 0; kh < g.kh; ++kh) {
      for (int kw = 0; kw < g.kw; ++kw) {
        float* EDGE_RESTRICT d = col + (static_cast<int64_t>(ic * g.kh + kh) * g.kw + kw) * g.ldc;
        for (int r = 0; r < runs; ++r) {
          const float* EDGE_RESTRICT s =
              xpad + ic * plane + (static_cast<int64_t>(oh0 + r) * g.sh + kh * g.dh) * g.pww +
              kw * g.dw;
          float* EDGE_RESTRICT dr = d + static_cast<int64_t>(r) * g.pww;
          for (int64_t j = 0; j < run; ++j) dr[j] = s[j];
        }
      }
    }
  }
}

// Wide path: the first OW columns of every wide output row into Y.
void CompactRows(const ConvGeom& g, const float* ywide, int oh0, int rows, float* y) {
  const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow;
  for (int o = 0; o < g.ocg; ++o) {
    for (int r = 0; r < rows; ++r) {
      const float* s = ywide + static_cast<int64_t>(o) * g.ldc + static_cast<int64_t>(r) * g.pww;
      float* d = y + o * out_plane + static_cast<int64_t>(oh0 + r) * g.ow;
      std::memcpy(d, s, sizeof(float) * static_cast<size_t>(g.ow));
    }
  }
}

// Calls f(row, c0, c1, offset) for each run of consecutive positions [p0, p0 + count) of a grid
// `width` wide: positions row * width + [c0, c1), `offset` positions after p0.
template <typename F>
void ForEachRun(int64_t p0, int64_t count, int width, F&& f) {
  int64_t p = p0, done = 0;
  while (done < count) {
    const int row = static_cast<int>(p / width);
    const int c0 = static_cast<int>(p - static_cast<int64_t>(row) * width);
    int64_t c1 = c0 + (count - done);
    if (c1 > width) c1 = width;
    f(row, c0, static_cast<int>(c1), done);
    done += c1 - c0;
    p += c1 - c0;
  }
}

// Columns o of a tap at offset `shift` (= k * dilation - pad) read input o * stride + shift;
// returns the range [lo, hi) of o for which that lies in [0, size).
void ValidRange(int size, int stride, int shift, int* lo, int* hi) {
  *lo = static_cast<int>(CeilDiv(-static_cast<int64_t>(shift), stride));
  if (*lo < 0) *lo = 0;
  *hi = static_cast<int>(CeilDiv(static_cast<int64_t>(size) - shift, stride));
  if (*hi < 0) *hi = 0;
}

// General path (horizontal stride > 1): col[(ic, kh, kw), p - p0] for output positions p in
// [p0, p0 + count), padding taps as zeros.
EDGE_KERNEL_CLONES void Im2col(const ConvGeom& g, const float* EDGE_RESTRICT x, int64_t p0,
                               int count, float* EDGE_RESTRICT col) {
  for (int ic = 0; ic < g.cg; ++ic) {
    const float* xc = x + static_cast<int64_t>(ic) * g.ih * g.iw;
    for (int kh = 0; kh < g.kh; ++kh) {
      for (int kw = 0; kw < g.kw; ++kw) {
        float* EDGE_RESTRICT dst = col + (static_cast<int64_t>(ic * g.kh + kh) * g.kw + kw) * g.ldc;
        const int shift_w = kw * g.dw - g.pw;
        int wlo, whi;
        ValidRange(g.iw, g.sw, shift_w, &wlo, &whi);
        // Runs of consecutive positions within one output row.
        int64_t p = p0, done = 0;
        while (done < count) {
          const int oh = static_cast<int>(p / g.ow);
          const int c0 = static_cast<int>(p - static_cast<int64_t>(oh) * g.ow);
          const int c1 = static_cast<int>(c0 + (count - done) < g.ow ? c0 + (count - done) : g.ow);
          float* EDGE_RESTRICT d = dst + done;  // d[o - c0] for output column o in [c0, c1)
          const int ih = oh * g.sh + kh * g.dh - g.ph;
          if (ih < 0 || ih >= g.ih) {
            for (int o = c0; o < c1; ++o) d[o - c0] = 0.0f;
          } else {
            const int lo = wlo > c0 ? (wlo < c1 ? wlo : c1) : c0;
            const int hi = whi < c1 ? (whi > lo ? whi : lo) : c1;
            const float* EDGE_RESTRICT s = xc + static_cast<int64_t>(ih) * g.iw;
            for (int o = c0; o < lo; ++o) d[o - c0] = 0.0f;
            for (int o = lo; o < hi; ++o) d[o - c0] = s[static_cast<int64_t>(o) * g.sw + shift_w];
            for (int o = hi; o < c1; ++o) d[o - c0] = 0.0f;
          }
          done += c1 - c0;
          p += c1 - c0;
        }
      }
    }
  }
}

EDGE_KERNEL_CLONES void Col2im(const ConvGeom& g, const float* EDGE_RESTRICT col, int64_t p0,
                               int count, float* EDGE_RESTRICT y) {
  for (int o = 0; o < g.ocg; ++o) {
    float* yc = y + static_cast<int64_t>(o) * g.oh * g.ow;
    for (int kh = 0; kh < g.kh; ++kh) {
      for (int kw = 0; kw < g.kw; ++kw) {
        const float* EDGE_RESTRICT src =
            col + (static_cast<int64_t>(o * g.kh + kh) * g.kw + kw) * g.ldc;
        const int shift_w = kw * g.dw - g.pw;
        int wlo, whi;  // input columns iw whose output column iw * sw + shift_w is in range
        ValidRange(g.ow, g.sw, shift_w, &wlo, &whi);
        ForEachRun(p0, count, g.iw, [&](int ih, int c0, int c1, int64_t off) {
          const int oh = ih * g.sh + kh * g.dh - g.ph;
          if (oh < 0 || oh >= g.oh) return;
          const float* EDGE_RESTRICT s = src + off;  // s[i - c0] for input column i in [c0, c1)
          const int lo = wlo > c0 ? wlo : c0;
          const int hi = whi < c1 ? whi : c1;
          float* EDGE_RESTRICT d = yc + static_cast<int64_t>(oh) * g.ow;
          if (g.sw == 1) {
            for (int i = lo; i < hi; ++i) d[i + shift_w] += s[i - c0];
          } else {
            for (int i = lo; i < hi; ++i) d[static_cast<int64_t>(i) * g.sw + shift_w] += s[i - c0];
          }
        });
      }
    }
  }
}

void ConvReference(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  for (int b = 0; b < g.n; ++b) {
    for (int oc = 0; oc < g.oc; ++oc) {
      const int grp = oc / g.ocg;
      for (int oh = 0; oh < g.oh; ++oh) {
        for (int ow = 0; ow < g.ow; ++ow) {
          float s = 0.0f;
          for (int ic = 0; ic < g.cg; ++ic) {
            for (int kh = 0; kh < g.kh; ++kh) {
              for (int kw = 0; kw < g.kw; ++kw) {
                const int ih = oh * g.sh + kh * g.dh - g.ph;
                const int iw = ow * g.sw + kw * g.dw - g.pw;
                if (ih < 0 || ih >= g.ih || iw < 0 || iw >= g.iw) continue;
                const float xv =
                    x[((static_cast<int64_t>(b) * g.c + grp * g.cg + ic) * g.ih + ih) * g.iw + iw];
                const float wv =
                    w[((static_cast<int64_t>(oc) * g.cg + ic) * g.kh + kh) * g.kw + kw];
                s += xv * wv;
              }
            }
          }
          if (bias != nullptr) s += bias[oc];
          float* out = y + ((static_cast<int64_t>(b) * g.oc + oc) * g.oh + oh) * g.ow + ow;
          *out = s;
          ApplyFusedActivation(g.act, out, 1);
        }
      }
    }
  }
}

void ConvTransposeReference(const ConvGeom& g, const float* x, const float* w, const float* bias,
                            float* y) {
  const int64_t plane = static_cast<int64_t>(g.oh) * g.ow;
  for (int b = 0; b < g.n; ++b) {
    for (int oc = 0; oc < g.oc; ++oc) {
      float* yp = y + (static_cast<int64_t>(b) * g.oc + oc) * plane;
      for (int64_t i = 0; i < plane; ++i) yp[i] = bias != nullptr ? bias[oc] : 0.0f;
    }
    for (int ic = 0; ic < g.c; ++ic) {
      const int grp = ic / g.cg;
      for (int ih = 0; ih < g.ih; ++ih) {
        for (int iw = 0; iw < g.iw; ++iw) {
          const float xv = x[((static_cast<int64_t>(b) * g.c + ic) * g.ih + ih) * g.iw + iw];
          for (int o = 0; o < g.ocg; ++o) {
            const int oc = grp * g.ocg + o;
            for (int kh = 0; kh < g.kh; ++kh) {
              for (int kw = 0; kw < g.kw; ++kw) {
                const int oh = ih * g.sh + kh * g.dh - g.ph;
                const int ow = iw * g.sw + kw * g.dw - g.pw;
                if (oh < 0 || oh >= g.oh || ow < 0 || ow >= g.ow) continue;
                const float wv =
                    w[((static_cast<int64_t>(ic) * g.ocg + o) * g.kh + kh) * g.kw + kw];
                y[((static_cast<int64_t>(b) * g.oc + oc) * g.oh + oh) * g.ow + ow] += xv * wv;
              }
            }
          }
        }
      }
    }
  }
  ApplyFusedActivation(g.act, y, static_cast<size_t>(static_cast<int64_t>(g.n) * g.oc * plane));
}

}  // namespace

Status PrepareConv(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  ConvGeom g;
  EDGE_TRY(ParseConv(ctx, /*transpose=*/false, &g));
  ConvBuffers bufs;
  *scratch_bytes = ConvScratch(g, nullptr, &bufs);
  return OkStatus();
}

Status EvalConv(const OpContext& ctx) {
  ConvGeom g;
  EDGE_TRY(ParseConv(ctx, /*transpose=*/false, &g));
  const float* x = ctx.inputs[0].f32();
  const float* w = ctx.inputs[1].f32();
  const float* bias = g.has_bias ? ctx.inputs[2].f32() : nullptr;
  float* y = ctx.outputs[0].f32();
  if (ctx.reference) {
    ConvReference(g, x, w, bias, y);
    return OkStatus();
  }
  ConvBuffers bufs;
  if (ConvScratch(g, ctx.scratch, &bufs) > ctx.scratch_bytes) {
    return OpFail(ctx, "scratch too small");
  }
  const int64_t in_plane = static_cast<int64_t>(g.ih) * g.iw;
  const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow;
  // Y[oc, p] = W[oc, :] . col[:, p] + bias[oc] for the group's output channels.
  GemmArgs ga;
  ga.m = g.ocg;
  ga.k = g.ckk;
  ga.a_rs = g.ckk;
  ga.a_cs = 1;
  ga.b_cs = 1;
  ga.c_rs = 1;
  ga.c_cs = 0;
  ga.act = g.act;
  for (int b = 0; b < g.n; ++b) {
    for (int grp = 0; grp < g.group; ++grp) {
      const float* xg = x + (static_cast<int64_t>(b) * g.c + grp * g.cg) * in_plane;
      float* yg = y + (static_cast<int64_t>(b) * g.oc + grp * g.ocg) * out_plane;
      ga.a = w + static_cast<int64_t>(grp) * g.ocg * g.ckk;
      ga.c = bias != nullptr ? bias + grp * g.ocg : nullptr;
      if (g.direct) {
        ga.b = xg;
        ga.b_rs = in_plane;
        ga.n = static_cast<int>(out_plane);
        ga.y = yg;
        ga.y_rs = out_plane;
        internal::Gemm(ga);
      } else if (g.wide) {
        PadInput(g, xg, bufs.xpad);
        for (int oh0 = 0; oh0 < g.oh; oh0 += g.tile) {
          const int rows = g.oh - oh0 < g.tile ? g.oh - oh0 : g.tile;
          Im2colWide(g, bufs.xpad, oh0, rows, bufs.col);
          ga.b = bufs.col;
          ga.b_rs = g.ldc;
          ga.n = rows * g.pww;
          ga.y = bufs.ywide;
          ga.y_rs = g.ldc;
          internal::Gemm(ga);
          CompactRows(g, bufs.ywide, oh0, rows, yg);
        }
      } else {
        for (int64_t p0 = 0; p0 < out_plane; p0 += g.tile) {
          const int count = static_cast<int>(out_plane - p0 < g.tile ? out_plane - p0 : g.tile);
          Im2col(g, xg, p0, count, bufs.col);
          ga.b = bufs.col;
          ga.b_rs = g.ldc;
          ga.n = count;
          ga.y = yg + p0;
          ga.y_rs = out_plane;
          internal::Gemm(ga);
        }
      }
    }
  }
  return OkStatus();
}

Status PrepareConvTranspose(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  ConvGeom g;
  EDGE_TRY(ParseConv(ctx, /*transpose=*/true, &g));
  ConvBuffers bufs;
  *scratch_bytes = ConvScratch(g, nullptr, &bufs);
  return OkStatus();
}

Status EvalConvTranspose(const OpContext& ctx) {
  ConvGeom g;
  EDGE_TRY(ParseConv(ctx, /*transpose=*/true, &g));
  const float* x = ctx.inputs[0].f32();
  const float* w = ctx.inputs[1].f32();
  const float* bias = g.has_bias ? ctx.inputs[2].f32() : nullptr;
  float* y = ctx.outputs[0].f32();
  if (ctx.reference) {
    ConvTransposeReference(g, x, w, bias, y);
    return OkStatus();
  }
  ConvBuffers bufs;
  if (ConvScratch(g, ctx.scratch, &bufs) > ctx.scratch_bytes) {
    return OpFail(ctx, "scratch too small");
  }
  const int64_t in_plane = static_cast<int64_t>(g.ih) * g.iw;
  const int64_t out_plane = static_cast<int64_t>(g.oh) * g.ow;
  for (int oc = 0; oc < g.oc; ++oc) {
    const float v = bias != nullptr ? bias[oc] : 0.0f;
    for (int b = 0; b < g.n; ++b) {
      float* yp = y + (static_cast<int64_t>(b) * g.oc + oc) * out_plane;
      for (int64_t i = 0; i < out_plane; ++i) yp[i] = v;
    }
  }
  // col[(o, kh, kw), p] = sum_ic W[ic, o, kh, kw] * X[ic, p] for the group's channels.
  GemmArgs ga;
  ga.m = g.ckk;
  ga.k = g.cg;
  ga.a_rs = 1;
  ga.a_cs = g.ckk;
  ga.b_rs = in_plane;
  ga.b_cs = 1;
  ga.y_rs = g.ldc;
  for (int b = 0; b < g.n; ++b) {
    for (int grp = 0; grp < g.group; ++grp) {
      const float* xg = x + (static_cast<int64_t>(b) * g.c + grp * g.cg) * in_plane;
      float* yg = y + (static_cast<int64_t>(b) * g.oc + grp * g.ocg) * out_plane;
      ga.a = w + static_cast<int64_t>(grp) * g.cg * g.ckk;
      for (int64_t p0 = 0; p0 < in_plane; p0 += g.tile) {
        const int count = static_cast<int>(in_plane - p0 < g.tile ? in_plane - p0 : g.tile);
        ga.b = xg + p0;
        ga.n = count;
        ga.y = bufs.col;
        internal::Gemm(ga);
        Col2im(g, bufs.col, p0, count, yg);
      }
    }
  }
  ApplyFusedActivation(g.act, y, static_cast<size_t>(static_cast<int64_t>(g.n) * g.oc * out_plane));
  return OkStatus();
}

// ---- Pooling ----

namespace {

struct PoolGeom {
  efm::OpType type = efm::OpType::MaxPool;
  int n = 0, c = 0;
  int sp = 0;  // spatial rank (1..3); unused leading axes have size 1
  int32_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1};
  int32_t d[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
  bool include_pad = false;
  bool global = false;
  int64_t plane_in = 0;
};

Status ParsePool(const OpContext& ctx, PoolGeom* g) {
  if (ctx.num_inputs < 1 || !HasInput(ctx, 0) || !HasOutput(ctx, 0)) {
    return OpFail(ctx, "expects input X and output Y");
  }
  for (int i = 1; i < ctx.num_outputs; ++i) {
    if (ctx.outputs[i].present) return OpFail(ctx, "the Indices output is not supported");
  }
  const Tensor& x = ctx.inputs[0];
  const Tensor& y = ctx.outputs[0];
  EDGE_TRY(CheckF32(ctx, x, "X"));
  EDGE_TRY(CheckF32(ctx, y, "Y"));
  g->type = ctx.type;
  g->global = ctx.type == efm::OpType::GlobalAveragePool || ctx.type == efm::OpType::GlobalMaxPool;
  const int rank = x.shape.rank;
  if (y.shape.rank != rank) return OpFail(ctx, "X and Y must have the same rank");
  g->n = x.shape.dims[0];
  g->c = rank >= 2 ? x.shape.dims[1] : 0;
  if (g->global) {
    if (rank < 3) return OpFail(ctx, "X must have rank >= 3");
    g->plane_in = 1;
    for (int i = 2; i < rank; ++i) g->plane_in *= x.shape.dims[i];
    for (int i = 0; i < rank; ++i) {
      const int32_t want = i < 2 ? x.shape.dims[i] : 1;
      if (y.shape.dims[i] != want) return OpFail(ctx, "output Y must be [N, C, 1, ...]");
    }
    if (g->plane_in == 0 && g->type == efm::OpType::GlobalMaxPool) {
      return OpFail(ctx, "empty input");
    }
    return OkStatus();
  }
  if (rank < 3 || rank > 5) return OpFail(ctx, "X has rank ", rank, "; 1-D to 3-D supported");
  g->sp = rank - 2;
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_PoolOptions() : nullptr;
  if (o == nullptr || o->kernel_shape() == nullptr) return OpFail(ctx, "missing kernel_shape");
  int32_t ks[3], st[3], dl[3], pd[6];
  const int sp = g->sp;
  const bool ok = ReadAxes(o->kernel_shape(), sp, 1, ks) && ReadAxes(o->strides(), sp, 1, st) &&
                  ReadAxes(o->dilations(), sp, 1, dl) && ReadAxes(o->pads(), 2 * sp, 0, pd);
  if (!ok || o->kernel_shape()->size() == 0) {
    return OpFail(ctx, "kernel_shape, strides, dilations or pads length");
  }
  g->include_pad = o->count_include_pad();
  const int lead = 3 - sp;  // geometry axes [lead, 3) are the spatial ones
  for (int i = 0; i < sp; ++i) {
    if (ks[i] < 1 || st[i] < 1 || dl[i] < 1 || pd[i] < 0 || pd[sp + i] < 0) {
      return OpFail(ctx, "kernel_shape, strides and dilations must be >= 1, pads >= 0");
    }
    const int a = lead + i;
    g->in[a] = x.shape.dims[2 + i];
    g->out[a] = y.shape.dims[2 + i];
    g->k[a] = ks[i];
    g->s[a] = st[i];
    g->d[a] = dl[i];
    g->pb[a] = pd[i];
    g->pe[a] = pd[sp + i];
    // Y may be the floor or the ceil output size (ceil_mode is folded into it by the compiler).
    const int64_t num = static_cast<int64_t>(g->in[a]) + g->pb[a] + g->pe[a] -
                        (static_cast<int64_t>(dl[i]) * (ks[i] - 1) + 1);
    if (num < 0) return OpFail(ctx, "the window does not fit the padded input");
    const int64_t lo = num / st[i] + 1, hi = CeilDiv(num, st[i]) + 1;
    if (g->out[a] < lo || g->out[a] > hi) {
      return OpFail(ctx, "output Y spatial dim ", i, " is ", g->out[a], ", expected ", lo,
                    " (floor) or ", hi, " (ceil)");
    }
  }
  if (y.shape.dims[0] != g->n || y.shape.dims[1] != g->c) {
    return OpFail(ctx, "output Y must have the same N and C as X");
  }
  g->plane_in = static_cast<int64_t>(g->in[0]) * g->in[1] * g->in[2];
  return OkStatus();
}

// Taps j in [0, k) of output o along one axis whose input position o * s - pb + j * d is in
// [0, size) -> [*lo, *hi); *count_pad = taps inside the padded input [-pb, size + pe).
inline void TapRange(const PoolGeom& g, int a, int o, int* lo, int* hi, int* count_pad) {
  const int64_t start = static_cast<int64_t>(o) * g.s[a] - g.pb[a];
  if (start >= 0 && start + static_cast<int64_t>(g.k[a] - 1) * g.d[a] < g.in[a]) {
    *lo = 0;  // the whole window is inside the input (the common case; no divisions)
    *hi = *count_pad = g.k[a];
    return;
  }
  int64_t l = start >= 0 ? 0 : CeilDiv(-start, g.d[a]);
  int64_t h = CeilDiv(g.in[a] - start, g.d[a]);
  int64_t hp = CeilDiv(static_cast<int64_t>(g.in[a]) + g.pe[a] - start, g.d[a]);
  if (h > g.k[a]) h = g.k[a];
  if (hp > g.k[a]) hp = g.k[a];
  if (l > h) l = h;
  *lo = static_cast<int>(l);
  *hi = static_cast<int>(h);
  *count_pad = static_cast<int>(hp < 0 ? 0 : hp);
}

// One output row (fixed o0, o1) of a pooled plane: outputs o2 in [ia, ib) have every tap of the
// innermost axis inside the input and are computed tap by tap over the whole run (a strided
// vector loop); the few outputs outside that run clip their taps one by one.
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline void
PoolRow(const PoolGeom& g, bool is_max, const float* EDGE_RESTRICT xp, int64_t b0, int l0, int h0,
        int c0, int64_t b1, int l1, int h1, int c1, int ia, int ib, float* EDGE_RESTRICT yr) {
  const int s2 = g.s[2], d2 = g.d[2], k2 = g.k[2], pb2 = g.pb[2];
  const float init = is_max ? std::numeric_limits<float>::lowest() : 0.0f;
  for (int o = ia; o < ib; ++o) yr[o] = init;
  for (int j0 = l0; j0 < h0; ++j0) {
    for (int j1 = l1; j1 < h1; ++j1) {
      const float* EDGE_RESTRICT row =
          xp + ((b0 + j0 * g.d[0]) * g.in[1] + (b1 + j1 * g.d[1])) * g.in[2];
      for (int j2 = 0; j2 < k2; ++j2) {
        const int64_t off = static_cast<int64_t>(j2) * d2 - pb2;
        if (is_max) {
          for (int o = ia; o < ib; ++o) {
            const float v = row[static_cast<int64_t>(o) * s2 + off];
            yr[o] = v > yr[o] ? v : yr[o];
          }
        } else {
          for (int o = ia; o < ib; ++o) yr[o] += row[static_cast<int64_t>(o) * s2 + off];
        }
      }
    }
  }
  if (!is_max) {
    const int count = g.include_pad ? c0 * c1 * k2 : (h0 - l0) * (h1 - l1) * k2;
    const float div = static_cast<float>(count);
    for (int o = ia; o < ib; ++o) yr[o] /= div;
  }
  // Outputs whose innermost taps are clipped.
  for (int o2 = 0; o2 < g.out[2]; ++o2) {
    if (o2 == ia && ib > ia) o2 = ib;
    if (o2 >= g.out[2]) break;
    int l2, h2, c2;
    TapRange(g, 2, o2, &l2, &h2, &c2);
    const int64_t b2 = static_cast<int64_t>(o2) * s2 - pb2;
    float acc = init;
    for (int j0 = l0; j0 < h0; ++j0) {
      for (int j1 = l1; j1 < h1; ++j1) {
        const float* row = xp + ((b0 + j0 * g.d[0]) * g.in[1] + (b1 + j1 * g.d[1])) * g.in[2] + b2;
        for (int j2 = l2; j2 < h2; ++j2) {
          const float v = row[j2 * d2];
          if (is_max) {
            acc = v > acc ? v : acc;
          } else {
            acc += v;
          }
        }
      }
    }
    if (!is_max) {
      const int count = g.include_pad ? c0 * c1 * c2 : (h0 - l0) * (h1 - l1) * (h2 - l2);
      acc /= static_cast<float>(count);
    }
    yr[o2] = acc;
  }
}

EDGE_KERNEL_CLONES void PoolOptimised(const PoolGeom& g, const float* x, float* y) {
  const bool is_max = g.type == efm::OpType::MaxPool;
  // Outputs of the innermost axis whose window lies inside the input: o * s - pb >= 0 and
  // o * s - pb + (k - 1) * d < in.
  int ia = static_cast<int>(CeilDiv(g.pb[2], g.s[2]));
  const int64_t last =
      static_cast<int64_t>(g.in[2]) - 1 - static_cast<int64_t>(g.k[2] - 1) * g.d[2] + g.pb[2];
  int ib = last < 0 ? 0 : static_cast<int>(last / g.s[2] + 1);
  if (ib > g.out[2]) ib = g.out[2];
  if (ia > ib) ia = ib;
  const int64_t planes = static_cast<int64_t>(g.n) * g.c;
  const int64_t out_plane = static_cast<int64_t>(g.out[0]) * g.out[1] * g.out[2];
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xp = x + pl * g.plane_in;
    float* yp = y + pl * out_plane;
    for (int o0 = 0; o0 < g.out[0]; ++o0) {
      int l0, h0, c0;
      TapRange(g, 0, o0, &l0, &h0, &c0);
      const int64_t b0 = static_cast<int64_t>(o0) * g.s[0] - g.pb[0];
      for (int o1 = 0; o1 < g.out[1]; ++o1) {
        int l1, h1, c1;
        TapRange(g, 1, o1, &l1, &h1, &c1);
        const int64_t b1 = static_cast<int64_t>(o1) * g.s[1] - g.pb[1];
        PoolRow(g, is_max, xp, b0, l0, h0, c0, b1, l1, h1, c1, ia, ib,
                yp + (static_cast<int64_t>(o0) * g.out[1] + o1) * g.out[2]);
      }
    }
  }
}

void PoolReference(const PoolGeom& g, const float* x, float* y) {
  const bool is_max = g.type == efm::OpType::MaxPool;
  const int64_t planes = static_cast<int64_t>(g.n) * g.c;
  for (int64_t pl = 0; pl < planes; ++pl) {
    for (int o0 = 0; o0 < g.out[0]; ++o0) {
      for (int o1 = 0; o1 < g.out[1]; ++o1) {
        for (int o2 = 0; o2 < g.out[2]; ++o2) {
          float acc = is_max ? std::numeric_limits<float>::lowest() : 0.0f;
          int count = 0;
          for (int j0 = 0; j0 < g.k[0]; ++j0) {
            for (int j1 = 0; j1 < g.k[1]; ++j1) {
              for (int j2 = 0; j2 < g.k[2]; ++j2) {
                const int64_t i0 = static_cast<int64_t>(o0) * g.s[0] - g.pb[0] + j0 * g.d[0];
                const int64_t i1 = static_cast<int64_t>(o1) * g.s[1] - g.pb[1] + j1 * g.d[1];
                const int64_t i2 = static_cast<int64_t>(o2) * g.s[2] - g.pb[2] + j2 * g.d[2];
                const bool in_padded =
                    i0 < g.in[0] + g.pe[0] && i1 < g.in[1] + g.pe[1] && i2 < g.in[2] + g.pe[2];
                const bool inside =
                    i0 >= 0 && i0 < g.in[0] && i1 >= 0 && i1 < g.in[1] && i2 >= 0 && i2 < g.in[2];
                if (inside) {
                  const float v = x[pl * g.plane_in + (i0 * g.in[1] + i1) * g.in[2] + i2];
                  if (is_max) {
                    acc = v > acc ? v : acc;
                  } else {
                    acc += v;
                  }
                }
                if (g.include_pad ? in_padded : inside) ++count;
              }
            }
          }
          if (!is_max) acc /= static_cast<float>(count);
          y[((pl * g.out[0] + o0) * g.out[1] + o1) * g.out[2] + o2] = acc;
        }
      }
    }
  }
}

EDGE_KERNEL_CLONES void GlobalPoolOptimised(bool is_max, int64_t planes, int64_t size,
                                            const float* EDGE_RESTRICT x, float* EDGE_RESTRICT y) {
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* EDGE_RESTRICT p = x + pl * size;
    float lanes[16];
    const int64_t s16 = size / 16 * 16;
    if (is_max) {
      float m = std::numeric_limits<float>::lowest();
      if (s16 > 0) {
        for (int j = 0; j < 16; ++j) lanes[j] = p[j];
        for (int64_t i = 16; i < s16; i += 16) {
          for (int j = 0; j < 16; ++j) lanes[j] = p[i + j] > lanes[j] ? p[i + j] : lanes[j];
        }
        for (int j = 0; j < 16; ++j) m = lanes[j] > m ? lanes[j] : m;
      }
      for (int64_t i = s16; i < size; ++i) m = p[i] > m ? p[i] : m;
      y[pl] = m;
    } else {
      for (int j = 0; j < 16; ++j) lanes[j] = 0.0f;
      for (int64_t i = 0; i < s16; i += 16) {
        for (int j = 0; j < 16; ++j) lanes[j] += p[i + j];
      }
      float s = 0.0f;
      for (int j = 0; j < 16; ++j) s += lanes[j];
      for (int64_t i = s16; i < size; ++i) s += p[i];
      y[pl] = s / static_cast<float>(size);
    }
  }
}

void GlobalPoolReference(bool is_max, int64_t planes, int64_t size, const float* x, float* y) {
  for (int64_t pl = 0; pl < planes; ++pl) {
    float acc = is_max ? std::numeric_limits<float>::lowest() : 0.0f;
    for (int64_t i = 0; i < size; ++i) {
      const float v = x[pl * size + i];
      if (is_max) {
        acc = v > acc ? v : acc;
      } else {
        acc += v;
      }
    }
    y[pl] = is_max ? acc : acc / static_cast<float>(size);
  }
}

}  // namespace

Status PreparePool(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  PoolGeom g;
  return ParsePool(ctx, &g);
}

Status EvalPool(const OpContext& ctx) {
  PoolGeom g;
  EDGE_TRY(ParsePool(ctx, &g));
  const float* x = ctx.inputs[0].f32();
  float* y = ctx.outputs[0].f32();
  if (g.global) {
    const bool is_max = g.type == efm::OpType::GlobalMaxPool;
    const int64_t planes = static_cast<int64_t>(g.n) * g.c;
    if (ctx.reference) {
      GlobalPoolReference(is_max, planes, g.plane_in, x, y);
    } else {
      GlobalPoolOptimised(is_max, planes, g.plane_in, x, y);
    }
    return OkStatus();
  }
  if (ctx.reference) {
    PoolReference(g, x, y);
  } else {
    PoolOptimised(g, x, y);
  }
  return OkStatus();
}

// ---- BatchNormalization ----

namespace {

Status ParseBatchNorm(const OpContext& ctx, int* n, int* c, int64_t* plane, float* eps,
                      FusedAct* act) {
  if (ctx.num_inputs < 5 || !HasOutput(ctx, 0)) {
    return OpFail(ctx, "expects inputs X, scale, B, mean, var and output Y");
  }
  for (int i = 0; i < 5; ++i) {
    if (!ctx.inputs[i].present) return OpFail(ctx, "input ", i, " is missing");
    EDGE_TRY(CheckF32(ctx, ctx.inputs[i], "inputs"));
  }
  for (int i = 1; i < ctx.num_outputs; ++i) {
    if (ctx.outputs[i].present) return OpFail(ctx, "training-mode outputs are not supported");
  }
  const Tensor& x = ctx.inputs[0];
  const Tensor& y = ctx.outputs[0];
  EDGE_TRY(CheckF32(ctx, y, "Y"));
  if (x.shape.rank < 2) return OpFail(ctx, "X must have rank >= 2");
  if (y.shape != x.shape) return OpFail(ctx, "Y must have the shape of X");
  *n = x.shape.dims[0];
  *c = x.shape.dims[1];
  *plane = 1;
  for (int i = 2; i < x.shape.rank; ++i) *plane *= x.shape.dims[i];
  for (int i = 1; i < 5; ++i) {
    const Shape& s = ctx.inputs[i].shape;
    if (s.rank != 1 || s.dims[0] != *c) return OpFail(ctx, "scale, B, mean and var must be [C]");
  }
  const auto* o = ctx.op != nullptr ? ctx.op->options_as_BatchNormOptions() : nullptr;
  *eps = o != nullptr ? o->epsilon() : 1e-5f;
  *act = FusedActOf(o);
  if (!FusedActValid(*act)) return OpFail(ctx, "invalid fused activation");
  return OkStatus();
}

EDGE_KERNEL_CLONES void BatchNormPlane(const float* EDGE_RESTRICT x, float* EDGE_RESTRICT y,
                                       int64_t size, float mean, float a, float b) {
  for (int64_t i = 0; i < size; ++i) y[i] = (x[i] - mean) * a + b;
}

}  // namespace

Status PrepareBatchNorm(const OpContext& ctx, size_t* scratch_bytes) {
  *scratch_bytes = 0;
  int n, c;
  int64_t plane;
  float eps;
  FusedAct act;
  return ParseBatchNorm(ctx, &n, &c, &plane, &eps, &act);
}

Status EvalBatchNorm(const OpContext& ctx) {
  int n, c;
  int64_t plane;
  float eps;
  FusedAct act;
  EDGE_TRY(ParseBatchNorm(ctx, &n, &c, &plane, &eps, &act));
  const float* x = ctx.inputs[0].f32();
  const float* scale = ctx.inputs[1].f32();
  const float* bias = ctx.inputs[2].f32();
  const float* mean = ctx.inputs[3].f32();
  const float* var = ctx.inputs[4].f32();
  float* y = ctx.outputs[0].f32();
  for (int b = 0; b < n; ++b) {
    for (int ch = 0; ch < c; ++ch) {
      const int64_t off = (static_cast<int64_t>(b) * c + ch) * plane;
      if (ctx.reference) {
        for (int64_t i = 0; i < plane; ++i) {
          y[off + i] = (x[off + i] - mean[ch]) / std::sqrt(var[ch] + eps) * scale[ch] + bias[ch];
        }
      } else {
        const float a = scale[ch] / std::sqrt(var[ch] + eps);
        BatchNormPlane(x + off, y + off, plane, mean[ch], a, bias[ch]);
      }
      ApplyFusedActivation(act, y + off, static_cast<size_t>(plane));
    }
  }
  return OkStatus();
}

}  // namespace edge::runtime
