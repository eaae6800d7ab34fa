"""Every read: the CLI's listings, the results table (paged and sorted in SQL), timelines, totals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import sqlite_utils

from ..query import LABEL_FIELDS, Query
from ..records import FileMetadata, FileStat, LabelScore, ResultQuery, ResultRow
from .filters import group_clause, like_pattern, order_by, search_conditions
from .schema import StoreError


class ResultQueries:
    """The read side of :class:`~core.store.Store`; expects ``self.db`` and ``self.path``."""

    db: sqlite_utils.Database

    def detections(self, word: str | None = None) -> list[tuple[str, float, str, float, str]]:
        """(source, time_s, word, score, model), by source and time; ``word`` filters."""
        return self.db.execute(
            "SELECT source, time_s, word, score, model FROM detections WHERE (? IS NULL OR word = ?)"
            " ORDER BY source, time_s",
            [word, word],
        ).fetchall()

    # --- queries --------------------------------------------------------------------------------

    def latest_model_name(self) -> str | None:
        row = self.db.execute("SELECT model_name FROM analyses ORDER BY analysed_at DESC, id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def model_labels(self, model_name: str) -> tuple[list[str], dict[str, list[str]]]:
        row = self.db.execute(
            "SELECT labels, label_groups FROM models WHERE name = ? ORDER BY id DESC LIMIT 1", [model_name]
        ).fetchone()
        if row is None:
            raise StoreError(f"no results for model {model_name!r} in {self.path}")
        return json.loads(row[0]), json.loads(row[1])

    def results(
        self,
        model_name: str,
        labels: list[str] | None = None,
        min_score: float = 0.0,
        top_k: int = 5,
        with_label: str | None = None,
        status: str | None = None,
        run_id: int | None = None,
        search: Query = Query(),  # noqa: B008 - immutable
    ) -> list[ResultRow]:
        """Every file analysed by ``model_name`` that ``search`` matches (the CLI's listing; see :class:`ResultQuery`).

        ``top_k=0`` keeps all labels. With ``with_label``, files are ordered by that label's score.
        A call's row carries its details (time by kind of sound, speakers, transcript).
        """
        query = ResultQuery(
            model=model_name,
            label=with_label,
            group_labels=tuple(labels) if labels is not None else None,
            min_score=min_score,
            status=status,
            sort="score" if with_label else "path",
            descending=bool(with_label),
            top_k=top_k or 1_000_000,
            run_id=run_id,
            with_calls=True,
            search=search,
        )
        return self.page(query, 0, -1)

    def _query_filter(self, query: ResultQuery) -> tuple[str, list]:
        where = ["a.model_name = ?"]
        params: list = [query.model]
        if query.text:
            where.append("f.path LIKE ? ESCAPE '\\'")
            params.append(like_pattern(query.text))
        if query.status == "missing":
            where.append("f.missing = 1")
        elif query.status:
            where.append("a.status = ? AND f.missing = 0")
            params.append(query.status)
        if query.run_id is not None:
            where.append("a.run_id = ?")
            params.append(query.run_id)
        if query.label:
            group, group_params = group_clause(query)
            where.append(
                "? IN (SELECT x.label FROM labels x WHERE x.analysis_id = a.id AND x.score >= ?"  # noqa: S608
                f"{group} ORDER BY x.rank LIMIT ?)"
            )
            params += [query.label, query.min_score, *group_params, query.top_k]
        if query.search:
            needs_labels = any(term.field in LABEL_FIELDS for term in query.search.terms)
            labels, groups = self.model_labels(query.model) if needs_labels else ([], {})
            conditions, search_params = search_conditions(query.search, query, labels, groups)
            where += conditions
            params += search_params
        return " AND ".join(where), params

    def count(self, query: ResultQuery) -> int:
        where, params = self._query_filter(query)
        sql = f"SELECT COUNT(*) FROM analyses a JOIN files f ON f.id = a.file_id WHERE {where}"  # noqa: S608
        return self.db.execute(sql, params).fetchone()[0]

    def page(self, query: ResultQuery, offset: int, limit: int) -> list[ResultRow]:
        """One page of a results view, filtered and sorted in SQL (fast with 100,000 files)."""
        where, params = self._query_filter(query)
        order, order_params = order_by(query)
        sql = (
            "SELECT a.id, f.path, a.status, a.error, f.duration_s, f.missing, f.artist, f.title, f.album, f.year,"  # noqa: S608
            f" f.track, f.genre FROM analyses a JOIN files f ON f.id = a.file_id WHERE {where} ORDER BY {order}"
            " LIMIT ? OFFSET ?"
        )
        rows = self.db.execute(sql, [*params, *order_params, limit, offset]).fetchall()
        ids = [row[0] for row in rows]
        labels = self._top_labels(ids, query)
        calls = self.call_details(ids) if query.with_calls else {}
        return [
            ResultRow(
                path,
                "missing" if missing else status,
                error,
                duration,
                query.model,
                labels.get(aid, []),
                calls.get(aid),
                FileMetadata(*meta),
            )  # fmt: skip
            for aid, path, status, error, duration, missing, *meta in rows
        ]

    def common_folder(self, model_name: str) -> str:
        """The deepest folder holding every file ``model_name`` analysed, with its trailing separator.

        The File column shows paths after it, so sorting by path is sorting by what is shown. The first
        and last paths in sort order share every prefix that all the paths share.
        """
        first, last = self.db.execute(
            "SELECT MIN(f.path), MAX(f.path) FROM analyses a JOIN files f ON f.id = a.file_id WHERE a.model_name = ?",
            [model_name],
        ).fetchone()
        if first is None:
            return ""
        prefix = os.path.commonprefix([first, last])
        return prefix[: max(prefix.rfind("/"), prefix.rfind(os.sep)) + 1]

    def _top_labels(self, analysis_ids: list[int], query: ResultQuery) -> dict[int, list[LabelScore]]:
        """The kept labels of each analysis, fetched in chunks (SQLite caps the number of parameters)."""
        group, group_params = group_clause(query, "label")
        result: dict[int, list[LabelScore]] = {}
        for start in range(0, len(analysis_ids), 500):
            chunk = analysis_ids[start : start + 500]
            sql = (
                f"SELECT analysis_id, label, score FROM labels WHERE analysis_id IN ({','.join('?' * len(chunk))})"  # noqa: S608
                f" AND score >= ?{group} ORDER BY analysis_id, rank"
            )
            for analysis_id, label, score in self.db.execute(sql, [*chunk, query.min_score, *group_params]):
                kept = result.setdefault(analysis_id, [])
                if len(kept) < query.top_k:
                    kept.append(LabelScore(label, score))
        return result

    def file_labels(self, path: str, model_name: str) -> list[LabelScore]:
        """Every label of one file, best first (the detail pane's bar chart)."""
        rows = self.db.execute(
            "SELECT l.label, l.score FROM labels l JOIN analyses a ON a.id = l.analysis_id"
            " JOIN files f ON f.id = a.file_id WHERE f.path = ? AND a.model_name = ? ORDER BY l.rank",
            [path, model_name],
        )
        return [LabelScore(label, score) for label, score in rows]

    def analysed_stat(self, path: str, model_name: str) -> FileStat | None:
        """The file's (size, mtime) when ``model_name`` analysed it (kept up to date by tag writes), or None."""
        row = self.db.execute(
            "SELECT a.size, a.mtime FROM analyses a JOIN files f ON f.id = a.file_id"
            " WHERE f.path = ? AND a.model_name = ?",
            [path, model_name],
        ).fetchone()
        return None if row is None else FileStat(Path(path), row[0], row[1])

    def run_hits(self, run_id: int) -> tuple[int, int]:
        """(hits, files with a hit) that a keyword search run found: its files' timed segments."""
        row = self.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT a.file_id) FROM segments s JOIN analyses a ON a.id = s.analysis_id"
            " WHERE a.run_id = ? AND s.rank = 1",
            [run_id],
        ).fetchone()
        return int(row[0]), int(row[1])

    def totals(self, model_name: str) -> tuple[int, int, float]:
        """(files tagged, files failed, seconds of audio tagged) for one model, missing files left out."""
        row = self.db.execute(
            "SELECT SUM(a.status = 'tagged'), SUM(a.status = 'error'),"
            " SUM(CASE WHEN a.status = 'tagged' THEN f.duration_s ELSE 0 END)"
            " FROM analyses a JOIN files f ON f.id = a.file_id WHERE a.model_name = ? AND f.missing = 0",
            [model_name],
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0), float(row[2] or 0.0)

    def model_names(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT DISTINCT model_name FROM analyses ORDER BY model_name")]

    def segments(self, path: str, model_name: str) -> list[tuple[int, float, float, str, float]]:
        """The timeline of one file: (segment, start, end, label, score), best first per segment."""
        return self.db.execute(
            "SELECT s.segment, s.start_s, s.end_s, s.label, s.score FROM segments s"
            " JOIN analyses a ON a.id = s.analysis_id JOIN files f ON f.id = a.file_id"
            " WHERE f.path = ? AND a.model_name = ? ORDER BY s.segment, s.rank",
            [path, model_name],
        ).fetchall()
