"""The wizard's read-only tables (labels, scores per label, misclassified clips), built and filled one way."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


def read_only_table(headers: list[str]) -> QTableWidget:
    """A table to read and pick rows from, never to edit; the first column takes the spare width."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def set_row(table: QTableWidget, row: int, values: list[str]) -> None:
    """Fill ``row`` with one text cell per value, left to right."""
    for column, value in enumerate(values):
        table.setItem(row, column, QTableWidgetItem(value))
