"""The tasks a run can do, one module each, registered here by the request that asks for it."""

from __future__ import annotations

from ..requests import CallsRequest, KeywordRequest, TagRequest
from . import calls, keywords, tags

BUILDERS = {TagRequest: tags.build, KeywordRequest: keywords.build, CallsRequest: calls.build}
