"""Keras model -> DSL text (`convention keras`), from the model's layer graph.

Each operation's inputs come from its input tensors' history (the functional
graph Keras keeps for Sequential and functional models alike: its layers, and
the ops written between them, x + y), its options from `get_config()` and its
output shape from its output. A model used as a layer (ConvNeXt's stem and
downsampling layers are Sequentials) is read as if its layers were written
inline, under its name as their scope. Add becomes a `residual`, Concatenate on
the channels a `concat`, a Multiply of a tensor and a gate computed from it a
`scale`; layers of one block share a name prefix (`conv2_block1_...`,
`block_3_...`), which is how the instances of repeated blocks are found.
MobileNetV3's hard sigmoid written as ops, ReLU(6.0)(x + 3.0) * (1.0 / 6.0), is
a `hardsigmoid`, x times it a `hardswish`; Rescaling, and any other op of a
tensor and a number (x + 2.0, 1.0 - x, x / 255), is a `rescale`, and
Inception-ResNet's CustomScaleLayer, x + r * 0.17, a `residual` whose path
ends in `rescale 0.17`. A model built without an input size is rebuilt on the
one asked for. The text is derived at once and checked against the model:
every layer's shape and the trainable and non-trainable totals.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import NamedTuple

from ..errors import SymcnnError
from .paths import SHARED, Paths
from .writer import Document, Op, Scope, arithmetic, identifier, rescale, verified, write

ACTIVATIONS = {
    "relu": "relu",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "softmax": "softmax",
    "log_softmax": "logsoftmax",
    "tanh": "tanh",
    "swish": "silu",
    "silu": "silu",
    "gelu": "gelu",
    "elu": "elu",
    "selu": "selu",
    "softplus": "softplus",
    "hard_sigmoid": "hardsigmoid",
    "hard_silu": "hardswish",
    "hard_swish": "hardswish",
    "leaky_relu": "leakyrelu",
    "mish": "mish",
    "linear": None,
}
OPS_ARITHMETIC = {"Multiply": "mul", "TrueDivide": "div", "Divide": "div", "Add": "add", "Subtract": "sub"}
CONV_DEFAULTS = {"stride": 1, "padding": "valid", "dilation": 1, "groups": 1, "bias": True, "activation": None}


class _ScaledBranch(NamedTuple):
    """The branch of Inception-ResNet's CustomScaleLayer, x + branch * scale, times the scale: a `rescale` that
    ends the residual's path before the add."""

    join: object
    branch: object  # the operation whose output is scaled
    scale: float

    @property
    def name(self) -> str:
        return f"{self.join.name}_scale"


class _Fold(NamedTuple):
    """Ops and a layer read as one activation: its keyword, its input, its layer (for a scope), the rest."""

    keyword: str
    input: object
    named: object
    parts: tuple


OPAQUE_HINT = "rerun with --opaque to keep such layers as opaque layers with their shape and parameters"
BLOCK_NAME = re.compile(r"^(.*?block_?\d+[a-z]?)_")  # conv2_block1_1_conv, block_3_expand, block2_sepconv1, block2a_se


def from_keras(model, input_shape: Sequence[int] | None = None, symbolic_input=(), opaque=False, source=None) -> str:
    """The DSL text for a built Keras model; `input_shape` (channels last, e.g. (224, 224, 3)) must be its own."""
    return _Importer(model, input_shape, opaque).text(tuple(symbolic_input), source)


def _rebuilt(model, input_shape: tuple[int, ...]):
    """A model built without a fixed input size (MobileNetV3's (None, None, 3)), rebuilt on `input_shape`: the same
    layers, fresh weights of the same shapes."""
    import keras  # only here: a model to rebuild means Keras is installed

    try:
        return keras.models.clone_model(model, input_tensors=keras.Input(shape=input_shape))
    except Exception as error:  # noqa: BLE001 - the model's own layers may refuse the shape in many ways
        raise SymcnnError(
            f"{model.name} does not build on an input of shape {input_shape}: {type(error).__name__}: {error}",
            hint="check --input: channels last, e.g. 224,224,3",
        ) from None


def _layernorm(config, rank: int) -> Op | None:
    """LayerNormalization over the last k axes, with its scale and shift: `layernorm k`."""
    axes = config["axis"] if isinstance(config["axis"], (list, tuple)) else [config["axis"]]
    axes = sorted(a % (rank + 1) for a in axes)  # the batch axis is 0
    if (
        not (config["center"] and config["scale"])
        or config.get("rms_scaling")
        or axes != list(range(rank + 1 - len(axes), rank + 1))
    ):
        return None
    return Op("layernorm", (("dims", len(axes)),), {}, {}) if len(axes) > 1 else Op("layernorm")


