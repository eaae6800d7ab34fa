"""Reusable pieces the pages are built from: painted charts, the player, the results table's model.

A widget may read the store and its records; it never imports a page or a worker.
"""
