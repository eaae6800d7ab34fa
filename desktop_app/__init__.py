"""Earmark's desktop app (PySide6): thin views over ``core``.

``main_window`` holds the sidebar of ``pages`` (one module per page; the Train wizard one per wizard
page); a page runs slow core work through ``workers`` (each on its own thread, started one way) and
draws with ``widgets``. Imports point down only: main_window -> pages -> workers, widgets -> core
(the window itself starts the Library's tagging run, through ``workers`` like a page would).
"""
