"""PyTorch nn.Module -> DSL text: trace with torch.fx, read the graph, write idiomatic DSL.

The graph is traced with `torch.fx.symbolic_trace` and its shapes found by
running a zero tensor through it (fx's ShapeProp). Each call of a torch.nn
layer or function becomes one DSL layer; an add of two tensors becomes a
`residual` (the path that forks at the add's dominator and rejoins there),
torch.cat along the channels a `concat` (a branch from x.chunk a `branch
slice=`), a product with a gate computed from the same input a `scale`, a
parameter times the input (ConvNeXt's layer scale) a `layerscale`, and
ShuffleNet's view-transpose-view a `shuffle`. A concatenation of a list that
an earlier one began (DenseNet's features) is the earlier one plus the new
parts, so dense connectivity is a chain of concats. An output used again
away from such a join (a U-Net's encoder, across the decoder) is labelled and
reached by name (`from`, `add NAME`, `concat NAME`); symcnn's own exported
Crop, traced whole, is a `crop`, with a second input `crop like=NAME`, and
torch.export's slices of the spatial dims are a `crop` too. Anything else is an error naming
the module, or with `opaque=True`, the smallest user module around it is
traced as a whole and written as an `opaque` layer with its traced shape and
true parameter count.

The text is derived at once and checked against the traced model (every
layer's shape and the total parameters), so an import never miscounts silently.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp

from ..errors import SymcnnError
from .paths import SHARED, Paths
from .writer import Document, Op, Scope, arithmetic, identifier, rescale, snake, verified, write

ACTIVATION_MODULES = {
    nn.ReLU: "relu",
    nn.ReLU6: "relu6",
    nn.LeakyReLU: "leakyrelu",
    nn.ELU: "elu",
    nn.SELU: "selu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Hardswish: "hardswish",
    nn.Sigmoid: "sigmoid",
    nn.Hardsigmoid: "hardsigmoid",
    nn.Tanh: "tanh",
    nn.Softmax: "softmax",
    nn.LogSoftmax: "logsoftmax",
    nn.Softplus: "softplus",
    nn.Mish: "mish",
    nn.Identity: "linear",
}
ACTIVATION_FUNCTIONS = {
    F.relu: "relu",
    torch.relu: "relu",
    F.relu6: "relu6",
    F.leaky_relu: "leakyrelu",
    F.elu: "elu",
    F.selu: "selu",
    F.gelu: "gelu",
    F.silu: "silu",
    F.hardswish: "hardswish",
    torch.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid",
    F.hardsigmoid: "hardsigmoid",
    torch.tanh: "tanh",
    F.tanh: "tanh",
    F.softmax: "softmax",
    torch.softmax: "softmax",
    F.log_softmax: "logsoftmax",
    F.softplus: "softplus",
    F.mish: "mish",
}
ACTIVATION_METHODS = {"relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax"}
ADDS = {operator.add, operator.iadd, torch.add}
MULS = {operator.mul, operator.imul, torch.mul}
CATS = {torch.cat, torch.concat}
# x * c, x / c, x + c, x - c and the like with a number c, as functions, methods and ATen ops: a `rescale`
ARITHMETIC = {
    **dict.fromkeys(MULS, "mul"),
    **dict.fromkeys((operator.truediv, operator.itruediv, torch.div, torch.true_divide), "div"),
    **dict.fromkeys(ADDS, "add"),
    **dict.fromkeys((operator.sub, operator.isub, torch.sub), "sub"),
}
ARITHMETIC_METHODS = {name + tail: name for name in ("mul", "div", "add", "sub") for tail in ("", "_")}
ATEN_ARITHMETIC = {f"{name}.{kind}": name for name in ("mul", "div", "add", "sub") for kind in ("Tensor", "Scalar")}
NEGATIONS, NEGATION_METHODS = {operator.neg, torch.neg, torch.negative}, {"neg", "neg_", "negative"}  # rescale -1
SPLITS = {"chunk", "split", "tensor_split"}  # methods and torch functions whose pieces getitem picks
# Modules of torch's own libraries that are layers, traced as a whole: (module, class) -> DSL keyword.
LIBRARY_LAYERS = {("torchvision.ops.stochastic_depth", "StochasticDepth"): "droppath"}
PASS_THROUGH_METHODS = {"contiguous", "clone"}
CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True}
POOL_DEFAULTS = {"padding": 0, "dilation": 1, "ceil_mode": False}
FUNCTIONAL_POOLS = {
    F.max_pool1d: "maxpool",
    F.max_pool2d: "maxpool",
    F.max_pool3d: "maxpool",
    F.avg_pool1d: "avgpool",
    F.avg_pool2d: "avgpool",
    F.avg_pool3d: "avgpool",
}
MAX_ROUNDS = 1000  # re-traces with --opaque, one per opaque module


def from_torch(
    module: nn.Module,
    input_shape: Sequence[int],
    symbolic_input: Sequence[str] = (),
    opaque: bool = False,
    source: str | None = None,
) -> str:
    """The DSL text for `module` run on one sample of `input_shape` (channels first, e.g. (3, 224, 224))."""
    input_shape = tuple(int(d) for d in input_shape)
    module = module.eval()  # trace the inference graph (no auxiliary heads, dropout as a layer)
    leaves: set[str] = set()
    for _ in range(MAX_ROUNDS):
        try:
            return _Importer(module, input_shape, leaves, opaque).text(symbolic_input, source)
        except _MakeLeaf as request:
            leaves |= request.paths
    raise SymcnnError("too many opaque modules")  # pragma: no cover - a model has fewer modules than rounds


class _MakeLeaf(Exception):
    """Trace this user module as one opaque layer (with opaque=True)."""

    def __init__(self, paths: set[str]):
        self.paths = paths


class _Tracer(torch.fx.Tracer):
    def __init__(self, leaves: set[str]):
        super().__init__()
        self.leaves = leaves

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        library = _library_layer(module) is not None
        return library or qualified_name in self.leaves or super().is_leaf_module(module, qualified_name)


# A stochastic-depth module's rate: torchvision's StochasticDepth keeps it as p; a module named DropPath
# (timm's, and symcnn's own export) as drop_prob or rate.
DROP_RATES = ("p", "drop_prob", "rate")


def _library_layer(module) -> str | None:
    known = LIBRARY_LAYERS.get((type(module).__module__, type(module).__name__))
    if known is None and type(module).__name__ == "DropPath" and _drop_rate(module) is not None:
        return "droppath"
    if known is None and type(module).__name__ == "Crop" and hasattr(module, "amounts") and hasattr(module, "size"):
        return "crop"  # symcnn's own export, whose forward reads shapes that torch.fx cannot iterate
    if known is None and type(module).__name__ == "Rescale" and _number(module, "scale") and _number(module, "offset"):
        return "rescale"  # symcnn's own export: one layer, not its multiply and add
    return known


def _number(module, name: str) -> bool:
    return isinstance(getattr(module, name, None), (int, float))


def _drop_rate(module) -> float | None:
    rates = [getattr(module, name) for name in DROP_RATES if _number(module, name)]
    return float(rates[0]) if rates else None


def _user_class(cls) -> bool:
    """Not torch.nn's own: fx records classes, torch.export their qualified names."""
    name = cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"
    return not name.startswith("torch.nn.")


