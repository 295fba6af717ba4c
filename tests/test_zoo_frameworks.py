"""The model zoo against the frameworks' own models: torchvision.models and keras.applications.

For each zoo file, the framework's builder makes the model (weights=None) and symcnn's derivation must agree with
it on

* the total, trainable and non-trainable parameter counts, exactly;
* every stage's output shape: symcnn's block, branch or layer names mapped to the framework's module names
  (torch: forward hooks during one pass; keras: each layer's output);
* the MACs. For torch, against torchinfo's mult-adds, which count differently in these ways, each worked out from
  the model here: a conv's bias counts one mult-add per output position, a batch norm or layer norm counts its
  parameters once, and a linear layer counts its weights and bias once per sample, however many positions it is
  applied at (ConvNeXt's channels-last linear layers run at every pixel; symcnn counts every position's
  multiply-adds). A parameter of a module that is not a leaf, such as ConvNeXt's layer scale, counts nothing in
  torchinfo, as symcnn counts no MACs for it; neither counts the product of a gate (RegNet's squeeze-and-excitation).
  symcnn's MACs are the multiply-adds of the weights alone, as torchvision's
  published "GFLOPS" are. For keras, which has no torchinfo, against the multiply-adds counted from each layer's
  attributes and its output shape;
* torchvision's published figures (the weights' metadata): the parameter count exactly, the GFLOPS to their
  rounding;
* the smallest valid input: where symcnn's conditions first hold, torchvision's model runs, and one pixel less
  it refuses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
torchinfo = pytest.importorskip("torchinfo")

import sympy
from frameworks import keras, torchvision

import symcnn

ZOO = Path(__file__).resolve().parent.parent / "examples" / "zoo"
nn = torch.nn


@dataclass(frozen=True)
class TorchCase:
    builder: str  # torchvision.models.<builder>
    weights: str  # torchvision.models.<weights>, for the published figures
    stages: dict[str, str]  # symcnn block, branch or layer name -> torch module name
    options: dict = field(default_factory=dict)


def resnet_stages(fc: str = "fc") -> dict[str, str]:
    return {"maxpool1": "maxpool", **{f"layer{i}": f"layer{i}" for i in range(1, 5)}, fc: "fc"}


def vgg_stages(pools: list[int]) -> dict[str, str]:
    """convs1 ... convs5 end in torchvision's five max pools, at these indices in `features`."""
    return {f"convs{i}": f"features.{index}" for i, index in enumerate(pools, 1)} | {"dense3": "classifier.6"}


INCEPTION_V3_STAGES = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1"]
INCEPTION_V3_STAGES += ["Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b"]
INCEPTION_V3_STAGES += ["Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool", "fc"]
GOOGLENET_STAGES = ["conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3"]
GOOGLENET_STAGES += [f"inception4{x}" for x in "abcde"] + ["maxpool4", "inception5a", "inception5b", "avgpool", "fc"]
DENSENET_STAGES = ["conv0", "pool0"] + [f"denseblock{i}" for i in range(1, 5)]
DENSENET_STAGES += [f"transition{i}" for i in range(1, 4)] + ["norm5"]
CONVNEXT_STAGES = ["stem", "stage1", "down1", "stage2", "down2", "stage3", "down3", "stage4"]

# The auxiliary classifiers run only in training: off. init_weights=False skips their slow truncated-normal
# initialisation, which changes no shape or count.
NO_AUX = {"aux_logits": False, "init_weights": False}

