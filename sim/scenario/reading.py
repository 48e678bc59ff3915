"""Reading scenario YAML safely: bounded size, nesting and alias expansion, plain data only.

A scenario file is a regular file of at most :data:`MAX_BYTES` of UTF-8 text
without NUL bytes. Its YAML may nest mappings and lists :data:`MAX_DEPTH`
deep and hold :data:`MAX_NODES` values once aliases are expanded (so a
"billion laughs" file is refused after reading a few hundred bytes, not
after filling the memory); a key may appear once per mapping; and values are
plain data: text, numbers (``1e6`` too, as in YAML 1.2), ``true``/``false``,
``null``, lists and mappings (a date stays text; ``!!binary``, ``!!set`` and
other tags are refused).
``--set`` values and sweep levels are read with the same rules. Every
refusal is a :class:`~sim.errors.ScenarioError` naming the file (or the
``--set``), the line and column, and what was expected.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from sim.errors import ScenarioError

#: Largest scenario file, in bytes (the shipped ones hold a few kilobytes).
MAX_BYTES = 1 << 20
#: Deepest nesting of mappings and lists, aliases expanded.
MAX_DEPTH = 64
#: Most values (scalars, lists, mappings) in one document, aliases expanded.
MAX_NODES = 100_000
#: The YAML types a scenario may hold: JSON's, with YAML's spellings.
PLAIN_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "seq", "map")
}
MERGE_TAG = "tag:yaml.org,2002:merge"


class Refused(yaml.MarkedYAMLError):
    """YAML that parses but breaks a rule above (depth, size, duplicate keys, tags)."""


class YamlSyntaxError(ScenarioError):
    """Text that is not YAML (``--set`` then reads the value as plain text)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with a depth bound, duplicate-key checks and plain tags only."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose a node, refusing nesting beyond :data:`MAX_DEPTH` (before Python's stack)."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise Refused(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose keys are distinct (merge keys ``<<`` may repeat inherited ones)."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):
                if key in seen:
                    raise Refused(
                        None,
                        None,
                        f"duplicate key {key!r}; expected each key once",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay text: a scenario has no date fields, and text is what a name or a label needs.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# ``1e6`` and ``1.5e3`` are numbers, as in YAML 1.2 (YAML 1.1 reads them as text).
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def _check_graph(node: Node, level: int, sizes: dict[int, int], open_: set[int]) -> int:
    """Values under ``node`` once aliases are expanded; refuses depth, size and cycles."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if level > MAX_DEPTH:
        raise Refused(
            None,
            None,
            f"nested more than {MAX_DEPTH} levels deep (through aliases)",
            node.start_mark,
        )
    if node.tag not in PLAIN_TAGS and node.tag != MERGE_TAG:
        raise Refused(
            None,
            None,
            f"a {node.tag.removeprefix('tag:yaml.org,2002:')!r} value; expected plain data "
            "(text, numbers, true/false, null, lists, mappings)",
            node.start_mark,
        )
    if key in open_:
        raise Refused(None, None, "an alias that contains itself", node.start_mark)
    open_.add(key)
    children: list[Node] = []
    if isinstance(node, SequenceNode):
        children = node.value
    elif isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    total = 1
    for child in children:
        total += _check_graph(child, level + 1, sizes, open_)
        if total > MAX_NODES:
            raise Refused(
                None,
                None,
                f"more than {MAX_NODES:,} values once aliases are expanded",
                node.start_mark,
            )
    open_.discard(key)
    sizes[key] = total
    return total


def parse_yaml(text: str, source: str) -> Any:
    """The plain data of one YAML document, under the rules above.

    Raises:
        ScenarioError: the text is not YAML or breaks a rule; names ``source``
            and the line and column.
    """
    if "\0" in text:
        raise ScenarioError(source, "", "contains a NUL byte; expected YAML text")
    loader = None
    try:
        loader = _Loader(text)  # reads the text: refuses unprintable characters
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node, 1, {}, set())
        return loader.construct_document(node)
    except Refused as error:
        raise ScenarioError(source, _where(error), str(error.problem)) from None
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or getattr(error, "reason", None)
        expected = f"YAML syntax error: {problem or 'invalid YAML'}"
        raise YamlSyntaxError(source, _where(error), expected) from None
    finally:
        if loader is not None:
            loader.dispose()


def yaml_value(text: str, source: str) -> Any:
    """A command-line value (``--set``, sweep levels) read as YAML, or as text if it is not YAML.

    Raises:
        ScenarioError: YAML that breaks the rules above (nesting, aliases, NUL bytes).
    """
    try:
        return parse_yaml(text, source)
    except YamlSyntaxError:
        return text


def _where(error: yaml.YAMLError) -> str:
    """Where in the text the error is: line and column, or the character's offset."""
    mark = getattr(error, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}"
    position = getattr(error, "position", None)
    return f"character {position + 1}" if isinstance(position, int) else ""


def read_text(path: Path) -> str:
    """The UTF-8 text of a scenario file: a regular file of at most :data:`MAX_BYTES`.

    The file is opened without blocking and checked on the open handle, so a
    pipe, a device such as ``/dev/zero`` or a directory is refused unread.

    Raises:
        ScenarioError: the file is missing, not a regular file, too large, or not UTF-8 text.
    """
    source = str(path)
    if "\0" in source:
        raise ScenarioError(repr(source), "", "a path with a NUL byte; expected a file name")
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ScenarioError(source, "", "file not found") from None
    except OSError as error:
        raise ScenarioError(source, "", f"cannot be read ({error.strerror})") from None
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise ScenarioError(source, "", "is a folder; expected a YAML scenario file")
        if not stat.S_ISREG(mode):
            raise ScenarioError(
                source, "", "is not a regular file (a device, pipe or socket); expected a YAML file"
            )
        data = _read_at_most(handle, MAX_BYTES + 1)
    except OSError as error:
        raise ScenarioError(source, "", f"cannot be read ({error.strerror})") from None
    finally:
        os.close(handle)
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            source, "", f"is larger than {MAX_BYTES:,} bytes; expected a scenario file of text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            source,
            "",
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "expected a YAML text file",
        ) from None


def _read_at_most(handle: int, count: int) -> bytes:
    """Up to ``count`` bytes from an open file."""
    chunks: list[bytes] = []
    while count > 0 and (chunk := os.read(handle, count)):
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def read_yaml(path: Path) -> dict[str, Any]:
    """A scenario file's top-level mapping (empty for an empty file).

    Raises:
        ScenarioError: see :func:`read_text` and :func:`parse_yaml`; or the
            top level is not a mapping.
    """
    data = parse_yaml(read_text(path), str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ScenarioError(str(path), "", "expected a mapping of scenario fields at the top level")
    return data