def _class_name(cls) -> str:
    return cls.rsplit(".", 1)[-1] if isinstance(cls, str) else cls.__name__


def _export(module: nn.Module, input_shape, fx_error: Exception):
    """Where torch.fx fails (control flow on shapes, say), torch.export's ATen graph, parameters as attributes."""
    try:
        return torch.export.export(module, (torch.zeros(1, *input_shape),)).module()
    except Exception as error:  # noqa: BLE001 - export fails in as many ways
        raise SymcnnError(
            f"cannot trace {type(module).__name__}: torch.fx: {type(fx_error).__name__}: {fx_error}; "
            f"torch.export: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
            hint="symcnn imports models that torch.fx.symbolic_trace or torch.export can trace",
        ) from None


class _Importer:
    def __init__(self, module: nn.Module, input_shape, leaves: set[str], opaque: bool):
        self.module, self.input_shape, self.leaves, self.opaque = module, input_shape, leaves, opaque
        self.exported = False
        try:
            graph = _Tracer(leaves).trace(module)
            self.graph_module = torch.fx.GraphModule(module, graph)
        except Exception as fx_error:  # noqa: BLE001 - fx raises many kinds on dynamic control flow
            self.graph_module = _export(module, input_shape, fx_error)
            self.exported = True
            graph = self.graph_module.graph
        try:
            with torch.no_grad():
                _propagate(self.graph_module, input_shape)
        except Exception as error:  # noqa: BLE001 - the user's model may raise anything
            raise SymcnnError(
                f"{type(module).__name__} does not run on an input of shape {input_shape}: {type(error).__name__}: {error}",
                hint="check --input: channels first, e.g. 3,224,224",
            ) from None
        self.modules = dict(module.named_modules())
        self.parameters = dict(self.graph_module.named_parameters())
        self.nodes = [n for n in graph.nodes if _is_tensor(n) and n.op != "output"]
        self.shuffles = _shuffles(self.nodes)
        self.crops = _crops(self.nodes)
        self.dense_joins = _reassociate_cats(self.nodes)
        self.last_in = {}  # module path -> the last node that runs inside it
        for node in self.nodes:
            for path in _module_paths(node):
                self.last_in[path] = node

    # the structure ------------------------------------------------------------

    def text(self, symbolic_input, source) -> str:
        placeholders = [n for n in self.nodes if n.op == "placeholder"]
        outputs = [n for n in self.graph_module.graph.nodes if n.op == "output"]
        result = outputs[0].args[0]
        if isinstance(result, (tuple, list)) and len(result) == 1:  # torch.export returns outputs as a tuple
            result = result[0]
        if len(placeholders) != 1 or not isinstance(result, torch.fx.Node) or not _is_tensor(result):
            raise SymcnnError(
                f"{type(self.module).__name__}: symcnn imports models with one input and one output tensor"
            )
        if self.opaque and not self.exported:  # torch.export traces through every module: no leaves
            self._opaque_all_unknown()
        self._refuse_shared_weights()
        stems = {snake(scope.kind) for node in self.nodes for scope in self._scopes(node)}
        self.paths = Paths(
            self.nodes,
            placeholders[0],
            self._inputs,
            self._statement,
            self._fail,
            self._join_kind,
            self._name,
            stems,
            rowless=lambda node: node.op == "call_function" and node.target is operator.getitem,  # a branch's slice
        )
        statements = self.paths.walk(result)
        missing = [n for n in self.nodes if n not in self.paths.emitted and n.op != "placeholder" and self._counts(n)]
        if missing:
            self._fail(missing[0], SHARED)
        self._refuse_unused_weights()
        params = sum(p.numel() for p in self.module.parameters())
        kind = type(self.module).__name__
        header = [
            f"{kind}{f' ({source})' if source else ''}, imported by symcnn from a "
            + ("torch.export graph (torch.fx could not trace it)" if self.exported else "torch.fx trace"),
            f"at input {', '.join(map(str, self.input_shape))}: {params:,} parameters in PyTorch.",
        ]
        document = Document(header, self.input_shape, "torch", tuple(symbolic_input))
        try:
            text = write(document, statements)
        except ValueError as error:
            raise SymcnnError(f"--symbolic-input: {error}") from None
        return verified(text, statements, {"params": params}, "torch")

    def _opaque_all_unknown(self) -> None:
        """Make every module around a node without a DSL layer opaque in one re-trace, not one each."""
        paths = set()
        for node in self.nodes:
            inputs = self._inputs(node)
            if node.op == "placeholder":
                continue
            if len(inputs) > 1:
                known = self._join_kind(node) is not None or self._crop_like(node)
            else:
                known = bool(inputs) and self._map(node) is not None
            if not known:
                paths.add(self._leaf_for(node))
        paths.discard(None)
        if paths:
            raise _MakeLeaf(paths)

    def _refuse_shared_weights(self) -> None:
        """A module called twice uses its weights twice; the DSL would count them at every call."""
        first_use = {}
        for node in self.nodes:
            if node.op == "call_module":
                weights = [node.target] if any(True for _ in self.modules[node.target].parameters()) else []
            else:  # torch.export reads the weights as attributes
                weights = [a.target for a in node.args if isinstance(a, torch.fx.Node) and a.op == "get_attr"]
            for weight in weights:
                if weight in first_use:
                    self._fail(
                        node,
                        f"it runs the same weights as node {first_use[weight].name} before it, which the DSL would count twice",
                    )
                first_use[weight] = node

    def _refuse_unused_weights(self) -> None:
        """Weights that the inference graph never reads (an auxiliary head used only in training): torch counts
        them among the model's parameters, and no layer of the file would compute with them."""
        read = {n.target for n in self.graph_module.graph.nodes if n.op in ("call_module", "get_attr")}

        def used(path: str) -> bool:
            return any(t == path or t.startswith(path + ".") or path.startswith(t + ".") for t in read)

        owner = self.graph_module if self.exported else self.module  # torch.export's module has its own names
        unused: dict[str, int] = {}
        for name, parameter in owner.named_parameters():
            if used(name):
                continue
            parts = name.split(".")
            # the outermost module that holds it and nothing the graph reads: AuxLogits, not AuxLogits.conv0.conv
            where = next((".".join(parts[:i]) for i in range(1, len(parts)) if not used(".".join(parts[:i]))), name)
            unused[where] = unused.get(where, 0) + parameter.numel()
        if unused:
            listed = ", ".join(f"{path} ({count:,} parameters)" for path, count in unused.items())
            raise SymcnnError(
                f"{type(self.module).__name__}: {listed} never run in the inference graph (eval mode), "
                "yet torch counts them among the model's parameters",
                hint="build the model without them: torchvision's googlenet and inception_v3 take aux_logits=False",
            )

    def _leaf_for(self, node) -> str | None:
        """The module to trace as one opaque layer so that `node` disappears: the node's own
        torch.nn module, else the innermost user module around it that is not opaque yet."""
        if node.op == "call_module" and node.target not in self.leaves:
            return node.target
        around = [path for path, cls in node.meta.get("nn_module_stack", {}).values() if path and _user_class(cls)]
        around = [path for path in around if path not in self.leaves]
        return around[-1] if around else None

    def _inputs(self, node) -> list:
        piece_of = _split_source(node)
        if piece_of is not None:  # a piece of x.chunk(...): its input is the tensor split
            return self._inputs(piece_of)
        seen = []
        for item in node.all_input_nodes:
            if _is_tensor(item) and item not in seen:
                seen.append(item)
        return seen

    def _statement(self, node):
        inputs = self._inputs(node)
        if len(inputs) > 1 and self._join_kind(node) is not None:
            return self._join(node, inputs)
        if len(inputs) > 1 and not self._crop_like(node):
            self._fail(node, "it combines several tensors in a way the DSL has no statement for")
        return self._layer(node)

    def _join_kind(self, node) -> str | None:
        """How a node joins two or more tensors: "scale", "add" or "concat"; None for anything else."""
        count = len(self._inputs(node))
        if node.op != "call_function" or count < 2:
            return None
        two = count == 2 and len(node.args) == 2
        if (node.target in MULS or _aten_name(node) == "mul.Tensor") and two:
            return "scale"
        if (_aten_name(node) in ("add.Tensor", "add_.Tensor") and count == 2) or (node.target in ADDS and two):
            return "add"
        if node.target in CATS or _aten_name(node) == "cat.default":
            return "concat"
        return None

    def _crop_like(self, node) -> bool:
        """symcnn's exported Crop called with a second tensor, whose size it crops to."""
        module = self.modules.get(node.target) if node.op == "call_module" else None
        return module is not None and _library_layer(module) == "crop" and len(self._inputs(node)) == 2

    def _join(self, node, inputs):
        shape, scopes = _shape(node), self._scopes(node)
        if node in self.dense_joins:  # DenseNet: the concat belongs with the layer whose features it appends
            scopes = self._scopes(self.dense_joins[node])
        kind = self._join_kind(node)
        if kind == "scale":
            return self.paths.scale(node, inputs, scopes, shape)
        if kind == "add":
            return self.paths.residual(node, inputs, scopes, shape)
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        if dim not in (1, 1 - len(shape) - 1):
            self._fail(node, "symcnn joins branches along the channels (dim 1) only")
        return self.paths.concat(node, list(node.args[0]), scopes, shape)

    def _name(self, node) -> str:
        """The outermost module whose output the node's is (enc4), else its own module or graph name."""
        for path in _module_paths(node):
            if self.last_in[path] is node:
                return path
        return node.name

    # layers -------------------------------------------------------------------

    def _map(self, node):
        """The node's Op, _PASS for a no-op, or None when symcnn has no layer for it."""
        if node.op == "call_module":
            return self._module(node, self.modules[node.target])
        if node.op == "call_function":
            return self._function(node)
        if node.op == "call_method":
            return self._method(node)
        return None

    def _layer(self, node):
        op = self._map(node)
        if op is _PASS:
            return None
        if op is None:
            self._fail(node, "symcnn has no layer for it")
        if self._crop_like(node):  # the second input's name is known where the statement is made
            op.options["like"] = self.paths.reference(self._inputs(node)[1])
        op.scopes = self._scopes(node)
        op.shape = _shape(node)
        return op

    def _module(self, node, module: nn.Module):
        rank = len(_shape(node)) - 1
        cls = type(module)
        if node.target in self.leaves:
            return self._opaque(node, module)
        if _library_layer(module) == "droppath":
            return Op("droppath", (("rate", _drop_rate(module)),))
        if _library_layer(module) == "rescale":
            return rescale(module.scale, module.offset)
        if _library_layer(module) == "crop":
            return _crop_module(module, len(self._inputs(node)))
        if isinstance(module, nn.ChannelShuffle):
            return Op("shuffle", (("groups", module.groups),))
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            return _conv(module)
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            op = _conv(module, "convtranspose")
            op.options["output_padding"] = _square(module.output_padding)
            op.defaults["output_padding"] = 0
            return op
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            return Op("batchnorm", (), {"affine": bool(module.affine)}, {"affine": True})
        if cls in ACTIVATION_MODULES:
            return Op(ACTIVATION_MODULES[cls])
        if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
            return _pool(module)
        if isinstance(module, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)):
            return _adaptive("adaptiveavgpool", module.output_size, rank)
        if isinstance(module, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
            return _adaptive("adaptivemaxpool", module.output_size, rank) if not module.return_indices else None
        if isinstance(module, nn.Linear):
            return Op("dense", (("units", module.out_features),), {"bias": module.bias is not None}, {"bias": True})
        if isinstance(module, nn.Flatten):
            return Op("flatten") if module.start_dim == 1 and module.end_dim == -1 else None
        if isinstance(module, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)):
            return Op("dropout", (("rate", float(module.p)),))
        if isinstance(module, (nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d)):
            return _zeropad(module.padding)
        if isinstance(module, nn.LayerNorm) and module.elementwise_affine and module.bias is not None:
            return _layernorm(module.normalized_shape)
        if self.opaque:
            return self._opaque(node, module)
        return None

    def _opaque(self, node, module: nn.Module):
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
        options = {"params": trainable, "non_trainable": frozen}
        return Op(
            "opaque",
            (("shape", _shape(node)),),
            options,
            {"params": 0, "non_trainable": 0},
            label=identifier(node.target),
            comment=f"{type(module).__name__} at {node.target}",
        )

    def _function(self, node):
        target, args = node.target, node.args
        if node in self.crops:
            return _PASS if self.crops[node] is None else Op("crop", (("cropping", self.crops[node]),))
        if isinstance(target, torch._ops.OpOverload):
            return _aten(node)
        if target in ACTIVATION_FUNCTIONS:
            return Op(ACTIVATION_FUNCTIONS[target])
        if target is torch.flatten:
            return _flatten(node, args[1] if len(args) > 1 else node.kwargs.get("start_dim", 0))
        if target in (F.adaptive_avg_pool2d, F.adaptive_avg_pool1d, F.adaptive_avg_pool3d):
            return _adaptive(
                "adaptiveavgpool", args[1] if len(args) > 1 else node.kwargs["output_size"], len(_shape(node)) - 1
            )
        if target is F.pad:
            return _functional_pad(node, self.graph_module)
        if target is F.dropout:
            return Op("dropout", (("rate", float(node.kwargs.get("p", args[1] if len(args) > 1 else 0.5))),))
        if target in CATS and len(args[0]) == 1:  # torch.cat([x]): DenseNet's first layer
            return _PASS
        if target in FUNCTIONAL_POOLS:
            return _functional_pool(node, FUNCTIONAL_POOLS[target], self.graph_module)
        if target is torch.mean:
            return _mean(node, self._inputs(node), args[1:], node.kwargs)
        if target is torch.permute:
            return _permute(args[1] if len(args) > 1 else node.kwargs["dims"])
        if target is F.layer_norm:
            arguments = node.normalized_arguments(self.graph_module, normalize_to_only_use_kwargs=True)
            given = arguments.kwargs if arguments is not None else {}
            affine = given.get("weight") is not None and given.get("bias") is not None
            return _layernorm(given["normalized_shape"]) if affine else None
        if target in NEGATIONS:
            return rescale(-1)
        if target in ARITHMETIC:  # with a number; a product with a parameter is a layer scale, below
            op = _rescale(ARITHMETIC[target], args, node.kwargs)
            if op is not None:
                return op
        if target in MULS:
            return self._layer_scale(node)
        if target is torch.transpose and node in self.shuffles:
            return _PASS
        if target is operator.getitem and _split_source(node) is not None:
            return self._slice(node)
        if target is operator.getitem:
            return _channel_slice(node)
        return None

    def _layer_scale(self, node) -> Op | None:
        """γ * x with γ a parameter of shape (C, 1, ..., 1): ConvNeXt's layer scale."""
        parameters = [a for a in node.args if isinstance(a, torch.fx.Node) and a.op == "get_attr"]
        if len(parameters) != 1 or len(node.args) != 2:
            return None
        gamma = self.parameters.get(parameters[0].target)  # a parameter, which is counted; not a buffer
        shape = _shape(node)
        channels = (shape[0],) + (1,) * (len(shape) - 1)
        return Op("layerscale") if gamma is not None and tuple(gamma.shape) == channels else None

    def _slice(self, node) -> Op | None:
        """A piece of x.chunk(n, dim=1) or x.split(size, dim=1): a branch's channel slice."""
        split = _split_source(node)
        rank = len(_shape(self._inputs(split)[0]))
        dim = split.args[2] if len(split.args) > 2 else split.kwargs.get("dim", 0)
        pieces = split.meta["tensor_meta"]
        if dim not in (1, -rank) or not isinstance(node.args[1], int):
            return None
        sizes = [int(piece.shape[1]) for piece in pieces]
        start = sum(sizes[: node.args[1]])
        return Op("slice", (("bounds", (start, start + sizes[node.args[1]])),))

    def _method(self, node):
        name = node.target
        if name in PASS_THROUGH_METHODS or (name == "transpose" and node in self.shuffles):
            return _PASS
        if name in ACTIVATION_METHODS:
            return Op(ACTIVATION_METHODS[name])
        if name == "flatten":
            return _flatten(node, node.args[1] if len(node.args) > 1 else node.kwargs.get("start_dim", 0))
        if name in ("view", "reshape") and node in self.shuffles:
            groups = self.shuffles[node]
            return _PASS if groups is None else Op("shuffle", (("groups", groups),))
        if name == "permute":
            dims = node.args[1:] if len(node.args) > 2 else node.args[1] if len(node.args) > 1 else node.kwargs["dims"]
            return _permute(dims)
        if name in ("view", "reshape"):
            before, after = _shape(self._inputs(node)[0]), _shape(node)
            return Op("flatten") if len(after) == 1 and len(before) > 1 else None
        if name == "mean":
            return _mean(node, self._inputs(node), node.args[1:], node.kwargs)
        if name in ARITHMETIC_METHODS:
            return _rescale(ARITHMETIC_METHODS[name], node.args, node.kwargs)
        if name in NEGATION_METHODS:
            return rescale(-1)
        return None

    # scopes and errors ----------------------------------------------------------

    def _scopes(self, node) -> tuple[Scope, ...]:
        """The user modules (not torch.nn's own) the node sits in, outermost first."""
        stack = node.meta.get("nn_module_stack", {})
        scopes = []
        for path, cls in stack.values():
            if not path or path == getattr(node, "target", None) or not _user_class(cls):
                continue
            scopes.append(Scope(path, _class_name(cls)))
        return tuple(scopes)

    def _counts(self, node) -> bool:
        return (node.op != "call_method" or node.target not in PASS_THROUGH_METHODS) and node not in self.shuffles

    def _fail(self, node, why: str):
        stack = [path for path, _ in node.meta.get("nn_module_stack", {}).values() if path]
        if self.opaque and not self.exported and self._leaf_for(node) is not None:
            raise _MakeLeaf({self._leaf_for(node)})
        what = _describe(node, self.modules)
        where = stack[-1] if stack else "the model's own forward()"
        raise SymcnnError(
            f"cannot import {what} in {where}: {why}",
            hint="rerun with --opaque to keep such modules as opaque layers with their traced shape and parameters"
            if not self.opaque
            else "the DSL cannot express it even as an opaque module (it is in the model's own forward())",
        )


