"""The instruction texts of a run (`INSTRUCTS=`): by default the reference's.

- unset: the reference's `plotting_benchmark/resources/instructs.json` at the pinned commit
  (REFERENCE_URL), the paper's exact prompts. It is taken from `upstream_instructs.json` in
  the local dataset copy when DATASET= is one that has it, else from the user cache, else
  downloaded once and cached. Whatever its source, its sha256 must be REFERENCE_SHA256.
- `builtin`: this project's own wording (DEFAULT_INSTRUCTS), not the paper's.
- a path: that file, in the upstream format.

`instructs_info` says which texts a setting gives (records.InstructsInfo) without loading
them, so the run id can depend on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from orchestrator.bench.errors import RunStopped
from orchestrator.bench.models.local.paths import SHARED_CACHE_DIR
from orchestrator.bench.records import InstructsInfo

log = logging.getLogger(__name__)

REFERENCE_REPO = "JetBrains-Research/PandasPlotBench"
REFERENCE_COMMIT = "c053e8c1c1438899c93859a2772c059dcfa56d1d"
REFERENCE_SHA256 = "8684d4fa4e13dc52fef63e17a9288b5a90e41048725307256587e4362226cf10"
REFERENCE_URL = (
    f"https://raw.githubusercontent.com/{REFERENCE_REPO}/{REFERENCE_COMMIT}"
    "/plotting_benchmark/resources/instructs.json"
)
LOCAL_COPY_FILE = "upstream_instructs.json"  # beside tasks.jsonl in a local dataset copy
BUILTIN = "builtin"
DOWNLOAD_TIMEOUT_S = 15.0


class InstructsError(RunStopped, ValueError):
    """An INSTRUCTS= file is unreadable, not in the upstream format, or not the reference's
    file it stands for."""


class InstructsUnavailable(InstructsError):
    """The reference's instructs are neither on this machine nor downloadable."""


class Instructs(BaseModel):
    """The instruction texts, in the upstream JSON format (plotting_benchmark/resources/
    instructs.json): the same six keys, each a string."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system_prompt: str
    setup_instruct: str
    plot_instruct: str
    data_instruct: str
    judge_instruct_vis: str
    judge_instruct_task: str


DEFAULT_INSTRUCTS = Instructs(
    system_prompt=(
        "You are an expert Python programmer who draws plots of pandas DataFrames. "
        "Always give the complete code in one fenced block that opens with ```python "
        "and closes with ```."
    ),
    setup_instruct=(
        "Setup. Write Python 3. Use pandas for the data and [PLOTLIB] (with its submodules) "
        "for the plot. Import numpy as np and scipy if the code uses them. Do not import any "
        "other plotting library. Prefer current APIs to deprecated ones. "
    ),
    plot_instruct=(
        "Write code that draws the plot described below from the DataFrame df. The code must "
        "draw the plot when it runs, not only define functions.\n"
        'df is already loaded with df = pd.read_csv("data.csv"): do not load it again, do '
        "not create it, and do not change or add columns.\n"
        "Give no explanation outside the code; put any important reasoning in code comments.\n"
        "Import everything the code uses, and plot only with the library named in the setup."
    ),
    data_instruct=(
        'Data description. df is already loaded with df = pd.read_csv("data.csv"); do not '
        "create or load it. Its metadata:\n"
    ),
    judge_instruct_vis=(
        "You compare a generated plot with a reference plot. The first image is the "
        "generated plot; the second image is the reference, the plot the user asked for.\n"
        "Taking the reference as 100, score the generated plot from 0 to 100 by how closely "
        "it resembles the reference: the kind of plot, the data shown, the layout and the "
        "main idea. Ignore colours: the same information in other colours is a match. Score "
        "only the first image.\n"
        "Reply with the final score only, after the [FINAL SCORE] token, for example "
        "[FINAL SCORE]: 40"
    ),
    judge_instruct_task=(
        "You judge how well a plot carries out a plotting task. The plot is given as an "
        "image; the task follows the [PLOT TASK] token below.\n"
        "Score from 0 to 100 how closely the plot follows the task.\n"
        "Reply with the final score only, after the [FINAL SCORE] token, for example "
        "[FINAL SCORE]: 40"
    ),
)


# Of the canonical JSON (sorted keys, no spaces): builtin runs are told apart by wording.
BUILTIN_SHA256 = hashlib.sha256(
    json.dumps(
        DEFAULT_INSTRUCTS.model_dump(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
).hexdigest()


def load_instructs(
    setting: str | os.PathLike[str] | None,
    dataset: str | os.PathLike[str] | None = None,
    *,
    cache_dir: Path = SHARED_CACHE_DIR,
    transport: httpx.BaseTransport | None = None,
) -> Instructs:
    """The instructs of `INSTRUCTS=<setting>` (see the module docstring); `dataset` is
    DATASET=, where the reference's file may be found."""
    if setting is None or str(setting) == "":
        data = reference_bytes(dataset, cache_dir=cache_dir, transport=transport)
        return parse_instructs(data, f"the reference's instructs.json ({REFERENCE_URL})")
    if str(setting) == BUILTIN:
        return DEFAULT_INSTRUCTS
    where = f"INSTRUCTS={setting}"
    return parse_instructs(_read(Path(setting), where), where)


