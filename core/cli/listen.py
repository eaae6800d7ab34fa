"""``earmark listen`` and ``earmark devices``: wake words live or in recordings; what to listen for."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import EXIT_OK, CliError, add_db, open_store, printable


def add_detector_options(parser: argparse.ArgumentParser) -> None:
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
    words.add_argument(
        "--cutoffs",
        choices=["earmark", "model"],
        default="earmark",
        help="wake words as Earmark tunes them (calibrated thresholds, a speech gate, one word per phrase, "
        "your enrolled voice: the default) or as each model ships",
    )
    words.add_argument(
        "--threshold", type=float, default=None, help="one score for every word (default: per word, per --cutoffs)"
    )
    words.add_argument("--patience", type=int, default=1, help="consecutive 80 ms frames above the threshold")
    words.add_argument("--refractory", type=float, default=2.0, help="seconds before a word can fire again")


def listen_request(args: argparse.Namespace, device: str):
    """The detectors and trigger policy the options ask for; the licences a user must hear of, said."""
    from ..listen.catalog import ListenRequest, ListenSpec, split_words

    spec = ListenSpec(
        wake=split_words(args.wake),
        openwakeword=split_words(args.oww),
        keyword_examples=args.keyword_examples,
        model=args.model,
        vad=args.vad,
        tuning=args.cutoffs,
    )
    for notice in spec.notices:
        print(f"earmark: {notice}", file=sys.stderr)
    return ListenRequest(spec, threshold=args.threshold, patience=args.patience, refractory_s=args.refractory,
                         device=device)  # fmt: skip


def add_commands(commands) -> None:
    listen = commands.add_parser("listen", help="spot wake words live on a microphone, or in recordings")
    listen.set_defaults(handler=run)
    listen.add_argument("files", nargs="*", type=Path, metavar="FILE", help="recordings (default: the microphone)")
    listen.add_argument("--device", type=int, default=None, help="input device number (see `earmark devices`)")
    listen.add_argument("--model", default=None, help="also a keyword classifier model, on a sliding window")
    listen.add_argument(
        "--enrol",
        default=None,
        metavar="WORD",
        help="learn your voice saying a wake word: from the FILEs (3-5 recordings of it), or say it into the "
        "microphone when none are named",
    )
    listen.add_argument("--takes", type=int, default=4, help="recordings to make with --enrol (default 4)")
    listen.add_argument("--forget", default=None, metavar="WORD", help="delete your enrolled voice for a wake word")
    add_detector_options(listen)
    add_db(listen)
    listen.add_argument("--no-store", action="store_true", help="print detections without storing them")
    devices = commands.add_parser("devices", help="list audio input devices")
    devices.set_defaults(handler=list_devices)


def run(args: argparse.Namespace) -> int:
    from ..audio import DecodeError
    from ..listen.catalog import spotter_for
    from ..listen.session import ListenSession, microphone_source
    from ..listen.sources import input_devices

    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}")
    if args.enrol:
        return enrol(args.enrol, args.files, args.device, args.takes)
    if args.forget:
        return forget(args.forget)
    spotter = spotter_for(listen_request(args, "auto"))
    store = None if args.no_store else open_store(args.db)
    try:
        sources = [str(p.resolve()) for p in args.files] or [microphone_source(args.device)]
        if not args.files:
            if not input_devices():
                raise CliError("no audio input device found (is a microphone connected?)")
            print(f"earmark: listening for {', '.join(spotter.detector.words)} (Ctrl-C to stop)", file=sys.stderr)
        session = ListenSession(spotter, store)
        unreadable = 0
        for source in sources:
            heard = 0
            try:
                for detection in session.listen(source):
                    shown = f"{printable(source)}\t{detection.time_s:8.2f} s\t{detection.word}\t{detection.score:.2f}"
                    print(shown, flush=True)
                    heard += 1
            except DecodeError as error:
                unreadable += 1
                print(f"earmark: {printable(source)}: {printable(error)}", file=sys.stderr)
                continue
            if args.files:  # silence would leave the user wondering whether it listened at all
                words = ", ".join(spotter.detector.words)
                said = f"{heard} detection(s)" if heard else f"nothing heard (listening for {words})"
                print(f"earmark: {printable(source)}: {said}", file=sys.stderr)
    finally:
        if store is not None:
            store.close()
    if unreadable and unreadable == len(sources):
        raise CliError("no recording could be read" if unreadable > 1 else "the recording could not be read")
    return EXIT_OK


def enrol(word: str, files: list[Path], device: int | None, takes: int) -> int:
    """Record (or read) the takes, build the verifier and say what changed."""
    from ..listen.enrol import clips_from_files, enrol, phrase, record_takes
    from ..listen.micro import available_words
    from ..listen.sources import input_devices

    if word not in available_words():
        raise CliError(f"no wake word {word} to enrol (available: {', '.join(available_words())})")
    if files:
        clips = clips_from_files(files)
    else:
        if not input_devices():
            raise CliError("no audio input device found (is a microphone connected?); or name recordings to enrol")

        def prompt(take: int) -> None:
            print(f'earmark: say "{phrase(word)}" now ({take}/{takes})', file=sys.stderr, flush=True)

        clips = record_takes(takes, device, prompt)
    result = enrol(word, clips)
    peaks = ", ".join(f"{p:.2f}" for p in result.peaks)
    print(
        f"earmark: enrolled {word} from {len(clips)} recordings (the model scored them {peaks}); listening now "
        f"also fires at {result.verifier.low:.2f} when your verifier agrees: {result.path}",
        file=sys.stderr,
    )
    return EXIT_OK


def forget(word: str) -> int:
    from ..listen.verifier import SUFFIX, verifiers_dir

    path = verifiers_dir() / f"{word}{SUFFIX}"
    if not path.is_file():
        raise CliError(f"no enrolled voice for {word}")
    path.unlink()
    print(f"earmark: forgot your voice for {word}", file=sys.stderr)
    return EXIT_OK


def list_devices(args: argparse.Namespace) -> int:
    from ..listen.sources import input_devices

    devices = input_devices()
    if not devices:
        raise CliError("no audio input device found (is a microphone connected?)")
    for device in devices:
        print(f"{device.index:3d}  {device.name}  ({device.channels} ch, {device.default_rate:.0f} Hz)")
    return EXIT_OK
