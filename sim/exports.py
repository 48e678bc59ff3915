"""Public names a package re-exports, imported from their modules on first use.

``sim`` and ``optimize`` list their public API in their ``__init__``; each
name is imported only when first read, so that importing a small part of a
package (the command line, say) does not load all of it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def on_first_use(
    package: str, public: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``public[name]``'s ``name`` into ``namespace``."""

    def __getattr__(name: str) -> Any:
        if name not in public:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(public[name]), name)
        namespace[name] = value
        return value

    return __getattr__
