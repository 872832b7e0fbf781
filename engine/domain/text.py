"""What text the engine stores: no C0 control characters but tab, line feed and carriage
return. NUL cannot be stored in PostgreSQL's text at all, and the others have no place in a
name, a code, a URL or a profile field; input holding one is refused before any query."""

from __future__ import annotations

CONTROL = frozenset(chr(c) for c in (*range(9), 11, 12, *range(14, 32), 127))


def storable_text(text: str) -> bool:
    return CONTROL.isdisjoint(text)