_PASS = Op("pass")


def _propagate(graph_module, input_shape) -> None:
    """Shapes into every node's meta. Fake tensors compute shapes without the arithmetic (ResNet-50:
    0.6 s instead of 2 s); a model they cannot run (FakeTensorMode is a private API) runs for real."""
    try:
        from torch._subclasses.fake_tensor import FakeTensorMode

        ShapeProp(graph_module, fake_mode=FakeTensorMode(allow_non_fake_inputs=True)).propagate(
            torch.zeros(1, *input_shape)
        )
    except Exception:  # noqa: BLE001 - any failure of the fast path falls back to the exact one
        ShapeProp(graph_module).propagate(torch.zeros(1, *input_shape))


def _is_tensor(node) -> bool:
    """A tensor on a path through the model (a parameter read as an attribute is not one)."""
    if node.op == "get_attr":
        return False
    meta = node.meta.get("tensor_meta")
    return meta is not None and hasattr(meta, "shape")


def _shape(node) -> tuple[int, ...]:
    return tuple(int(d) for d in node.meta["tensor_meta"].shape[1:])


def _describe(node, modules) -> str:
    if node.op == "call_module":
        return f"module {node.target} ({type(modules[node.target]).__name__})"
    if node.op == "call_method":
        return f"method .{node.target}() ({node.name})"
    if node.op == "get_attr":
        return f"attribute {node.target}"
    name = getattr(node.target, "__name__", str(node.target))
    return f"function {name}() ({node.name})"


