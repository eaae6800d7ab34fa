"""What a results view's query means in SQL: its filters (the query language of :mod:`core.query`) and its order.

Every value travels as a parameter; only column names from the fixed tables below are spliced in.
The label a file shows is its best label within the view's group (and at least ``min_score``): the
``score:`` filter and the Top labels column's order both use that one, so sorting follows what is seen.
"""

from __future__ import annotations

from ..query import Query, QueryError, Range, Term, matching_labels
from ..records import ResultQuery
from .calls import CALL_ORDER

TEXT_COLUMNS = {"artist": "f.artist", "title": "f.title", "album": "f.album", "path": "f.path", "filegenre": "f.genre"}
ANY_COLUMNS = ("f.path", "f.artist", "f.title", "f.album")  # what a plain word searches
METADATA_ORDER = {  # a sort key -> its columns, the file's own tags (files without the tag come last)
    "artist": ("f.artist COLLATE NOCASE", "f.album COLLATE NOCASE", "f.track"),
    "title": ("f.title COLLATE NOCASE",),
    "album": ("f.album COLLATE NOCASE", "f.track"),  # an album's tracks together, in order: grouped by album
    "track": ("f.track",),
    "year": ("f.year",),
    "genre": ("f.genre COLLATE NOCASE",),
}


def fold(text: str | None) -> str:
    """Text to compare without letter case in any script (SQLite's LIKE folds only ASCII): SQL's ``fold``."""
    return (text or "").casefold()


