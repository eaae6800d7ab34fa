"""Audio preview, shared by the results' detail pane and the wizard (label samples, misclassified clips)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QVBoxLayout, QWidget

from .formatting import format_duration

NO_DEVICE = "No sound output device: cannot play"


class Player(QWidget):
    """Play/pause and a seek bar over QtMultimedia; starts where the timeline was clicked.

    Without a sound output device QtMultimedia "plays" into nothing: the slider moves and nothing is heard.
    The player says so under its controls instead, and does not start; it plays again once a device appears.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.output = QAudioOutput(self)
        self.player.setAudioOutput(self.output)
        self.devices = QMediaDevices(self)
        self.devices.audioOutputsChanged.connect(self._outputs_changed)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #c0392b;")
        self.message.setWordWrap(True)
        self.message.hide()
        self.requested_s: float | None = None  # where play_from last asked to start
        self._waiting = False  # play_from came while the file was loading
        self.play_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.sliderMoved.connect(lambda ms: self.player.setPosition(ms))
        self.time = QLabel("0:00")
        controls = QHBoxLayout()
        for widget in (self.play_button, self.slider, self.time):
            controls.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        self.player.durationChanged.connect(lambda ms: self.slider.setRange(0, ms))
        self.player.positionChanged.connect(self._moved)
        self.player.playbackStateChanged.connect(self._state)
        self.player.mediaStatusChanged.connect(self._loaded)
        self.player.errorOccurred.connect(lambda _error, text: self.say(f"Cannot play: {text}"))

    def say(self, text: str) -> None:
        """A problem shown under the controls (empty: none)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def can_play(self) -> bool:
        """Whether there is a sound output to play to; says so when there is none."""
        if QMediaDevices.audioOutputs():
            if self.message.text() == NO_DEVICE:
                self.say("")
            return True
        self.say(NO_DEVICE)
        return False

    def _outputs_changed(self) -> None:
        """A device plugged in or out: play to the default one now."""
        self.output.setDevice(QMediaDevices.defaultAudioOutput())
        self.can_play()

    def load(self, path: str) -> None:
        self.player.stop()
        if self.message.text() != NO_DEVICE:
            self.say("")  # the last file's problem is not this one's
        self.requested_s, self._waiting = None, False
        self.player.setSource(QUrl.fromLocalFile(path))

    def play_from(self, seconds: float) -> None:
        """Play from ``seconds``. Asked while the file is still loading (a search hit opens its call and plays
        at once), it starts once loaded: a position set before then is dropped and play starts at 0."""
        self.requested_s = seconds
        self._waiting = self.player.mediaStatus() == QMediaPlayer.MediaStatus.LoadingMedia
        if not self._waiting:
            self._start()

    def _loaded(self, status: QMediaPlayer.MediaStatus) -> None:
        if self._waiting and status == QMediaPlayer.MediaStatus.LoadedMedia:
            self._waiting = False
            self._start()

    def _start(self) -> None:
        self.player.setPosition(round((self.requested_s or 0.0) * 1000))  # a seek shows, even when nothing plays
        if self.can_play():
            self.player.play()

    def toggle(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        elif self.can_play():
            self.player.play()

    def _moved(self, ms: int) -> None:
        self.slider.setValue(ms)
        self.time.setText(format_duration(ms / 1000))

    def _state(self, state: QMediaPlayer.PlaybackState) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause
            if state == QMediaPlayer.PlaybackState.PlayingState
            else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
