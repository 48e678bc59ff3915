"""Errors the user must fix: the command line prints them as one line and exits with code 2.

Every user-facing entry point raises a :class:`BadInput` (or a subclass)
before it does any work when its input is wrong; the message names the file,
the field and what was expected. Anything else is an unexpected failure
(exit code 1).
"""

from __future__ import annotations


class BadInput(Exception):
    """Input the user must fix; printed as one line, exit code 2."""


#: Longest source or field an error line shows whole (a huge ``--param`` is cut in the middle).
SHOWN = 160


def shortened(text: str) -> str:
    """``text`` cut in the middle to :data:`SHOWN` characters, if longer."""
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 40]}...{text[-37:]}"


class ScenarioError(BadInput, ValueError):
    """A scenario that cannot be loaded: names the source, the field and what was expected."""

    def __init__(self, source: str, field: str, expected: str) -> None:
        self.source, self.field, self.expected = source, field, expected
        where = f"{shortened(source)}: {shortened(field)}" if field else shortened(source)
        super().__init__(f"{where}: {expected}")


class HistoryError(BadInput, ValueError):
    """A partner history file that cannot be read: names the file, the row, the column."""

    def __init__(self, source: str, row: int | None, column: str, expected: str) -> None:
        self.source, self.row, self.column, self.expected = source, row, column, expected
        where = ", ".join(
            part
            for part in (f"row {row}" if row is not None else "", column and f"column {column}")
            if part
        )
        super().__init__(f"{source}: {where}: {expected}" if where else f"{source}: {expected}")
