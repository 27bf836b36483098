"""Sphinx extension: MathJax served by the site itself, only the part a reader's browser loads.

The MathJax 3 files come from the ``sphinx-mathjax-offline`` distribution
(installed with the book's dependencies), which as an extension would copy
all of MathJax (~24 MB: every combined component, the speech rule engine,
the SVG output, ...) into every build. The pages load one combined
component, ``tex-chtml.js`` (conf.py's ``mathjax_path``); it fetches the
CommonHTML fonts it needs and, through its autoload extension, the TeX
packages of macros outside its base set. Those three are copied (about
2 MB), next to where ``mathjax_path`` points, when an HTML build finishes.
The browser tests check that every page's maths renders offline in both
themes.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path, PurePosixPath

#: What a reader's browser loads, relative to MathJax's directory: the
#: combined component, its fonts, and the TeX packages it autoloads.
PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def mathjax_source() -> Path:
    """MathJax's directory inside the installed ``sphinx-mathjax-offline``."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")  # the module name really is hyphenated
    if spec is None or spec.origin is None:
        raise RuntimeError("MathJax comes from the sphinx-mathjax-offline distribution, which is not "
                           "installed: run `make html` (it installs the book's dependencies)")
    return Path(spec.origin).parent / "static" / "mathjax"


def copy_mathjax(source: Path, dest: Path, parts: tuple[str, ...] = PARTS) -> None:
    """Replace ``dest`` with the ``parts`` of the MathJax directory ``source``."""
    missing = [part for part in parts if not (source / part).exists()]
    if missing:
        raise RuntimeError(f"MathJax in {source} has no {', '.join(missing)}")
    shutil.rmtree(dest, ignore_errors=True)  # a whole MathJax copied by an older build goes too
    for part in parts:
        if (source / part).is_dir():
            shutil.copytree(source / part, dest / part)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, dest / part)


def _finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    script = PurePosixPath(app.config.mathjax_path)
    if script.name != PARTS[0] or "://" in app.config.mathjax_path:
        raise RuntimeError(f"convbook_mathjax copies {PARTS[0]}; conf.py's mathjax_path is "
                           f"{app.config.mathjax_path!r}")
    copy_mathjax(mathjax_source(), Path(app.outdir) / "_static" / script.parent)


def setup(app):
    app.connect("build-finished", _finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
