"""Which executor runs the steps of a run, chosen by `VID2LEARN_EXECUTOR` (README, "Scaling out").

- unset or `default`: Dagster's own choice (a process per step for runs launched from the
  UI or a sensor; `vid2learn run` always executes in-process).
- `multiprocess`: a process per step on the run's machine (`max_concurrent` in run config).
- `in_process`: every step in the run's process (least memory: models load once).
- `celery`: steps as Celery tasks on any number of workers (`pip install dagster-celery`;
  broker and backend in run config, workers started with `dagster-celery worker start`).
- `k8s`: each step as its own Kubernetes job (`pip install dagster-k8s`; with the
  K8sRunLauncher of `deploy/dagster.postgres.yaml`).

The executor is part of the Definitions, so it is an environment setting read when they
are built, like the project paths; the distributed ones import lazily and name their
package when it is missing.
"""

from __future__ import annotations

import importlib

import dagster as dg

from vid2learn_dagster.common.settings import settings

EXECUTOR_ENV = "VID2LEARN_EXECUTOR"
BUILTIN = {"multiprocess": dg.multiprocess_executor, "in_process": dg.in_process_executor}
# name -> (module, attribute, pip package)
DISTRIBUTED = {
    "celery": ("dagster_celery", "celery_executor", "dagster-celery"),
    "k8s": ("dagster_k8s", "k8s_job_executor", "dagster-k8s"),
}


class ExecutorUnavailableError(ImportError):
    """The chosen executor's package is not installed; the message names it."""


def executor_from_env(name: str | None = None) -> dg.ExecutorDefinition | None:
    """The executor `name` (default: `$VID2LEARN_EXECUTOR`) names; None keeps Dagster's default."""
    choice = (settings().executor if name is None else name).strip().lower()
    if choice in ("", "default"):
        return None
    if choice in BUILTIN:
        return BUILTIN[choice]
    if choice in DISTRIBUTED:
        module, attribute, package = DISTRIBUTED[choice]
        try:
            return getattr(importlib.import_module(module), attribute)
        except ImportError as err:
            raise ExecutorUnavailableError(
                f"{EXECUTOR_ENV}={choice} needs the {package} package: pip install {package}"
            ) from err
    known = ", ".join(["default", *BUILTIN, *DISTRIBUTED])
    raise ValueError(f"{EXECUTOR_ENV}={choice!r} is not one of: {known}")
