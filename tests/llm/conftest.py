from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.helpers import OPENED


@pytest.fixture(autouse=True)
def _close_gateways() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()