def _square(value):
    """A per-dim tuple as one number when all dims agree."""
    if isinstance(value, (tuple, list)):
        value = tuple(int(v) if not isinstance(v, str) else v for v in value)
        return value[0] if len(set(value)) == 1 else value
    return value


def _conv(module, keyword: str = "conv") -> Op:
    padding = module.padding if isinstance(module.padding, str) else _square(module.padding)
    options = {
        "stride": _square(module.stride),
        "padding": padding,
        "dilation": _square(module.dilation),
        "groups": module.groups,
        "bias": module.bias is not None,
    }
    positional = (("filters", module.out_channels), ("kernel", _square(module.kernel_size)))
    return Op(keyword, positional, options, dict(CONV_DEFAULTS))


def _pool(module) -> Op:
    keyword = "maxpool" if "Max" in type(module).__name__ else "avgpool"
    size = _square(module.kernel_size)
    stride = _square(module.stride) if module.stride is not None else size
    options = {"stride": stride, "padding": _square(module.padding), "ceil_mode": bool(module.ceil_mode)}
    if keyword == "maxpool":
        options["dilation"] = _square(module.dilation)
    defaults = dict(POOL_DEFAULTS, stride=size)
    return Op(keyword, (("size", size),), options, defaults)


def _functional_pool(node, keyword: str, root) -> Op | None:
    arguments = node.normalized_arguments(root, normalize_to_only_use_kwargs=True)
    if arguments is None or arguments.kwargs.get("return_indices"):
        return None
    given = arguments.kwargs
    size = _square(given["kernel_size"])
    stride = _square(given.get("stride") or size)
    options = {"stride": stride, "padding": _square(given.get("padding", 0)), "ceil_mode": bool(given.get("ceil_mode"))}
    if keyword == "maxpool":
        options["dilation"] = _square(given.get("dilation", 1))
    return Op(keyword, (("size", size),), options, dict(POOL_DEFAULTS, stride=size))


