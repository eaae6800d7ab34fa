"""Item-view cells Qt's views do not draw by themselves: a little HTML (a search hit with its matched words
in bold), and text wrapped over several lines in a tree (a transcript's lines).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView

from core.store.calls import MARK_END, MARK_START

UNBOUNDED = 1 << 20  # pixels: a height that never cuts a cell's text
LINE_GAP = 6  # pixels between wrapped rows, which would otherwise touch
CONTEXT = 40  # characters kept before a hit's first match, so the match shows in a narrow column


def marked_html(marked: str) -> str:
    """A hit's text (matches between MARK_START and MARK_END) as HTML with the matches bold, cut to start
    shortly before the first match."""
    first = marked.find(MARK_START)
    if first > CONTEXT:
        cut = marked.find(" ", first - CONTEXT, first)
        marked = "…" + marked[cut + 1 if cut >= 0 else first - CONTEXT :]
    return html.escape(marked).replace(MARK_START, "<b>").replace(MARK_END, "</b>")


class RichTextDelegate(QStyledItemDelegate):
    """Draws a cell's DisplayRole as HTML, on one line: the cell's background and selection as usual, then
    the HTML over it, in the selection's text colour when the row is selected."""

    def _document(self, option: QStyleOptionViewItem) -> QTextDocument:
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(option.font)
        document.setHtml(option.text)
        return document

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        options = QStyleOptionViewItem(option)
        self.initStyleOption(options, index)
        document = self._document(options)
        options.text = ""
        style = options.widget.style() if options.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, options, painter, options.widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, options, options.widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        if options.state & QStyle.StateFlag.State_Selected:
            context.palette.setColor(QPalette.ColorRole.Text, options.palette.highlightedText().color())
        painter.save()
        painter.translate(rect.left() + 2, rect.top() + (rect.height() - document.size().height()) / 2)
        painter.setClipRect(0, 0, rect.width() - 2, rect.height())
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        options = QStyleOptionViewItem(option)
        self.initStyleOption(options, index)
        size = self._document(options).size()
        return QSize(int(size.width()) + 4, max(int(size.height()) + 4, super().sizeHint(option, index).height()))


class WrappingDelegate(QStyledItemDelegate):
    """A tree's cell as tall as its text wrapped to the column: a tree view asks its delegate for a row's
    height without the column's width, so by itself it never wraps."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        options = QStyleOptionViewItem(option)
        options.rect = QRect(0, 0, self.view.columnWidth(index.column()), UNBOUNDED)  # a valid rect: Qt wraps in it
        hint = super().sizeHint(options, index)
        return QSize(hint.width(), hint.height() + LINE_GAP)


def wrap_column(view: QTreeView, column: int) -> None:
    """Wrap ``column``'s text in ``view``, and lay the rows out again whenever a column's width changes."""
    view.setWordWrap(True)
    view.setItemDelegateForColumn(column, WrappingDelegate(view))
    view.header().sectionResized.connect(lambda *_: view.doItemsLayout())
