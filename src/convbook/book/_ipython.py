"""Display in IPython when it is running (the one place the page helpers touch IPython)."""

from __future__ import annotations

from typing import Any


def display(obj: Any) -> bool:
    """Display ``obj`` if IPython is running; return whether it was."""
    try:
        from IPython import get_ipython
        from IPython.display import display as ipython_display
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    ipython_display(obj)
    return True
