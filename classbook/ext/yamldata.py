"""Read the book's YAML data files as records and lists that know their line numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from classbook import gate as gates

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class Record(dict):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of ``key`` in the file, or the record's first line."""
        return self.key_lines.get(key, self.line)


class Items(list):
    """A YAML list that remembers the line it starts on and the line of each item."""

    line: int
    lines: list[int]

    def line_of(self, index: int) -> int:
        """The line of item ``index`` (the first line of a block item), or the list's line."""
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


@dataclass
class DataFile:
    """One data file: its records, or the problems that kept it from being read."""

    path: Path
    records: list[Record] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


class _Lines:
    """What our loaders add to PyYAML's: the keys given twice."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]  # the next class is a yaml loader
        #: (key, line) of each key given a second time in one mapping, in file order.
        self.duplicates: list[tuple[str, int]] = []


class LineLoader(_Lines, yaml.SafeLoader):
    """Safe YAML with line numbers, and dates kept as text so each is checked on its own."""


#: libyaml's safe loader, where PyYAML was built with it.
_C_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# A base chosen at run time (getattr above), which mypy cannot take as a class.
class FastLineLoader(_Lines, _C_SAFE_LOADER):  # type: ignore[misc, valid-type]
    """LineLoader on libyaml's parser (about five times faster). A file it cannot parse is
    parsed again by LineLoader, whose messages are the ones a writer is shown."""


class AliasError(yaml.MarkedYAMLError):
    """The text uses a YAML alias (``*name``): refused, as a few lines of aliases can stand
    for billions of values (the "billion laughs"), and book data never needs them."""


def refuse_aliases(text: str) -> None:
    """Raise :class:`AliasError` at the first alias of ``text`` (its events are read by
    libyaml, nothing is built); a text that does not parse is left to the loader."""
    try:
        for event in yaml.parse(text, Loader=_C_SAFE_LOADER):
            if isinstance(event, yaml.AliasEvent):
                # libyaml's events carry its own Mark, which MarkedYAMLError reads as it
                # reads PyYAML's (line, column, name); the stubs take PyYAML's only.
                raise AliasError(
                    problem=f"the alias *{event.anchor} is not allowed in book data: write "
                    "the value out where it is used",
                    problem_mark=event.start_mark,  # type: ignore[arg-type]
                )
    except AliasError:
        raise
    except yaml.YAMLError:
        return


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` on libyaml's parser, aliases refused; a text it rejects gets
    PyYAML's own error."""
    refuse_aliases(text)
    try:
        return yaml.load(text, Loader=_C_SAFE_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


# A bad date (2012-02-30) must name its entry, not abort the whole file: read dates as text.
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
LineLoader.yaml_implicit_resolvers = FastLineLoader.yaml_implicit_resolvers = _RESOLVERS


def _construct_record(loader: LineLoader, node: yaml.MappingNode) -> Record:
    record = Record()
    record.line = node.start_mark.line + 1
    record.key_lines = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str):
            if key in record.key_lines:
                loader.duplicates.append((key, key_node.start_mark.line + 1))
            record.key_lines.setdefault(key, key_node.start_mark.line + 1)
    record.update(loader.construct_mapping(node, deep=True))
    return record


def _construct_items(loader: LineLoader, node: yaml.SequenceNode) -> Items:
    items = Items(loader.construct_sequence(node, deep=True))
    items.line = node.start_mark.line + 1
    items.lines = [child.start_mark.line + 1 for child in node.value]
    return items


for _loader in (LineLoader, FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_record)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_items)


def _load(loader_class: type[_Lines], text: str) -> tuple[Any, list[tuple[str, int]]]:
    """``text``'s content and the keys it gives twice; a YAMLError if it does not parse."""
    loader: Any = loader_class(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), loader.duplicates
    finally:
        loader.dispose()


