"""Self-debug: which attempts fail and pass, the error text sent back, and the conversation of
each round."""

from __future__ import annotations

import pytest

from orchestrator.bench.models.turns import Turn
from orchestrator.bench.records import Attempt, AttemptResult, ExecStatus, Execution
from orchestrator.bench.self_debug import (
    NO_PLOT,
    conversation,
    failed,
    feedback,
    passes,
    shorten_bytes_literals,
)

IMAGE = "iVBORw0KGgo="
ERRORS = [status for status in ExecStatus if status is not ExecStatus.OK]


def result(
    status: ExecStatus | None = ExecStatus.OK,
    images: int = 0,
    round: int = 0,
    **execution: str,
) -> AttemptResult:
    return AttemptResult(
        round=round,
        execution=None if status is None else Execution(status=status, **execution),
        images=[IMAGE] * images,
    )


def test_the_error_statuses_are_every_status_but_ok() -> None:
    assert set(ERRORS) == {
        ExecStatus.ERROR,
        ExecStatus.TIMEOUT,
        ExecStatus.OOM,
        ExecStatus.CRASHED,
        ExecStatus.NO_CODE,
    }


# failed: whether the attempt takes part in the next round


@pytest.mark.parametrize("status", ERRORS)
@pytest.mark.parametrize("images", [0, 1])
def test_an_error_fails_with_or_without_images(status: ExecStatus, images: int) -> None:
    assert failed(result(status, images))


def test_ok_without_images_fails() -> None:
    assert failed(result(ExecStatus.OK, 0))
    assert failed(result(ExecStatus.OK, 0, round=2))


@pytest.mark.parametrize("images", [1, 3])
def test_ok_with_images_is_fixed(images: int) -> None:
    assert not failed(result(ExecStatus.OK, images))
    assert not failed(result(ExecStatus.OK, images, round=1))


@pytest.mark.parametrize("images", [0, 1])
def test_no_execution_fails(images: int) -> None:
    assert failed(result(None, images))


# passes: VisCoder's execution pass


def test_the_first_attempt_passes_when_it_ran_even_without_a_plot() -> None:
    assert passes(result(ExecStatus.OK, 0, round=0))
    assert passes(result(ExecStatus.OK, 1, round=0))


@pytest.mark.parametrize("round", [1, 2, 3])
def test_a_debug_attempt_passes_only_with_a_plot(round: int) -> None:
    assert not passes(result(ExecStatus.OK, 0, round=round))
    assert passes(result(ExecStatus.OK, 1, round=round))
    assert passes(result(ExecStatus.OK, 2, round=round))


@pytest.mark.parametrize("status", ERRORS)
@pytest.mark.parametrize("round", [0, 1, 3])
@pytest.mark.parametrize("images", [0, 1])
def test_an_error_never_passes(status: ExecStatus, round: int, images: int) -> None:
    assert not passes(result(status, images, round=round))


@pytest.mark.parametrize("round", [0, 1])
def test_no_execution_never_passes(round: int) -> None:
    assert not passes(result(None, 1, round=round))


# feedback: the error text sent back

IPYTHON_TRACEBACK = (
    "\x1b[0;31m---------------------------------------------------------------------------"
    "\x1b[0m\n"
    "\x1b[0;31mNameError\x1b[0m                                 Traceback (most recent call last)\n"
    "Cell \x1b[0;32mIn[1], line 4\x1b[0m\n"
    "\x1b[1;32m      2\x1b[0m \x1b[38;5;28;01mimport\x1b[39;00m \x1b[38;5;21;01mpandas\x1b[39;00m "
    "\x1b[38;5;28;01mas\x1b[39;00m \x1b[38;5;21;01mpd\x1b[39;00m\n"
    "\x1b[0;32m----> 4\x1b[0m \x1b[43mplt\x1b[49m\x1b[38;5;241m.\x1b[39mshow()\n"
    "\x1b[0;31mNameError\x1b[0m: name 'plt' is not defined"
)
PLAIN_TRACEBACK = (
    "---------------------------------------------------------------------------\n"
    "NameError                                 Traceback (most recent call last)\n"
    "Cell In[1], line 4\n"
    "      2 import pandas as pd\n"
    "----> 4 plt.show()\n"
    "NameError: name 'plt' is not defined"
)


