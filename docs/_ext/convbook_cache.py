"""Sphinx extension: never build the book on stale outputs, or with another engine.

jupyter-cache keys a notebook only on its own code cells. The pages import
convbook, so their outputs also depend on the files under src/convbook/ and on
NumPy (and whatever else is installed). :func:`fingerprint` covers every file
of the package (:func:`engine_source_hash`, the hash the verification report
shows), the version of every installed distribution and the Python version.
When the build starts (``config-inited``) it is used twice:

* as the config value ``convbook_source_hash``, registered with
  ``rebuild="env"``: when it changes, Sphinx re-reads every page instead of
  reusing pickled doctrees;
* as the name of the jupyter-cache directory (:func:`cache_dir`): re-read pages
  cannot find the old cached outputs, so every notebook is executed again.
  Directories made for other fingerprints can never be reused and are deleted
  (:func:`purge_stale`).

A page whose checks no longer hold against the current engine therefore
always fails the build; it cannot pass on stale outputs (tests/test_build.py
proves it: break the engine in a copy, rebuild, fail).

The fingerprint covers THIS checkout's src/; :func:`require_engine_from`
stops the build if Python would import convbook from anywhere else, and
:func:`kernel_path` makes the pages run in a kernel of this interpreter.

``CONVBOOK_CACHE_ROOT`` lets several builds of one checkout (different build
directories, ``make page``) keep separate caches.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Mapping
from importlib.metadata import distributions
from pathlib import Path

from sphinx.errors import ConfigError


def engine_source_hash(src: Path) -> str:
    """SHA-256 of every file of the engine package (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(src.parent).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def installed_versions() -> dict[str, str]:
    """``name -> version`` of every distribution installed in this environment (names lower-case)."""
    return {d.metadata["Name"].lower(): d.version for d in distributions()}


def fingerprint(src: Path) -> str:
    """What the pages' outputs depend on besides their own code, as one SHA-256.

    Covers :func:`engine_source_hash` of ``src``, every installed
    distribution's version (:func:`installed_versions`, NumPy first: it
    matters most) and ``sys.version``.
    """
    h = hashlib.sha256()
    h.update(engine_source_hash(src).encode() + b"\0")
    versions = installed_versions()
    h.update(f"numpy=={versions.get('numpy')}\0".encode())
    for name, ver in sorted(versions.items()):
        h.update(f"{name}=={ver}\0".encode())
    h.update(f"python=={sys.version}\0".encode())
    return h.hexdigest()


def cache_root(confdir: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the execution caches live: ``$CONVBOOK_CACHE_ROOT``, else ``_build/.jupyter_cache``."""
    return Path(environ.get("CONVBOOK_CACHE_ROOT") or confdir / "_build" / ".jupyter_cache")


def cache_dir(root: Path, source_hash: str) -> Path:
    """The jupyter-cache directory of one engine fingerprint."""
    return root / source_hash[:16]


def purge_stale(root: Path, keep: Path) -> list[Path]:
    """Delete the cache directories under ``root`` other than ``keep``; return what was deleted."""
    stale = [old for old in sorted(root.iterdir()) if old.is_dir() and old != keep] if root.is_dir() else []
    for old in stale:
        shutil.rmtree(old, ignore_errors=True)
    return stale


def require_engine_from(src: Path) -> None:
    """Raise RuntimeError unless ``import convbook`` imports the package in ``src``.

    The build (and the kernel, which inherits ``sys.path`` and the
    environment) must run the engine the fingerprint covers, not another copy
    installed elsewhere.
    """
    spec = importlib.util.find_spec("convbook")
    origin = spec.origin if spec else None
    if origin is None or not Path(origin).resolve().is_relative_to(src.resolve()):
        raise RuntimeError(
            f"convbook is imported from {origin!r}, not from {src}; "
            "install this checkout with `make html` (pip install -e .) or set PYTHONPATH=src"
        )


def kernel_path(prefix: str = sys.prefix, environ: Mapping[str, str] = os.environ) -> str:
    """``JUPYTER_PATH`` with this environment's kernelspecs first.

    The pages then run in a kernel of this interpreter, even if a user-level
    ``python3`` kernelspec points at another Python.
    """
    return os.pathsep.join(p for p in (str(Path(prefix) / "share" / "jupyter"), environ.get("JUPYTER_PATH")) if p)


def _config_inited(app, config) -> None:
    confdir = Path(app.confdir)
    config.convbook_source_hash = fingerprint(confdir / "src" / "convbook")
    keep = cache_dir(cache_root(confdir), config.convbook_source_hash)
    config.nb_execution_cache_path = str(keep)
    purge_stale(keep.parent, keep)


def setup(app):
    # First of the book's extensions (conf.py lists it first): no other one
    # imports convbook before this has checked which convbook that is.
    try:
        require_engine_from(Path(app.confdir) / "src" / "convbook")
    except RuntimeError as err:  # Sphinx prints a ConfigError as one message, without "report this bug"
        raise ConfigError(str(err)) from None
    os.environ["JUPYTER_PATH"] = kernel_path()
    # rebuild="env": a new fingerprint makes Sphinx re-read every page.
    app.add_config_value("convbook_source_hash", "", "env", types=frozenset({str}))
    # Before myst-nb reads nb_execution_cache_path (at builder-inited).
    app.connect("config-inited", _config_inited, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
