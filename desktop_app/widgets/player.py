"""Audio preview, shared by the results' detail pane and the wizard (label samples, misclassified clips)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QWidget

from .formatting import format_duration


class Player(QWidget):
    """Play/pause and a seek bar over QtMultimedia; starts where the timeline was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.output = QAudioOutput(self)
        self.player.setAudioOutput(self.output)
        self.requested_s: float | None = None  # where play_from last asked to start
        self._waiting = False  # play_from came while the file was loading
        self.play_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.sliderMoved.connect(lambda ms: self.player.setPosition(ms))
        self.time = QLabel("0:00")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.play_button, self.slider, self.time):
            layout.addWidget(widget)
        self.player.durationChanged.connect(lambda ms: self.slider.setRange(0, ms))
        self.player.positionChanged.connect(self._moved)
        self.player.playbackStateChanged.connect(self._state)
        self.player.mediaStatusChanged.connect(self._loaded)

    def load(self, path: str) -> None:
        self.player.stop()
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
        self.player.setPosition(round((self.requested_s or 0.0) * 1000))
        self.player.play()

    def toggle(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
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
