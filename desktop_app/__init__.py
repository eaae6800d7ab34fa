"""Earmark's desktop app (PySide6): thin views over ``core``. Built in its own issue."""
