"""Writing exports as they are read: JSON laid out exactly as json.dumps(indent=2) would, without holding it all."""

import json
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring

# Rows and objects read per statement while streaming: bounded memory, few round trips.
BATCH = 2000

Write = Callable[[str], object]


class Raw(str):
    """Text that is already JSON, laid out for where it is written (see object_template)."""


class Stream:
    """A JSON array whose items are produced (and written) one by one."""

    def __init__(self, items: Iterable):
        self.items = items


def write_json(write: Write, value, level: int = 0) -> None:
    """Write value as json.dumps(value, ensure_ascii=False, indent=2) does; Stream members are written as they come."""
    pad = "  " * level
    if isinstance(value, Raw):
        write(value)
    elif isinstance(value, Stream):
        first = True
        for item in value.items:
            write(("[\n" if first else ",\n") + pad + "  ")
            write_json(write, item, level + 1)
            first = False
        write("[]" if first else f"\n{pad}]")
    elif isinstance(value, dict) and any(isinstance(member, Stream | dict) for member in value.values()):
        if not value:
            write("{}")
            return
        first = True
        for key, member in value.items():
            write(("{\n" if first else ",\n") + f"{pad}  {encode_basestring(str(key))}: ")
            write_json(write, member, level + 1)
            first = False
        write(f"\n{pad}}}")
    else:
        write(_encode(value, pad))


def _encode(value, pad: str) -> str:
    """json.dumps(value, ensure_ascii=False, indent=2) at this indentation, without json's pure-Python generators."""
    kind = type(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = pad + "  "
        if not all(type(key) is str for key in value):
            return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + pad)
        members = ",\n".join(f"{inner}{encode_basestring(key)}: {_encode(item, inner)}" for key, item in value.items())
        return "{\n" + members + "\n" + pad + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = pad + "  "
        return "[\n" + ",\n".join(inner + _encode(item, inner) for item in value) + "\n" + pad + "]"
    encode = ENCODERS.get(kind)
    return encode(value) if encode else json.dumps(value, ensure_ascii=False)


def object_template(keys: list[str], level: int) -> str:
    """A %-template of a flat JSON object with these keys, indented for `level`: fill it with encoded values."""
    pad = "  " * level
    lines = ",\n".join(f"{pad}  {encode_basestring(key).replace('%', '%%')}: %s" for key in keys)
    return "{\n" + lines + "\n" + pad + "}"


# Scalars by exact type, encoded as json.dumps does (bool before int: it is an int too).
ENCODERS = {
    str: encode_basestring,
    int: int.__repr__,
    float: json.dumps,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}
