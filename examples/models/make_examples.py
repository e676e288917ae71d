#!/usr/bin/python3
"""Example models for edgefleet: PyTorch -> ONNX, with reference inputs and outputs.

Run from anywhere (needs torch 1.13 and onnx 1.12, as in /usr/bin/python3):

    /usr/bin/python3 examples/models/make_examples.py

Deterministic: every model is built after torch.manual_seed(0) (plus explicit, seeded
initialisation where the defaults would be too trivial) and every input comes from a seeded
numpy Generator, so re-running rewrites byte-identical files (checked by --check).

For each model <m> this writes, next to this script:
  <m>.onnx                          opset 13, static shapes, constants folded
  <m>/input_<name>_<k>.npy          graph input <name> for step k (k = 0..3 for stateful models,
                                    k = 0 for stateless ones); state inputs are not included
  <m>/<state_in>_init.npy           initial value of each state input (stateful models)
  <m>/output_<name>_<k>.npy         what torch computed for graph output <name> at step k,
                                    including the state outputs; step k+1's state input is
                                    step k's state output
and finally manifest.json describing all of it (see README.md).
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

# Harmless torch 1.13 export warnings: prim::Constant shape inference (F.interpolate); constant
# folding with TrainingMode.PRESERVE (the model is in eval mode, so nothing trainable is folded);
# GRU batch size (it is 1 and the initial state is an input).
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
warnings.filterwarnings("ignore", message="It is recommended that constant folding be turned off")
warnings.filterwarnings("ignore", message="Exporting a model to ONNX with a batch_size other than 1")

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13
STATEFUL_STEPS = 4


# ---------------------------------------------------------------------------------------------
# Models


class Iir1(nn.Module):
    """One-pole IIR low-pass: y = a*x + b*y_prev (a = 0.1, b = 0.9); state_out = y."""

    def __init__(self, a=0.1, b=0.9):
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x, state_in):
        y = self.a * x + self.b * state_in
        return y, y


class Biquad(nn.Module):
    """Biquad, transposed direct form II. state = [s1, s2]:
         y   = b0*x + s1
         s1' = b1*x - a1*y + s2
         s2' = b2*x - a2*y
    The state is indexed as state_in[0], state_in[1] (rank-0 Gathers in the ONNX)."""

    def __init__(self, b, a):
        super().__init__()
        self.b0, self.b1, self.b2 = b
        self.a1, self.a2 = a

    def forward(self, x, state_in):
        s1 = state_in[0]
        s2 = state_in[1]
        y = self.b0 * x + s1
        s1_new = self.b1 * x - self.a1 * y + s2
        s2_new = self.b2 * x - self.a2 * y
        state_out = torch.cat([s1_new.reshape(1), s2_new.reshape(1)])
        return y, state_out


def butterworth_lowpass(fc_over_fs):
    """RBJ audio-EQ-cookbook low-pass biquad, Q = 1/sqrt(2), normalised so a0 = 1."""
    w0 = 2.0 * math.pi * fc_over_fs
    alpha = math.sin(w0) / (2.0 * (1.0 / math.sqrt(2.0)))
    cw = math.cos(w0)
    a0 = 1.0 + alpha
    b = ((1.0 - cw) / 2.0 / a0, (1.0 - cw) / a0, (1.0 - cw) / 2.0 / a0)
    a = (-2.0 * cw / a0, (1.0 - alpha) / a0)
    return b, a


class Resampler(nn.Module):
    """IMU frame (20, 6) at 50 Hz -> EEG-rate frame (80, 6) by linear interpolation, plus a
    slowly drifting offset kept in the state: state = [offset, drift],
    eeg = interp(imu) + offset, state_out = [offset + drift * 0.02, drift]."""

    def forward(self, imu_frame, state_in):
        x = imu_frame.t().unsqueeze(0)  # (1, 6, 20)
        y = F.interpolate(x, size=80, mode="linear", align_corners=True)  # (1, 6, 80)
        offset = state_in[0]
        drift = state_in[1]
        eeg_frame = y.squeeze(0).t() + offset
        state_out = torch.stack([offset + drift * 0.02, drift])
        return eeg_frame, state_out


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))


class Tcn(nn.Module):
    """Streaming causal dilated Conv1d stack (WaveNet-like, no residuals): two layers of 8
    channels, kernel 3, dilations 1 and 2, tanh. Each layer keeps the last (k-1)*d input samples
    of the previous frame as explicit state, so frame-by-frame equals the whole signal with left
    zero padding."""

    K = 3
    DILATIONS = (1, 2)
    CHANNELS = 8

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, self.CHANNELS, self.K, dilation=self.DILATIONS[0])
        self.conv2 = nn.Conv1d(self.CHANNELS, self.CHANNELS, self.K, dilation=self.DILATIONS[1])

    @classmethod
    def history(cls, layer):
        return (cls.K - 1) * cls.DILATIONS[layer]

    def forward(self, frame, h1_state_in, h2_state_in):
        x1 = torch.cat([h1_state_in, frame], dim=2)
        h1_state_out = x1[:, :, -self.history(0):]
        a1 = torch.tanh(self.conv1(x1))
        x2 = torch.cat([h2_state_in, a1], dim=2)
        h2_state_out = x2[:, :, -self.history(1):]
        y = torch.tanh(self.conv2(x2))
        return y, h1_state_out, h2_state_out

    def whole(self, signal):
        """Reference: the whole signal at once, causal (left zero padding)."""
        a1 = torch.tanh(self.conv1(F.pad(signal, (self.history(0), 0))))
        return torch.tanh(self.conv2(F.pad(a1, (self.history(1), 0))))


class Gru(nn.Module):
    """One GRU layer, input 8, hidden 16, 16 time steps per call (sequence-first), batch 1."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(input_size=8, hidden_size=16, num_layers=1)

    def forward(self, x, h_state_in):
        y, h_state_out = self.gru(x, h_state_in)
        return y, h_state_out


