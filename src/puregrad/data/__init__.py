"""Data for training: data sets made from a seed or shipped with a package, batching, metrics.

One module per data set or concern; this package only re-exports them.
"""

from puregrad.data.core import accuracy, minibatches, spiral
from puregrad.data.digits import digits, DigitsSplit
from puregrad.data.sine import sequence_batches, sin_curve, SinCurve

__all__ = [
    "accuracy",
    "digits",
    "DigitsSplit",
    "minibatches",
    "sequence_batches",
    "sin_curve",
    "SinCurve",
    "spiral",
]
