"""``earmark models``: what is installed, one model's labels and licence, ONNX export, deletion."""

from __future__ import annotations

import argparse
import sys

from .common import EXIT_OK, CliError, say


def add_commands(commands) -> None:
    models = commands.add_parser("models", help="list installed models or show one")
    model_commands = models.add_subparsers(dest="models_command", required=True)
    model_commands.add_parser("list", help="installed and built-in models").set_defaults(handler=list_models)
    info = model_commands.add_parser("info", help="labels, groups, licence and path of a model")
    info.set_defaults(handler=show)
    info.add_argument("name")
    export = model_commands.add_parser("export", help="export a model to ONNX (checked against torch)")
    export.set_defaults(handler=export_model)
    export.add_argument("name")
    export.add_argument("--int8", action="store_true", help="also quantise MatMul/Gemm to int8 (validated)")
    delete = model_commands.add_parser("delete", help="delete a model you trained or installed (not a built-in)")
    delete.set_defaults(handler=delete_installed)
    delete.add_argument("name")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def list_models(args: argparse.Namespace) -> int:
    from ..models.catalog import BUILTINS
    from ..models.registry import ModelError, available_names, inspect_folder
    from ..paths import models_dir

    for name in available_names():
        builtin = BUILTINS.get(name)
        folder = models_dir() / name
        try:
            info = inspect_folder(folder, name, builtin=builtin is not None)
            state = f"{len(info.labels)} labels, groups: {', '.join(info.label_groups) or '-'}"
        except ModelError:
            state = "built in; converted on first use" if builtin else "broken folder"
        description = builtin.description if builtin else str(folder)
        say(f"{name:16} {state}\n{'':16} {description}")
    return EXIT_OK


def show(args: argparse.Namespace) -> int:
    from ..models.onnx_backend import export_report
    from ..models.registry import resolve
    from ..train.report import load_report, summary_line

    info = resolve(args.name)
    say(f"name:         {info.name}")
    say(f"architecture: {info.architecture}")
    say(f"path:         {info.path}")
    say(f"version:      {info.version}")
    say(f"licence:      {info.licence or 'see the model folder'}")
    say(f"labels:       {len(info.labels)}")
    for group, members in info.label_groups.items():
        say(f"  {group}: {', '.join(members)}")
    if not info.label_groups:
        say(f"  all: {', '.join(info.labels)}")
    report = export_report(info)
    exports = "none (earmark models export NAME)"
    if report:
        exports = "onnx fp32" + (", int8" if report.get("int8") and report["int8"]["kept"] else "")
    say(f"exports:      {exports}")
    trained = load_report(info.path)
    if trained:
        say(f"training:     {summary_line(trained)}")
    return EXIT_OK


def export_model(args: argparse.Namespace) -> int:
    from ..models.export import export
    from ..models.registry import resolve

    info = resolve(args.name)
    report = export(info, int8=args.int8)
    say(f"{info.name}: ONNX export via {report.exporter}, max score difference to torch {report.fp32_max_diff:.1e}")
    if report.int8:
        verdict = "kept" if report.int8.kept else "NOT kept (below 99 % agreement)"
        say(
            f"int8 (MatMul/Gemm): top-1 agreement {report.int8.top1_agreement:.1%} with fp32 on"
            f" {report.int8.windows} held-out windows, max score difference {report.int8.max_score_diff:.3f}: {verdict}"
        )
    return EXIT_OK


def delete_installed(args: argparse.Namespace) -> int:
    from ..models.removal import delete_model

    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError(f"deleting {args.name} cannot be undone: add --yes to delete it without asking")
        if input(f"Delete the model {args.name}? This cannot be undone. [y/N] ").strip().lower() not in ("y", "yes"):
            say("kept", args.name)
            return EXIT_OK
    folder = delete_model(args.name)  # a built-in or unknown name: ModelError, one line
    say(f"deleted {args.name} ({folder})")
    return EXIT_OK