def _adaptive(keyword: str, size, rank: int) -> Op | None:
    sizes = size if isinstance(size, (tuple, list)) else (size,) * rank
    if any(s is None for s in sizes):
        return None
    return Op(keyword, (("size", _square(tuple(sizes))),))


def _functional_pad(node, root) -> Op | None:
    """F.pad(x, pad) with zeros (the default) on the spatial dims, as TensorFlow-style "same" padding writes it."""
    arguments = node.normalized_arguments(root, normalize_to_only_use_kwargs=True)
    if arguments is None:
        return None
    given = arguments.kwargs
    pad, spatial = tuple(given["pad"]), len(_shape(node)) - 1
    if given.get("mode", "constant") != "constant" or given.get("value") not in (None, 0) or len(pad) > 2 * spatial:
        return None
    if not all(isinstance(v, int) and v >= 0 for v in pad):  # a negative amount crops
        return None
    return _zeropad(pad + (0,) * (2 * spatial - len(pad)))


def _zeropad(padding) -> Op:
    # torch lists the last dim first: (left, right, top, bottom, ...)
    pairs = [(padding[i], padding[i + 1]) for i in range(0, len(padding), 2)][::-1]
    return Op("zeropad", (("padding", _sides(pairs)),))


def _sides(pairs):
    """(before, after) per dim as the DSL writes a padding or a cropping: one number when all are equal."""
    pairs = tuple(tuple(int(v) for v in pair) for pair in pairs)
    return pairs[0][0] if len({v for pair in pairs for v in pair}) == 1 else pairs


