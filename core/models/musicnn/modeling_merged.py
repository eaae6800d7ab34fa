"""musicnn-msd and musicnn-mtt in one model: one batch of log-mel patches, two networks, one vocabulary.

Both published models take the same input (16 kHz, 512-point FFT, hop 256, 96 mels, 3 s patches:
one ``configuration.py`` and one extractor serve both in the ``musicnn`` wheel), so the features
are computed once and each network scores them. The merge (max over one model's synonyms, mean
across models; see :mod:`.vocabulary`) happens inside the forward pass, so that torch and the ONNX
export give the merged labels alike. It is computed on probabilities and returned as logits
(``log p - log(1 - p)``), which the backends' sigmoid turns back into the merged probability.
"""

from __future__ import annotations

import torch
from transformers.modeling_outputs import SequenceClassifierOutput

from .configuration_musicnn import MusicnnConfig
from .modeling_musicnn import MusicnnForAudioClassification, MusicnnPreTrainedModel

_EPS = 1e-7  # keeps the logit of a probability of exactly 0 or 1 finite
_ARCHITECTURE = (
    "n_mels", "patch_frames", "timbral_filters", "timbral_kernel_time", "timbral_kernel_mels", "temporal_filters",
    "temporal_kernels", "midend_filters", "midend_kernel", "midend_layers", "backend_units", "batch_norm_eps",
)  # fmt: skip


class MusicnnMergedConfig(MusicnnConfig):
    """The shared musicnn architecture, each member's tags, and which of them make each merged label.

    ``member_labels``: member name -> its tags, in its classifier's order. ``sources``: per merged
    label (``id2label`` order), member name -> the member's tags that mean it.
    """

    model_type = "musicnn_merged"

    def __init__(
        self,
        member_labels: dict[str, list[str]] | None = None,
        sources: list[dict[str, list[str]]] | None = None,
        **kwargs,
    ) -> None:
        self.member_labels = {name: list(tags) for name, tags in (member_labels or {}).items()}
        self.sources = [{name: list(tags) for name, tags in entry.items()} for entry in (sources or [])]
        super().__init__(**kwargs)

    def member_config(self, name: str) -> MusicnnConfig:
        """One member's own configuration: the shared architecture and its tags."""
        tags = self.member_labels[name]
        shared = {key: getattr(self, key) for key in _ARCHITECTURE}
        return MusicnnConfig(id2label=dict(enumerate(tags)), label2id={t: i for i, t in enumerate(tags)}, **shared)


class MusicnnMergedForAudioClassification(MusicnnPreTrainedModel):
    """Log-mel patches ``(batch, frames, mels)`` -> one logit per merged label."""

    config_class = MusicnnMergedConfig

    def __init__(self, config: MusicnnMergedConfig):
        super().__init__(config)
        if len(config.sources) != config.num_labels:
            raise ValueError(f"{len(config.sources)} merge sources for {config.num_labels} labels")
        self.members = torch.nn.ModuleDict(
            {name: MusicnnForAudioClassification(config.member_config(name)) for name in config.member_labels}
        )
        width = max(len(tags) for entry in config.sources for tags in entry.values())
        for name, tags in config.member_labels.items():
            padding = len(tags)  # a column of -inf appended to the member's logits: "no tag here"
            index = [
                [tags.index(tag) for tag in entry.get(name, [])] + [padding] * (width - len(entry.get(name, [])))
                for entry in config.sources
            ]
            known = [float(name in entry) for entry in config.sources]
            self.register_buffer(f"index_{name}", torch.tensor(index), persistent=False)
            self.register_buffer(f"known_{name}", torch.tensor(known), persistent=False)
        self.post_init()

    def forward(
        self, input_features: torch.Tensor, return_dict: bool | None = None, **kwargs
    ) -> SequenceClassifierOutput | tuple:
        total = torch.zeros(input_features.shape[0], self.config.num_labels, device=input_features.device)
        count = torch.zeros(self.config.num_labels, device=input_features.device)
        for name, member in self.members.items():
            logits = member(input_features).logits
            padded = torch.cat([logits, torch.full_like(logits[:, :1], float("-inf"))], dim=1)
            best = padded[:, getattr(self, f"index_{name}")].amax(dim=2)  # max over the member's synonyms
            total = total + torch.sigmoid(best)  # sigmoid(-inf) = 0 where the member lacks the label
            count = count + getattr(self, f"known_{name}")
        merged = (total / count).clamp(_EPS, 1 - _EPS)  # the mean across the members that know the label
        logits = torch.log(merged) - torch.log(1 - merged)
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict
        return SequenceClassifierOutput(logits=logits) if return_dict else (logits,)
