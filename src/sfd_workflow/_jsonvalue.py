"""JSON values as the core keeps them: checked, bounded, deep-copied and frozen.

An event's payload is JSON data (docs/format.md §3): objects with string keys, arrays,
strings, finite numbers, true, false, null. What the runtime keeps of it (a record's
payload, the log) is a deep copy that cannot be changed: objects become `FrozenDict` (a
`dict`, so ``json.dumps`` writes it as before), arrays become tuples. Mutating the caller's
dict afterwards changes nothing stored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

__all__ = ["EMPTY", "MAX_DEPTH", "FrozenDict", "NotJson", "frozen_json", "kind_of", "shown"]

#: deepest nesting of objects and arrays an event may have (the event object is level 1)
MAX_DEPTH = 64


class FrozenDict(dict[str, Any]):
    """A `dict` that refuses every change (a JSON object the runtime keeps)."""

    __slots__ = ()

    def _refuse(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        msg = "a stored payload cannot be changed"
        raise TypeError(msg)

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> Any:  # copy/pickle: a plain dict of the same items
        return (dict, (dict(self),))


#: the payload of an event without one (docs/format.md §3: absent or null means {})
EMPTY = FrozenDict()


class NotJson(ValueError):
    """Why a value is not JSON data; `args` is (English, Chinese)."""


def shown(text: str, limit: int = 40) -> str:
    """`text` quoted for a message: shortened, lone surrogates written as escapes."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return '"' + cut.encode("utf-8", "backslashreplace").decode("utf-8") + '"'


def kind_of(value: Any) -> tuple[str, str]:
    """What a value is, for a message: ("an array", "数组")."""
    if value is None:
        return "null", "null"
    if isinstance(value, bool):
        return str(value).lower(), str(value).lower()
    if isinstance(value, str):
        return "a string", "字符串"
    if isinstance(value, int | float):
        return "a number", "数字"
    if isinstance(value, list | tuple):
        return "an array", "数组"
    if isinstance(value, Mapping):
        return "an object", "对象"
    name = type(value).__name__
    return f"a Python {name}", f"Python {name}"


def bad_string(text: str) -> int:
    """The index of the first lone surrogate in `text`, or -1 (it then encodes as UTF-8)."""
    if text.isascii():
        return -1
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return -1


def _fail(path: str, en: str, zh: str) -> NoReturn:
    raise NotJson(f"'{path}' {en}", f"“{path}”{zh}")


def frozen_json(value: Any, path: str, depth: int = 1) -> Any:
    """A frozen deep copy of `value`, checked to be JSON data nested at most `MAX_DEPTH`.

    Args:
        path: where `value` is, for messages (``payload``, ``payload.items[2]``).
        depth: the nesting level of `value` itself.

    Raises:
        NotJson: a value that is not JSON data, a number JSON cannot carry (NaN,
            infinity), a string with a lone surrogate, or nesting deeper than `MAX_DEPTH`.
    """
    if isinstance(value, str):
        i = bad_string(value)
        if i >= 0:
            _fail(path, f"has a lone surrogate at character {i + 1}: {shown(value)}",
                  f"在第 {i + 1} 个字符处含有孤立代理码位：{shown(value)}")
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(path, f"is not a finite number ({value})", f"不是有限数（{value}）")
        return value
    if isinstance(value, Mapping | list | tuple):
        if depth > MAX_DEPTH:
            _fail(path, f"is nested deeper than {MAX_DEPTH} levels",
                  f"嵌套超过 {MAX_DEPTH} 层")
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    _fail(path, f"has a key that is not a string ({k!r})",
                          f"含有非字符串的键（{k!r}）")
                if bad_string(k) >= 0:
                    _fail(path, f"has a key with a lone surrogate: {shown(k)}",
                          f"的键含有孤立代理码位：{shown(k)}")
                out[k] = frozen_json(v, f"{path}.{k}", depth + 1)
            return FrozenDict(out)
        return tuple(frozen_json(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value))
    en, zh = kind_of(value)
    _fail(path, f"is not JSON data but {en}", f"不是 JSON 数据，而是{zh}")
