"""Core work off the event loop: one QObject worker per kind of work, each speaking only through signals.

Every worker runs on a thread of its own, started by :func:`.thread.start_in_thread`.
"""