def instructs_info(setting: str | os.PathLike[str] | None) -> InstructsInfo:
    """Which texts `INSTRUCTS=<setting>` gives; load_instructs makes sure they are these."""
    if setting is None or str(setting) == "":
        return InstructsInfo(name="reference", sha256=REFERENCE_SHA256, reference=True)
    if str(setting) == BUILTIN:
        return InstructsInfo(name=BUILTIN, sha256=BUILTIN_SHA256, reference=False)
    digest = hashlib.sha256(_read(Path(setting), f"INSTRUCTS={setting}")).hexdigest()
    return InstructsInfo(name=str(setting), sha256=digest, reference=digest == REFERENCE_SHA256)


def reference_cache_path(cache_dir: Path = SHARED_CACHE_DIR) -> Path:
    return cache_dir / "instructs" / f"{REFERENCE_COMMIT}.json"


def reference_bytes(
    dataset: str | os.PathLike[str] | None,
    *,
    cache_dir: Path = SHARED_CACHE_DIR,
    transport: httpx.BaseTransport | None = None,
) -> bytes:
    """The reference's file: from the dataset copy, the cache or the network, in that order."""
    cached = reference_cache_path(cache_dir)
    if dataset is not None and str(dataset) != "":
        local = Path(dataset) / LOCAL_COPY_FILE
        if local.is_file():
            fix = f"restore it, or set INSTRUCTS={local} to use it as it is"
            return _checked(_read(local, str(local)), str(local), fix)
    if cached.is_file():
        fix = "delete it and it is downloaded again"
        return _checked(_read(cached, str(cached)), str(cached), fix)
    fix = f"download it by hand to {cached}, or set INSTRUCTS={BUILTIN}"
    data = _checked(_download(cached, transport), f"the download of {REFERENCE_URL}", fix)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(cached)
    except OSError as exc:  # the run can go on: only the next one downloads again
        log.warning("could not cache the reference's instructs at %s: %s", cached, exc)
    return data


def _download(cached: Path, transport: httpx.BaseTransport | None) -> bytes:
    try:
        with httpx.Client(
            transport=transport, timeout=DOWNLOAD_TIMEOUT_S, follow_redirects=True
        ) as client:
            response = client.get(REFERENCE_URL)
            response.raise_for_status()
            return response.content
    except httpx.HTTPError as exc:
        raise InstructsUnavailable(
            "the reference's instructions are not on this machine (no "
            f"{LOCAL_COPY_FILE} in a local DATASET= copy, nothing at {cached}) and could not "
            f"be downloaded from {REFERENCE_URL}: {exc or type(exc).__name__}. Download that "
            f"file to {cached} (or put it in the dataset copy as {LOCAL_COPY_FILE}), or set "
            f"INSTRUCTS={BUILTIN} to use this project's wording instead of the paper's"
        ) from exc


def _checked(data: bytes, where: str, fix: str) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != REFERENCE_SHA256:
        raise InstructsError(
            f"{where} is not the reference's instructs.json at {REFERENCE_REPO}@"
            f"{REFERENCE_COMMIT[:12]} (sha256 {digest}, expected {REFERENCE_SHA256}): {fix}"
        )
    return data


def _read(path: Path, where: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InstructsError(f"{where} cannot be read: {exc.strerror or exc}") from exc


def parse_instructs(data: bytes, where: str) -> Instructs:
    """Instructs from a file's bytes in the upstream format; `where` names it in errors."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstructsError(f"{where} is not UTF-8 text: {exc}") from exc
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstructsError(
            f"{where} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    try:
        return Instructs.model_validate(parsed, strict=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
        keys = ", ".join(Instructs.model_fields)
        raise InstructsError(
            f"{where} is not in the upstream format (a JSON object with the string "
            f"keys {keys}): {problems}"
        ) from exc
