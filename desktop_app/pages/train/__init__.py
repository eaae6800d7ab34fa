"""The Train page: the fine-tune wizard, one module per wizard page."""
