"""Where the local model, the llama.cpp wheel and the server's venv live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
CACHE_DIR = REPO_ROOT / ".cache"
# The model and the built llama.cpp wheel are large and slow to make, and the same for every
# checkout: they live in a per-user cache that clones share (PPB_CACHE_DIR overrides it).
SHARED_CACHE_DIR = Path(
    os.environ.get("PPB_CACHE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ppb"
)
MODELS_DIR = SHARED_CACHE_DIR / "models"
PARTS_DIR = SHARED_CACHE_DIR / "model-parts"
LLM_WHEELS = SHARED_CACHE_DIR / "llm-wheels"
LLM_VENV = CACHE_DIR / "llm-venv"  # a venv holds absolute paths: one per checkout
LLM_PYTHON = LLM_VENV / "bin" / "python"
LLM_LOCK = REPO_ROOT / "requirements" / "llm.lock"
