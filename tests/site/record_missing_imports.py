"""Run a script as a reader would, and log every top-level module it could not import.

``python record_missing_imports.py SCRIPT`` runs SCRIPT as ``__main__`` and
appends to the file named by CONVBOOK_MISSING_LOG each top-level module that
no installed package provides: a finder at the end of ``sys.meta_path`` is
asked only when all the real finders have failed. Used by
tests/site/test_downloads.py with the fresh venv's Python (standard library only).
"""

import importlib.abc
import os
import runpy
import sys


class _Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if "." not in name:
            with open(os.environ["CONVBOOK_MISSING_LOG"], "a") as log:
                log.write(name + "\n")
        return None


if __name__ == "__main__":
    sys.meta_path.append(_Missing())
    script = sys.argv[1]
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")
