"""The prompts of the benchmark: user-prompt assembly (the instruction texts: instructs.py).

The user prompt follows the reference protocol (JetBrains-Research/PandasPlotBench:
`CodePlotGenerator.generate_plotting_request` in plotting_benchmark/code_plot_generator.py,
with the task parts made by `TaskChanger` and the setup text by `PlottingBenchmark.__init__`):

1. the plot instruction and a newline;
2. the task parts in this order: plot description, plot style, setup, data description. Each
   part has its leading whitespace removed; an empty part is dropped; the others are numbered
   from 1 as "N. <part>" and each is followed by a newline;
3. every "\\n\\n" is replaced by "\\n" in one left-to-right pass (`str.replace`), as the
   reference does. This collapses the blank lines the parts produce; a run of three newlines
   keeps one blank line, exactly as in the reference.

The setup part is the setup instruction with "[PLOTLIB]" replaced by the library, followed
directly (no separator, as in the reference) by "DO NOT use matplotlib ..." for plotly, or
"DO NOT use seaborn ..." for matplotlib; seaborn gets neither. The data description is the
data instruction, a newline and the descriptor's text, cut to its first 4,000 characters
(the reference's limit, part of the protocol).

Task variants (`TASK=`): `full` (description and style), `no_style` (description only),
`short` (the 2-3-sentence description), `single` (the one-sentence description), `none`
("Plot a given dataframe."). Every variant but `full` has no style part. Whatever the
variant, the task judge gets the original full description and style (`judge_task_text`).
"""

from __future__ import annotations

from typing import get_args

from orchestrator.bench.data.dataset import BenchItem
from orchestrator.bench.data.descriptors import DescriptorName, describe_frame, read_item_frame
from orchestrator.bench.errors import RunStopped
from orchestrator.bench.instructs import Instructs
from orchestrator.bench.records import Prompt, TaskText, TaskVariant
from orchestrator.executor.api import Library


class PromptError(RunStopped, ValueError):
    """A prompt cannot be built from the settings given; the message says what to change."""


TASK_VARIANTS: tuple[TaskVariant, ...] = get_args(TaskVariant)
LIBRARIES: tuple[Library, ...] = get_args(Library)
DEFAULT_TASK_VARIANT: TaskVariant = "full"
GENERIC_TASK = "Plot a given dataframe."
DATA_DESCRIPTION_LIMIT = 4000
PLOTLIB_PLACEHOLDER = "[PLOTLIB]"
# Appended to the setup part verbatim (the reference's wording, so that its prompts are
# reproduced byte for byte with the upstream instructs file).
NO_MATPLOTLIB = "DO NOT use matplotlib for plotting. Only {library} library. "
NO_SEABORN = "DO NOT use seaborn for plotting. Only pure matplotlib. "


def check_library(name: str) -> Library:
    for library in LIBRARIES:
        if name == library:
            return library
    raise PromptError(f"unknown plotting library {name!r}; known: {', '.join(LIBRARIES)}")


def check_task_variant(name: str) -> TaskVariant:
    for variant in TASK_VARIANTS:
        if name == variant:
            return variant
    raise PromptError(f"unknown task variant TASK={name}; known: {', '.join(TASK_VARIANTS)}")


def setup_part(instructs: Instructs, library: Library) -> str:
    setup = instructs.setup_instruct.replace(PLOTLIB_PLACEHOLDER, library)
    if library == "matplotlib":
        return setup + NO_SEABORN
    if library != "seaborn":
        return setup + NO_MATPLOTLIB.format(library=library)
    return setup


def data_part(instructs: Instructs, data_csv: bytes, descriptor: DescriptorName) -> str:
    description = describe_frame(read_item_frame(data_csv), descriptor)
    return (instructs.data_instruct + "\n" + description)[:DATA_DESCRIPTION_LIMIT]


def task_parts(item: BenchItem, variant: TaskVariant) -> tuple[str, str]:
    """(plot description, plot style) as the variant puts them into the prompt."""
    match variant:
        case "full":
            return item.plot_description, item.plot_style
        case "no_style":
            return item.plot_description, ""
        case "short":
            return item.short, ""
        case "single":
            return item.single, ""
        case "none":
            return GENERIC_TASK, ""


def task_text(item: BenchItem, variant: TaskVariant) -> TaskText:
    """The original task and, in `used`, the parts the variant put into the prompt."""
    used = "\n".join(part.strip() for part in task_parts(item, variant) if part.strip())
    return TaskText(plot_description=item.plot_description, plot_style=item.plot_style, used=used)


def judge_task_text(item: BenchItem) -> str:
    """The task the task judge scores against: the original full description and style,
    whatever the variant (the reference joins them with a newline after "[PLOT TASK]:")."""
    return f"{item.plot_description}\n{item.plot_style}"


def number_parts(plot_instruct: str, parts: list[str]) -> str:
    """Step 1-3 of the protocol in the module docstring."""
    prompt = plot_instruct + "\n"
    number = 0
    for part in parts:
        text = part.lstrip()
        if text:
            number += 1
            prompt += f"{number}. {text}\n"
    return prompt.replace("\n\n", "\n")


def user_prompt(
    item: BenchItem,
    *,
    instructs: Instructs,
    library: Library,
    descriptor: DescriptorName,
    variant: TaskVariant,
) -> str:
    description, style = task_parts(item, variant)
    parts = [
        description,
        style,
        setup_part(instructs, library),
        data_part(instructs, item.data_csv, descriptor),
    ]
    return number_parts(instructs.plot_instruct, parts)


def build_prompt(
    item: BenchItem,
    *,
    instructs: Instructs,
    library: Library,
    descriptor: DescriptorName,
    variant: TaskVariant,
) -> Prompt:
    """The system and user prompt for one item; raises DescriptorError if its CSV is bad."""
    user = user_prompt(
        item, instructs=instructs, library=library, descriptor=descriptor, variant=variant
    )
    return Prompt(system=instructs.system_prompt, user=user)