# ---------------------------------------------------------------------------------------------
# Specs: inputs (per-step data), state pairs (input, output, initial value), outputs.


def spec(name, model, inputs, states, outputs, make_input, export_kwargs=None,
         embed_initial_state=False, notes=""):
    return dict(name=name, model=model, inputs=inputs, states=states, outputs=outputs,
                make_input=make_input, export_kwargs=export_kwargs or {},
                embed_initial_state=embed_initial_state, notes=notes)


def build_specs():
    specs = []

    torch.manual_seed(0)
    specs.append(spec(
        "iir1", Iir1().eval(),
        inputs=[("x", (1, 1))],
        states=[("state_in", "state_out", np.zeros((1, 1), np.float32))],
        outputs=["y", "state_out"],
        make_input=lambda rng, name, shape, k: rng.standard_normal(shape),
        notes="One-pole IIR low-pass y = 0.1*x + 0.9*y_prev; state_out = y (the same tensor "
              "is two graph outputs)."))

    torch.manual_seed(0)
    b, a = butterworth_lowpass(0.1)
    specs.append(spec(
        "biquad", Biquad(b, a).eval(),
        inputs=[("x", (1, 1))],
        states=[("state_in", "state_out", np.zeros((2,), np.float32))],
        outputs=["y", "state_out"],
        make_input=lambda rng, name, shape, k: rng.standard_normal(shape),
        notes="Butterworth low-pass biquad (fc = 0.1 fs), transposed direct form II; the "
              "state (2,) is read with state_in[0] / state_in[1], i.e. Gather with a rank-0 "
              "index giving rank-0 tensors."))

    torch.manual_seed(0)
    specs.append(spec(
        "resampler", Resampler().eval(),
        inputs=[("imu_frame", (20, 6))],
        states=[("state_in", "state_out", np.array([0.5, 0.25], np.float32))],
        outputs=["eeg_frame", "state_out"],
        make_input=lambda rng, name, shape, k: rng.standard_normal(shape),
        embed_initial_state=True,
        notes="IMU (20, 6) -> EEG rate (80, 6) by F.interpolate(linear, align_corners=True), "
              "which torch exports as Shape/Slice/Concat feeding Resize's sizes; plus a "
              "drifting offset in the state [offset, drift]. The initial state [0.5, 0.25] is "
              "also stored in the ONNX as an initializer of the graph input state_in (the "
              "ONNX way to give an input a default value), so a compiler that takes the "
              "initial state from the initializer starts from the right value."))

    torch.manual_seed(0)
    specs.append(spec(
        "mlp", Mlp().eval(),
        inputs=[("x", (1, 784))],
        states=[],
        outputs=["logits"],
        make_input=lambda rng, name, shape, k: rng.random(shape),
        notes="784-128-64-10 MLP with ReLU (Gemm + Relu)."))

    torch.manual_seed(0)
    cnn = Cnn()
    with torch.no_grad():  # non-trivial BatchNorm so folding it is really tested
        cnn.bn1.weight.copy_(torch.rand(8) + 0.5)
        cnn.bn1.bias.copy_(torch.randn(8) * 0.1)
        cnn.bn1.running_mean.copy_(torch.randn(8) * 0.1)
        cnn.bn1.running_var.copy_(torch.rand(8) * 0.5 + 0.5)
    specs.append(spec(
        "cnn", cnn.eval(),
        inputs=[("x", (1, 1, 28, 28))],
        states=[],
        outputs=["logits"],
        make_input=lambda rng, name, shape, k: rng.random(shape),
        # PRESERVE (with the model in eval mode) exports BatchNormalization in inference mode
        # instead of letting torch fold it into the Conv, so the compiler's folding is used.
        export_kwargs=dict(training=torch.onnx.TrainingMode.PRESERVE),
        notes="MNIST-style CNN: Conv 8 3x3 pad 1 -> BatchNormalization (eval, non-trivial "
              "running stats, kept as a separate node) -> Relu -> MaxPool 2 -> Conv 16 3x3 "
              "pad 1 -> Relu -> MaxPool 2 -> Flatten -> Gemm 10."))

    torch.manual_seed(0)
    specs.append(spec(
        "tcn", Tcn().eval(),
        inputs=[("frame", (1, 1, 64))],
        states=[("h1_state_in", "h1_state_out", np.zeros((1, 1, Tcn.history(0)), np.float32)),
                ("h2_state_in", "h2_state_out",
                 np.zeros((1, Tcn.CHANNELS, Tcn.history(1)), np.float32))],
        outputs=["y", "h1_state_out", "h2_state_out"],
        make_input=None,  # consecutive frames of one signal, see make_tcn_inputs
        notes="Streaming causal dilated Conv1d stack: frame (1, 1, 64), 2 layers x 8 channels, "
              "kernel 3, dilations 1 and 2, tanh, with each layer's input history as explicit "
              "state. Running the 4 frames in sequence equals running the whole 256-sample "
              "signal with left zero padding (asserted by the script; whole-signal reference in "
              "tcn/whole_signal_input.npy / tcn/whole_signal_output_y.npy)."))

    torch.manual_seed(0)
    specs.append(spec(
        "gru", Gru().eval(),
        inputs=[("x", (16, 1, 8))],
        states=[("h_state_in", "h_state_out", np.zeros((1, 1, 16), np.float32))],
        outputs=["y", "h_state_out"],
        make_input=lambda rng, name, shape, k: rng.standard_normal(shape),
        notes="GRU (input 8, hidden 16), 16 time steps per call, batch 1, sequence-first; "
              "the hidden state is explicit (h_state_in -> h_state_out). ONNX GRU with "
              "linear_before_reset = 1, as torch exports it."))
    return specs


