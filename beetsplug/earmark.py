"""Earmark for beets: ``beet earmark QUERY`` fills the library's genres (and a mood) from Earmark's analysis.

Earmark analyses audio files by their absolute path; this plugin reads that analysis from
Earmark's database (it never runs a model) and matches each beets item by its path. The genres
chosen are exactly those ``earmark write-tags`` would choose: the same :class:`GenrePolicy`
(keep / append / replace, a count, a minimum score, a name map) from Earmark's core.

beets' own conventions hold: ``-p/--pretend`` shows the changes and stores nothing; the files'
tags are written only when beets would write them (``import.write``, overridden by ``-w``/``-W``);
changes are shown as ``beet modify`` shows them. Items Earmark never analysed are counted and left
alone. beets (2.7 and newer) keeps genres as a list, ``genres``, written as one tag value each (it
splits a value joined with "; " itself, so no separator applies to genres); it has no mood field, so
the moods go into a flexible attribute, ``mood``: one string, joined with ``separator``, in beets'
database only (beets writes no mood tag).

The plugin ships with Earmark as ``beetsplug/earmark.py``: beets finds plugins as modules of the
``beetsplug`` namespace package, so installing Earmark into beets' environment makes it loadable.
Earmark's core is imported only when ``beet earmark`` runs: beets loads an enabled plugin for every
command, and ``beet ls`` should not pay for Earmark's store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from beets import ui
from beets.library import Item
from beets.plugins import BeetsPlugin

if TYPE_CHECKING:
    import optparse

    from beets.library import Library

    from core.records import LabelScore
    from core.store import Store
    from core.tagwrite.policy import GenrePolicy

GENRES = "genres"  # beets' multi-valued genre field (beets >= 2.7)
MOOD = "mood"  # a flexible attribute: beets has no mood field


@dataclass
class Tally:
    """What one ``beet earmark`` did, for the closing summary."""

    changed: int = 0
    unchanged: int = 0
    not_analysed: list[str] = field(default_factory=list)


class EarmarkPlugin(BeetsPlugin):
    """``beet earmark [QUERY]``: genres and mood from Earmark's database into beets' library."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self.config.add(
            {
                "db": None,  # Earmark's database; default: the one `earmark tag` uses (honours EARMARK_HOME)
                "model": None,  # whose labels; default: the model Earmark used last
                "mode": "keep",
                "count": 3,
                "min_score": 0.15,
                "separator": "; ",  # joins several moods in the one `mood` string
                "canonical": {},  # label -> the name written ("" never writes that label)
                "mood": True,  # also fill the `mood` flexible attribute when the model has a mood group
            }
        )

    def commands(self) -> list[ui.Subcommand]:
        command = ui.Subcommand("earmark", help="fill genres (and mood) from Earmark's analysis")
        parser = command.parser
        parser.add_option("-p", "--pretend", action="store_true", default=False, help="show changes, store nothing")
        parser.add_option("-w", "--write", action="store_true", default=None, help="write the new tags into files")
        parser.add_option("-W", "--nowrite", action="store_false", dest="write", help="don't write tags into files")
        parser.add_option("-m", "--mode", choices=["keep", "append", "replace"], help="keep, append or replace")
        parser.add_option("--count", type="int", help="at most this many of Earmark's genres")
        parser.add_option("--min-score", type="float", dest="min_score", help="the score a genre needs")
        parser.add_option("--model", help="whose analysis (default: the model Earmark used last)")
        command.func = self.run
        return [command]

    def run(self, lib: Library, opts: optparse.Values, args: list[str]) -> None:
        """Propose each matching item's genres (and mood), show the changes, then store and maybe write them."""
        from core.errors import EarmarkError

        self.config.set_args({key: getattr(opts, key) for key in ("mode", "count", "min_score", "model")})
        if GENRES not in Item._fields:
            raise ui.UserError("the earmark plugin needs beets 2.7 or newer (multi-valued genres)")
        write = ui.should_write(opts.write)
        try:
            policy = self._policy()
            with self._open_store() as store:
                tally = self._fill(lib, store, args, policy, pretend=opts.pretend, write=write)
        except EarmarkError as error:
            raise ui.UserError(str(error)) from error
        for line in summary(tally, pretend=opts.pretend, write=write):
            ui.print_(line)

    # --- configuration ---------------------------------------------------------------------------

    def _policy(self) -> GenrePolicy:
        from core.tagwrite.policy import MODES, GenrePolicy

        canonical = self.config["canonical"].get(dict)
        return GenrePolicy(
            mode=self.config["mode"].as_choice(MODES),
            threshold=self.config["min_score"].as_number(),
            max_genres=self.config["count"].get(int),
            canonical=names(canonical),
        )

    def _open_store(self) -> Store:
        """Earmark's database; never a new empty one, which would only hide a wrong path."""
        from core.paths import default_db_path
        from core.store import Store

        path = Path(self.config["db"].as_filename()) if self.config["db"].get() else default_db_path()
        if not path.is_file():
            raise ui.UserError(
                f"no Earmark database at {path}: run `earmark tag` on the library first (or set earmark.db)"
            )
        return Store(path)

    # --- the work ------------------------------------------------------------------------------

    def _fill(
        self, lib: Library, store: Store, query: list[str], policy: GenrePolicy, *, pretend: bool, write: bool
    ) -> Tally:
        from core.scan import file_stat
        from core.tagwrite.batch import genre_labels

        model = self.config["model"].get() or store.latest_model_name()
        if model is None:
            raise ui.UserError(f"no results yet in Earmark's database {store.path}: run `earmark tag` on the library")
        genres = genre_labels(store, model)  # one clear error for a model without a genre group
        moods = set(store.model_labels(model)[1].get(MOOD, [])) if self.config["mood"].get(bool) else set()
        separator = self.config["separator"].as_str() or "; "
        analysed = set(store.tagged_paths(model))
        tally = Tally()
        with lib.transaction():
            for item in lib.items(query):
                path = os.fsdecode(item.path)
                if path not in analysed:
                    tally.not_analysed.append(path)
                    continue
                propose_for(item, store.file_labels(path, model), policy, genres, moods, separator)
                if not ui.show_model_changes(item, fields=[GENRES, MOOD]):
                    tally.unchanged += 1
                    continue
                tally.changed += 1
                if pretend:
                    continue
                before = file_stat(Path(path))
                if write and item.try_write():
                    store.follow_rewrite(path, before, file_stat(Path(path)))  # same audio: not analysed again
                item.store()
        for path in tally.not_analysed:
            self._log.debug("not analysed by Earmark ({}): {}", model, path)
        return tally


