"""Genres a music lover agrees with: both musicnn models merged, no music labels without music, guesses said."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch

from core.audio import AudioInfo
from core.cli import main
from core.genre_verdict import NO_MUSIC, describe
from core.models.backend import TorchBackend
from core.models.catalog import DEFAULT_MODEL
from core.models.export import export
from core.models.musicnn.convert_musicnn import CHECKPOINTS, build_from_tf, packaged_checkpoint_dir
from core.models.musicnn.vocabulary import MERGED, MSD, MTT, groups
from core.models.onnx_backend import OnnxBackend
from core.models.registry import inspect_folder, resolve
from core.records import FileStat, FileTags, LabelScore
from core.runs.options import TagOptions
from core.runs.tasks.music_guard import Listener
from core.runs.tasks.tags import TagRun
from core.store import Store
from core.tagwrite.batch import plan
from core.tagwrite.policy import GenrePolicy
from tests.audio_factory import chords, speak, tone, write

REFERENCE = np.load(Path(__file__).parent / "fixtures" / "musicnn_tf_reference.npz")
WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
MEMBERS = {MSD: CHECKPOINTS["musicnn-msd"], MTT: CHECKPOINTS["musicnn-mtt"]}


def results(capsys: pytest.CaptureFixture, db: Path, *args: str) -> dict[str, str]:
    """``earmark results`` as {file name: what it prints for it}."""
    assert main(["results", "--db", str(db), *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {Path(line.split("\t")[0]).name: line.split("\t")[1] for line in lines}


def test_the_default_model_knows_classical_opera_and_world_music_as_well_as_rock_and_jazz() -> None:
    info = resolve(DEFAULT_MODEL)
    genres = info.label_groups["genre"]
    assert {"classical", "opera", "indian", "new age", "rock", "jazz", "hip-hop", "electronic", "folk"} <= set(genres)
    assert "classic" not in info.labels and "electronica" not in info.labels  # synonyms merged under one name
    for member, checkpoint in MEMBERS.items():  # every tag of both models is in exactly one merged label
        used = [tag for label in MERGED for tag in label.sources.get(member, ())]
        assert sorted(used) == sorted(checkpoint.labels)
    assert {label for members in groups().values() for label in members} == {label.name for label in MERGED}
    assert {"genre", "mood", "era", "vocals", "instrument"} == set(groups())


def test_merged_scores_follow_the_documented_rule() -> None:
    """Max over one model's synonyms, mean across the models that know a label; one model's labels unchanged."""
    info = resolve("musicnn-merged")
    patches = torch.from_numpy(REFERENCE["patches"])
    merged = TorchBackend(info, "cpu").forward({"input_features": REFERENCE["patches"]})
    with torch.no_grad():
        members = {
            member: torch.sigmoid(build_from_tf(c, packaged_checkpoint_dir(c.folder))(patches).logits).numpy()
            for member, c in MEMBERS.items()
        }

    def score(member: str, tags: tuple[str, ...]) -> np.ndarray:
        return members[member][:, [MEMBERS[member].labels.index(tag) for tag in tags]].max(axis=1)

    for i, label in enumerate(MERGED):
        expected = np.mean([score(member, tags) for member, tags in label.sources.items()], axis=0)
        assert np.abs(merged[:, i] - expected).max() < 1e-5, label.name
    classical = info.labels.index("classical")
    assert np.allclose(merged[:, classical], np.maximum(score(MTT, ("classical",)), score(MTT, ("classic",))))
    jazz = info.labels.index("jazz")
    assert np.abs(merged[:, jazz] - score(MSD, ("jazz",))).max() < 1e-5


@pytest.mark.slow
def test_the_merged_model_exports_to_onnx_with_the_same_scores(tmp_path: Path) -> None:
    info = resolve("musicnn-merged")
    report = export(info)
    assert report.exporter == "torch.onnx" and report.fp32_max_diff < 1e-4
    audio = chords(9.0, 16000)
    torch_backend, onnx_backend = TorchBackend(info, "cpu"), OnnxBackend(info)
    features = torch_backend.preprocess(audio)
    assert np.abs(onnx_backend.forward(features) - torch_backend.forward(features)).max() < 1e-4


def test_silence_and_speech_say_no_music_and_music_keeps_its_labels(
    capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    """A silent 8 kHz call was "guitar 0.31, quiet 0.26"; a spoken message got genres too."""
    library = tmp_path / "lib"
    write(library / "silent-call.wav", np.zeros(8000 * 20, dtype=np.float32), 8000, subtype="ULAW")
    speak(library / "message.wav", "Hello, this is a message for the billing department. Please call me back "
                                   "tomorrow morning about my last invoice. Thank you very much, goodbye.")  # fmt: skip
    write(library / "song.wav", chords(20.0, 22050), 22050)
    speech, rate = sf.read(str(library / "message.wav"), dtype="float32")
    bed = chords(len(speech) / rate, rate, seed=4)[: len(speech)]
    write(library / "speech-over-music.wav", speech + 0.5 * bed, rate)
    db = tmp_path / "g.db"
    assert main(["tag", str(library), "--db", str(db), "--backend", "torch", "--quiet"]) == 0
    shown = results(capsys, db)
    assert shown["silent-call.wav"] == NO_MUSIC and shown["message.wav"] == NO_MUSIC
    assert NO_MUSIC not in shown["song.wav"] and NO_MUSIC not in shown["speech-over-music.wav"]
    genres = results(capsys, db, "--group", "genre")  # a genre view says it too
    assert genres["silent-call.wav"] == NO_MUSIC and NO_MUSIC not in genres["song.wav"]
    assert set(results(capsys, db, "--label", NO_MUSIC)) == {"silent-call.wav", "message.wav"}


def test_a_file_is_scored_over_its_music_and_its_silent_stretch_says_no_music(tiny_model: Path, tmp_path: Path) -> None:
    music = chords(30.0, 16000, seed=2)
    write(tmp_path / "lib" / "intro.wav", np.concatenate([music, np.zeros(16000 * 30, dtype=np.float32)]), 16000)
    write(tmp_path / "only" / "music.wav", music, 16000)
    backend = TorchBackend(inspect_folder(tiny_model), "cpu")
    scores = {}
    for name in ("lib", "only"):
        with Store(tmp_path / f"{name}.db") as store:
            TagRun(backend, store, TagOptions()).run([tmp_path / name])
            [row] = store.results("tiny-musicnn", top_k=0)
            scores[name] = {item.label: item.score for item in row.labels}
    assert scores["lib"] == pytest.approx(scores["only"], abs=1e-6)  # the silent half does not water it down
    with Store(tmp_path / "lib.db") as store:
        timeline = store.segments(str(tmp_path / "lib" / "intro.wav"), "tiny-musicnn")
    assert [label for segment, *_rest, label, _score in timeline if segment == 1] == [NO_MUSIC]
    assert NO_MUSIC not in [label for segment, *_rest, label, _score in timeline if segment == 0]


def test_no_music_is_never_written_as_a_genre(tiny_model: Path, tmp_path: Path) -> None:
    silent = write(tmp_path / "lib" / "silent.flac", np.zeros(16000 * 5, dtype=np.float32), 16000)
    with Store(tmp_path / "w.db") as store:
        TagRun(TorchBackend(inspect_folder(tiny_model), "cpu"), store, TagOptions()).run([tmp_path / "lib"])
        assert [item.label for item in store.file_labels(str(silent), "tiny-musicnn")] == [NO_MUSIC]
        planned = plan(store, "tiny-musicnn", [str(silent)], GenrePolicy(mode="replace", threshold=0.0))
    assert planned.files[0].change.after == planned.files[0].change.before == []


def test_the_listener_hears_silence_speech_and_sound(tmp_path: Path) -> None:
    listener = Listener(16000)
    assert listener(np.zeros(16000 * 5, dtype=np.float32)).sound == 0
    heard = listener(tone(5.0))
    assert heard.has_music and heard.speech == 0
    path, _end = speak(tmp_path / "s.wav", "Please hold, your call is important to us.")
    speech, rate = sf.read(str(path), dtype="float32")
    heard = listener(soxr.resample(speech, rate, 16000))
    assert not heard.has_music and heard.speech > 0.9 * heard.sound


def test_earmark_results_says_when_the_top_genre_is_a_guess(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    labels = ["jazz", "rock", "slow"]
    with Store(db) as store:
        model = store.register_model("m", "1", tmp_path, labels, {"genre": ["jazz", "rock"], "mood": ["slow"]}, None)
        run = store.start_run(model, [str(tmp_path)])
        for name, jazz in (("guess.wav", 0.18), ("sure.wav", 0.45)):
            ranked = [LabelScore("jazz", jazz), LabelScore("rock", 0.11), LabelScore("slow", 0.05)]
            tags = FileTags(FileStat(tmp_path / name, 1, 1.0), AudioInfo(16000, 1, 5.0, "pcm"), 5.0, ranked)
            store.save_tags(run, model, "m", tags)
    shown = results(capsys, db)
    assert shown["guess.wav"].startswith("jazz 0.18 (low confidence), rock 0.11")
    assert shown["sure.wav"].startswith("jazz 0.45, rock 0.11")


def test_a_low_top_genre_is_said_to_be_a_guess() -> None:
    genres = {"jazz", "rock", NO_MUSIC}
    guess = [LabelScore("jazz", 0.18), LabelScore("rock", 0.11)]
    assert describe(guess, genres) == ["jazz 0.18 (low confidence)", "rock 0.11"]
    sure = [LabelScore("slow", 0.4), LabelScore("jazz", 0.31)]
    assert describe(sure, genres) == ["slow 0.40", "jazz 0.31"]
    assert describe([LabelScore(NO_MUSIC, 1.0)], genres) == [NO_MUSIC]
    assert describe([LabelScore("calm", 0.05)], set()) == ["calm 0.05"]  # a model without genres: nothing said


@pytest.mark.slow
def test_real_orchestral_music_keeps_a_classical_genre(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    track = WESNOTH / "elvish-theme.ogg"
    if not track.exists():
        message = f"{track} is missing: `make test` installs the Debian package that carries it"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    db = tmp_path / "w.db"
    assert main(["tag", str(track), "--db", str(db), "--backend", "torch", "--coverage", "excerpts", "--quiet"]) == 0
    assert results(capsys, db, "--group", "genre")[track.name].startswith("classical ")
