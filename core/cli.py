"""``earmark``: tag folders, query the results, manage models — from the terminal.

Exit codes: 0 when the command did its job (a run that completed with some files failing
included: those are reported); 1 with a one-line reason when it could not run at all (bad model,
unreadable database, no such path); 130 when interrupted (what was committed is kept).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .audio import DecodeError
from .models.catalog import COVERAGES, DEFAULT_MODEL, RUNTIMES
from .paths import default_db_path, models_dir

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


class CliError(Exception):
    """A reason the command cannot run, shown as one line."""


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"database file (default: {default_db_path()})")


def _add_detectors(parser: argparse.ArgumentParser) -> None:
    """What to listen for, shared by ``listen`` and ``tag --task keywords``."""
    words = parser.add_argument_group("keyword detectors (default: every built-in microWakeWord word)")
    words.add_argument("--wake", default=None, help="microWakeWord words: okay_nabu,hey_jarvis,hey_mycroft,alexa")
    words.add_argument(
        "--oww",
        default=None,
        help="openWakeWord models (NON-COMMERCIAL licence, CC BY-NC-SA 4.0): "
        "alexa,hey_jarvis,hey_mycroft,hey_rhasspy,timer,weather",
    )
    words.add_argument(
        "--keyword-examples", type=Path, default=None, metavar="DIR", help="DIR/<keyword>/<clip>: match by example"
    )
    words.add_argument("--vad", action="store_true", help="count scores only during speech (Silero VAD)")
    words.add_argument("--threshold", type=float, default=None, help="score needed (default: each model's own)")
    words.add_argument("--patience", type=int, default=1, help="consecutive 80 ms frames above the threshold")
    words.add_argument("--refractory", type=float, default=2.0, help="seconds before a word can fire again")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earmark", description="Tag audio files locally with audio models.")
    parser.add_argument("--version", action="version", version=f"earmark {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    tag = commands.add_parser("tag", help="tag every audio file under the given folders")
    tag.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    tag.add_argument(
        "--task",
        choices=["tags", "keywords"],
        default="tags",
        help="tags: label each file (default); keywords: find where words are said, each hit stored with its time",
    )
    tag.add_argument(
        "--model",
        default=None,
        help=f"built-in name, installed name or model folder (default {DEFAULT_MODEL}; "
        "with --task keywords: a keyword classifier run on a sliding window)",
    )
    _add_db(tag)
    tag.add_argument("--top-k", type=int, default=5, help="labels shown per file and kept per segment")
    tag.add_argument("--group", default=None, help="label group to show (default: genre when the model has it)")
    tag.add_argument("--device", default="auto", help="auto, cpu or cuda")
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
    tag.add_argument("--workers", type=int, default=1, help="decoding threads")
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
    _add_detectors(tag)

    results = commands.add_parser("results", help="list tagged files and their labels")
    _add_db(results)
    results.add_argument("--model", default=None, help="model name (default: the last one used)")
    results.add_argument("--label", default=None, help="only files with this label among their top labels")
    results.add_argument("--group", default=None, help="rank only this group's labels (genre, mood...)")
    results.add_argument("--min-score", type=float, default=0.0, help="drop labels scoring below this")
    results.add_argument("--top-k", type=int, default=5, help="labels per file (0: all)")
    results.add_argument("--status", choices=["tagged", "error", "missing"], default=None)
    results.add_argument("--format", choices=["table", "csv", "json"], default="table")

    listen = commands.add_parser("listen", help="spot wake words live on a microphone, or in recordings")
    listen.add_argument("files", nargs="*", type=Path, metavar="FILE", help="recordings (default: the microphone)")
    listen.add_argument("--device", type=int, default=None, help="input device number (see `earmark devices`)")
    listen.add_argument("--model", default=None, help="also a keyword classifier model, on a sliding window")
    _add_detectors(listen)
    _add_db(listen)
    listen.add_argument("--no-store", action="store_true", help="print detections without storing them")

    commands.add_parser("devices", help="list audio input devices")

    models = commands.add_parser("models", help="list installed models or show one")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    model_commands.add_parser("list", help="installed and built-in models")
    info = model_commands.add_parser("info", help="labels, groups, licence and path of a model")
    info.add_argument("name")
    export = model_commands.add_parser("export", help="export a model to ONNX (checked against torch)")
    export.add_argument("name")
    export.add_argument("--int8", action="store_true", help="also quantise MatMul/Gemm to int8 (validated)")

    from . import cli_train  # imports this module's CliError, so it is loaded only once this one is

    cli_train.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="earmark: %(message)s")
    try:
        if args.command == "tag":
            return _tag(args)
        if args.command == "results":
            return _results(args)
        if args.command == "listen":
            return _listen(args)
        if args.command == "devices":
            return _devices()
        if args.command in ("train", "evaluate"):
            from . import cli_train

            return cli_train.train(args) if args.command == "train" else cli_train.evaluate(args)
        return _models(args)
    except CliError as error:
        print(f"earmark: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("earmark: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _open_store(path: Path | None):
    from .store import Store, StoreError

    try:
        return Store(path or default_db_path())
    except StoreError as error:
        raise CliError(str(error)) from error


def _load_model(spec: str):
    from .models.registry import ModelError, resolve

    try:
        return resolve(spec)
    except ModelError as error:
        raise CliError(str(error)) from error


def _tag(args: argparse.Namespace) -> int:
    from .models.registry import ModelError
    from .models.runtime import load_backend
    from .pipeline import TagOptions, TagRun
    from .progress import TerminalProgress

    missing = [str(p) for p in args.paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise CliError(f"no such file or folder: {', '.join(missing)}")
    if args.top_k < 1 or (args.batch_size or 1) < 1 or args.workers < 1 or args.segment_seconds <= 0:
        raise CliError("--top-k, --batch-size, --workers and --segment-seconds must be positive")
    if args.task == "keywords":
        return _search(args)
    info = _load_model(args.model or DEFAULT_MODEL)
    try:
        shown = info.group(args.group or ("genre" if "genre" in info.label_groups else None))
        backend = load_backend(info, args.backend, args.device, args.threads)
    except ModelError as error:
        raise CliError(str(error)) from error
    store = _open_store(args.db)
    if not args.quiet:
        print(f"earmark: {info.name} on {backend.describe()}", file=sys.stderr)
    progress = TerminalProgress(shown, args.top_k, print_files=not args.quiet and not args.json, enabled=not args.quiet)
    options = TagOptions(
        segment_seconds=args.segment_seconds,
        segment_top_k=args.top_k,
        batch_size=args.batch_size,
        decode_workers=args.workers,
        retry_errors=args.retry_errors,
        force=args.force,
        coverage=args.coverage,
    )
    with store:
        summary = TagRun(backend, store, options, progress).run(list(args.paths))
        progress.close()
        if args.json:
            rows = store.results(info.name, labels=shown, top_k=args.top_k, run_id=summary.run_id)
            json.dump([row.to_json() for row in rows], sys.stdout, indent=2)
            print()
    _print_summary(summary, info.name)
    return EXIT_INTERRUPTED if summary.interrupted else EXIT_OK


def _print_summary(summary, model_name: str) -> None:
    err = sys.stderr
    for problem in summary.problems:
        print(f"earmark: skipped {problem}", file=err)
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
        print(f"  failed: {failure.stat.path}: {failure.error}", file=err)


def _results(args: argparse.Namespace) -> int:
    from .store import StoreError

    store = _open_store(args.db)
    with store:
        model = args.model or store.latest_model_name()
        if model is None:
            raise CliError(f"no results yet in {store.path}; run `earmark tag FOLDER` first")
        try:
            labels, groups = store.model_labels(model)
        except StoreError as error:
            raise CliError(str(error)) from error
        if args.group and args.group != "all" and args.group not in groups:
            raise CliError(f"model {model} has no label group {args.group!r} (groups: {', '.join(sorted(groups))})")
        shown = groups[args.group] if args.group and args.group != "all" else None
        if args.label is not None and args.label not in labels:
            raise CliError(f"model {model} has no label {args.label!r}")
        rows = store.results(
            model, labels=shown, min_score=args.min_score, top_k=args.top_k, with_label=args.label, status=args.status
        )
        hits = None
        if "keywords" in groups:  # a keyword search: its segments are the hits
            hits = {row.path: [(w, end, p) for _i, _s, end, w, p in store.segments(row.path, model)] for row in rows}
    if args.format == "json":
        json.dump([row.to_json() for row in rows], sys.stdout, indent=2)
        print()
    elif args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["path", "status", "error", "duration_s", "model", "labels"])
        for row in rows:
            labels_text = "; ".join(f"{i.label}={i.score:.4f}" for i in row.labels)
            writer.writerow([row.path, row.status, row.error or "", row.duration_s or "", row.model, labels_text])
    else:
        for row in rows:
            if row.status != "tagged":
                detail = f"{row.status.upper()}: {row.error or ''}"
            elif hits is not None:  # keyword search: each hit with its time
                heard = [f"{w} at {end:.1f} s ({p:.2f})" for w, end, p in hits[row.path] if args.label in (None, w)]
                detail = ", ".join(heard) or "no keywords"
            else:
                detail = ", ".join(f"{i.label} {i.score:.2f}" for i in row.labels)
            print(f"{row.path}\t{detail}")
        print(f"{len(rows)} file(s), model {model}", file=sys.stderr)
    return EXIT_OK


def _spotter(args: argparse.Namespace, device: str):
    """The detectors and trigger policy the command line asks for, or a one-line reason why not."""
    from .listen.catalog import ListenSpec, build_detector, split_words
    from .listen.detector import ListenModelError, TriggerPolicy

    spec = ListenSpec(
        wake=split_words(args.wake),
        openwakeword=split_words(args.oww),
        keyword_examples=args.keyword_examples,
        model=args.model,
        vad=args.vad,
    )
    try:
        detector = build_detector(spec, device)
    except ListenModelError as error:
        raise CliError(str(error)) from error
    for notice in spec.notices:
        print(f"earmark: {notice}", file=sys.stderr)
    thresholds = dict.fromkeys(detector.words, args.threshold) if args.threshold is not None else {}
    return spec, detector, TriggerPolicy(thresholds, max(1, args.patience), args.refractory)


def _search(args: argparse.Namespace) -> int:
    from .listen.search import KeywordRun
    from .pipeline import TagOptions
    from .progress import TerminalProgress

    spec, detector, policy = _spotter(args, args.device)
    store = _open_store(args.db)
    options = TagOptions(retry_errors=args.retry_errors, force=args.force)
    progress = TerminalProgress(detector.words, args.top_k, not args.quiet, enabled=not args.quiet, hits=True)
    run = KeywordRun(spec, detector, store, policy, options, progress)
    if not args.quiet:
        print(f"earmark: searching for {', '.join(detector.words)}", file=sys.stderr)
    with store:
        summary = run.run(list(args.paths))
        progress.close()
        if args.json:
            json.dump([row.to_json() for row in store.results(run.info.name, run_id=summary.run_id)], sys.stdout)
            print()
    _print_summary(summary, run.info.name)
    return EXIT_INTERRUPTED if summary.interrupted else EXIT_OK


def _listen(args: argparse.Namespace) -> int:
    from .listen.detector import Spotter
    from .listen.sources import AudioSourceError, file_frames, input_devices, microphone_frames

    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}")
    _spec, detector, policy = _spotter(args, "auto")
    spotter = Spotter(detector, policy)
    store = None if args.no_store else _open_store(args.db)
    sources = [(str(p.resolve()), lambda p=p: file_frames(p)) for p in args.files] or [
        (f"microphone:{'default' if args.device is None else args.device}", lambda: microphone_frames(args.device))
    ]
    if not args.files:
        try:
            if not input_devices():
                raise CliError("no audio input device found (is a microphone connected?)")
        except AudioSourceError as error:
            raise CliError(str(error)) from error
        print(f"earmark: listening for {', '.join(detector.words)} (Ctrl-C to stop)", file=sys.stderr)
    try:
        for source, frames in sources:
            spotter.reset()
            try:
                for detection in spotter.run(frames()):
                    print(f"{source}\t{detection.time_s:8.2f} s\t{detection.word}\t{detection.score:.2f}", flush=True)
                    if store is not None:
                        store.save_detection(source, detection.word, detection.score, detection.time_s, detection.model)
            except AudioSourceError as error:
                raise CliError(str(error)) from error
            except DecodeError as error:
                print(f"earmark: {source}: {error}", file=sys.stderr)
    finally:
        if store is not None:
            store.close()
    return EXIT_OK


def _devices() -> int:
    from .listen.sources import AudioSourceError, input_devices

    try:
        devices = input_devices()
    except AudioSourceError as error:
        raise CliError(str(error)) from error
    if not devices:
        raise CliError("no audio input device found (is a microphone connected?)")
    for device in devices:
        print(f"{device.index:3d}  {device.name}  ({device.channels} ch, {device.default_rate:.0f} Hz)")
    return EXIT_OK


def _models(args: argparse.Namespace) -> int:
    from .models.catalog import BUILTINS
    from .models.onnx_backend import export_report
    from .models.registry import ModelError, available_names, inspect_folder

    if args.models_command == "list":
        for name in available_names():
            builtin = BUILTINS.get(name)
            folder = models_dir() / name
            try:
                info = inspect_folder(folder, name, builtin=builtin is not None)
                state = f"{len(info.labels)} labels, groups: {', '.join(info.label_groups) or '-'}"
            except ModelError:
                state = "built in; converted on first use" if builtin else "broken folder"
            description = builtin.description if builtin else str(folder)
            print(f"{name:16} {state}\n{'':16} {description}")
        return EXIT_OK
    info = _load_model(args.name)
    if args.models_command == "export":
        return _export(info, args.int8)
    print(f"name:         {info.name}")
    print(f"architecture: {info.architecture}")
    print(f"path:         {info.path}")
    print(f"version:      {info.version}")
    print(f"licence:      {info.licence or 'see the model folder'}")
    print(f"labels:       {len(info.labels)}")
    for group, members in info.label_groups.items():
        print(f"  {group}: {', '.join(members)}")
    if not info.label_groups:
        print(f"  all: {', '.join(info.labels)}")
    report = export_report(info)
    exports = "none (earmark models export NAME)"
    if report:
        exports = "onnx fp32" + (", int8" if report.get("int8") and report["int8"]["kept"] else "")
    print(f"exports:      {exports}")
    from .train.report import load_report, summary_line

    trained = load_report(info.path)
    if trained:
        print(f"training:     {summary_line(trained)}")
    return EXIT_OK


def _export(info, int8: bool) -> int:
    from .models.export import export
    from .models.registry import ModelError

    try:
        report = export(info, int8=int8)
    except ModelError as error:
        raise CliError(str(error)) from error
    print(f"{info.name}: ONNX export via {report.exporter}, max score difference to torch {report.fp32_max_diff:.1e}")
    if report.int8:
        verdict = "kept" if report.int8.kept else "NOT kept (below 99 % agreement)"
        print(
            f"int8 (MatMul/Gemm): top-1 agreement {report.int8.top1_agreement:.1%} with fp32 on"
            f" {report.int8.windows} held-out windows, max score difference {report.int8.max_score_diff:.3f}: {verdict}"
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
