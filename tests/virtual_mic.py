"""A microphone without hardware: PulseAudio in user mode with a pipe source as the default input.

A feeder thread writes 16 kHz s16le audio into the source's FIFO in real time: what was queued
with :meth:`VirtualMicrophone.say`, else silence (a pipe source that runs dry stalls the stream).
PortAudio reaches it through ALSA's ``pulse`` device (libasound2-plugins).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

RATE = 16000
CHUNK = 1280  # 80 ms


def available() -> bool:
    return all(shutil.which(tool) for tool in ("pulseaudio", "pactl"))


class VirtualMicrophone:
    def __init__(self, runtime_dir: Path) -> None:
        self.dir = runtime_dir
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.fifo = self.dir / "virtmic"
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(self.dir), "PULSE_SERVER": f"unix:{self.dir}/pulse/native"}
        self.pending: queue.Queue = queue.Queue()
        self.stopping = threading.Event()
        self.server: subprocess.Popen | None = None
        self.feeder: threading.Thread | None = None

    def start(self) -> VirtualMicrophone:
        sink = "module-null-sink sink_name=vsink rate=16000 channels=1"
        self.server = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--log-target=stderr"]
            + ["-L", "module-native-protocol-unix", "-L", sink, "-L", "module-always-sink"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=self.env, capture_output=True).returncode != 0:
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pulseaudio did not start: {self.server.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
        source = f"source_name=virtmic file={self.fifo} format=s16le rate={RATE} channels=1"
        self.pactl("load-module", "module-pipe-source", *source.split())
        self.pactl("set-default-source", "virtmic")
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.feeder.start()
        return self

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def say(self, audio: np.ndarray) -> None:
        """Queue int16 16 kHz mono audio; it plays after what is already queued."""
        for start in range(0, len(audio), CHUNK):
            chunk = audio[start : start + CHUNK]
            self.pending.put(np.pad(chunk, (0, CHUNK - len(chunk))).astype("<i2"))

    def _feed(self) -> None:
        silence = np.zeros(CHUNK, dtype="<i2")
        with open(self.fifo, "wb", buffering=0) as pipe:
            next_at = time.monotonic()
            while not self.stopping.is_set():
                try:
                    chunk = self.pending.get_nowait()
                except queue.Empty:
                    chunk = silence
                try:
                    pipe.write(chunk.tobytes())
                except BrokenPipeError:
                    return
                next_at += CHUNK / RATE
                time.sleep(max(0.0, next_at - time.monotonic()))

    def kill_server(self) -> None:
        """The device disappears: the sound server dies under a running stream."""
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait()

    def stop(self) -> None:
        self.stopping.set()
        self.kill_server()
        if self.feeder is not None:
            self.feeder.join(timeout=5)