TORCH_CASES = {
    "alexnet": TorchCase(
        "alexnet", "AlexNet_Weights", {"maxpool1": "features.2", "maxpool3": "features.12", "dense3": "classifier.6"}
    ),
    "vgg16": TorchCase("vgg16", "VGG16_Weights", vgg_stages([4, 9, 16, 23, 30])),
    "vgg16_bn": TorchCase("vgg16_bn", "VGG16_BN_Weights", vgg_stages([6, 13, 23, 33, 43])),
    "resnet18": TorchCase("resnet18", "ResNet18_Weights", resnet_stages()),
    "resnet34": TorchCase("resnet34", "ResNet34_Weights", resnet_stages()),
    "resnet50": TorchCase("resnet50", "ResNet50_Weights", resnet_stages()),
    "resnext50_32x4d": TorchCase("resnext50_32x4d", "ResNeXt50_32X4D_Weights", resnet_stages()),
    "squeezenet1_0": TorchCase(
        "squeezenet1_0",
        "SqueezeNet1_0_Weights",
        {f"fire{i}": f"features.{index}" for i, index in enumerate([3, 4, 5, 7, 8, 9, 10, 12], 1)}
        | {"maxpool1": "features.2", "maxpool3": "features.11", "final_conv": "classifier.1"},
    ),
    "googlenet": TorchCase("googlenet", "GoogLeNet_Weights", {name: name for name in GOOGLENET_STAGES}, NO_AUX),
    "densenet121": TorchCase(
        "densenet121",
        "DenseNet121_Weights",
        {name: f"features.{name}" for name in DENSENET_STAGES} | {"classifier": "classifier"},
    ),
    "mobilenet_v2": TorchCase(
        "mobilenet_v2",
        "MobileNet_V2_Weights",
        {f"block{i}": f"features.{index}" for i, index in enumerate([1, 3, 6, 10, 13, 16, 17], 1)}
        | {"stem": "features.0", "last": "features.18", "classifier": "classifier.1"},
    ),
    "inception_v3": TorchCase("inception_v3", "Inception_V3_Weights", {n: n for n in INCEPTION_V3_STAGES}, NO_AUX),
    "regnet_y_400mf": TorchCase(
        "regnet_y_400mf",
        "RegNet_Y_400MF_Weights",
        {"stem": "stem", **{f"block{i}": f"trunk_output.block{i}" for i in range(1, 5)}, "fc": "fc"},
    ),
    "convnext_tiny": TorchCase(
        "convnext_tiny",
        "ConvNeXt_Tiny_Weights",
        {name: f"features.{index}" for index, name in enumerate(CONVNEXT_STAGES)} | {"classifier": "classifier"},
    ),
    "mobilenet_v3_large": TorchCase(
        "mobilenet_v3_large",
        "MobileNet_V3_Large_Weights",
        {f"bneck{i}": f"features.{i}" for i in range(1, 16)}
        # A squeeze-and-excitation gate multiplied in: its output is the gated tensor, as torchvision's module's.
        # Its product `scale * input` is no module, so torchinfo counts no mult-adds for it, nor symcnn for the
        # `scale` join; the gate's convs differ only by their biases, as every conv does.
        | {f"bneck{i}.inverted1.se": f"features.{i}.block.2" for i in (4, 11, 15)}
        | {"stem": "features.0", "last": "features.16", "dense1": "classifier.0", "classifier": "classifier.3"},
    ),
    "efficientnet_b0": TorchCase(
        "efficientnet_b0",
        "EfficientNet_B0_Weights",
        {f"stage{i}": f"features.{i}" for i in range(1, 8)}
        | {f"stage{i}.mbconv{j}": f"features.{i}.{j - 1}" for i, j in [(2, 2), (5, 1), (6, 4)]}
        # the gates: block.1 where expansion ratio 1 leaves out the expanding conv
        | {"stage1.mbconv1.inverted1.se": "features.1.0.block.1", "stage6.mbconv4.inverted1.se": "features.6.3.block.2"}
        | {"stem": "features.0", "last": "features.8", "classifier": "classifier.1"},
    ),
    "shufflenet_v2_x1_0": TorchCase(
        "shufflenet_v2_x1_0",
        "ShuffleNet_V2_X1_0_Weights",
        {n: n for n in ("conv1", "maxpool", "stage2", "stage3", "stage4", "conv5", "fc")}
        # a unit's output (after the shuffle), and its branches: both see the input at stride 2, only branch2 runs at 1
        | {f"stage{i}.inverted_residual{n + 1}": f"stage{i}.{n}" for i, n in [(2, 0), (2, 3), (3, 1), (4, 3)]}
        | {f"stage{i}.inverted_residual1.{b}": f"stage{i}.0.{b}" for i in (2, 3, 4) for b in ("branch1", "branch2")}
        | {"stage3.inverted_residual5.branch2": "stage3.4.branch2"},
    ),
}


def as_int(value) -> int:
    value = sympy.sympify(value)
    assert value.is_Integer, f"not a concrete integer: {value}"
    return int(value)


def symcnn_shape(network, name: str) -> tuple[int, ...]:
    """The output shape of a block, shortcut or branch, or of a layer (a labelled residual is its add row)."""
    outputs = {container.name: container.output for container in network.containers}
    shape = outputs[name] if name in outputs else network.row(name).output
    return tuple(as_int(d) for d in shape.dims)


def count(tensors) -> int:
    return sum(t.numel() for t in tensors)


