"""A tiny ONNX interpreter on torch, for machines without onnxruntime (Debian's python has none).

It covers the operators our exported towers and teacher use; anything else raises. The API
mimics onnxruntime's InferenceSession.run(None, feeds) -> [outputs].
"""
from __future__ import annotations

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    out = {}
    for a in node.attribute:
        out[a.name] = onnx.helper.get_attribute_value(a)
    return out


_DT = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 11: torch.float64}


class TorchOnnx:
    def __init__(self, path):
        self.model = onnx.load(path)
        g = self.model.graph
        self.init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.outputs = [o.name for o in g.output]

    @torch.no_grad()
    def run(self, names, feeds):
        env = dict(self.init)
        for k, v in feeds.items():
            env[k] = torch.from_numpy(np.asarray(v))
        for n in self.model.graph.node:
            ins = [env[i] if i else None for i in n.input]
            a = _attrs(n)
            outs = self._op(n.op_type, ins, a)
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            for name, v in zip(n.output, outs):
                env[name] = v
        want = names or self.outputs
        return [env[o].numpy() for o in want]

    def _axes(self, ins, a):
        if "axes" in a:
            return list(a["axes"])
        if len(ins) > 1 and ins[1] is not None:
            return [int(v) for v in ins[1].tolist()]
        return None

    def _op(self, op, ins, a):
        x = ins[0] if ins else None
        if op == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            assert pads[0] == pads[2] and pads[1] == pads[3]
            return F.conv2d(x, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", [1, 1]),
                            padding=pads[:2], dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
        if op == "BatchNormalization":
            return F.batch_norm(x, ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))
        if op == "Relu":
            return torch.relu(x)
        if op == "Add":
            return ins[0] + ins[1]
        if op == "Sub":
            return ins[0] - ins[1]
        if op == "Mul":
            return ins[0] * ins[1]
        if op == "Div":
            if not ins[0].is_floating_point() and not ins[1].is_floating_point():
                return torch.div(ins[0], ins[1], rounding_mode="trunc")
            return ins[0] / ins[1]
        if op == "Pow":
            return torch.pow(ins[0], ins[1])
        if op == "Sqrt":
            return torch.sqrt(x)
        if op == "Erf":
            return torch.erf(x)
        if op == "Max":
            out = ins[0]
            for y in ins[1:]:
                out = torch.maximum(out, y)
            return out
        if op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min")
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max")
            lo = None if lo is None else float(lo)
            hi = None if hi is None else float(hi)
            return torch.clamp(x, lo, hi)
        if op in ("ReduceMean", "ReduceSum", "ReduceL2", "ReduceMax"):
            axes = self._axes(ins, a)
            keep = bool(a.get("keepdims", 1))
            if axes is None:
                axes = list(range(x.dim()))
            if op == "ReduceMean":
                return x.mean(dim=axes, keepdim=keep)
            if op == "ReduceMax":
                return x.amax(dim=axes, keepdim=keep)
            if op == "ReduceSum":
                return x.sum(dim=axes, keepdim=keep)
            return torch.sqrt((x * x).sum(dim=axes, keepdim=keep))
        if op == "GlobalAveragePool":
            return x.mean(dim=(2, 3), keepdim=True)
        if op == "Flatten":
            ax = a.get("axis", 1)
            return x.reshape(int(np.prod(x.shape[:ax])), -1)
        if op == "Gemm":
            A, B = ins[0], ins[1]
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            y = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                y = y + a.get("beta", 1.0) * ins[2]
            return y
        if op == "MatMul":
            return ins[0] @ ins[1]
        if op == "Gather":
            return torch.index_select(x, a.get("axis", 0), ins[1].reshape(-1).long()).reshape(
                *x.shape[: a.get("axis", 0)], *ins[1].shape, *x.shape[a.get("axis", 0) + 1:])
        if op == "Cast":
            return x.to(_DT[a["to"]])
        if op == "Unsqueeze":
            for ax in sorted(self._axes(ins, a)):
                x = x.unsqueeze(ax if ax >= 0 else x.dim() + 1 + ax)
            return x
        if op == "Squeeze":
            axes = self._axes(ins, a)
            if axes is None:
                return x.squeeze()
            for ax in sorted(axes, reverse=True):
                x = x.squeeze(ax)
            return x
        if op == "Reshape":
            shape = [int(v) for v in ins[1].tolist()]
            shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
            return x.reshape(shape)
        if op == "Shape":
            return torch.tensor(list(x.shape), dtype=torch.int64)
        if op == "Constant":
            return torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        if op == "Expand":
            shape = [int(v) for v in ins[1].tolist()]
            return x * torch.ones(shape, dtype=x.dtype)
        if op == "Identity":
            return x
        if op == "Concat":
            return torch.cat(ins, dim=a["axis"])
        if op == "Transpose":
            return x.permute(*a["perm"])
        raise NotImplementedError(f"onnx_torch: operator {op}")
