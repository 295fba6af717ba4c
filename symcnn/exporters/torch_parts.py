"""The small modules and functions a generated PyTorch model may need, as source text.

`symcnn export --to torch` copies the ones a network uses into the module it
writes, so that the module stays self-contained (torch only, no torchvision,
no symcnn). They are text here, not code, so that `import symcnn` never
imports torch. Each PyTorch lazy-style part sizes itself from the first input,
as nn.LazyConv2d does, so the generated code never restates a shape formula.
"""

SAME_PADDING = '''
def same_padding(x, layer, value=0.0):
    """Keras's padding='same' for `layer`: ceil(N/S) outputs, the odd pixel padded after."""
    rank = x.dim() - 2

    def per_dim(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank

    geometry = zip(x.shape[2:], per_dim(layer.kernel_size), per_dim(layer.stride), per_dim(getattr(layer, "dilation", 1)))
    pads = []
    for n, k, s, d in reversed(list(geometry)):  # F.pad lists the last dim first
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)
'''

GLOBAL_POOL = '''
class GlobalPool(nn.Module):
    """Keras's GlobalAveragePooling / GlobalMaxPooling: one value per channel."""

    def __init__(self, reduce, dims, keepdims=False):
        super().__init__()
        self.reduce, self.dims, self.keepdims = reduce, dims, keepdims  # dims given, so that torch.fx traces it

    def forward(self, x):
        return getattr(x, self.reduce)(self.dims, keepdim=self.keepdims)
'''

CROP = '''
class Crop(nn.Module):
    """Cuts the spatial dims: (before, after) per dim, or around the center to a size or to another tensor's."""

    def __init__(self, amounts=None, size=None):
        super().__init__()
        self.amounts, self.size = amounts, size

    def forward(self, x, like=None):
        if self.amounts is not None:
            bounds = [(before, n - after) for n, (before, after) in zip(x.shape[2:], self.amounts)]
        else:  # the odd element at the end, as U-Net's crop-and-copy and keras.layers.CenterCrop
            targets = like.shape[2:] if like is not None else self.size
            bounds = [((n - t) // 2, (n - t) // 2 + t) for n, t in zip(x.shape[2:], targets)]
        return x[(..., *(slice(start, stop) for start, stop in bounds))]
'''

PERMUTE = '''
class Permute(nn.Module):
    """x.permute(0, *dims): the dims reordered, the batch kept first."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(0, *self.dims)
'''

RESHAPE = '''
class Reshape(nn.Module):
    """x.reshape(batch, *dims)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.reshape(x.shape[0], *self.dims)
'''

LAZY_LAYER_NORM = '''
class LazyLayerNorm(nn.modules.lazy.LazyModuleMixin, nn.LayerNorm):
    """nn.LayerNorm over the last `dims` dims, sized by the first input as PyTorch's lazy layers are."""

    cls_to_become = nn.LayerNorm

    def __init__(self, dims=1):
        super().__init__(())
        self.dims = dims
        self.weight, self.bias = nn.UninitializedParameter(), nn.UninitializedParameter()

    def initialize_parameters(self, x):
        if self.has_uninitialized_params():
            self.normalized_shape = tuple(x.shape[-self.dims :])
            with torch.no_grad():
                self.weight.materialize(self.normalized_shape)
                self.bias.materialize(self.normalized_shape)
                self.reset_parameters()
'''

LAYER_SCALE = '''
class LayerScale(nn.modules.lazy.LazyModuleMixin, nn.Module):
    """Each channel times a learned gamma, 1e-6 at first as in torchvision's ConvNeXt; sized by the first input."""

    def __init__(self, channel_dim=1, init=1e-6):
        super().__init__()
        self.channel_dim, self.init = channel_dim, init
        self.gamma = nn.UninitializedParameter()

    def initialize_parameters(self, x):
        if self.has_uninitialized_params():
            dim = self.channel_dim % x.dim()
            with torch.no_grad():
                self.gamma.materialize((x.shape[dim],) + (1,) * (x.dim() - 1 - dim))
                self.gamma.fill_(self.init)

    def forward(self, x):
        return x * self.gamma
'''

RESCALE = '''
class Rescale(nn.Module):
    """x * scale + offset with fixed numbers, no weights (keras.layers.Rescaling)."""

    def __init__(self, scale, offset=0.0):
        super().__init__()
        self.scale, self.offset = scale, offset

    def forward(self, x):
        return x * self.scale + self.offset
'''

DROP_PATH = '''
class DropPath(nn.Module):
    """Stochastic depth (torchvision.ops.StochasticDepth, mode "row"): the identity in eval; in training each
    sample's path is dropped with probability `rate`, and the kept ones scaled by 1 / (1 - rate)."""

    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def forward(self, x):
        if not self.training or self.rate == 0.0:
            return x
        keep = 1.0 - self.rate
        noise = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * (noise / keep if keep > 0.0 else noise)
'''

# One per spatial rank the network uses: {rank} is 1, 2 or 3.
SEPARABLE_CONV = '''
class LazyDepthwiseConv{rank}d(nn.LazyConv{rank}d):
    """A depthwise convolution: `multiplier` filters per input channel, no bias; sized by the first input."""

    def __init__(self, multiplier, kernel_size, **options):
        super().__init__(multiplier, kernel_size, bias=False, **options)
        self.multiplier = multiplier

    def initialize_parameters(self, x):
        if self.has_uninitialized_params():
            self.groups = x.shape[1]
            self.out_channels = self.groups * self.multiplier
        super().initialize_parameters(x)


class SeparableConv{rank}d(nn.Module):
    """keras.layers.SeparableConv{rank}D: a depthwise convolution, then a 1x1 convolution with the bias."""

    def __init__(self, filters, kernel_size, depth_multiplier=1, bias=True, **options):
        super().__init__()
        self.depthwise = LazyDepthwiseConv{rank}d(depth_multiplier, kernel_size, **options)
        self.pointwise = nn.LazyConv{rank}d(filters, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
'''

# {choices}: the activations the file passes by name to a block, e.g. act=hardswish.
ACTIVATION = '''
def activation(name):
    """A new module for an activation given by name, as a block's argument gives it."""
    return {choices}[name]()
'''
