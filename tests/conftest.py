"""Shared configuration and helpers for the engine's unit tests.

Hypothesis runs under a fixed profile: derandomized (the same examples on every
run, on every machine) and without an example database, so a run never depends
on an earlier one and can never be flaky. ``deadline=None`` because the loop
oracle of :mod:`convbook.reference` is pure Python and its speed varies with the
machine.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from helpers import conv_magnitude
from hypothesis import HealthCheck, settings

settings.register_profile(
    "convbook",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("convbook")


# Relative tolerances, relative to the magnitude of the terms being summed (not
# to the result, which can cancel to ~0). Exact for integers.
_RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.complex128): 1e-10,
         np.dtype(np.float32): 1e-4, np.dtype(np.complex64): 1e-4, np.dtype(np.float16): 1e-2}


def assert_close_to(actual, expected, *, magnitude=None, dtype=None):
    """Assert ``actual`` equals ``expected`` (shape, dtype, non-finite pattern, values).

    ``magnitude`` bounds the size of the summed terms (a scalar or an array
    broadcastable to the output): float results may differ by ``rtol * magnitude``
    where ``rtol`` is ~1e-10 for float64 and ~1e-4 for float32. Integer results
    must be identical.
    """
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == (expected.dtype if dtype is None else np.dtype(dtype)), (actual.dtype, expected.dtype)
    if actual.dtype.kind in "iub":
        np.testing.assert_array_equal(actual, expected)
        return
    # NaN and infinities must sit at the same places
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(actual.real), np.isposinf(expected.real))
    np.testing.assert_array_equal(np.isneginf(actual.real), np.isneginf(expected.real))
    finite = np.isfinite(actual) & np.isfinite(expected)
    if magnitude is None:
        magnitude = np.max(np.abs(expected[finite]), initial=0.0)
    rtol = _RTOL[actual.dtype]
    atol = rtol * (np.broadcast_to(magnitude, actual.shape)[finite] + np.finfo(actual.dtype).tiny)
    error = np.abs(actual[finite].astype(np.complex128 if actual.dtype.kind == "c" else np.float64)
                   - expected[finite])
    bad = error > atol
    assert not bad.any(), (
        f"{int(bad.sum())} of {bad.size} values differ; max error {error.max()} "
        f"(allowed {atol[np.argmax(error)]})"
    )


@pytest.fixture(scope="session")
def close():
    """The :func:`assert_close_to` helper, as a fixture (usable with hypothesis)."""
    return assert_close_to


@pytest.fixture(scope="session")
def magnitude():
    """The :func:`conv_magnitude` helper, as a fixture."""
    return conv_magnitude


@pytest.fixture
def strategy_calls(monkeypatch):
    """Record which fast-path strategy of :mod:`convbook.conv` ran, and how many column tiles.

    Wraps ``convbook.conv._pointwise``, ``_depthwise``, ``_im2col`` and
    ``convbook._gather.columns`` (one call per tile) with counters; returns the
    dict of counts, keyed ``_pointwise``, ``_depthwise``, ``_im2col``, ``_columns``.
    """
    import convbook._gather as gather_module
    import convbook.conv as conv_module

    targets = {"_pointwise": (conv_module, "_pointwise"), "_depthwise": (conv_module, "_depthwise"),
               "_im2col": (conv_module, "_im2col"), "_columns": (gather_module, "columns")}
    calls = dict.fromkeys(targets, 0)
    for name, (module, attribute) in targets.items():
        original = getattr(module, attribute)

        def spy(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        functools.update_wrapper(spy, original)
        monkeypatch.setattr(module, attribute, spy)
    return calls
