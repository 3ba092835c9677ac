"""Where the tests find the repository and their data."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
FIXTURE_DATASET = FIXTURES / "ppb_mini"  # items 3 (with ground truth) and 7
FIGURE_ITEMS = FIXTURES / "figure_items"  # items 1-4, each with ground-truth code
SHARED_COPY = REPO.parent / "shared" / "pandasplotbench"  # the offline copy of the dataset
