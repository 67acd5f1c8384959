"""Data for training: datasets made from a seed or shipped with a package, batching, metrics.

One module per data set or concern; this package only re-exports them.
"""

from puregrad.data.core import accuracy, minibatches, spiral
from puregrad.data.sine import SinCurve, sequence_batches, sin_curve

__all__ = ["accuracy", "minibatches", "spiral"]
__all__ += ["SinCurve", "sequence_batches", "sin_curve"]
from puregrad.data.digits import DigitsSplit, digits

__all__ = ["accuracy", "minibatches", "spiral"]
__all__ += ["DigitsSplit", "digits"]