def _crop_module(module, inputs: int) -> Op | None:
    """symcnn's exported Crop: by amounts, to a size, or (with a second input) to that tensor's size."""
    if inputs == 2:
        return Op("crop")  # like=NAME: the importer names the second input
    if module.amounts is not None:
        return Op("crop", (("cropping", _sides(module.amounts)),))
    return Op("crop", (), {"size": _square(tuple(module.size))}) if module.size is not None else None


def _module_paths(node) -> list[str]:
    """The modules a node runs in, outermost first, its own (a call_module's) last."""
    paths = [path for path, _ in node.meta.get("nn_module_stack", {}).values() if path]
    return paths + [node.target] if node.op == "call_module" and node.target not in paths else paths


def _flatten(node, start_dim) -> Op | None:
    end_dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("end_dim", -1)
    return Op("flatten") if start_dim == 1 and end_dim == -1 else None


def _layernorm(normalized_shape) -> Op:
    dims = 1 if isinstance(normalized_shape, int) else len(normalized_shape)
    return Op("layernorm", (), {"dims": dims}, {"dims": 1})


def _permute(dims) -> Op | None:
    """torch's dims count the batch as 0; the DSL's count from 1 without it."""
    dims = tuple(dims)
    if not dims or dims[0] != 0 or any(not isinstance(d, int) for d in dims):
        return None
    return Op("permute", (("dims", tuple(d % len(dims) for d in dims[1:])),))


