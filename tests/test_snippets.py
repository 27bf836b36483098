"""Every snippet on docs/snippets.md runs as pasted, with NumPy and nothing else.

The page checks each snippet against the engine at build time; this test
runs each snippet's cell alone, in a fresh interpreter in which importing
anything but NumPy and the standard library fails, as it would for a reader
who pasted it into a new file.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import jupytext
import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "snippets.md"

# Run before the snippet: refuse every import outside NumPy and the stdlib.
GUARD = textwrap.dedent("""
    import importlib.abc, sys

    class _OnlyNumpy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top == "numpy" or top in sys.stdlib_module_names:
                return None
            raise ImportError(f"a snippet may import only NumPy and the standard library, not {name!r}")

    sys.meta_path.insert(0, _OnlyNumpy())
""")


def _snippets() -> list[tuple[str, str]]:
    notebook = jupytext.read(PAGE)
    found = []
    for number, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "snippet" in cell.metadata.get("tags", []):
            first = next(line for line in cell.source.splitlines() if line.strip() and not line.startswith("import"))
            found.append((f"cell{number}: {first.strip()[:40]}", cell.source))
    return found


SNIPPETS = _snippets()


def test_the_page_has_snippets():
    assert len(SNIPPETS) >= 5, [name for name, _ in SNIPPETS]


@pytest.mark.parametrize(("name", "source"), SNIPPETS, ids=[name for name, _ in SNIPPETS])
def test_snippet_runs_alone_with_numpy_only(name, source, tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(GUARD + "\n" + source + "\n")
    proc = subprocess.run([sys.executable, "-I", str(script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{name} fails when run as pasted:\n{proc.stderr}"


def test_the_guard_refuses_other_packages(tmp_path):
    script = tmp_path / "snippet.py"
    script.write_text(GUARD + "\nimport convbook\n")
    proc = subprocess.run([sys.executable, "-I", str(script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "may import only NumPy" in proc.stderr
