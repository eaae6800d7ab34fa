"""Fine-tuning: a folder the user labelled (one sub-folder per label) -> a model Earmark can use.

``dataset`` validates, splits and cuts the folder; ``collate`` turns clips into batches;
``bases`` makes a classifier out of a pretrained model; ``metrics`` scores it; ``job`` runs the
``transformers`` Trainer and installs the result.
"""