def _channel_slice(node) -> Op | None:
    """x[:, a:b], the channels a to b (symcnn's own export writes a branch's slice so): a branch's channel slice."""
    source, index = node.args
    if not (isinstance(source, torch.fx.Node) and isinstance(index, tuple) and len(index) == 2):
        return None
    everything, channels = index
    if everything != slice(None) or not isinstance(channels, slice):
        return None
    start, stop, step = channels.indices(_shape(source)[0])
    return Op("slice", (("bounds", (start, stop)),)) if step == 1 and start < stop else None


def _split_source(node):
    """The x.chunk(...) or torch.split(...) node whose piece `node` picks, or None."""
    if node.op != "call_function" or node.target is not operator.getitem:
        return None
    source = node.args[0]
    if not isinstance(source, torch.fx.Node) or not isinstance(source.meta.get("tensor_meta"), (tuple, list)):
        return None
    name = source.target if source.op == "call_method" else getattr(source.target, "__name__", "")
    return source if name in SPLITS else None


def _shuffles(nodes) -> dict:
    """ShuffleNet's channel_shuffle: x.view(n, g, C // g, ...) -> transpose(1, 2) -> [contiguous] ->
    .view(n, C, ...). The last view -> g; the view and transpose before it -> None (no layer)."""
    found = {}
    for node in nodes:
        if node.op != "call_method" or node.target not in ("view", "reshape"):
            continue
        before = node.all_input_nodes[0]
        if before.op == "call_method" and before.target == "contiguous":
            before = before.all_input_nodes[0]
        transposed = before.target == "transpose" or before.target is torch.transpose
        if not transposed or not _is_tensor(before):
            continue
        rank = len(_shape(before)) + 1  # with the batch
        if sorted(a % rank for a in before.args[1:3] if isinstance(a, int)) != [1, 2]:
            continue
        split = before.all_input_nodes[0]
        if split.op != "call_method" or split.target not in ("view", "reshape") or not split.all_input_nodes:
            continue
        source = split.all_input_nodes[0]
        if not (_is_tensor(source) and _is_tensor(split)):
            continue
        original, grouped = _shape(source), _shape(split)
        if _shape(node) == original and len(grouped) == len(original) + 1:
            groups, per_group = grouped[:2]
            if groups * per_group == original[0] and grouped[2:] == original[1:]:
                found.update({split: None, before: None, node: groups})
    return found


def _reassociate_cats(nodes) -> dict:
    """Rewrite cat([a, b, ..., z]) as cat([M, ...]) where M = cat([a, b, ...]) is an earlier
    concatenation of the list's beginning: the same tensor, and DenseNet's reused features become a
    chain of two-way concats. Returns each rewritten cat -> the node its last new part comes from."""
    lists, rewritten = {}, {}
    for node in nodes:
        if node.op != "call_function" or node.target not in CATS or not isinstance(node.args[0], (list, tuple)):
            continue
        parts, dim = list(node.args[0]), node.args[1] if len(node.args) > 1 else node.kwargs.get("dim", 0)
        beginnings = [
            earlier
            for earlier, (earlier_parts, earlier_dim) in lists.items()
            if earlier_dim == dim and len(earlier_parts) < len(parts) and parts[: len(earlier_parts)] == earlier_parts
        ]
        best = max(beginnings, key=lambda earlier: len(lists[earlier][0]), default=None)
        lists[node] = (parts, dim)
        if best is not None:
            node.args = ([best, *parts[len(lists[best][0]) :]], *node.args[1:])
            rewritten[node] = parts[-1]
    return rewritten


def _crops(nodes) -> dict:
    """torch.export writes x[..., a:b, c:d] as one slice.Tensor per dim: a chain of them on the spatial dims
    is one crop, its (before, after) per dim at the last slice; the slices before it -> None (no layer)."""
    found = {}
    for node in nodes:
        if _aten_name(node) != "slice.Tensor" or node in found:
            continue
        chain = [node]
        while len(chain[-1].users) == 1 and _aten_name(next(iter(chain[-1].users))) == "slice.Tensor":
            chain.append(next(iter(chain[-1].users)))
        shape = _shape(node.args[0])
        amounts = [[0, 0] for _ in shape[1:]]
        for piece in chain:
            dim = _argument(piece, 1, 0) % (len(shape) + 1)
            size = _shape(piece.args[0])[dim - 1] if dim else None
            start, stop, _ = slice(_argument(piece, 2, None), _argument(piece, 3, None)).indices(size or 1)
            whole = dim == 0 or (start, stop) == (0, size)  # the batch, or all of a dim
            if _argument(piece, 4, 1) != 1 or (dim < 2 and not whole):
                break
            if dim >= 2:
                amounts[dim - 2][0] += start
                amounts[dim - 2][1] += size - stop
        else:
            found.update({piece: None for piece in chain[:-1]})
            found[chain[-1]] = _sides(amounts) if any(map(any, amounts)) else None
    return found


