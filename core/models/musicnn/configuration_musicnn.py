"""Configuration of the musicnn audio tagger (Pons & Serra, 2019) as a ``transformers`` config."""

from __future__ import annotations

from transformers import PretrainedConfig


class MusicnnConfig(PretrainedConfig):
    """Hyper-parameters of musicnn; the defaults are those of the published MSD/MTT models.

    ``label_groups`` maps a group name (``genre``, ``mood``...) to the labels it holds, so that
    front ends can show "the genre tags" of a model without knowing its vocabulary.
    """

    model_type = "musicnn"

    def __init__(
        self,
        n_mels: int = 96,
        patch_frames: int = 187,
        timbral_filters: int = 204,
        timbral_kernel_time: int = 7,
        timbral_kernel_mels: tuple[int, ...] = (38, 67),
        temporal_filters: int = 51,
        temporal_kernels: tuple[int, ...] = (128, 64, 32),
        midend_filters: int = 64,
        midend_kernel: int = 7,
        midend_layers: int = 3,
        backend_units: int = 200,
        batch_norm_eps: float = 1e-3,
        label_groups: dict[str, list[str]] | None = None,
        licence: str | None = None,
        **kwargs,
    ) -> None:
        self.n_mels = n_mels
        self.patch_frames = patch_frames
        self.timbral_filters = timbral_filters
        self.timbral_kernel_time = timbral_kernel_time
        self.timbral_kernel_mels = list(timbral_kernel_mels)
        self.temporal_filters = temporal_filters
        self.temporal_kernels = list(temporal_kernels)
        self.midend_filters = midend_filters
        self.midend_kernel = midend_kernel
        self.midend_layers = midend_layers
        self.backend_units = backend_units
        self.batch_norm_eps = batch_norm_eps
        self.label_groups = dict(label_groups or {})
        self.licence = licence
        kwargs.setdefault("problem_type", "multi_label_classification")
        super().__init__(**kwargs)

    @property
    def frontend_channels(self) -> int:
        return self.timbral_filters * len(self.timbral_kernel_mels) + self.temporal_filters * len(self.temporal_kernels)

    @property
    def pooled_channels(self) -> int:
        return self.frontend_channels + self.midend_filters * self.midend_layers
