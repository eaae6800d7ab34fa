"""Custom keywords without training: match a few example recordings by DTW over speech embeddings.

The idea behind ``local-wake``: each example becomes a sequence of speech embeddings (one per
80 ms); the live stream keeps its recent embeddings, and every frame the best alignment of each
example that ends now is found by subsequence dynamic time warping on cosine distances. The score
is one minus the mean distance along that path, so 1 is an exact repeat; the best example of a
keyword gives the keyword's score.

Raw speech embeddings all point much the same way (any speech, even silence, scores about 0.8
against any example), so vectors are first centred on the midpoint of the examples' mean and
silence's embedding: on espeak-ng tests that moved other speech from 0.82 to under 0.5 while the
keyword itself still scores 0.7-0.8.

Examples live in a folder with one sub-folder per keyword (``examples/lights_on/1.wav``, ...),
the same layout the fine-tune wizard reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import DecodeError
from ..scan import AUDIO_EXTENSIONS
from .detector import FRAME_SAMPLES, SAMPLE_RATE, ListenModelError
from .embedding import SpeechEmbeddings
from .sources import file_frames

DEFAULT_THRESHOLD = 0.6
SILENCE_DB = -40.0  # frames this far below the example's loudest are trimmed from its ends
MAX_EXAMPLE_S = 3.0
FAR = 0.45  # an example matching its keyword's others worse than this on average is flagged


@dataclass(frozen=True)
class Disagreement:
    """An example that does not sound like the others of its keyword."""

    path: Path
    word: str
    score: float  # its mean match with the keyword's other examples (1 = the same)
    reason: str

    def __str__(self) -> str:
        return f"{self.word}/{self.path.name}: {self.reason} (matches its keyword's other examples at {self.score:.2f})"


@dataclass(frozen=True)
class Template:
    word: str
    path: Path
    embeddings: np.ndarray  # (frames, 96), as the front end gives them


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def speech_span(frames: np.ndarray) -> tuple[int, int]:
    """First and one-past-last 80 ms frame that is not silence."""
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) + 1e-9
    level = 20 * np.log10(rms / rms.max())
    loud = np.flatnonzero(level > SILENCE_DB)
    return int(loud[0]), int(loud[-1]) + 1


def load_templates(folder: Path, frontend: SpeechEmbeddings) -> list[Template]:
    """Every example under ``folder/<keyword>/``, trimmed of silence and embedded."""
    if not folder.is_dir():
        raise ListenModelError(f"no keyword examples folder {folder}")
    templates, problems = [], []
    for keyword_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(p for p in keyword_dir.iterdir() if p.suffix.lower() in AUDIO_EXTENSIONS):
            try:
                frames = np.array(list(file_frames(path)))
            except DecodeError as error:
                problems.append(f"{path.name}: {error}")
                continue
            if not len(frames) or not np.any(frames):
                problems.append(f"{path.name}: silent")
                continue
            start, end = speech_span(frames)
            if (end - start) * FRAME_SAMPLES / SAMPLE_RATE > MAX_EXAMPLE_S:
                problems.append(f"{path.name}: over {MAX_EXAMPLE_S:.0f} s of sound; an example is one keyword")
                continue
            # embed with silence before (each embedding sees 0.78 s back) and keep those ending in the speech
            lead = np.zeros((10, FRAME_SAMPLES), dtype=np.int16)
            clip = np.concatenate([lead, frames[start:end], np.zeros((2, FRAME_SAMPLES), dtype=np.int16)])
            embeddings = frontend.embed(clip.reshape(-1))[len(lead) + 1 :]
            templates.append(Template(keyword_dir.name, path, embeddings))
    if not templates:
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise ListenModelError(f"no usable examples in {folder}: expected {folder}/<keyword>/<clip>.wav{detail}")
    return templates


def subsequence_dtw(template: np.ndarray, recent: np.ndarray) -> float:
    """Mean cosine distance of the best alignment of all of ``template`` that ends at ``recent[-1]``.

    Each template frame takes one stream frame; between template frames the stream moves on by
    0, 1 or 2 frames, so a match may be spoken up to twice as slowly as its example or faster,
    and every path has the template's length (a plain mean, and one numpy step per frame).
    """
    cost = 1.0 - template @ recent.T  # (template frames, stream frames)
    total = cost[0].copy()  # the match may start anywhere in the recent past
    for row in cost[1:]:
        best = total.copy()
        best[1:] = np.minimum(best[1:], total[:-1])
        best[2:] = np.minimum(best[2:], total[:-2])
        total = best + row
    return float(total[-1] / len(template))


class ExampleKeywordDetector:
    name = "examples"

    def __init__(self, folder: Path, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.frontend = SpeechEmbeddings()
        self.templates = load_templates(Path(folder), self.frontend)
        silence = self.frontend.embed(np.zeros(SAMPLE_RATE, dtype=np.int16))[-1]
        self.center = (np.vstack([t.embeddings for t in self.templates]).mean(axis=0) + silence) / 2
        self.patterns = [(t.word, _unit(t.embeddings - self.center)) for t in self.templates]
        self.words = sorted({t.word for t in self.templates})
        self.default_thresholds = dict.fromkeys(self.words, threshold)
        longest = max(len(t.embeddings) for t in self.templates)
        self.history = 2 * longest  # a match may be spoken up to twice as slowly as its example
        self.reset()

    def reset(self) -> None:
        self.frontend.reset()
        self.recent = np.zeros((0, 96))

    def disagreements(self) -> list[Disagreement]:
        """Examples far from the others of their keyword: a mislabelled, clipped or noisy recording.

        An example is flagged when, by the same DTW score the detector fires on, it matches its
        own keyword's other examples worse than :data:`FAR` on average, or another keyword's better.
        """
        found = []
        for i, (template, (word, pattern)) in enumerate(zip(self.templates, self.patterns, strict=True)):
            means = {}
            for other in self.words:
                scores = [
                    1.0 - subsequence_dtw(pattern, p) for j, (w, p) in enumerate(self.patterns) if w == other and j != i
                ]
                if scores:
                    means[other] = float(np.mean(scores))
            own = means.get(word)
            if own is None:
                continue
            closer = max((w for w in means if w != word), key=means.get, default=None)
            if closer is not None and means[closer] > own:
                found.append(Disagreement(template.path, word, own, f"sounds more like {closer} ({means[closer]:.2f})"))
            elif own < FAR:
                found.append(Disagreement(template.path, word, own, "far from the others"))
        return found

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        latest = _unit(self.frontend.push(frame) - self.center)
        self.recent = np.vstack([self.recent, latest])[-self.history :]
        scores = dict.fromkeys(self.words, 0.0)
        for word, pattern in self.patterns:
            if len(self.recent) >= len(pattern) // 2:
                scores[word] = max(scores[word], 1.0 - subsequence_dtw(pattern, self.recent))
        return scores
