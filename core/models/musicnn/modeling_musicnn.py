"""PyTorch implementation of musicnn, numerically faithful to the original TensorFlow graph.

The layer order (convolution -> ReLU -> batch norm), TensorFlow's asymmetric 'same' padding and
the interleaved max/mean pooling of the back end all follow ``musicnn/models.py`` exactly, so
that the converted checkpoints give the same scores as the original (checked by a fixture test).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from .configuration_musicnn import MusicnnConfig


def _tf_same_padding(kernel: int) -> tuple[int, int]:
    """TensorFlow pads 'same' convolutions with the odd extra element at the end."""
    total = kernel - 1
    return total // 2, total - total // 2


class _ConvBlock(nn.Module):
    """A front-end branch: conv over (time, mel) -> ReLU -> BN -> max over the mel axis."""

    def __init__(self, out_channels: int, kernel: tuple[int, int], time_padding: tuple[int, int], eps: float):
        super().__init__()
        self.time_padding = time_padding
        self.conv = nn.Conv2d(1, out_channels, kernel)
        self.norm = nn.BatchNorm2d(out_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (batch, 1, time, mels)
        x = F.pad(x, (0, 0, *self.time_padding))
        x = self.norm(F.relu(self.conv(x)))
        return x.amax(dim=3)  # (batch, channels, time)


class _MidendLayer(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: int, eps: float):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel, padding=kernel // 2)
        self.norm = nn.BatchNorm1d(out_channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(F.relu(self.conv(x)))


class MusicnnPreTrainedModel(PreTrainedModel):
    config_class = MusicnnConfig
    base_model_prefix = "musicnn"
    main_input_name = "input_features"

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.reset_parameters()
            module.reset_running_stats()


class MusicnnForAudioClassification(MusicnnPreTrainedModel):
    """musicnn tagger: log-mel patches ``(batch, frames, mels)`` -> one logit per tag.

    Tags are independent (sigmoid, multi-label), as in the original model.
    """

    def __init__(self, config: MusicnnConfig):
        super().__init__(config)
        eps = config.batch_norm_eps
        self.input_norm = nn.BatchNorm2d(1, eps=eps)
        kt = config.timbral_kernel_time
        self.timbral = nn.ModuleList(
            _ConvBlock(config.timbral_filters, (kt, mels), (kt // 2, kt // 2), eps)
            for mels in config.timbral_kernel_mels
        )
        self.temporal = nn.ModuleList(
            _ConvBlock(config.temporal_filters, (k, 1), _tf_same_padding(k), eps) for k in config.temporal_kernels
        )
        channels = [config.frontend_channels] + [config.midend_filters] * config.midend_layers
        self.midend = nn.ModuleList(
            _MidendLayer(channels[i], config.midend_filters, config.midend_kernel, eps)
            for i in range(config.midend_layers)
        )
        self.pooled_norm = nn.BatchNorm1d(2 * config.pooled_channels, eps=eps)
        self.dense = nn.Linear(2 * config.pooled_channels, config.backend_units)
        self.dense_norm = nn.BatchNorm1d(config.backend_units, eps=eps)
        self.dropout = nn.Dropout(0.5)
        self.classifier = nn.Linear(config.backend_units, config.num_labels)
        self.post_init()

    def embed(self, input_features: torch.Tensor) -> torch.Tensor:
        """The penultimate representation (``backend_units`` wide) of each patch."""
        x = self.input_norm(input_features.unsqueeze(1))
        frontend = torch.cat([block(x) for block in (*self.timbral, *self.temporal)], dim=1)
        features = [frontend]
        hidden = self.midend[0](frontend)
        features.append(hidden)
        for layer in self.midend[1:]:
            hidden = layer(hidden) + hidden
            features.append(hidden)
        stacked = torch.cat(features, dim=1)  # (batch, pooled_channels, time)
        # TF concatenates [max, mean] on a trailing axis and flattens: the two interleave.
        pooled = torch.stack([stacked.amax(dim=2), stacked.mean(dim=2)], dim=2).flatten(1)
        pooled = self.dropout(self.pooled_norm(pooled))
        return self.dense_norm(F.relu(self.dense(pooled)))

    def forward(
        self,
        input_features: torch.Tensor,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> SequenceClassifierOutput | tuple:
        logits = self.classifier(self.dropout(self.embed(input_features)))
        loss = None
        if labels is not None:
            if self.config.problem_type == "multi_label_classification":
                loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            else:
                loss = F.cross_entropy(logits, labels)
        return_dict = return_dict if return_dict is not None else self.config.use_return_dict
        if not return_dict:
            return (logits,) if loss is None else (loss, logits)
        return SequenceClassifierOutput(loss=loss, logits=logits)