def like_pattern(text: str) -> str:
    """``text`` anywhere, as a LIKE pattern with its wildcards escaped (used with ``ESCAPE '\\'``)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def group_clause(query: ResultQuery, column: str = "x.label") -> tuple[str, list]:
    """`` AND label IN (the view's group)``, or nothing when the view ranks every label."""
    if query.group_labels is None:
        return "", []
    return f" AND {column} IN ({','.join('?' * len(query.group_labels))})", list(query.group_labels)


def shown_score(query: ResultQuery) -> tuple[str, list]:
    """The score a file is seen by: its chosen label's (the Label filter), else its best label in the group."""
    if query.label:
        return "(SELECT s.score FROM labels s WHERE s.analysis_id = a.id AND s.label = ?)", [query.label]
    group, params = group_clause(query, "s.label")
    return (
        f"(SELECT s.score FROM labels s WHERE s.analysis_id = a.id AND s.score >= ?{group} ORDER BY s.rank LIMIT 1)",  # noqa: S608
        [query.min_score, *params],
    )


def order_by(query: ResultQuery) -> tuple[str, list]:
    """The ORDER BY of a results page: the chosen key, empty values last whatever the direction, then the path."""
    direction = "DESC" if query.descending else "ASC"
    if query.sort in METADATA_ORDER:
        first, *rest = METADATA_ORDER[query.sort]
        keys = [f"{first.split()[0]} IS NULL", f"{first} {direction}", *(f"{c.split()[0]} IS NULL, {c}" for c in rest)]
        return ", ".join([*keys, "f.path"]), []
    if query.sort == "score":
        score, params = shown_score(query)
        return f"{score} IS NULL, {score} {direction}, f.path", params * 2
    column = {"duration": "f.duration_s", "status": "f.missing, a.status", **CALL_ORDER}.get(query.sort, "f.path")
    return f"{column} {direction}, f.path", []


def search_conditions(
    search: Query, view: ResultQuery, labels: list[str], groups: dict[str, list[str]]
) -> tuple[list[str], list]:
    """The SQL conditions (all must hold) of what the user typed, with their parameters.

    ``score:`` terms qualify each ``genre:``/``label:`` term when there is one; alone, the shown score.
    """
    scores = [term for term in search.terms if term.field == "score"]
    labelled = any(term.field in ("genre", "label") for term in search.terms)
    conditions: list[str] = []
    params: list = []
    for term in search.terms:
        if term.field == "score" and labelled:
            continue  # applied inside each label term
        if term.field == "score":
            sql, term_params = _in_range(*shown_score(view), term.range)
        elif term.field in ("genre", "label"):
            sql, term_params = _label_sql(term, scores, view, labels, groups)
        else:
            sql, term_params = _field_sql(term)
        conditions.append(f"NOT IFNULL(({sql}), 0)" if term.negated else f"({sql})")
        params += term_params
    return conditions, params


def _field_sql(term: Term) -> tuple[str, list]:
    if term.field == "any":
        pattern = like_pattern(fold(term.text))
        return " OR ".join(f"fold({c}) LIKE ? ESCAPE '\\'" for c in ANY_COLUMNS), [pattern] * len(ANY_COLUMNS)
    if term.field in TEXT_COLUMNS:
        return f"fold({TEXT_COLUMNS[term.field]}) LIKE ? ESCAPE '\\'", [like_pattern(fold(term.text))]
    if term.field == "year":
        return _in_range("f.year", [], term.range)
    if term.field == "language":
        return f"{CALL_ORDER['language']} = ?", [term.text]
    if term.text == "missing":  # status
        return "f.missing = 1", []
    return "a.status = ? AND f.missing = 0", [term.text]


def _label_sql(
    term: Term, scores: list[Term], view: ResultQuery, labels: list[str], groups: dict[str, list[str]]
) -> tuple[str, list]:
    """One of the matched labels is among the file's top-k labels of its group (scoring as ``score:`` asks).

    ``genre:`` ranks within the model's genre group; ``label:`` ranks each label within its own group
    (the first that holds it), or among all labels when no group does.
    """
    if term.field == "genre":
        if "genre" not in groups:
            raise QueryError(f"model {view.model} has no genre labels; use label:NAME (labels: {_some(labels)})")
        candidates = groups["genre"]
    else:
        candidates = labels
    matched = matching_labels(term.text, candidates, term.exact)
    if not matched:
        raise QueryError(f"model {view.model} has no {term.field} label like {term.text!r} ({_some(candidates)})")
    ranked_in: dict[tuple[str, ...] | None, list[str]] = {}
    for label in matched:
        group = groups["genre"] if term.field == "genre" else next((g for g in groups.values() if label in g), None)
        ranked_in.setdefault(tuple(group) if group else None, []).append(label)
    clauses, params = [], []
    for group, names in ranked_in.items():
        within = f" AND t.label IN ({','.join('?' * len(group))})" if group else ""
        score_sql, score_params = "", []
        for score in scores:
            sql, bounds = _in_range("k.score", [], score.range)
            score_sql += f" AND NOT IFNULL(({sql}), 0)" if score.negated else f" AND ({sql})"
            score_params += bounds
        clauses.append(
            "EXISTS (SELECT 1 FROM (SELECT t.label, t.score FROM labels t WHERE t.analysis_id = a.id"  # noqa: S608
            f" AND t.score >= ?{within} ORDER BY t.rank LIMIT ?) k WHERE k.label IN ({','.join('?' * len(names))})"
            f"{score_sql})"
        )
        params += [view.min_score, *(group or ()), view.top_k, *names, *score_params]
    return " OR ".join(clauses), params


def _in_range(column: str, column_params: list, bounds: Range | None) -> tuple[str, list]:
    """``column`` within ``bounds``; a column that is a subquery brings its parameters each time it is named."""
    assert bounds is not None
    parts, params = [], []
    if bounds.low is not None:
        parts.append(f"{column} {'>=' if bounds.low_included else '>'} ?")
        params += [*column_params, bounds.low]
    if bounds.high is not None:
        parts.append(f"{column} {'<=' if bounds.high_included else '<'} ?")
        params += [*column_params, bounds.high]
    return " AND ".join(parts), params


def _some(labels: list[str], shown: int = 8) -> str:
    more = f", … {len(labels) - shown} more" if len(labels) > shown else ""
    return ", ".join(labels[:shown]) + more
