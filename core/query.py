"""The query language of ``earmark results QUERY`` and the app's query box, beets-like.

Text in, a :class:`Query` out; the store turns it into SQL (``core/store/filters.py``), so both
front ends filter alike. Terms are separated by spaces and must all match (AND):

- ``word`` or ``"a phrase"``: in the path, artist, title or album (case-insensitive substring);
- ``artist:``, ``title:``, ``album:``, ``path:``, ``filegenre:`` (the genre tag inside the file):
  substring of that field, ``artist:"bill evans"`` for several words;
- ``genre:jazz``: Earmark heard jazz, i.e. a label of the model's genre group named ``jazz``, or
  holding that word (``genre:rock`` also takes ``hard rock``; ``genre:=rock`` only ``rock``), is
  among the file's top genres (the top-k kept labels of the genre group, as the table shows them);
  ``label:calm`` the same over any label, ranked within that label's own group;
- ``score:>0.3`` (``>=``, ``<``, ``<=``, ``0.3..0.6``; a bare number means at least): with
  ``genre:``/``label:``, the score of that label; alone, the score of the best label shown;
- ``year:2005``, ``year:2000..2010``, ``year:2000..``, ``year:..1999``, ``year:>2000``;
- ``status:tagged|error|missing``; ``language:es`` (a call's language, its ISO 639-1 code);
- ``-term`` or ``^term``: not that (``^`` spares the shell's option parsing: ``earmark results ^genre:rock``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import EarmarkError

TEXT_FIELDS = {"artist": "artist", "title": "title", "album": "album", "path": "path", "filegenre": "genre"}
LABEL_FIELDS = ("genre", "label")
STATUSES = ("tagged", "error", "missing")
FIELDS = (*TEXT_FIELDS, *LABEL_FIELDS, "score", "year", "status", "language")
EXAMPLE = "genre:jazz score:>0.3 artist:kaufman year:2000..2010"


class QueryError(EarmarkError):
    """The query cannot be read, or names what the model does not have; the message says what to type."""


@dataclass(frozen=True)
class Range:
    """Numbers between ``low`` and ``high`` (None: unbounded), each end included or not."""

    low: float | None = None
    high: float | None = None
    low_included: bool = True
    high_included: bool = True


@dataclass(frozen=True)
class Term:
    """One condition. ``field`` is a name of :data:`FIELDS`, or ``any`` for a plain word."""

    field: str
    text: str = ""  # the word, label or status
    range: Range | None = None  # score and year
    exact: bool = False  # genre:=rock: that label only
    negated: bool = False


@dataclass(frozen=True)
class Query:
    """Every term typed, in order; empty matches everything."""

    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(text: str) -> Query:
    """The terms of ``text``; a :class:`QueryError` in one line for what cannot be read."""
    return Query(tuple(_term(token, colon, quoted) for token, colon, quoted in _tokens(text)))


def parse_arguments(texts: list[str]) -> Query:
    """The terms of a command line's words, all of which must match (as the query box's text)."""
    return Query(tuple(term for text in texts for term in parse_query(text).terms))


def matching_labels(name: str, labels: list[str], exact: bool = False) -> list[str]:
    """The labels ``name`` means: the one so named, and (unless ``exact``) those holding its words in order.

    ``rock`` -> rock, hard rock, Progressive rock; never ``rockabilly`` (words, not letters).
    """
    wanted = _words(name)
    found = []
    for label in labels:
        words = _words(label)
        if words == wanted or (not exact and any(words[i : i + len(wanted)] == wanted for i in range(len(words)))):
            found.append(label)
    return found


def _words(text: str) -> list[str]:
    return re.split(r"[\s_\-/]+", text.casefold().strip())


def _tokens(text: str) -> list[tuple[str, int | None, bool]]:
    """Split on spaces outside double quotes, dropping the quotes: ``artist:"bill evans"`` is one token.

    With each token, where its first colon outside quotes is (None: none, so ``"a:b"`` is a plain word),
    and whether any of it was quoted.
    """
    tokens: list[tuple[str, int | None, bool]] = []
    current: list[str] = []
    quoted = started = had_quotes = False
    colon: int | None = None
    for char in text:
        if char == '"':
            quoted, started, had_quotes = not quoted, True, True
        elif char.isspace() and not quoted:
            if started:
                tokens.append(("".join(current), colon, had_quotes))
            current, started, colon, had_quotes = [], False, None, False
        else:
            if char == ":" and not quoted and colon is None:
                colon = len(current)
            current.append(char)
            started = True
    if quoted:
        raise QueryError(f'unclosed quote in {text.strip()!r}: add the closing "')
    if started:
        tokens.append(("".join(current), colon, had_quotes))
    return tokens


def _term(token: str, colon: int | None, quoted: bool = False) -> Term:
    if token in ("-", "^") and not quoted:
        raise QueryError(
            f"{token!r} alone means 'not': put it before what to leave out ({token}genre:rock), or quote it"
        )
    negated = token[:1] in ("-", "^") and len(token) > 1 and colon != 0
    body = token[1:] if negated else token
    if colon is None:  # a plain word or a quoted phrase
        if not body:
            raise QueryError("an empty phrase matches nothing: type a word between the quotes")
        return Term("any", body, negated=negated)
    field, value = body[: colon - negated].lower(), body[colon - negated + 1 :]
    if not field:
        raise QueryError(f"{token!r}: name a field before ':' ({', '.join(FIELDS)}), or quote the word")
    if field not in FIELDS:
        raise QueryError(
            f"unknown field {field!r} in {token!r} (fields: {', '.join(FIELDS)}; quote a word with a colon)"
        )
    if not value:
        raise QueryError(f"{field}: needs a value, e.g. {_example(field)}")
    if field in TEXT_FIELDS:
        return Term(field, value, negated=negated)
    if field in LABEL_FIELDS:
        exact = value.startswith("=")
        label = value[1:] if exact else value
        if not label:
            raise QueryError(f"{field}: needs a label name after '=', e.g. {field}:=rock")
        return Term(field, label, exact=exact, negated=negated)
    if field == "language":  # a call's, as an ISO 639-1 code: language:es
        if not re.fullmatch(r"[A-Za-z]{2,3}", value):
            raise QueryError(f"language:{value} is not a language code (e.g. language:en, language:es)")
        return Term(field, value.lower(), negated=negated)
    if field == "status":
        if value.lower() not in STATUSES:
            raise QueryError(f"status:{value} is not a status (one of: {', '.join(STATUSES)})")
        return Term(field, value.lower(), negated=negated)
    return Term(field, range=_range(field, value), negated=negated)


def _range(field: str, value: str) -> Range:
    """``>x``, ``>=x``, ``<x``, ``<=x``, ``a..b`` (either end may be left out), or one number."""
    if match := re.fullmatch(r"(>=|<=|>|<)(.*)", value):
        op, number = match.groups()
        bound = _number(field, number, value)
        if op.startswith(">"):
            return Range(low=bound, low_included=op == ">=")
        return Range(high=bound, high_included=op == "<=")
    if ".." in value:
        low_text, _, high_text = value.partition("..")
        if not low_text and not high_text:
            raise QueryError(f"{field}:{value} needs a number on at least one side of '..', e.g. {_example(field)}")
        low = _number(field, low_text, value) if low_text else None
        high = _number(field, high_text, value) if high_text else None
        if low is not None and high is not None and low > high:
            raise QueryError(f"{field}:{value} is empty: the first number must not be above the second")
        return Range(low=low, high=high)
    number = _number(field, value, value)
    return Range(low=number) if field == "score" else Range(low=number, high=number)


def _number(field: str, text: str, value: str) -> float:
    if not text.strip():
        raise QueryError(f"{field}:{value} needs a number, e.g. {_example(field)}")
    try:
        number = float(int(text)) if field == "year" else float(text)
    except ValueError:
        kind = "a whole year" if field == "year" else "a number"
        raise QueryError(f"{field}:{value}: {text!r} is not {kind}, e.g. {_example(field)}") from None
    if not math.isfinite(number):
        raise QueryError(f"{field}:{value}: {text!r} is not a finite number")
    return number


def _example(field: str) -> str:
    return {"score": "score:>0.3", "year": "year:2000..2010", "status": "status:error", "genre": "genre:jazz",
            "label": "label:calm", "language": "language:es"}.get(field, f"{field}:word")  # fmt: skip