def propose_for(
    item: Item, labels: list[LabelScore], policy: GenrePolicy, genres: set[str], moods: set[str], separator: str
) -> None:
    """Set the item's genres (and mood) to what Earmark's policy proposes; nothing is stored yet."""
    from core.tagwrite.policy import propose

    item[GENRES] = propose(list(item[GENRES]), [label for label in labels if label.label in genres], policy)
    if not moods:
        return
    mood_policy = replace(policy, separator=separator)  # a flexible attribute holds one string
    before = [item[MOOD]] if MOOD in item else []
    after = propose(before, [label for label in labels if label.label in moods], mood_policy)
    if after != before:
        item[MOOD] = after[0]


def names(canonical: Mapping) -> dict[str, str]:
    """The configured name map; a label mapped to nothing (``speech:``) is never written."""
    mapped = {str(label): "" if name is None else name for label, name in canonical.items()}
    if not all(isinstance(name, str) for name in mapped.values()):
        raise ui.UserError("earmark.canonical must map labels to genre names (text)")
    return mapped


def summary(tally: Tally, *, pretend: bool, write: bool) -> list[str]:
    """The closing lines: what changed (or would), what was already right, what Earmark never saw."""
    if pretend:
        lines = [f"earmark: {tally.changed} item(s) would change (pretend: nothing stored)"]
    else:
        lines = [f"earmark: changed {tally.changed} item(s)" + (", tags written into their files" if write else "")]
    if tally.unchanged:
        lines.append(f"earmark: {tally.unchanged} item(s) already as Earmark would set them")
    if tally.not_analysed:
        lines.append(
            f"earmark: {len(tally.not_analysed)} item(s) not analysed by Earmark, left alone:"
            " run `earmark tag` on the library first"
        )
    return lines
