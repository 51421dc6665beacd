"""The messages the runner sends to the screen that started a run.

Core events become these Textual messages in one place (`runner.py`). Progress messages say
where a stage stands, so a newer one makes an older one pointless: they coalesce with
`can_replace`. Log lines (answers, notices) never coalesce: every one is shown.
"""

from __future__ import annotations

from textual.message import Message

from gsmile_core.evaluation.check_results import CheckResult
from gsmile_core.types import Explanation


class RunStarted(Message):
    """Explanation `index` of `total` in this batch began."""

    def __init__(self, index: int, total: int, prompt: str, backend: str) -> None:
        super().__init__()
        self.index, self.total, self.prompt, self.backend = index, total, prompt, backend


class RunProgress(Message):
    """A stage advanced: `done` of `total` steps."""

    def __init__(self, stage: str, done: int, total: int) -> None:
        super().__init__()
        self.stage, self.done, self.total = stage, done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress) and message.stage == self.stage


class AnswerReceived(Message):
    """One perturbed prompt got its answer (text already sanitised by the core)."""

    def __init__(
        self,
        done: int,
        total: int,
        prompt: str,
        output: str,
        cached: bool,
        latency_s: float,
        spent_usd: float | None = None,
    ) -> None:
        super().__init__()
        self.done, self.total = done, total
        self.prompt, self.output = prompt, output
        self.cached, self.latency_s = cached, latency_s
        self.spent_usd = spent_usd  # estimated spend so far (None: no price known for the model)


class RunNotice(Message):
    """A warning, a retry wait, or information from the core."""

    def __init__(self, message: str, level: str = "warning", kind: str = "Notice") -> None:
        super().__init__()
        self.message, self.level, self.kind = message, level, kind

    @property
    def is_retry(self) -> bool:
        """A retry wait: the call engine announces each as a Notice "retrying in …"."""
        return "retry" in self.kind.lower() or self.message.startswith("retrying")


class RunFinished(Message):
    """Explanation `index` of `total` is done."""

    def __init__(self, explanation: Explanation, index: int, total: int) -> None:
        super().__init__()
        self.explanation, self.index, self.total = explanation, index, total


class DrillFinished(Message):
    """The words of unit `unit` of run `run_id` were explained (`explanation`, at word level,
    whose features point into the same prompt)."""

    def __init__(self, run_id: str, unit: int, explanation: Explanation) -> None:
        super().__init__()
        self.run_id, self.unit, self.explanation = run_id, unit, explanation


class BatchFinished(Message):
    """Every prompt of the batch was explained (in order)."""

    def __init__(self, explanations: tuple[Explanation, ...], label: str) -> None:
        super().__init__()
        self.explanations, self.label = explanations, label


class RunFailed(Message):
    """The run stopped on an error; `message` is one line for the user."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class RunCancelled(Message):
    """The user cancelled; `answers` answers had arrived, `finished` explanations were kept."""

    def __init__(self, answers: int, finished: int) -> None:
        super().__init__()
        self.answers, self.finished = answers, finished


class CheckStarted(Message):
    """A trust check of run `run_id` began on `backend`."""

    def __init__(self, kind: str, run_id: str, backend: str) -> None:
        super().__init__()
        self.kind, self.run_id, self.backend = kind, run_id, backend


class CheckFinished(Message):
    """A trust check of run `run_id` is done; `check` is its result."""

    def __init__(self, run_id: str, check: CheckResult) -> None:
        super().__init__()
        self.run_id, self.check = run_id, check


class CheckFailed(Message):
    """The check stopped on an error; `message` is one line for the user."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__()
        self.kind, self.message = kind, message


class CheckCancelled(Message):
    """The user cancelled the check after `answers` answers (they stay in the response cache)."""

    def __init__(self, kind: str, answers: int) -> None:
        super().__init__()
        self.kind, self.answers = kind, answers


class AuditStarted(Message):
    """An audit of `total` prompts began in `folder` (`earlier` of them done by an earlier run)."""

    def __init__(self, total: int, earlier: int, folder: str, resumed: bool) -> None:
        super().__init__()
        self.total, self.earlier, self.folder, self.resumed = total, earlier, folder, resumed


class AuditProgressed(Message):
    """Where the audit stands (`gsmile_core.batch.runner.AuditProgress`); a newer one replaces it."""

    def __init__(self, progress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AuditProgressed)


class AuditRecord(Message):
    """One prompt of the audit finished: its id, status, top words or error (never coalesced)."""

    def __init__(self, item_id: str, status: str, top: tuple[tuple[str, float], ...], error: str, template: str | None) -> None:
        super().__init__()
        self.item_id, self.status, self.top, self.error, self.template = item_id, status, top, error, template


class AuditFinished(Message):
    """The audit ended (finished, stopped or cancelled: `stopped` says why); its summary."""

    def __init__(self, summary: dict, stopped: str | None, folder: str) -> None:
        super().__init__()
        self.summary, self.stopped, self.folder = summary, stopped, folder


class AuditFailed(Message):
    """The audit could not start or broke: one line."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
