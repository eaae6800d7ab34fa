"""The one kind of error a user sees: a reason they can act on, in one line.

Every layer raises its own subclass (a model that cannot be used, an unreadable database, a bad
request...); front ends catch this base class alone and show the message, never a traceback.
"""


class EarmarkError(Exception):
    """Something the user can act on, said in one line."""
