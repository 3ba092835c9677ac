"""Self-debug (`SELF_DEBUG=N`, and 3 rounds in `PROTOCOL=viscoder`): an attempt that fails
gets its error back and another try, as VisCoder runs it after PandasPlotBench.

- Which items take part: an attempt fails when its code erred (an exception, a timeout,
  running out of memory, a dead kernel, no code in lenient) or drew no plot. An attempt
  that runs and draws is fixed, and its item leaves the later rounds.
- The conversation of round k: the prompt's user text, then for each earlier attempt the
  code it ran in a python fence (the assistant's turn) and the error it got (a user turn
  asking for a corrected version). The system prompt stays the run's.
- The error sent back is the traceback with ANSI colour codes stripped and long byte
  literals shortened; an attempt that ran cleanly but drew nothing is told so.
- Execution pass, the rate VisCoder reports (`Init`, then `A1`..`Ak`): the first attempt
  passes when it ran without an error; a debug attempt passes when it ran without an error
  and drew a plot (VisCoder records a plot-less debug attempt as an error).
"""

from __future__ import annotations

import re

from orchestrator.bench.models.turns import Turn
from orchestrator.bench.records import Attempt, AttemptResult, ExecStatus

# How many rounds a protocol runs when SELF_DEBUG is not set.
VISCODER_ROUNDS = 3
MAX_ROUNDS = 10

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
# A bytes literal (b'...' or b"..."), not a word ending in b before a quote ('Club');
# literals this long are image or file contents.
_BYTES_LITERAL = re.compile(r"""(?<!\w)b(['"])(?:\\.|[^\\])*?\1""", re.DOTALL)
_LONG_BYTES = 100
NO_PLOT = "The code ran without an error but produced no plot."
_FIRST_FAILURE = "The above code failed with the following error:"
_LATER_FAILURE = "The above code still failed with the following error:"
CORRECTION_REQUEST = "Please write a corrected version of the code in a ```python block."


def failed(attempt: AttemptResult) -> bool:
    """Whether the attempt takes part in the next round: an error, or no plot."""
    execution = attempt.execution
    return execution is None or execution.status is not ExecStatus.OK or not attempt.images


def passes(attempt: AttemptResult) -> bool:
    """VisCoder's execution pass for this attempt (module doc)."""
    execution = attempt.execution
    ran = execution is not None and execution.status is ExecStatus.OK
    return ran and (attempt.round == 0 or bool(attempt.images))


def feedback(attempt: AttemptResult) -> str:
    """The error text the next round sends back for a failed attempt."""
    execution = attempt.execution
    if execution is None or execution.status is ExecStatus.OK:
        return NO_PLOT
    text = execution.traceback or "\n".join(
        part for part in (execution.ename, execution.evalue) if part
    )
    if not text:
        text = f"The execution ended with status {execution.status.value}."
    return shorten_bytes_literals(_ANSI.sub("", text))


def shorten_bytes_literals(text: str) -> str:
    def shorten(match: re.Match[str]) -> str:
        literal = match[0]
        return "b`...`" if len(literal) - 3 >= _LONG_BYTES else literal

    return _BYTES_LITERAL.sub(shorten, text)


def conversation(user: str, attempts: list[Attempt]) -> list[Turn]:
    """The turns that round len(attempts) sends: see the module doc."""
    turns = [Turn(role="user", content=user)]
    for number, attempt in enumerate(attempts):
        lead = _FIRST_FAILURE if number == 0 else _LATER_FAILURE
        turns.append(Turn(role="assistant", content=f"```python\n{attempt.code}\n```"))
        turns.append(Turn(role="user", content=f"{lead}\n{attempt.feedback}\n{CORRECTION_REQUEST}"))
    return turns
