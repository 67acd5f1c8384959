import gc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Reference counting alone must free everything: the cycle collector stays off."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
