from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The package under test: an installed one (PYTHONPATH), else the source tree.
try:
    import trainingcore  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_core import FakeCore  # noqa: E402


@pytest.fixture
def core() -> Iterator[FakeCore]:
    fake = FakeCore()
    yield fake
    fake.stop()


def pytest_report_header() -> str:
    import trainingcore

    return f"trainingcore from {Path(trainingcore.__file__).parent}"