@dataclass
class TorchRun:
    network: object
    model: object
    stage_shapes: dict[str, tuple[int, ...]]
    mult_adds: int  # torchinfo's
    bias_positions: int  # a bias element per output position of every conv, and once for a linear layer
    batchnorm_params: int
    layernorm_params: int
    linear_repeats: int  # a linear layer's weights once per position after the first, which torchinfo does not count


@cache
def torch_run(name: str) -> TorchRun:
    """Builds the torchvision model once, and runs torchinfo's forward pass with our hooks on it."""
    case = TORCH_CASES[name]
    network = symcnn.load(str(ZOO / f"{name}.cnn"))
    model = getattr(torchvision().models, case.builder)(weights=None, **case.options).eval()
    modules = dict(model.named_modules())
    stage_shapes, bias_positions, linear_repeats = {}, [], []

    def record(module_name):
        return lambda module, args, out: stage_shapes.__setitem__(module_name, tuple(out.shape[1:]))

    def bias(module, args, out):
        if isinstance(module, nn.Linear):  # torchinfo: (weight + bias) x batch, the batch being out.shape[0]
            linear_repeats.append((math.prod(out.shape[1:-1]) - 1) * module.weight.numel())
        if module.bias is not None:
            positions = math.prod(out.shape[2:]) if isinstance(module, nn.Conv2d) else 1
            bias_positions.append(module.bias.numel() * positions)

    handles = [modules[m].register_forward_hook(record(m)) for m in case.stages.values()]
    handles += [m.register_forward_hook(bias) for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    try:
        with torch.no_grad():
            summary = torchinfo.summary(model, input_size=(1, *map(as_int, network.input.dims)), verbose=0)
    finally:
        for handle in handles:
            handle.remove()
    batchnorm_params = count(p for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    layernorm_params = count(p for m in model.modules() if isinstance(m, nn.LayerNorm) for p in m.parameters())
    mult_adds, biases, repeats = summary.total_mult_adds, sum(bias_positions), sum(linear_repeats)
    return TorchRun(network, model, stage_shapes, mult_adds, biases, batchnorm_params, layernorm_params, repeats)


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_params_equal_torchvision(name):
    run = torch_run(name)
    parameters = list(run.model.parameters())
    totals = run.network.totals
    assert as_int(totals["params"]) == count(parameters)
    assert as_int(totals["trainable_params"]) == count(p for p in parameters if p.requires_grad)
    assert as_int(totals["non_trainable_params"]) == count(p for p in parameters if not p.requires_grad) == 0


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_stage_shapes_equal_torchvision(name):
    run = torch_run(name)
    stages = TORCH_CASES[name].stages
    assert set(run.stage_shapes) == set(stages.values()), "every mapped module ran once"
    for ours, theirs in stages.items():
        assert symcnn_shape(run.network, ours) == run.stage_shapes[theirs], f"{ours} vs {theirs}"
    # the last layer too: the whole network, not only the stages
    assert symcnn_shape(run.network, run.network.rows[-1].name) == (1000,)


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_macs_equal_torchinfo_mult_adds_less_biases_and_norms(name):
    run = torch_run(name)
    norms = run.batchnorm_params + run.layernorm_params
    assert run.mult_adds == as_int(run.network.totals["macs"]) + run.bias_positions + norms - run.linear_repeats


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_published_figures(name):
    case = TORCH_CASES[name]
    meta = getattr(torchvision().models, case.weights).IMAGENET1K_V1.meta
    network = torch_run(name).network
    params = as_int(network.totals["params"])
    if name == "inception_v3":
        # torchvision keeps the auxiliary classifier in the model its weights are loaded into, and counts it.
        auxiliary = torchvision().models.inception_v3(weights=None, aux_logits=True, init_weights=False).AuxLogits
        params += count(auxiliary.parameters())
    assert params == meta["num_params"]
    giga_macs = as_int(network.totals["macs"]) / 1e9
    decimals = len(str(meta["_ops"]).partition(".")[2])
    assert round(giga_macs, decimals) == meta["_ops"], f"{giga_macs} G vs the published {meta['_ops']}"


# keras.applications ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KerasCase:
    builder: str  # keras.applications.<builder>
    stages: dict[str, str]  # symcnn name -> keras layer name


KERAS_CASES = {
    "keras_resnet50": KerasCase(
        "ResNet50",
        {"conv1_conv": "conv1_conv", "conv1_bn": "conv1_bn", "pool1_pool": "pool1_pool"}
        | {f"conv{i}": f"conv{i}_block{n}_out" for i, n in [(2, 3), (3, 4), (4, 6), (5, 3)]}
        | {"avg_pool": "avg_pool", "predictions": "predictions"},
    ),
    "keras_mobilenet": KerasCase(
        "MobileNet",
        {n: n for n in ("conv1", "conv_preds", "reshape_2", "predictions")}
        | {f"dw_block{i}": f"conv_pw_{block_id}_relu" for i, block_id in enumerate([1, 3, 5, 7, 8, 9, 10, 11, 13], 1)}
        | {f"dw_block_down{i}": f"conv_pw_{block_id}_relu" for i, block_id in enumerate([2, 4, 6, 12], 1)},
    ),
    "keras_vgg16": KerasCase(
        "VGG16",
        {f"block{i}": f"block{i}_pool" for i in range(1, 6)} | {n: n for n in ("fc1", "fc2", "predictions")},
    ),
    "keras_xception": KerasCase(
        "Xception",
        # Keras names the residual adds by a global counter; a block's pool has the add's shape.
        {"block1_conv1": "block1_conv1", "block1_conv2": "block1_conv2"}
        | {f"block{i}": f"block{i}_pool" for i in (2, 3, 4, 13)}
        | {f"middle{i}": f"block{i + 4}_sepconv3_bn" for i in range(1, 9)}
        | {"block14_sepconv1": "block14_sepconv1_bn", "block14_sepconv2": "block14_sepconv2_bn"}
        | {"avg_pool": "avg_pool", "predictions": "predictions"},
    ),
}


@cache
def keras_model(name: str):
    return getattr(keras().applications, KERAS_CASES[name].builder)(weights=None)


def keras_layer_macs(layer) -> int:
    """Multiply-adds from the layer's attributes and its output shape (batch 1)."""
    layers = keras().layers
    out = tuple(layer.output.shape[1:])
    if isinstance(layer, layers.Dense):
        return math.prod(out[:-1]) * layer.kernel.shape[0] * layer.units
    if isinstance(layer, layers.SeparableConv2D):
        depthwise = math.prod(out[:-1]) * layer.depthwise_kernel.shape[2] * layer.depth_multiplier
        return depthwise * (math.prod(layer.kernel_size) + out[-1])
    if isinstance(layer, layers.DepthwiseConv2D):
        return math.prod(out) * math.prod(layer.kernel_size)
    if isinstance(layer, layers.Conv2D):
        return math.prod(out) * math.prod(layer.kernel.shape[:-1])
    return 0


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_params_equal_keras(name):
    model = keras_model(name)
    totals = symcnn.load(str(ZOO / f"{name}.cnn")).totals
    assert as_int(totals["params"]) == model.count_params()
    assert as_int(totals["trainable_params"]) == count(w.value for w in model.trainable_weights)
    assert as_int(totals["non_trainable_params"]) == count(w.value for w in model.non_trainable_weights)


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_stage_shapes_equal_keras(name):
    model = keras_model(name)
    network = symcnn.load(str(ZOO / f"{name}.cnn"))
    assert tuple(model.input.shape[1:]) == tuple(as_int(d) for d in network.input.dims)
    for ours, theirs in KERAS_CASES[name].stages.items():
        assert symcnn_shape(network, ours) == tuple(model.get_layer(theirs).output.shape[1:]), f"{ours} vs {theirs}"
    assert symcnn_shape(network, network.rows[-1].name) == tuple(model.output.shape[1:])


@pytest.mark.parametrize("name", sorted(KERAS_CASES))
def test_macs_equal_keras_layer_counts(name):
    model = keras_model(name)
    network = symcnn.load(str(ZOO / f"{name}.cnn"))
    assert as_int(network.totals["macs"]) == sum(keras_layer_macs(layer) for layer in model.layers)


def smallest_valid(network, parameter: str = "R") -> int:
    """The smallest value at which every one of the network's validity conditions holds."""
    conditions = [condition.predicate for condition in network.conditions]
    value = 1
    while not all(bool(c.xreplace(network.assign({parameter: value}))) for c in conditions):
        value += 1
    return value


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_the_smallest_valid_input_is_torchvisions(name):
    network = symcnn.load(str(ZOO / f"{name}.cnn"), symbolic=["R"])
    smallest = smallest_valid(network)
    model = torch_run(name).model
    with torch.no_grad():
        assert model(torch.zeros(1, 3, smallest, smallest)).shape == (1, 1000)
        if smallest > 1:
            with pytest.raises(RuntimeError):
                model(torch.zeros(1, 3, smallest - 1, smallest - 1))
