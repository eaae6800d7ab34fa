"""Runs: what a user asks (requests) -> plan -> a task's stages on an engine -> the store.

``build.build_run`` is how front ends start a run; ``tasks/`` holds one module per kind of analysis
and ``engines/`` one module per place to execute it.
"""
