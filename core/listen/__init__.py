"""Listening: streaming wake-word and keyword detectors, the audio sources that feed them.

Detectors follow openWakeWord's small API — ``predict(frame) -> {word: score}`` — and one
:class:`Spotter` applies the threshold, patience and refractory period for all of them, so the
same detector runs on a live microphone and over recordings.
"""