def _mean(node, inputs, args, kwargs) -> Op | None:
    """x.mean((2, 3)): a global average pool over every spatial dim."""
    rank = len(inputs[0].meta["tensor_meta"].shape)
    dims = args[0] if args else kwargs.get("dim")
    keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    if rank < 3 or any(not isinstance(d, int) for d in dims) or {d % rank for d in dims} != set(range(2, rank)):
        return None
    return Op("globalavgpool", (), {"keepdims": bool(keepdim)}, {"keepdims": False})


def _rescale(operation: str, args, kwargs) -> Op | None:
    """A call of `operation` (mul, div, add, sub) on one tensor and a number as a `rescale`; None for anything
    else: two tensors, c / x, torch.add's alpha= or torch.div's rounding_mode=."""
    if kwargs or len(args) != 2:
        return None
    tensor_first = isinstance(args[0], torch.fx.Node)
    tensor, number = args if tensor_first else args[::-1]
    return arithmetic(operation, number, tensor_first) if isinstance(tensor, torch.fx.Node) else None


# torch.export's ATen operators ------------------------------------------------

ATEN_ACTIVATIONS = {
    "relu.default": "relu",
    "relu_.default": "relu",
    "sigmoid.default": "sigmoid",
    "tanh.default": "tanh",
    "silu.default": "silu",
    "silu_.default": "silu",
    "gelu.default": "gelu",
    "hardswish.default": "hardswish",
    "hardswish_.default": "hardswish",
    "hardsigmoid.default": "hardsigmoid",
    "softmax.int": "softmax",
    "log_softmax.int": "logsoftmax",
}


def _aten_name(node) -> str:
    target = node.target
    return f"{target._opname}.{target._overloadname}" if isinstance(target, torch._ops.OpOverload) else ""


def _argument(node, index: int, default):
    return node.args[index] if len(node.args) > index else default


def _aten_conv(node, keyword: str, dilation: int, groups: int) -> Op:
    """aten's (transposed) convolution: (input, weight, bias, stride, padding, ...) with the dilation and the
    groups at the given places; a transposed one's weight is (in, out / groups, kernel...)."""
    weight = tuple(node.args[1].meta["tensor_meta"].shape)
    rank, group_count = len(weight) - 2, int(_argument(node, groups, 1))
    options = {
        "stride": _square(_argument(node, 3, [1] * rank)),
        "padding": _square(_argument(node, 4, [0] * rank)),
        "dilation": _square(_argument(node, dilation, [1] * rank)),
        "groups": group_count,
        "bias": _argument(node, 2, None) is not None,
    }
    filters = weight[0] if keyword == "conv" else weight[1] * group_count
    return Op(keyword, (("filters", filters), ("kernel", _square(weight[2:]))), options, dict(CONV_DEFAULTS))


def _aten(node) -> Op | None:
    """One ATen call of an exported graph as a DSL layer; parameters come from the weights' shapes."""
    name = _aten_name(node)
    if name in ATEN_ACTIVATIONS:
        return Op(ATEN_ACTIVATIONS[name])
    if name in ("hardtanh.default", "hardtanh_.default") and tuple(node.args[1:3]) == (0.0, 6.0):
        return Op("relu6")
    if name in ("conv1d.default", "conv2d.default", "conv3d.default"):
        return _aten_conv(node, "conv", dilation=5, groups=6)
    if name in ("conv_transpose1d.default", "conv_transpose2d.input", "conv_transpose3d.input"):
        op = _aten_conv(node, "convtranspose", dilation=7, groups=6)
        op.options["output_padding"] = _square(_argument(node, 5, 0))
        op.defaults["output_padding"] = 0
        return op
    if name == "batch_norm.default":
        return Op("batchnorm") if node.args[1] is not None and node.args[2] is not None else None
    if name in ("max_pool2d.default", "avg_pool2d.default"):
        keyword = "maxpool" if name.startswith("max") else "avgpool"
        size = _square(node.args[1])
        options = {
            "stride": _square(_argument(node, 2, None) or size),
            "padding": _square(_argument(node, 3, 0)),
            "ceil_mode": bool(_argument(node, 5 if keyword == "maxpool" else 4, False)),
        }
        if keyword == "maxpool":
            options["dilation"] = _square(_argument(node, 4, 1))
        return Op(keyword, (("size", size),), options, dict(POOL_DEFAULTS, stride=size))
    if name == "adaptive_avg_pool2d.default":
        return _adaptive("adaptiveavgpool", node.args[1], 2)
    if name == "linear.default":
        weight = tuple(node.args[1].meta["tensor_meta"].shape)
        bias = _argument(node, 2, None) is not None
        return Op("dense", (("units", weight[0]),), {"bias": bias}, {"bias": True})
    if name == "flatten.using_ints":
        return Op("flatten") if _argument(node, 1, 0) == 1 and _argument(node, 2, -1) == -1 else None
    if name in ("dropout.default", "dropout_.default"):
        return Op("dropout", (("rate", float(node.args[1])),))
    if name in ATEN_ARITHMETIC:
        return _rescale(ATEN_ARITHMETIC[name], node.args, node.kwargs)
    if name == "neg.default":
        return rescale(-1)
    return None
