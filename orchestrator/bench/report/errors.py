"""Why a report cannot be built."""

from orchestrator.bench.errors import RunStopped


class ReportError(RunStopped):
    """The report cannot be built; the message says what to fix."""


class MissingResults(ReportError):
    """A run directory lacks a file the report cannot do without."""


class InvalidResults(ReportError):
    """A stored results file does not parse as its model, or files of one run disagree."""