def make_tcn_inputs(rng):
    t = np.arange(256)
    signal = (np.sin(2 * np.pi * t / 37.0) + 0.3 * rng.standard_normal(256)).astype(np.float32)
    signal = signal.reshape(1, 1, 256)
    return signal, [signal[:, :, 64 * k:64 * (k + 1)].copy() for k in range(4)]


# ---------------------------------------------------------------------------------------------
# Export and reference data


def save_npy(path, arr):
    np.save(path, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)


def export(s, path, example_args):
    input_names = [n for n, _ in s["inputs"]] + [st[0] for st in s["states"]]
    torch.onnx.export(s["model"], example_args, path, opset_version=OPSET,
                      do_constant_folding=True, input_names=input_names,
                      output_names=s["outputs"], **s["export_kwargs"])
    m = onnx.load(path)
    if s["embed_initial_state"]:
        for name, _, init in s["states"]:
            m.graph.initializer.append(onnx.numpy_helper.from_array(init, name))
    onnx.checker.check_model(m, full_check=True)
    # Saved as torch exported it (no value_info): what a user's file looks like.
    onnx.save(m, path)
    return m


def op_types(m):
    return [n.op_type for n in m.graph.node]


def check_graph(name, m):
    ops = op_types(m)
    if name == "biquad":
        consts = {t.name: t for t in m.graph.initializer}
        for n in m.graph.node:
            if n.op_type == "Constant":
                consts[n.output[0]] = n.attribute[0].t
        gathers = [n for n in m.graph.node if n.op_type == "Gather"]
        assert len(gathers) == 2, ops
        for g in gathers:
            assert len(consts[g.input[1]].dims) == 0, "Gather index must be rank 0"
    if name == "resampler":
        resize = [n for n in m.graph.node if n.op_type == "Resize"]
        assert len(resize) == 1, ops
        producers = {o: n for n in m.graph.node for o in n.output}
        sizes = producers[resize[0].input[3]]
        assert sizes.op_type == "Concat", sizes.op_type
        chain = set()
        stack = [sizes]
        while stack:
            n = stack.pop()
            chain.add(n.op_type)
            stack.extend(producers[i] for i in n.input if i in producers)
        assert {"Shape", "Slice", "Concat"} <= chain, chain
    if name == "cnn":
        assert "BatchNormalization" in ops, ops
    if name == "gru":
        assert "GRU" in ops, ops
    # Graph inputs and outputs have static shapes. (Intermediate shapes may need constant
    # folding: onnx's own shape inference cannot see through the resampler's Resize sizes.)
    for t in list(m.graph.input) + list(m.graph.output):
        dims = t.type.tensor_type.shape.dim
        assert all(d.HasField("dim_value") for d in dims), f"{name}: {t.name} not static"


