"""Backends: the black boxes gSMILE explains, behind one protocol and a registry by name.

Importing this package registers the built-in backends (`local`, `fake`); API backends register
themselves from their own modules.
"""

from .base import BACKENDS, Backend, create_backend, backend_names

__all__ = ["BACKENDS", "Backend", "create_backend", "backend_names"]
