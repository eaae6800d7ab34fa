"""ONNX export off the GUI thread: it converts and compares the model, which takes seconds to minutes.

Used by the Models page and the wizard's last page; the outcome is one line of text either way.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.models.export import export
from core.models.registry import ModelError, resolve


class ExportWorker(QObject):
    """Exports one installed model; ``done`` says how it went (a refusal too), then ``finished`` always."""

    done = Signal(str)
    finished = Signal()

    def __init__(self, name: str, int8: bool) -> None:
        super().__init__()
        self.name, self.int8 = name, int8

    def run(self) -> None:
        try:
            self._export()
        finally:
            self.finished.emit()

    def _export(self) -> None:
        try:
            report = export(resolve(self.name), int8=self.int8)
        except ModelError as error:
            self.done.emit(f"Export refused: {error}")
            return
        text = f"Exported {self.name} to ONNX (max difference to torch {report.fp32_max_diff:.1e})."
        if report.int8:
            verdict = "kept" if report.int8.kept else "not kept"
            text += f" int8: {report.int8.top1_agreement:.1%} top-1 agreement, {verdict}."
        self.done.emit(text)