def _read(data: DataFile, gate: gates.Gate | None) -> tuple[bool, Any]:
    """Parse ``data.path`` (admitted by ``gate`` first): (True, its content), or (False,
    None) with the problem noted."""
    try:
        if gate is not None:
            gate.admit(data.path, what="data file")
        text = data.path.read_text(encoding="utf-8")
    except gates.RefusedError as error:
        data.problems.append((0, str(error)))
        return False, None
    except (OSError, UnicodeDecodeError) as error:
        data.problems.append((0, f"cannot read the file: {error}"))
        return False, None
    try:
        refuse_aliases(text)
        content, duplicates = _load(FastLineLoader, text)
    except AliasError as error:
        assert error.problem_mark is not None
        data.problems.append((error.problem_mark.line + 1, str(error.problem)))
        return False, None
    except (yaml.YAMLError, ValueError):
        try:  # read again by PyYAML, for the message a writer is shown
            content, duplicates = _load(LineLoader, text)
        except (yaml.YAMLError, ValueError) as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            line = mark.line + 1 if mark is not None else 0
            problem = getattr(error, "problem", None) or str(error)
            context, start = getattr(error, "context", None), getattr(error, "context_mark", None)
            if context and start is not None and start.line + 1 != line:
                problem += f" ({context} that starts on line {start.line + 1})"
            data.problems.append((line, f"YAML does not parse: {problem}"))
            return False, None
    data.problems += [(line, f"key '{key}' is given twice") for key, line in duplicates]
    return True, content


#: Files parsed, by their identity: a build checks the claims register at several stages,
#: and each reading builds its records again (with their line numbers).
_PARSED: dict[tuple[Any, ...], tuple[bool, Any, list[tuple[int, str]]]] = {}


def identity(path: Path) -> tuple[str, int, int, int] | None:
    """What tells one version of a file from another (None: it cannot be read), for the
    memos of what is read from it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _read_once(data: DataFile, gate: gates.Gate | None) -> tuple[bool, Any]:
    """:func:`_read`, remembered for each version of the file (its records are shared:
    nobody changes them; the problems are copied into each ``data``)."""
    version = identity(data.path)
    if version is None or gate is None:
        return _read(data, gate)
    key = (*version, repr(gate))
    if key not in _PARSED:
        fresh = DataFile(data.path)
        parsed, content = _read(fresh, gate)
        _PARSED[key] = (parsed, content, fresh.problems)
    parsed, content, problems = _PARSED[key]
    data.problems += problems
    return parsed, content


def load(path: Path, gate: gates.Gate | None = None) -> DataFile:
    """Read a YAML file that holds a list of mappings (admitted by the book's ``gate``);
    never raises for bad content."""
    data = DataFile(path)
    parsed, content = _read_once(data, gate)
    if not parsed or content is None:
        return data
    if not isinstance(content, Items):
        data.problems.append((1, "the file must be a YAML list of entries (lines starting '- ')"))
        return data
    for index, item in enumerate(content):
        if not isinstance(item, Record):
            message = f"entry {index + 1} is not a mapping of 'key: value' lines"
            data.problems.append((content.line_of(index), message))
            continue
        data.records.append(item)
    return data


def load_mapping(path: Path, keys: Sequence[str] = (), gate: gates.Gate | None = None) -> DataFile:
    """Read a YAML file that is one mapping (its one record), admitted by the book's
    ``gate``; ``keys`` name what it may hold."""
    data = DataFile(path)
    parsed, content = _read(data, gate)
    if isinstance(content, Record):
        data.records.append(content)
    elif parsed:
        listed = f" with the keys {', '.join(keys)}" if keys else ""
        data.problems.append((1, f"the file must be a YAML mapping of 'key: value' lines{listed}"))
    return data


def where(path: Path, line: int) -> str:
    """A log location: ``/abs/path/file.yml:12`` (or just the path when the line is unknown)."""
    return f"{path}:{line}" if line else str(path)


def describe(path: Path, srcdir: Path, line: int) -> str:
    """``_data/claims.yml, line 12``: the file as the author knows it, and the line."""
    try:
        shown = path.resolve().relative_to(Path(srcdir).resolve()).as_posix()
    except ValueError:
        shown = str(path)
    return f"{shown}, line {line}" if line else shown
