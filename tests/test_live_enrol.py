"""Voice enrolment said into a (virtual) microphone: `earmark listen --enrol WORD` with no files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.listen.verifier import enrolled
from tests import virtual_mic
from tests.test_live_mic import read_line, spoken

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not virtual_mic.available(), reason="pulseaudio is installed by `make test`"),
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`"),
]


@pytest.fixture
def mic(tmp_path: Path):
    microphone = virtual_mic.VirtualMicrophone(tmp_path / "pulse-runtime").start()
    yield microphone
    microphone.stop()


def test_enrol_live_prompts_for_each_take_and_stores_the_verifier(mic, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "home"))
    speech = spoken(tmp_path, "hey jarvis")
    env = {**mic.env, "EARMARK_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "core", "listen", "--enrol", "hey_jarvis", "--takes", "3"]
    enrolling = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        for take in (1, 2, 3):
            line = read_line(enrolling.stderr, 60)
            assert line == f'earmark: say "hey jarvis" now ({take}/3)\n', line
            mic.say(speech)
        assert "enrolled hey_jarvis from 3 recordings" in read_line(enrolling.stderr, 120)
        assert enrolling.wait(timeout=30) == 0
    finally:
        if enrolling.poll() is None:
            enrolling.kill()
    assert list(enrolled()) == ["hey_jarvis"]