# ---------------------------------------------------------------------------------------------
# An independent check of the exported files: a small float64 numpy interpreter for exactly the
# ONNX ops these models use (onnxruntime is not installed here, and onnx 1.12 has no reference
# evaluator). Every saved torch output must match it within the manifest's tolerance, which
# proves both that the ONNX means what torch computed and that 1e-5 is achievable in f32.


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    nd = x.ndim - 2
    strides = a.get("strides", [1] * nd)
    dil = a.get("dilations", [1] * nd)
    pads = a.get("pads", [0] * (2 * nd))
    group = a.get("group", 1)
    assert group == 1 and a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
    x = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)])
    ksz = w.shape[2:]
    out_sz = [(x.shape[2 + i] - dil[i] * (ksz[i] - 1) - 1) // strides[i] + 1 for i in range(nd)]
    y = np.zeros((x.shape[0], w.shape[0], *out_sz))
    for kidx in np.ndindex(*ksz):
        sl = tuple(slice(kidx[i] * dil[i], kidx[i] * dil[i] + strides[i] * (out_sz[i] - 1) + 1,
                         strides[i]) for i in range(nd))
        patch = x[(slice(None), slice(None)) + sl]  # N, C, *out
        y += np.einsum("nc...,oc->no...", patch, w[(slice(None), slice(None)) + kidx])
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def _maxpool(x, a):
    nd = x.ndim - 2
    k = a["kernel_shape"]
    strides = a.get("strides", [1] * nd)
    assert not any(a.get("pads", [0])) and a.get("ceil_mode", 0) == 0
    out_sz = [(x.shape[2 + i] - k[i]) // strides[i] + 1 for i in range(nd)]
    y = np.full(x.shape[:2] + tuple(out_sz), -np.inf)
    for kidx in np.ndindex(*k):
        sl = tuple(slice(kidx[i], kidx[i] + strides[i] * (out_sz[i] - 1) + 1, strides[i])
                   for i in range(nd))
        y = np.maximum(y, x[(slice(None), slice(None)) + sl])
    return y


def _resize_linear_align_corners(x, sizes):
    for axis, (n_in, n_out) in enumerate(zip(x.shape, sizes)):
        if n_in == n_out:
            continue
        pos = np.arange(n_out) * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(1)
        lo = np.clip(np.floor(pos).astype(int), 0, n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = (pos - lo).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
        x = np.take(x, lo, axis) * (1 - frac) + np.take(x, hi, axis) * frac
    return x


def _gru(x, w, r, b, h0, a):
    assert a.get("direction", b"forward") in (b"forward", "forward")
    hs = a["hidden_size"]
    lbr = a.get("linear_before_reset", 0)
    sig = lambda v: 1 / (1 + np.exp(-v))
    w, r = w[0], r[0]
    b = b[0] if b is not None else np.zeros(6 * hs)
    wb, rb = b[:3 * hs], b[3 * hs:]
    h = h0[0]
    ys = []
    for t in range(x.shape[0]):
        gx = x[t] @ w.T + wb
        gh = h @ r.T
        z = sig(gx[:, :hs] + gh[:, :hs] + rb[:hs])
        rr = sig(gx[:, hs:2 * hs] + gh[:, hs:2 * hs] + rb[hs:2 * hs])
        if lbr:
            hh = np.tanh(gx[:, 2 * hs:] + rr * (gh[:, 2 * hs:] + rb[2 * hs:]))
        else:
            hh = np.tanh(gx[:, 2 * hs:] + (rr * h) @ r[2 * hs:].T + rb[2 * hs:])
        h = (1 - z) * hh + z * h
        ys.append(h)
    return np.stack(ys)[:, None], h[None]


def evaluate_onnx(m, feeds):
    env = {t.name: onnx.numpy_helper.to_array(t).astype(np.float64)
           if t.data_type == onnx.TensorProto.FLOAT else onnx.numpy_helper.to_array(t)
           for t in m.graph.initializer}
    env.update({k: np.asarray(v, np.float64) for k, v in feeds.items()})
    for node in m.graph.node:
        a = _attrs(node)
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            v = onnx.numpy_helper.to_array(a["value"])
            out = [v.astype(np.float64) if v.dtype == np.float32 else v]
        elif op in ("Add", "Sub", "Mul", "Div"):
            out = [{"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                    "Div": np.divide}[op](i[0], i[1])]
        elif op == "Relu":
            out = [np.maximum(i[0], 0)]
        elif op == "Tanh":
            out = [np.tanh(i[0])]
        elif op == "Identity":
            out = [i[0]]
        elif op == "Gather":
            out = [np.take(i[0], i[1], axis=a.get("axis", 0))]
        elif op == "Reshape":
            shape = [d if d != 0 else i[0].shape[k] for k, d in enumerate(i[1])]
            out = [i[0].reshape(shape)]
        elif op == "Concat":
            out = [np.concatenate(i, axis=a["axis"])]
        elif op == "Slice":
            axes = i[3] if len(i) > 3 and i[3] is not None else range(len(i[1]))
            steps = i[4] if len(i) > 4 and i[4] is not None else [1] * len(i[1])
            sl = [slice(None)] * i[0].ndim
            for ax, st, en, sp in zip(axes, i[1], i[2], steps):
                sl[ax] = slice(int(st), int(en), int(sp))
            out = [i[0][tuple(sl)]]
        elif op == "Shape":
            out = [np.array(i[0].shape, np.int64)]
        elif op == "Transpose":
            out = [np.transpose(i[0], a["perm"])]
        elif op == "Unsqueeze":
            out = [np.expand_dims(i[0], tuple(int(v) for v in i[1]))]
        elif op == "Squeeze":
            out = [np.squeeze(i[0], tuple(int(v) for v in i[1]))]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = [i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)]
        elif op == "Gemm":
            aa = i[0].T if a.get("transA", 0) else i[0]
            bb = i[1].T if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * aa @ bb
            if len(i) > 2 and i[2] is not None:
                y = y + a.get("beta", 1.0) * i[2]
            out = [y]
        elif op == "Conv":
            out = [_conv(i[0], i[1], i[2] if len(i) > 2 else None, a)]
        elif op == "BatchNormalization":
            shp = (1, -1) + (1,) * (i[0].ndim - 2)
            x, scale, bias, mean, var = i[:5]
            out = [(x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + a.get("epsilon", 1e-5))
                   * scale.reshape(shp) + bias.reshape(shp)]
        elif op == "MaxPool":
            out = [_maxpool(i[0], a)]
        elif op == "Resize":
            mode, ctm = a.get("mode"), a.get("coordinate_transformation_mode")
            assert mode in (b"linear", "linear") and ctm in (b"align_corners", "align_corners")
            out = [_resize_linear_align_corners(i[0], [int(v) for v in i[3]])]
        elif op == "GRU":
            out = list(_gru(i[0], i[1], i[2], i[3], i[5], a))
        else:
            raise NotImplementedError(op)
        for n, v in zip(node.output, out):
            if n:
                env[n] = v
    return {o.name: env[o.name] for o in m.graph.output}


def to_torch(a):
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


def generate(s, out_dir):
    name = s["name"]
    model = s["model"]
    model_dir = os.path.join(out_dir, name)
    if os.path.isdir(model_dir):
        shutil.rmtree(model_dir)
    os.makedirs(model_dir)
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    stateful = bool(s["states"])
    steps = STATEFUL_STEPS if stateful else 1

    # Per-step inputs.
    step_inputs = []  # [k] -> {name: array}
    if name == "tcn":
        signal, frames = make_tcn_inputs(rng)
        step_inputs = [{"frame": f} for f in frames]
    else:
        for k in range(steps):
            step_inputs.append({n: s["make_input"](rng, n, shape, k).astype(np.float32)
                                for n, shape in s["inputs"]})

    # Run torch step by step, chaining state.
    state = {st[0]: st[2] for st in s["states"]}
    step_outputs = []
    with torch.no_grad():
        for k in range(steps):
            args = [to_torch(step_inputs[k][n]) for n, _ in s["inputs"]]
            args += [to_torch(state[st[0]]) for st in s["states"]]
            outs = model(*args)
            if not isinstance(outs, tuple):
                outs = (outs,)
            outs = {n: o.numpy().astype(np.float32) for n, o in zip(s["outputs"], outs)}
            step_outputs.append(outs)
            for st_in, st_out, _ in s["states"]:
                state[st_in] = outs[st_out]

    if name == "tcn":
        with torch.no_grad():
            whole = model.whole(to_torch(signal)).numpy()
        streamed = np.concatenate([o["y"] for o in step_outputs], axis=2)
        if not np.array_equal(whole, streamed):
            sys.exit(f"tcn: frame-by-frame differs from the whole signal by "
                     f"{np.abs(whole - streamed).max()}")
        save_npy(os.path.join(model_dir, "whole_signal_input.npy"), signal)
        save_npy(os.path.join(model_dir, "whole_signal_output_y.npy"), whole)

    # Export with the step-0 data as the example input.
    onnx_path = os.path.join(out_dir, name + ".onnx")
    example = tuple(to_torch(step_inputs[0][n]) for n, _ in s["inputs"])
    example += tuple(to_torch(st[2]) for st in s["states"])
    m = export(s, onnx_path, example)
    check_graph(name, m)

    # The ONNX file, evaluated independently in float64, agrees with torch at every step.
    state = {st[0]: st[2] for st in s["states"]}
    worst = 0.0
    for k in range(steps):
        feeds = dict(step_inputs[k])
        feeds.update(state)
        got = evaluate_onnx(m, feeds)
        for n in s["outputs"]:
            assert got[n].shape == step_outputs[k][n].shape, (name, n, got[n].shape)
            worst = max(worst, float(np.abs(got[n] - step_outputs[k][n]).max()))
        for st_in, st_out, _ in s["states"]:
            state[st_in] = got[st_out]
    if worst > 1e-5:
        sys.exit(f"{name}: torch differs from the float64 evaluation of the ONNX by {worst}")
    print(f"{name}: {len(m.graph.node)} ONNX nodes, {steps} step(s), "
          f"max |torch - float64 ONNX| = {worst:.2e}")

    # Files.
    for k in range(steps):
        for n, _ in s["inputs"]:
            save_npy(os.path.join(model_dir, f"input_{n}_{k}.npy"), step_inputs[k][n])
        for n in s["outputs"]:
            save_npy(os.path.join(model_dir, f"output_{n}_{k}.npy"), step_outputs[k][n])
    for st_in, _, init in s["states"]:
        save_npy(os.path.join(model_dir, f"{st_in}_init.npy"), init)

    shapes = {n: list(a.shape) for n, a in step_outputs[0].items()}
    state_outputs = {st[1] for st in s["states"]}
    entry = {
        "name": name,
        "onnx": name + ".onnx",
        "description": s["notes"],
        "steps": steps,
        "inputs": [{"name": n, "shape": list(shape), "files": f"{name}/input_{n}_{{step}}.npy"}
                   for n, shape in s["inputs"]],
        "state": [{"input": st_in, "output": st_out, "shape": list(init.shape),
                   "init": f"{name}/{st_in}_init.npy",
                   "init_is_zero": bool(not init.any()),
                   "init_in_onnx": bool(s["embed_initial_state"])}
                  for st_in, st_out, init in s["states"]],
        "outputs": [{"name": n, "shape": shapes[n], "files": f"{name}/output_{n}_{{step}}.npy",
                     "is_state": n in state_outputs}
                    for n in s["outputs"]],
        "onnx_ops": sorted(set(op_types(m))),
        "atol": 1e-5,
    }
    if name == "tcn":
        entry["whole_signal"] = {"input": "tcn/whole_signal_input.npy",
                                 "output_y": "tcn/whole_signal_output_y.npy"}
    return entry


def digest_tree(root):
    h = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f.endswith((".onnx", ".npy", ".json")):
                p = os.path.join(dirpath, f)
                with open(p, "rb") as fh:
                    h[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return h


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary directory and fail if any file differs")
    args = parser.parse_args()

    out_dir = HERE
    if args.check:
        import tempfile
        out_dir = tempfile.mkdtemp(prefix="edge_examples_")
    torch.set_num_threads(1)  # same reduction order on every machine we can control
    manifest = {
        "comment": "Generated by make_examples.py; see README.md. Paths are relative to this "
                   "file; {step} is the step number. Stateful models: step k+1's state inputs "
                   "are step k's state outputs, starting from 'init'.",
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "opset": OPSET,
        "models": [generate(s, out_dir) for s in build_specs()],
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    if args.check:
        got, want = digest_tree(out_dir), digest_tree(HERE)
        shutil.rmtree(out_dir)
        diff = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))
        if diff:
            sys.exit("differs from the committed files: " + ", ".join(diff))
        print(f"OK: {len(got)} files reproduced byte for byte")


if __name__ == "__main__":
    main()
