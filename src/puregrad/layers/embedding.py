"""`Embedding`: a table of learned vectors, one row per id."""

from __future__ import annotations

from typing import Any, Generic, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node
from puregrad.ops.embedding import embedding
from puregrad.tree import Param

__all__ = ["Embedding", "EmbeddingParams"]


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"Embedding: {attribute.name} must be a positive int, got {value!r}")


@attrs.frozen
class EmbeddingParams(Generic[F]):
    """An `Embedding`'s parameters: the table `W` of shape `(num_embeddings, dim)`."""

    W: Param[F]


@attrs.frozen
class Embedding:
    """A lookup table: `apply(params, ids)` is `W[ids]`, of shape `ids.shape + (dim,)`
    (`torch.nn.Embedding`; see `embedding` for the gradient and errors).

    >>> layer = Embedding(10, 3)
    >>> params = layer.init(np.random.default_rng(0))
    >>> layer.apply(params, np.array([[1, 2], [9, 1]])).shape
    (2, 2, 3)
    """

    num_embeddings: int = attrs.field(validator=_positive)
    dim: int = attrs.field(validator=_positive)

    @overload
    def init(self, rng: np.random.Generator) -> EmbeddingParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> EmbeddingParams[F]: ...
    def init(
        self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64
    ) -> EmbeddingParams[Any]:
        """A table drawn from the standard normal (as PyTorch), read-only."""
        W = rng.standard_normal((self.num_embeddings, self.dim)).astype(dtype)
        W.flags.writeable = False
        return EmbeddingParams(W)

    def apply(
        self,
        params: EmbeddingParams[F],
        ids: Node[Any] | NDArray[np.integer[Any]] | int,
        *,
        config: Config | None = None,
    ) -> Node[F]:
        """The rows of the table at `ids`.

        Raises:
            TypeError: `ids` are not integers.
            IndexError: an id is outside `[0, num_embeddings)`.
        """
        return embedding(params.W, ids, config=config)
