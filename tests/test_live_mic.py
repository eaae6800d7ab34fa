"""The live path through a virtual microphone: PulseAudio's pipe source fed with espeak-ng speech."""

from __future__ import annotations

import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from tests import virtual_mic

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not virtual_mic.available(), reason="pulseaudio is installed by `make test`"),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`"),
]


def spoken(tmp_path: Path, text: str) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(tmp_path / "say.wav"), text], check=True)
    audio, rate = sf.read(str(tmp_path / "say.wav"), dtype="float32")
    return (soxr.resample(audio, rate, 16000) * 32767).astype(np.int16)


def read_line(stream, seconds: float) -> str | None:
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else None


@pytest.fixture
def mic(tmp_path: Path):
    microphone = virtual_mic.VirtualMicrophone(tmp_path / "pulse-runtime").start()
    yield microphone
    microphone.stop()


def test_a_wake_word_said_into_the_microphone_is_detected_live(mic, tmp_path: Path) -> None:
    devices = subprocess.run(
        [sys.executable, "-m", "core", "devices"], env=mic.env, capture_output=True, text=True, check=True
    ).stdout
    assert "pulse" in devices
    db = tmp_path / "live.db"
    listener = subprocess.Popen(
        [sys.executable, "-m", "core", "listen", "--wake", "okay_nabu,alexa", "--db", str(db)],
        env=mic.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "listening for okay_nabu, alexa" in read_line(listener.stderr, 60)
        time.sleep(1.0)  # a second of room silence: nothing may fire
        speech = spoken(tmp_path, "okay nabu")
        said = time.monotonic()
        mic.say(speech)
        line = read_line(listener.stdout, 10)
        heard = time.monotonic()
        assert line is not None, "no detection within 10 s"
        source, _time, word, score = line.rstrip("\n").split("\t")
        assert (source, word) == ("microphone:default", "okay_nabu") and float(score) >= 0.5
        # from the end of the phrase to the printed line, through PulseAudio and PortAudio buffers
        assert heard - said - len(speech) / 16000 < 1.0
        again = read_line(listener.stdout, 2)
        assert again is None, (again, listener.poll(), listener.stderr.read() if listener.poll() is not None else "")
        # the device disappears under the running stream: a clear message, exit 1, no traceback
        mic.kill_server()
        _out, err = listener.communicate(timeout=20)
    finally:
        if listener.poll() is None:
            listener.kill()
    assert listener.returncode == 1
    assert err.rstrip("\n").splitlines()[-1] == "earmark: the input device stopped delivering audio (unplugged?)"
    assert "Traceback" not in err
    from core.store import Store

    with Store(db) as store:
        assert [(d[0], d[2]) for d in store.detections()] == [("microphone:default", "okay_nabu")]
