"""Real stand-ins for external services used by the tests (a fake LLM provider over HTTP)."""

from .provider_server import Fault, FakeProviderServer, rule_answer

__all__ = ["Fault", "FakeProviderServer", "rule_answer"]