def _shape(tensor) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.shape[1:])


def _tensors(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _square(value):
    value = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    return int(value[0]) if len(set(value)) == 1 else tuple(int(v) for v in value)


class _Importer:
    def __init__(self, model, input_shape, opaque: bool):
        self.model, self.opaque = model, opaque
        if _graph(model) is None:
            raise SymcnnError(
                f"{model.name} is a {type(model).__name__} without a layer graph: symcnn reads the graph of a "
                "functional model or of a built Sequential",
                hint="build a Sequential on an input first (keras.Input(shape) as its first layer); a subclassed "
                "model's call is Python code, which has no graph to read",
            )
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise SymcnnError(f"{model.name}: symcnn imports models with one input and one output")
        shape = tuple(model.inputs[0].shape[1:])
        if any(d is None for d in shape) and input_shape is not None:
            model = self.model = _rebuilt(model, tuple(input_shape))
            shape = tuple(model.inputs[0].shape[1:])
        if any(d is None for d in shape):
            raise SymcnnError(
                f"{model.name} has an input of unknown size {shape}",
                hint="give --input, e.g. --input 224,224,3, or build it with a fixed input_shape",
            )
        self.input_shape = tuple(int(d) for d in shape)
        if input_shape is not None and tuple(input_shape) != self.input_shape:
            raise SymcnnError(
                f"--input {','.join(map(str, input_shape))} is not {model.name}'s input shape {self.input_shape}",
                hint="Keras models fix their input shape when built: build it with the shape you want",
            )
        self.source = model.inputs[0]._keras_history.operation
        self.through: dict = {}  # a nested model -> its inner output; its inner input -> what it is called on
        self.nesting: dict = {}  # an operation -> the scopes of the nested models it is in
        # every operation of the graph: a functional model's layers, and the ops written between them (x + y)
        self.layers = [self.source] + [layer for layer in self._expand(_graph(model), ()) if layer is not self.source]
        self.result = self._producer(model.outputs[0])
        self.folded: dict = {}  # the last operation of a hard sigmoid or swish written as ops -> its _Fold
        self.scaled: dict = {}  # Inception-ResNet's CustomScaleLayer -> its _ScaledBranch
        self._fold_hard_activations()
        for layer in self.layers:
            if _custom_scale(layer):
                branch = self._producer(_tensors(layer.input)[1])
                self.scaled[layer] = _ScaledBranch(layer, branch, float(layer.get_config()["scale"]))
        self.layers = [step for layer in self.layers for step in (self.scaled.get(layer), layer) if step is not None]

    def _expand(self, graph, scopes: tuple[Scope, ...]) -> list:
        """The graph's operations, a nested model's replaced by its own, read as if written inline."""
        operations = []
        for operation in graph.operations:
            if len(operation._inbound_nodes) > 1:  # Keras's .input and .output would be its first call's alone
                self._fail(
                    operation,
                    "it is called more than once, sharing its weights; a DSL statement has its own",
                    "build the model with a layer for each call to import its shapes and costs",
                )
            inner = _graph(operation)
            if inner is None:
                if operation not in self.through:  # a nested model's input layer is what the model is called on
                    operations.append(operation)
                    self.nesting[operation] = scopes
                continue
            called_on = operation._inbound_nodes[0].input_tensors
            if len(inner.inputs) != 1 or len(inner.outputs) != 1 or len(called_on) != 1:
                self._fail(operation, "it is a nested model with more than one input or output")
            if tuple(inner.inputs[0].shape[1:]) != tuple(called_on[0].shape[1:]):
                self._fail(
                    operation,
                    f"it is a nested model built on {tuple(inner.inputs[0].shape[1:])} and called on "
                    f"{tuple(called_on[0].shape[1:])}: build it on the shape it is called on",
                )
            self.through[operation] = inner.outputs[0]
            self.through[inner.inputs[0]._keras_history.operation] = called_on[0]
            path = "/".join([*(scope.path for scope in scopes[-1:]), operation.name])
            operations += self._expand(inner, (*scopes, Scope(path, _kind(operation.name))))
        return operations

    def _producer(self, tensor):
        """The operation whose output the tensor is, looking through nested models' boundaries."""
        operation = tensor._keras_history.operation
        while operation in self.through:
            operation = self.through[operation]._keras_history.operation
        return operation

    def _inputs(self, layer) -> list:
        if layer is self.source:
            return []
        if layer in self.folded:
            return [self.folded[layer].input]
        if isinstance(layer, _ScaledBranch):
            return [layer.branch]
        if layer in self.scaled:
            return [self._producer(_tensors(layer.input)[0]), self.scaled[layer]]
        seen = []
        for tensor in _tensors(layer.input):
            producer = self._producer(tensor)
            if producer not in seen:
                seen.append(producer)
        return seen

    def _fold_hard_activations(self) -> None:
        """MobileNetV3's hard sigmoid written as ops, ReLU(6.0)(x + 3.0) * (1.0 / 6.0) (keras.applications'
        mobilenet_v3.hard_sigmoid), is one `hardsigmoid`; x times it, as Keras 3.0 wrote hard swish, a `hardswish`.
        Only this exact pattern, each intermediate result used by the next step alone: x + 2, an uncapped relu
        or * 0.2 is another function, and stays an op of its own."""
        users: dict = {}
        for layer in self.layers:
            for producer in self._inputs(layer):
                users.setdefault(producer, []).append(layer)
        for layer in self.layers:
            parts = self._hard_sigmoid_parts(layer, users)
            if parts is not None:
                self.folded[layer] = _Fold("hardsigmoid", parts[-1], parts[1], parts[:2])
        for layer in self.layers:
            if type(layer).__name__ != "Multiply" or len(_tensors(layer.input)) != 2:
                continue
            factors = [self._producer(tensor) for tensor in _tensors(layer.input)]
            for gate, x in (factors, factors[::-1]):
                fold = self.folded.get(gate)
                if fold and fold.keyword == "hardsigmoid" and fold.input is x and users[gate] == [layer]:
                    del self.folded[gate]
                    self.folded[layer] = _Fold("hardswish", x, fold.named, (*fold.parts, gate))
                    break
        folded = {part for fold in self.folded.values() for part in fold.parts}
        self.layers = [layer for layer in self.layers if layer not in folded]

    def _hard_sigmoid_parts(self, end, users: dict) -> tuple | None:
        """(x + 3, its relu6, x) when `end` is relu6(x + 3) * (1 / 6) or relu6(x + 3) / 6, else None."""
        scaled = _constant_operand(end)
        if scaled is None:
            return None
        tensor, factor, tensor_first = scaled
        divided = type(end).__name__ in ("TrueDivide", "Divide") and tensor_first and factor == 6
        if not (divided or (type(end).__name__ == "Multiply" and factor == 1 / 6)):
            return None
        relu = self._producer(tensor)
        if users[relu] != [end] or type(relu).__name__ not in ("ReLU", "Activation"):
            return None
        if getattr(self._layer(relu, type(relu).__name__), "keyword", None) != "relu6":
            return None
        shifted = self._producer(_tensors(relu.input)[0])
        added = _constant_operand(shifted)
        if added is None or type(shifted).__name__ != "Add" or added[1] != 3 or users[shifted] != [relu]:
            return None
        return shifted, relu, self._producer(added[0])

    def text(self, symbolic_input, source) -> str:
        joins = {"Add": "add", "Concatenate": "concat", "Multiply": "scale"}
        self.paths = Paths(
            self.layers,
            self.source,
            self._inputs,
            self._statement,
            self._fail,
            lambda layer: (
                ("add" if layer in self.scaled else joins.get(type(layer).__name__))
                if len(self._inputs(layer)) > 1
                else None
            ),
            lambda layer: layer.name,
            in_order=False,
        )
        statements = self.paths.walk(self.result)
        missing = [layer for layer in self.layers[1:] if layer not in self.paths.emitted]
        if missing:
            self._fail(missing[0], SHARED)
        trainable = sum(math.prod(w.shape) for w in self.model.trainable_weights)
        frozen = sum(math.prod(w.shape) for w in self.model.non_trainable_weights)
        header = [
            f"{self.model.name}{f' ({source})' if source else ''}, imported by symcnn from its Keras layer graph:",
            f"{trainable:,} trainable and {frozen:,} non-trainable parameters in Keras.",
        ]
        document = Document(header, self.input_shape, "keras", symbolic_input)
        try:
            text = write(document, statements)
        except ValueError as error:
            raise SymcnnError(f"--symbolic-input: {error}") from None
        expected = {"trainable_params": trainable, "non_trainable_params": frozen}
        return verified(text, statements, expected, "Keras")

    def _statement(self, layer):
        if isinstance(layer, _ScaledBranch):
            op, join = rescale(layer.scale), layer.join
            op.scopes, op.shape = self.nesting[join] + _scopes(join), _shape(join.output)
            return op
        kind = type(layer).__name__
        inputs = self._inputs(layer)
        shape, scopes = _shape(layer.output), self.nesting[layer] + _scopes(layer)
        if layer in self.folded:  # the op takes the scope of the pattern's one layer, its relu
            fold = self.folded[layer]
            return Op(fold.keyword, scopes=self.nesting[fold.named] + _scopes(fold.named), shape=shape)
        # a join of tensors; an op of one tensor and a constant (x + 3.0 in MobileNetV3's hard sigmoid) is a layer
        if len(inputs) > 1 or (kind in ("Add", "Concatenate", "Multiply") and len(_tensors(layer.input)) > 1):
            if (kind == "Add" and len(_tensors(layer.input)) == 2) or layer in self.scaled:
                return self.paths.residual(layer, inputs, scopes, shape)
            if kind == "Multiply" and len(_tensors(layer.input)) == 2:  # squeeze-and-excitation's x * gate(x)
                return self.paths.scale(layer, inputs, scopes, shape)
            if kind == "Concatenate" and layer.get_config()["axis"] in (-1, len(shape)):
                producers = [self._producer(t) for t in _tensors(layer.input)]
                return self.paths.concat(layer, producers, scopes, shape)
            self._fail(layer, "it combines several tensors in a way the DSL has no statement for")
        op = self._layer(layer, kind)
        if op is None and self.opaque:
            op = _opaque(layer, shape)
        if op is None:
            # the one failure --opaque mends: a layer the DSL has no statement for, kept with its shape and counts
            self._fail(layer, "symcnn has no layer for it", None if self.opaque else OPAQUE_HINT)
        op.scopes, op.shape = scopes, shape
        return op

    def _layer(self, layer, kind: str) -> Op | None:
        config = layer.get_config()
        activation = ACTIVATIONS.get(config.get("activation", "linear"), "?")
        if activation == "?":
            return None
        if kind in ("Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "Conv2DTranspose"):
            keyword = {"Conv2DTranspose": "convtranspose"}.get(kind, "sepconv" if "Separable" in kind else "conv")
            options = _conv_options(config, activation)
            if keyword == "sepconv":
                del options["groups"]
                options["depth_multiplier"] = int(config["depth_multiplier"])
            positional = (("filters", int(config["filters"])), ("kernel", _square(config["kernel_size"])))
            return Op(keyword, positional, options, dict(CONV_DEFAULTS, depth_multiplier=1))
        if kind == "DepthwiseConv2D":
            channels = int(layer.input.shape[-1])
            options = _conv_options(config, activation)
            options["groups"] = channels
            filters = channels * int(config["depth_multiplier"])
            positional = (("filters", filters), ("kernel", _square(config["kernel_size"])))
            return Op("conv", positional, options, dict(CONV_DEFAULTS))
        if kind == "BatchNormalization":
            if config["axis"] not in (-1, len(layer.input.shape) - 1, [-1]):
                return None
            center, scale = bool(config["center"]), bool(config["scale"])
            dropped = {"affine": False} if not (center or scale) else {"center": center, "scale": scale}
            return Op("batchnorm", (), dropped, {"affine": True, "center": True, "scale": True})
        if kind == "LayerNormalization":
            return _layernorm(config, len(layer.input.shape) - 1)
        if kind == "LayerScale" and [tuple(w.shape) for w in layer.weights] == [tuple(layer.input.shape[-1:])]:
            return Op("layerscale")  # keras.applications.convnext's: a γ per channel (the last axis)
        if kind == "Activation":
            return Op(activation or "linear")
        if kind == "ReLU":
            if config.get("threshold", 0) or config.get("negative_slope", 0):
                return None
            return (
                Op("relu6" if config.get("max_value") == 6 else "relu")
                if config.get("max_value") in (None, 6)
                else None
            )
        if kind in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D"):
            size = _square(config["pool_size"])
            stride = _square(config["strides"] or config["pool_size"])
            keyword = "maxpool" if kind.startswith("Max") else "avgpool"
            options = {"stride": stride, "padding": config["padding"]}
            return Op(keyword, (("size", size),), options, {"stride": size, "padding": "valid"})
        if kind in ("GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D"):
            keyword = "globalavgpool" if "Average" in kind else "globalmaxpool"
            return Op(keyword, (), {"keepdims": bool(config.get("keepdims"))}, {"keepdims": False})
        if kind == "ZeroPadding2D":
            pairs = tuple(tuple(int(v) for v in pair) for pair in config["padding"])
            flat = {v for pair in pairs for v in pair}
            return Op("zeropad", (("padding", flat.pop() if len(flat) == 1 else pairs),))
        if kind == "Flatten":
            return Op("flatten")
        if kind == "Reshape":  # (1, 1, C) -> (C,), as MobileNet ends; (C,) -> (1, 1, C) in a squeeze gate
            target = tuple(int(d) for d in config["target_shape"])
            return Op("flatten") if len(target) == 1 else Op("reshape", (("dims", target),))
        if kind == "Dense":
            options = {"bias": bool(config["use_bias"]), "activation": activation}
            return Op("dense", (("units", int(config["units"])),), options, {"bias": True, "activation": None})
        if kind in ("Dropout", "SpatialDropout2D"):
            return Op("dropout", (("rate", float(config["rate"])),))
        if kind == "Rescaling":  # a fixed affine map, no weights; one scale per channel has no DSL form
            scale, offset = config["scale"], config["offset"]
            return rescale(scale, offset) if all(isinstance(v, numbers.Real) for v in (scale, offset)) else None
        constant = _constant_operand(layer) if kind in OPS_ARITHMETIC else None
        if constant is not None:  # x + 3.0, 1.0 - x, x / 255
            _, number, tensor_first = constant
            return arithmetic(OPS_ARITHMETIC[kind], number, tensor_first)
        if kind == "Negative":
            return rescale(-1)
        if kind in ("Softmax", "LeakyReLU", "ELU"):
            return Op({"Softmax": "softmax", "LeakyReLU": "leakyrelu", "ELU": "elu"}[kind])
        if kind == "UpSampling2D":
            return Op("upsample", (("scale", _square(config["size"])),))
        return None

    def _fail(self, layer, why: str, hint: str | None = None):
        raise SymcnnError(f"cannot import layer {layer.name} ({type(layer).__name__}): {why}", hint=hint)


def _conv_options(config, activation) -> dict:
    return {
        "stride": _square(config["strides"]),
        "padding": config["padding"],
        "dilation": _square(config["dilation_rate"]),
        "groups": int(config.get("groups", 1)),
        "bias": bool(config["use_bias"]),
        "activation": activation,
    }


def _scopes(layer) -> tuple[Scope, ...]:
    """The block a layer's name puts it in: conv2_block1_1_conv is in conv2_block1."""
    match = BLOCK_NAME.match(layer.name)
    if match is None:
        return ()
    kind = _kind(match.group(1))  # conv_block, block
    return (Scope(match.group(1), kind if kind.endswith("block") else f"{kind}_block"),)


def _kind(name: str) -> str:
    """What instances of one block or nested model share: their name without its numbers."""
    return re.sub(r"_?\d+[a-z]?", "", name).strip("_") or "model"


def _graph(operation):
    """The layer graph of a functional model, or the one a Sequential keeps once built; None for a layer, an op, an
    unbuilt Sequential or a subclassed model (its call is Python code). Told by class name: no Keras import here."""
    classes = {cls.__name__ for cls in type(operation).__mro__}
    if "Sequential" in classes:
        return getattr(operation, "_functional", None)
    return operation if "Functional" in classes else None


def _custom_scale(layer) -> bool:
    """keras.applications.inception_resnet_v2's CustomScaleLayer, inputs[0] + inputs[1] * scale (not a user's layer
    of the same name, which may compute anything)."""
    return (
        type(layer).__name__ == "CustomScaleLayer"
        and type(layer).__module__.endswith("applications.inception_resnet_v2")
        and len(_tensors(layer.input)) == 2
        and isinstance(layer.get_config().get("scale"), numbers.Real)
    )


def _constant_operand(operation) -> tuple | None:
    """(tensor, number, whether the tensor comes first) for an op of one tensor and a number (x + 3.0, 3 + x)."""
    nodes = getattr(operation, "_inbound_nodes", ())
    arguments = nodes[0].arguments if len(nodes) == 1 else None
    if arguments is None or arguments.kwargs or len(arguments.args) != 2:
        return None
    first, second = arguments.args
    for tensor, number, tensor_first in ((first, second, True), (second, first, False)):
        if hasattr(tensor, "_keras_history") and isinstance(number, numbers.Real) and not isinstance(number, bool):
            return tensor, number, tensor_first
    return None


def _opaque(layer, shape) -> Op:
    # an operation written between layers (x + 3.0) has no weights at all
    trainable = sum(math.prod(w.shape) for w in getattr(layer, "trainable_weights", ()))
    frozen = sum(math.prod(w.shape) for w in getattr(layer, "non_trainable_weights", ()))
    return Op(
        "opaque",
        (("shape", shape),),
        {"params": trainable, "non_trainable": frozen},
        {"params": 0, "non_trainable": 0},
        label=identifier(layer.name),
        comment=type(layer).__name__,
    )
