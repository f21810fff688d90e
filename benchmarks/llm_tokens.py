"""LLM token counts per video minute, read back from a run's materialization metadata.

Why from the metadata: the LLM assets record what each step's model calls cost
(`assets/language/llm_calls.py`: prompt, cached and completion tokens), so the benchmark reports
exactly what a user sees in the UI rather than counting tokens a second way. Issue 9's
cost measure, "LLM tokens", is the prompt tokens actually processed (prompt - cached:
the server's prompt cache served the rest) plus the completion tokens; its floor is
3,000 per video minute over all LLM stages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

LLM_STAGES = ("rewritten_chunks", "blended_chunks", "notebook")
COUNTS = ("llm_prompts", "prompt_tokens", "cached_tokens", "completion_tokens")
TOKEN_FLOOR_PER_VIDEO_MINUTE = 3000


def run_token_counts(
    instance, run_id: str, stages: Iterable[str] = LLM_STAGES
) -> dict[str, dict[str, int]]:
    """Each LLM stage's counts as its materialization in run `run_id` recorded them.

    A single-video run records them as plain metadata values (a batch run's are the whole
    step's, so one video per run is what this reads). A stage without counts is left out.
    """
    from dagster import DagsterEventType

    wanted = set(stages)
    counts: dict[str, dict[str, int]] = {}
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is None:
            continue
        stage = materialization.asset_key.to_user_string()
        if stage not in wanted:
            continue
        metadata = materialization.metadata
        values = {k: int(metadata[k].value) for k in COUNTS if k in metadata}
        if "prompt_tokens" in values:
            counts[stage] = values
    return counts


def per_video_minute(counts: Mapping[str, Mapping[str, int]], video_seconds: float) -> dict:
    """Per stage and in total: the raw counts, then per video minute the prompt,
    cached and completion tokens and the LLM tokens (prompt - cached + completion),
    and whether the total is within the issue's floor."""
    minutes = video_seconds / 60

    def rates(c: Mapping[str, int]) -> dict[str, int | float]:
        prompt, cached = c.get("prompt_tokens", 0), c.get("cached_tokens", 0)
        completion = c.get("completion_tokens", 0)
        llm_tokens = prompt - cached + completion
        return {
            **c,
            "llm_tokens": llm_tokens,
            "prompt_tokens_per_video_minute": round(prompt / minutes, 1),
            "cached_tokens_per_video_minute": round(cached / minutes, 1),
            "completion_tokens_per_video_minute": round(completion / minutes, 1),
            "llm_tokens_per_video_minute": round(llm_tokens / minutes, 1),
        }

    total = {k: sum(c.get(k, 0) for c in counts.values()) for k in COUNTS}
    total_rates = rates(total)
    return {
        "stages": {stage: rates(c) for stage, c in counts.items()},
        "total": total_rates,
        "floor_llm_tokens_per_video_minute": TOKEN_FLOOR_PER_VIDEO_MINUTE,
        "within_floor": total_rates["llm_tokens_per_video_minute"] <= TOKEN_FLOOR_PER_VIDEO_MINUTE,
        "stages_missing": [s for s in LLM_STAGES if s not in counts],
    }