def test_feedback_strips_the_ansi_colour_codes() -> None:
    attempt = result(
        ExecStatus.ERROR,
        ename="NameError",
        evalue="name 'plt' is not defined",
        traceback=IPYTHON_TRACEBACK,
    )
    assert feedback(attempt) == PLAIN_TRACEBACK
    assert "\x1b" not in feedback(attempt)


def test_feedback_shortens_long_bytes_literals_only() -> None:
    png = "b'\\x89PNG\\r\\n\\x1a\\n" + "\\x00" * 30 + "'"
    assert len(png) >= 100
    traceback = (
        f"ValueError: could not convert {png} to an image\nTypeError: expected str, got b'ab'"
    )
    assert feedback(result(ExecStatus.ERROR, traceback=traceback)) == (
        "ValueError: could not convert b`...` to an image\nTypeError: expected str, got b'ab'"
    )


@pytest.mark.parametrize(
    ("text", "shortened"),
    [
        ("b'" + "a" * 99 + "'", "b'" + "a" * 99 + "'"),
        ("b'" + "a" * 100 + "'", "b`...`"),
        ('b"' + "a" * 100 + '"', "b`...`"),
        ("x = b'" + "\\'" * 60 + "' + b''", "x = b`...` + b''"),  # escaped quotes inside
        ("b'\n" + "a" * 100 + "'", "b`...`"),  # across lines
        ("b'ab' and b\"cd\"", "b'ab' and b\"cd\""),
        ("no literal here", "no literal here"),
    ],
)
def test_shorten_bytes_literals(text: str, shortened: str) -> None:
    assert shorten_bytes_literals(text) == shortened


def test_a_quoted_name_ending_in_b_is_not_a_bytes_literal() -> None:
    traceback = "KeyError: 'Club'\n" + "The above exception was the direct cause. " * 3 + "'x'"
    assert shorten_bytes_literals(traceback) == traceback


def test_feedback_without_a_traceback_is_the_exception() -> None:
    attempt = result(ExecStatus.ERROR, ename="KeyError", evalue="'price'")
    assert feedback(attempt) == "KeyError\n'price'"
    assert feedback(result(ExecStatus.ERROR, ename="KeyboardInterrupt")) == "KeyboardInterrupt"
    assert feedback(result(ExecStatus.ERROR, evalue="boom")) == "boom"
    colour = result(ExecStatus.ERROR, ename="\x1b[0;31mKeyError\x1b[0m", evalue="'x'")
    assert feedback(colour) == "KeyError\n'x'"


def test_feedback_prefers_the_traceback() -> None:
    attempt = result(ExecStatus.ERROR, ename="KeyError", evalue="'x'", traceback="Traceback ...")
    assert feedback(attempt) == "Traceback ..."


@pytest.mark.parametrize("images", [0, 1])
def test_feedback_of_a_clean_run_is_no_plot(images: int) -> None:
    assert feedback(result(ExecStatus.OK, images)) == NO_PLOT
    assert NO_PLOT == "The code ran without an error but produced no plot."


def test_feedback_without_an_execution_is_no_plot() -> None:
    assert feedback(result(None)) == NO_PLOT


@pytest.mark.parametrize("status", ERRORS)
def test_feedback_without_any_error_text_names_the_status(status: ExecStatus) -> None:
    assert feedback(result(status)) == f"The execution ended with status {status.value}."


def test_feedback_of_a_timeout() -> None:
    assert feedback(result(ExecStatus.TIMEOUT)) == "The execution ended with status timeout."


# conversation: the turns each round sends

PROMPT = "Plot the data.\n1. A bar chart of x."
ASK = "Please write a corrected version of the code in a ```python block."


