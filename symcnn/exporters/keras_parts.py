"""The small layers and functions a generated Keras model may need, as source text.

`symcnn export --to keras` copies the ones a network uses into the module it
writes, so that it needs Keras only. Text, not code, so that `import symcnn`
never imports Keras.
"""

CENTERED = '''
def centered(shape, size):
    """Cropping amounts that keep `size` around the center, the odd element cut at the end."""
    return tuple(((n - t) // 2, n - t - (n - t) // 2) for n, t in zip(shape, size))
'''

CHANNEL_SHUFFLE = '''
class ChannelShuffle(layers.Layer):
    """ShuffleNet's channel shuffle (torch.nn.ChannelShuffle) on the last axis: no weights."""

    def __init__(self, groups, **kwargs):
        super().__init__(**kwargs)
        self.groups = groups

    def call(self, x):
        *dims, channels = x.shape[1:]
        x = keras.ops.reshape(x, (-1, *dims, self.groups, channels // self.groups))
        return keras.ops.reshape(keras.ops.swapaxes(x, -1, -2), (-1, *dims, channels))
'''

LAYER_SCALE = '''
class LayerScale(layers.Layer):
    """Each channel (the last axis) times a learned gamma, 1e-6 at first: keras.applications.convnext's LayerScale."""

    def __init__(self, init=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init))

    def call(self, x):
        return x * self.gamma
'''
