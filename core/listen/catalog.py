"""Which detectors a listener runs and when they fire: one request, as the CLI, the GUI and keyword search give it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .calibration import EXCLUSIVE_S, THRESHOLDS
from .detector import Detector, DetectorGroup, ListenModelError, Spotter, TriggerPolicy, origins_of
from .oww import NOTICE as OWW_NOTICE
from .verifier import enrolled_signature


@dataclass(frozen=True)
class ListenSpec:
    """What to listen for. With nothing asked for, the built-in microWakeWord words are used."""

    wake: tuple[str, ...] = ()  # microWakeWord words (Apache-2.0)
    openwakeword: tuple[str, ...] = ()  # openWakeWord heads: non-commercial, only when named
    keyword_examples: Path | None = None  # folder/<keyword>/<clip> for DTW matching
    model: str | None = None  # an Earmark classification model on a sliding window
    vad: bool = False  # gate every score with Silero VAD
    hop_frames: int = 1  # sliding-window hop, in 80 ms frames
    # "earmark": calibrated cut-offs, one word per phrase, the enrolled voices' verifiers; "model": upstream's own
    tuning: str = "earmark"

    @property
    def notices(self) -> list[str]:
        """What a user must be told about the models this spec loads (their licences)."""
        return [OWW_NOTICE] if self.openwakeword else []

    @property
    def wants_default(self) -> bool:
        return not (self.wake or self.openwakeword or self.keyword_examples or self.model)

    def describe(self) -> str:
        """A stable text of everything that changes scores: stored as the keyword model's version."""
        parts = [f"wake={','.join(self.wake)}", f"oww={','.join(self.openwakeword)}"]
        parts += [f"examples={self.keyword_examples}", f"model={self.model}", f"vad={self.vad}"]
        if self.tuning == "earmark":
            parts.append(f"earmark={sorted(THRESHOLDS.items())},{EXCLUSIVE_S},{enrolled_signature()}")
        return ";".join(parts + [f"hop={self.hop_frames}"])


@dataclass(frozen=True)
class ListenRequest:
    """What to listen for and when a score counts: the same for a microphone, a recording and a search."""

    spec: ListenSpec = field(default_factory=ListenSpec)
    thresholds: dict[tuple[str, str], float] = field(default_factory=dict)  # (model, word): the app's sliders
    threshold: float | None = None  # one threshold for every word (the CLI's --threshold)
    patience: int = 1  # consecutive 80 ms frames at or above the threshold
    refractory_s: float = 2.0
    device: str = "auto"


def spotter_for(request: ListenRequest) -> Spotter:
    """Load the detectors and set their trigger policy; raises :class:`ListenModelError` with the reason."""
    detector = build_detector(request.spec, request.device)
    if request.threshold is not None:
        thresholds = dict.fromkeys(detector.words, request.threshold)
    else:
        thresholds = thresholds_for(detector, request.thresholds)
    exclusive = EXCLUSIVE_S if request.spec.tuning == "earmark" else 0.0
    return Spotter(detector, TriggerPolicy(thresholds, max(1, request.patience), request.refractory_s, exclusive))


def split_words(text: str | None) -> tuple[str, ...]:
    return tuple(w.strip() for w in (text or "").split(",") if w.strip())


def build_detector(spec: ListenSpec, device: str = "cpu") -> Detector:
    """Load every detector the spec names, as one; raises :class:`ListenModelError` with the reason."""
    from .micro import MicroWakeWordDetector

    detectors: list[Detector] = []
    if spec.wake or spec.wants_default:
        micro = MicroWakeWordDetector(list(spec.wake) or None, earmark_cutoffs=spec.tuning == "earmark")
        detectors.append(_earmark(micro, gate=not spec.vad) if spec.tuning == "earmark" else micro)
    if spec.openwakeword:
        from .oww import OpenWakeWordDetector

        detectors.append(OpenWakeWordDetector(list(spec.openwakeword)))
    if spec.keyword_examples is not None:
        from .examples import ExampleKeywordDetector

        detectors.append(ExampleKeywordDetector(spec.keyword_examples))
    if spec.model:
        detectors.append(_classifier(spec.model, spec.hop_frames, device))
    detector: Detector = detectors[0] if len(detectors) == 1 else DetectorGroup(detectors)
    if spec.vad:
        from .vad import SpeechGate

        detector = SpeechGate(detector)
    return detector


def _earmark(micro: Detector, gate: bool) -> Detector:
    """The wake words as Earmark tunes them: this user's enrolled verifiers (if any) as their second
    stage, and scores that count only near speech (calibrated with the gate: music fires far less)."""
    from .twostage import TwoStage
    from .vad import SpeechGate
    from .verifier import CONFIRM, VerifierDetector, enrolled

    verifiers = {word: v for word, v in enrolled().items() if word in micro.words}
    if verifiers:
        low = {word: v.low for word, v in verifiers.items()}
        micro = TwoStage(micro, VerifierDetector(verifiers), low, dict.fromkeys(verifiers, CONFIRM))
    return SpeechGate(micro) if gate else micro


def thresholds_for(detector: Detector, chosen: dict[tuple[str, str], float]) -> dict[str, float]:
    """Thresholds keyed by (model, word), as a UI offers them, for the words this detector names."""
    return {name: chosen[origin] for name, origin in origins_of(detector).items() if origin in chosen}


def _classifier(name: str, hop_frames: int, device: str) -> Detector:
    from ..models.registry import ModelError, resolve
    from ..models.runtime import load_backend
    from .classifier import ClassifierDetector

    try:
        backend = load_backend(resolve(name), "auto", device)
    except ModelError as error:
        raise ListenModelError(str(error)) from error
    detector = ClassifierDetector(backend, hop_frames)
    if not detector.words:
        raise ListenModelError(f"model {name} has no labels to listen for (only background classes)")
    return detector
