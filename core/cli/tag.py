"""``earmark tag``: a run over folders, music tags or keywords, with a progress bar and a summary."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..models.catalog import COVERAGES, DEFAULT_MODEL, RUNTIMES
from ..runs.engines import ENGINES
from .common import EXIT_OK, add_db, interrupted, open_store, printable, signals_cancel
from .listen import add_detector_options, listen_request


def add_commands(commands) -> None:
    tag = commands.add_parser("tag", help="tag every audio file under the given folders")
    tag.set_defaults(handler=run)
    tag.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    tag.add_argument(
        "--task",
        choices=["tags", "keywords", "calls"],
        default="tags",
        help="tags: label each file (default); keywords: find where words are said, each hit stored with its time;"
        " calls: speech, hold music, speakers and a transcript of each call recording",
    )
    tag.add_argument(
        "--model",
        default=None,
        help=f"built-in name, installed name or model folder (default {DEFAULT_MODEL}; "
        "with --task keywords: a keyword classifier run on a sliding window)",
    )
    add_db(tag)
    tag.add_argument("--top-k", type=int, default=5, help="labels shown per file and kept per segment")
    tag.add_argument("--group", default=None, help="label group to show (default: genre when the model has it)")
    tag.add_argument("--device", default="auto", help="auto, cpu or cuda")
    tag.add_argument(
        "--language",
        default=None,
        metavar="CODE",
        help="with --task calls: transcribe every call in this language (en, es...; default: each call's own)",
    )
    tag.add_argument(
        "--backend",
        default="auto",
        choices=list(RUNTIMES),
        help=f"runtime (auto: {RUNTIMES['auto'].description})",
    )
    tag.add_argument("--segment-seconds", type=float, default=30.0, help="timeline resolution (default 30)")
    tag.add_argument(
        "--batch-size", type=int, default=None, help="model windows per forward pass (default: per backend)"
    )
    tag.add_argument(
        "--workers", type=int, default=None, help="decoding threads (default 1; with --engine ray: model workers)"
    )
    tag.add_argument("--threads", type=int, default=None, help="CPU threads for the model (default: all cores)")
    tag.add_argument(
        "--coverage",
        choices=list(COVERAGES),
        default="full",
        help="excerpts: tag three 30 s stretches spread over each long file instead of all of it",
    )
    tag.add_argument("--retry-errors", action="store_true", help="retry unchanged files that failed before")
    tag.add_argument("--force", action="store_true", help="re-tag files even when unchanged")
    tag.add_argument("--json", action="store_true", help="print this run's results as JSON on stdout")
    tag.add_argument("--quiet", action="store_true", help="no progress bar and no per-file lines")
    tag.add_argument(
        "--engine",
        choices=list(ENGINES),
        default="local",
        help="local: this computer (default); ray: a Ray cluster (pip install 'earmark[ray]'; see the README)",
    )
    tag.add_argument("--ray-address", default=None, help="join the Ray cluster at host:port (default: start one here)")
    tag.add_argument("--gpus-per-worker", type=float, default=0.0, help="with --engine ray: GPU share per model worker")
    add_detector_options(tag)


def _request(args: argparse.Namespace):
    from ..runs.engines import EngineSpec
    from ..runs.options import TagOptions
    from ..runs.requests import CallsRequest, KeywordRequest, TagRequest

    ray = args.engine == "ray"  # --workers: model workers on the cluster, else decoding threads
    options = TagOptions(
        segment_seconds=args.segment_seconds,
        segment_top_k=args.top_k,
        batch_size=args.batch_size,
        decode_workers=1 if ray or args.workers is None else args.workers,
        retry_errors=args.retry_errors,
        force=args.force,
        coverage=args.coverage,
    )
    paths = tuple(args.paths)
    whole_files = TagOptions(retry_errors=args.retry_errors, force=args.force)
    engine = EngineSpec(args.engine, args.ray_address, args.workers if ray else None, args.gpus_per_worker)
    if args.task == "keywords":
        return KeywordRequest(paths, listen_request(args, args.device), whole_files, engine)
    if args.task == "calls":
        return CallsRequest(paths, args.device, whole_files, engine, args.language)
    return TagRequest(paths, args.model or DEFAULT_MODEL, args.backend, args.device, args.threads, options, engine)


def run(args: argparse.Namespace) -> int:
    from ..runs.build import build_run
    from .progress import TerminalProgress

    request = _request(args)
    keywords = args.task == "keywords"
    with open_store(args.db) as store:
        # told about the model's first-run preparation while the run is built, then which labels to show
        progress = TerminalProgress(args.top_k, not args.quiet and not args.json, enabled=not args.quiet, hits=keywords)
        tagger = build_run(request, store, progress)
        info = tagger.analyser
        group = args.group or ("genre" if "genre" in info.label_groups else None)
        shown = info.group(group) if args.task == "tags" else info.labels
        progress.show(shown, info.name, info.label_groups.get("genre"))
        if keywords and not args.quiet:
            print(f"earmark: searching for {', '.join(info.labels)}", file=sys.stderr)
        with signals_cancel(tagger.stop.set, again_interrupts=True):  # Ctrl-C: stop after the files in hand
            summary = tagger.run(list(request.paths))
        progress.close()
        if args.json:
            labels = shown if args.task == "tags" else None
            rows = store.results(info.name, labels=labels, top_k=args.top_k, run_id=summary.run_id)
            json.dump([row.to_json() for row in rows], sys.stdout, indent=2)
            print()
    print_summary(summary, info.name)
    return interrupted() if summary.interrupted else EXIT_OK


def print_summary(summary, model_name: str) -> None:
    err = sys.stderr
    for problem in summary.problems:
        print(f"earmark: skipped {printable(problem)}", file=err)
    if summary.interrupted:
        print(f"Interrupted: {summary.tagged} file(s) tagged and kept; run the same command again to resume.", file=err)
        return
    if summary.decoded == 0:
        print(
            f"Nothing to tag: {summary.skipped} file(s) unchanged since tagged with {model_name} (nothing decoded).",
            file=err,
        )
    else:
        rate = summary.audio_seconds / max(summary.elapsed_s, 1e-9)
        print(
            f"Tagged {summary.tagged} file(s) ({summary.audio_seconds / 60:.1f} min of audio)"
            f" in {summary.elapsed_s:.1f} s ({rate:.0f}x realtime);"
            f" {summary.skipped} unchanged, {summary.failed} failed.",
            file=err,
        )
    if summary.missing:
        print(f"{summary.missing} file(s) no longer found: marked missing, their results kept.", file=err)
    for failure in summary.failures:
        print(f"  failed: {printable(failure.stat.path)}: {printable(failure.error)}", file=err)