def attempt(number: int) -> Attempt:
    return Attempt(
        round=number,
        code=f"import matplotlib.pyplot as plt\nplt.plot({number})",
        execution=Execution(status=ExecStatus.ERROR),
        feedback=f"NameError: error {number}",
    )


def code_turn(number: int) -> Turn:
    return Turn(
        role="assistant",
        content=f"```python\nimport matplotlib.pyplot as plt\nplt.plot({number})\n```",
    )


def test_conversation_of_the_first_round_is_the_prompt() -> None:
    assert conversation(PROMPT, []) == [Turn(role="user", content=PROMPT)]


def test_conversation_after_one_attempt() -> None:
    assert conversation(PROMPT, [attempt(0)]) == [
        Turn(role="user", content=PROMPT),
        code_turn(0),
        Turn(
            role="user",
            content=f"The above code failed with the following error:\nNameError: error 0\n{ASK}",
        ),
    ]


def test_conversation_after_two_attempts() -> None:
    assert conversation(PROMPT, [attempt(0), attempt(1)]) == [
        Turn(role="user", content=PROMPT),
        code_turn(0),
        Turn(
            role="user",
            content=f"The above code failed with the following error:\nNameError: error 0\n{ASK}",
        ),
        code_turn(1),
        Turn(
            role="user",
            content=(
                f"The above code still failed with the following error:\nNameError: error 1\n{ASK}"
            ),
        ),
    ]


def test_conversation_after_three_attempts() -> None:
    turns = conversation(PROMPT, [attempt(0), attempt(1), attempt(2)])
    assert [turn.model_dump() for turn in turns] == [
        {"role": "user", "content": PROMPT},
        {
            "role": "assistant",
            "content": "```python\nimport matplotlib.pyplot as plt\nplt.plot(0)\n```",
        },
        {
            "role": "user",
            "content": (
                "The above code failed with the following error:\n"
                "NameError: error 0\n"
                "Please write a corrected version of the code in a ```python block."
            ),
        },
        {
            "role": "assistant",
            "content": "```python\nimport matplotlib.pyplot as plt\nplt.plot(1)\n```",
        },
        {
            "role": "user",
            "content": (
                "The above code still failed with the following error:\n"
                "NameError: error 1\n"
                "Please write a corrected version of the code in a ```python block."
            ),
        },
        {
            "role": "assistant",
            "content": "```python\nimport matplotlib.pyplot as plt\nplt.plot(2)\n```",
        },
        {
            "role": "user",
            "content": (
                "The above code still failed with the following error:\n"
                "NameError: error 2\n"
                "Please write a corrected version of the code in a ```python block."
            ),
        },
    ]


def test_conversation_alternates_and_ends_with_a_user_turn() -> None:
    for count in range(5):
        turns = conversation(PROMPT, [attempt(number) for number in range(count)])
        assert len(turns) == 1 + 2 * count
        assert [turn.role for turn in turns] == ["user", "assistant"] * count + ["user"]


def test_conversation_sends_the_code_and_feedback_as_they_are() -> None:
    empty = Attempt(code="", feedback="", execution=Execution(status=ExecStatus.NO_CODE))
    assert conversation("", [empty]) == [
        Turn(role="user", content=""),
        Turn(role="assistant", content="```python\n\n```"),
        Turn(role="user", content=f"The above code failed with the following error:\n\n{ASK}"),
    ]
    clean = Attempt(code="x = 1", feedback=NO_PLOT, execution=Execution(status=ExecStatus.OK))
    assert conversation(PROMPT, [clean])[-1].content == (
        f"The above code failed with the following error:\n{NO_PLOT}\n{ASK}"
    )


def test_conversation_round_trip_with_feedback() -> None:
    failure = result(ExecStatus.ERROR, traceback=IPYTHON_TRACEBACK)
    earlier = Attempt(**failure.model_dump(), feedback=feedback(failure))
    assert conversation(PROMPT, [earlier])[-1].content == (
        f"The above code failed with the following error:\n{PLAIN_TRACEBACK}\n{ASK}"
    )
