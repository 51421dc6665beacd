"""Sessions: every run an auditor made, kept as one versioned JSON file that reopens without a model."""

from .model import *  # noqa: F403  (moved whole; split by role next)
from .model import _OWN_HEADER, _read_json, _refuse_to_clobber, _slug  # noqa: F401
