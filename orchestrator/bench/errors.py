"""The benchmark's one error contract: every failure is the user's, the model's or the
infrastructure's, and says so.

Exception                                  raised by
├── RunStopped    the user's to fix: exit 2, one message naming what to change; the
│   │             results so far are kept and the same command resumes after the fix
│   ├── UsageError          settings, CLI arguments           bench/settings.py
│   ├── RegistryError       MODEL= and its keys/base URL      bench/models/registry.py
│   ├── DatasetError        DATASET=, IDS=, LIMIT=            bench/data/dataset.py
│   ├── PromptError         LIBRARY=, TASK=                   bench/prompts.py
│   ├── InstructsError      INSTRUCTS= unreadable, not the    bench/instructs.py
│   │                       upstream format, or not the reference's sha256
│   ├── InstructsUnavailable  the reference's file cannot be  bench/instructs.py
│   │                       found or downloaded
│   ├── JudgeStartFailed    the judge the run starts does not bench/local_judge.py
│   │                       come up (its own message names the variable)
│   ├── ResultsError        results/<run-id>/ files           bench/results_store.py
│   ├── ReportError         the report's inputs               bench/report/errors.py
│   └── ModelSetupError     the model endpoint refuses the    bench/models/providers.py
│                           key, model id or account (401/402/403/404)
└── translated into RunStopped at the CLI boundary (bench/cli.py), raised outside bench:
    ├── LocalModelError, LocalExecutorError      the local model server, the local executor
    ├── ExecutorClientError                      EXECUTORS= unusable, unreachable or refusing
    ├── JudgeClientError                         JUDGE_URL/JUDGE_TOKEN; inside the pipeline
    │                                            only JudgeMisconfigured gets this far
    └── DescriptorError, ModelError              raised before the pipeline starts

Inside the pipeline an item's failure becomes its outcome (records.ItemOutcome) instead:
the model's (no code, failing code, a cut reply) is `done` and scored; a retryable one
(ModelUnavailable, ExecutorUnavailable, JudgeUnavailable) is `infra_error`, retried on
resume; a deterministic one that is not the model's (DescriptorError, ModelBadRequestError,
JudgeRejected) is `failed`, retried only with `run --retry-failed`.
"""

from __future__ import annotations


class RunStopped(Exception):
    """Stops the run; the message names the variable, file or command to fix."""
