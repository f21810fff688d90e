"""Benchmark: the whole pipeline on the sample lecture, one JSON object on stdout.

The lecture runs twice in one process (as two videos): `stages` is the first, cold
video, `warm_stages` the second.

Per stage: wall seconds (from the run's own STEP_START / STEP_SUCCESS events) and the
real-time factor (stage seconds / video seconds); per LLM stage, the prompt, cached and
completion tokens per video minute as the run's materializations recorded them, and
"LLM tokens" (prompt - cached + completion) per video minute (`benchmarks/llm_tokens.py`);
peak memory of the process and of every process it started, the llama-server included
(`benchmarks/memory.py`); on the same audio and model in the same run, faster-whisper's
plain sequential `WhisperModel.transcribe` as the baseline for our transcript stage; the
language model's tokens/s batched vs one call per chunk (`benchmarks/llm_batching.py`);
the offline diarizer's wall time, real-time factor and DER on two references
(`benchmarks/diarization.py`); the model stages of both videos run again, once video by
video and once as one batch of two (`assets/common/batches.py`); and the floors (`floors`).

`--long-lecture-minutes 20` instead builds a 20-minute lecture from the sample's slides in
a temporary folder (`benchmarks/long_lecture.py`) and runs every asset on it once: its
real-time factor, tokens and peak memory (20-40 minutes on 2 cores).

    python -m benchmarks.pipeline [--video PATH] [--skip-baseline] [--skip-llm-batching]
                                  [--skip-diarization] [--skip-video-batching]
                                  [--long-lecture-minutes MIN] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Run as a script, the repository root (home of the `benchmarks` package) is not on the path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.llm_tokens import (
    TOKEN_FLOOR_PER_VIDEO_MINUTE,
    per_video_minute,
    run_token_counts,
)
from benchmarks.memory import TreeMemory

# Every asset of the sample lecture, 2 cores, first video: issue 9 asked 2.0; issue 12's
# teaching notebook (sections, quizzes, summary from the 1.5B default) is budgeted 2.5.
RTF_FLOOR = 2.5
MEMORY_FLOOR_GIB = 8.0  # issue 9: the 20-minute lecture
# The machine's load before this process adds any: other work on 2 cores skews every figure.
LOAD_AT_START = list(os.getloadavg())


def stage_windows(instance, run_id: str) -> dict[str, tuple[float, float]]:
    """Epoch start and end of each step of a finished run, from its event log."""
    from dagster import DagsterEventType

    def times(kind: DagsterEventType) -> dict[str, float]:
        return {
            entry.step_key: entry.timestamp for entry in instance.all_logs(run_id, of_type=kind)
        }

    started, finished = times(DagsterEventType.STEP_START), times(DagsterEventType.STEP_SUCCESS)
    return {step: (started[step], finished[step]) for step in finished if step in started}


def stage_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall seconds per step of a finished run, from its event log."""
    return {
        step: round(end - start, 3)
        for step, (start, end) in stage_windows(instance, run_id).items()
    }


def run_pipeline(
    video: Path,
    project: Path,
    skip_video_batching: bool = False,
    warm: bool = True,
    memory: TreeMemory | None = None,
) -> dict:
    """Materialize every stage for `video` in a fresh project, twice in one process.

    The first video pays the once-per-process costs (imports, model loads); the second
    (the same file under another URL, so another partition) shows the per-video cost a
    long-running worker pays. Returns both runs' timings and LLM token counts and, unless
    skipped, the model stages' timings video by video against one batch of both. With
    `warm` False only the first video runs (and no video batching). With `memory`, each
    stage's sampled peak resident memory of the process tree too.
    """
    os.environ["VID2LEARN_HOME"] = str(project)
    os.environ["DAGSTER_HOME"] = str(project / ".dagster_home")
    from dagster import DagsterInstance

    from vid2learn_dagster.app.cli import add_videos
    from vid2learn_dagster.definitions import build_definitions
    from vid2learn_dagster.storage.project import ensure_dagster_home

    ensure_dagster_home()
    paths = [video]
    if warm:
        second = project / "second" / video.name
        second.parent.mkdir(parents=True)
        shutil.copyfile(video, second)
        paths.append(second)
    runs = []
    with DagsterInstance.get() as instance:
        job = build_definitions().resolve_job_def("process_video")
        for path in paths:
            (key,) = add_videos(instance, [str(path)], source="benchmark")
            began = time.perf_counter()
            result = job.execute_in_process(instance=instance, partition_key=key)
            runs.append(
                {
                    "key": key,
                    "total_s": round(time.perf_counter() - began, 3),
                    "stages": stage_seconds(instance, result.run_id),
                    "tokens": run_token_counts(instance, result.run_id),
                    "notebook": notebook_figures(instance, result.run_id),
                    "stage_peak_mib": {
                        step: memory.peak_between(start, end)
                        for step, (start, end) in stage_windows(instance, result.run_id).items()
                    }
                    if memory is not None
                    else {},
                }
            )
        video_batching = None if skip_video_batching or not warm else model_stages_batched(instance)
    return {**runs[0], "warm": runs[1] if warm else None, "video_batching": video_batching}


def notebook_figures(instance, run_id: str) -> dict[str, float]:
    """Issue 12's notebook figures from the run's materializations: sections, quiz
    questions, the model's sentences written and kept by the faithfulness filter, and the
    notebook step's LLM tokens per section."""
    from dagster import DagsterEventType

    metadata: dict[str, object] = {}
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is not None and materialization.asset_key.path[0] in (
            "notebook",
            "notebook_sections",
        ):
            metadata |= {k: v.value for k, v in materialization.metadata.items()}
    sections = int(metadata.get("sections", 0))
    written, kept = int(metadata.get("model_sentences", 0)), int(metadata.get("kept_sentences", 0))
    return {
        "sections": sections,
        "quiz_questions": int(metadata.get("quizzes", 0)),
        "model_sentences": written,
        "kept_sentences": kept,
        "kept_share": round(kept / written, 3) if written else None,
        "llm_tokens_per_section": round(int(metadata.get("llm_tokens", 0)) / sections, 1)
        if sections
        else None,
    }


def model_stages_batched(instance) -> dict:
    """Wall seconds of every model stage for both (warm) videos: one run per video, then
    one run over the two as a batch. Same files, same models, same process."""
    from assets import BATCHED_STAGE_KEYS as stages
    from vid2learn_dagster.app.cli import run_videos
    from vid2learn_dagster.app.partitions import videos_partitions

    keys = instance.get_dynamic_partitions(videos_partitions.name)

    def timed(batches: list[list[str]]) -> float:
        began = time.perf_counter()
        for batch in batches:
            outcome = run_videos(instance, batch, selections=dict.fromkeys(batch, stages))
            if not all(outcome.values()):
                raise RuntimeError(f"model stages failed: {outcome}")
        return round(time.perf_counter() - began, 3)

    one_by_one = timed([[key] for key in keys])
    batched = timed([keys])
    return {
        "videos": len(keys),
        "one_run_per_video_seconds": one_by_one,
        "one_batched_run_seconds": batched,
        "speedup": round(one_by_one / batched, 3),
    }


def stage_report(run: dict, duration: float) -> dict[str, dict[str, float | None]]:
    """Each stage's seconds, real-time factor and, when sampled, the process tree's peak
    resident memory while it ran (which stage needs the memory)."""
    peaks = run.get("stage_peak_mib", {})
    return {
        step: {"seconds": t, "rtf": round(t / duration, 4)}
        | ({"peak_tree_rss_mib": peaks.get(step)} if peaks else {})
        for step, t in run["stages"].items()
    }


def floors(report: dict, long_lecture: bool) -> dict:
    """The floors on 2 cores against this report: the whole run's real-time factor (every
    asset, first video, model loads included) at most 2.5 (issue 12's budget), LLM tokens
    at most 3,000 per video minute (issue 9; issue 12 allows 5,000), and for the long
    lecture peak memory at most 8 GiB (issue 9; the upper bound from `benchmarks/memory.py`,
    llama-server included)."""
    rtf = report["total_seconds"] / report["video_seconds"]
    tokens = report["llm_tokens"]["total"]["llm_tokens_per_video_minute"]
    peak_gib = report["pipeline_memory"]["peak_concurrent_mib"] / 1024
    checks = {
        "rtf": round(rtf, 3),
        "rtf_max": RTF_FLOOR,
        "rtf_ok": rtf <= RTF_FLOOR,
        "llm_tokens_per_video_minute": tokens,
        "llm_tokens_per_video_minute_max": TOKEN_FLOOR_PER_VIDEO_MINUTE,
        "llm_tokens_ok": tokens <= TOKEN_FLOOR_PER_VIDEO_MINUTE,
        "peak_memory_gib": round(peak_gib, 2),
    }
    if long_lecture:
        checks |= {
            "peak_memory_gib_max": MEMORY_FLOOR_GIB,
            "peak_memory_ok": peak_gib <= MEMORY_FLOOR_GIB,
        }
    return checks


def pipeline_report(video: Path, duration: float, run: dict) -> dict:
    """Timings and tokens of the pipeline runs, the shape of the JSON's top level."""
    report = {
        "video": str(video),
        "video_seconds": round(duration, 3),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": LOAD_AT_START,
        "total_seconds": run["total_s"],
        "stages": stage_report(run, duration),
        "llm_tokens": per_video_minute(run["tokens"], duration),
        "notebook": run["notebook"],
    }
    if run["warm"] is not None:
        # A second video in the same process: no imports or model loads left to pay.
        report |= {
            "warm_total_seconds": run["warm"]["total_s"],
            "warm_stages": stage_report(run["warm"], duration),
            "warm_llm_tokens": per_video_minute(run["warm"]["tokens"], duration),
            "video_batching": run["video_batching"],
        }
    return report


def models_used() -> dict[str, str]:
    """The speech and language models the run used (call after the run: the LLM backend
    that actually ran is known once the engine is loaded; `auto` may have fallen back)."""
    from resources.common.model_resources import model_resources
    from resources.speech.whisper import WhisperResource

    llm = model_resources()["llm"]
    return {
        "transcript": WhisperResource().model_id,
        "llm": llm.model_id,
        "llm_backend_running": llm.loaded().backend,
    }


def transcript_baseline(audio: Path, duration: float, run: dict) -> dict:
    """Our transcription call against faster-whisper's plain sequential call."""
    from benchmarks.whisper_baseline import sequential_baseline
    from resources.speech.whisper import WhisperResource

    whisper = WhisperResource()
    settings = whisper.load_settings()
    # Like for like: the plain call and our transcription call on the same audio,
    # interleaved three times (medians: single runs swing by ~15 % on 2 cores).
    baselines, calls = [], []
    for _ in range(3):
        baselines.append(
            sequential_baseline(audio, settings.model, settings.cpu_threads)["seconds"]
        )
        began = time.perf_counter()
        whisper.transcribe(audio)
        calls.append(time.perf_counter() - began)
    baseline = statistics.median(baselines)
    call = statistics.median(calls)
    return {
        "method": "faster_whisper.WhisperModel.transcribe (sequential, beam 5, no VAD)",
        "ours": whisper.model_id,
        "baseline_seconds": round(baseline, 3),
        "baseline_rtf": round(baseline / duration, 4),
        "ours_call_seconds": round(call, 3),
        "ours_call_over_baseline": round(call / baseline, 3),
        "stage_over_baseline": round(run["stages"]["transcript"] / baseline, 3),
        "warm_stage_over_baseline": round(run["warm"]["stages"]["transcript"] / baseline, 3),
    }


def main() -> None:
    from vid2learn_dagster.ingest.media import probe_media
    from vid2learn_dagster.sample import sample_video

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=sample_video())
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-llm-batching", action="store_true")
    parser.add_argument("--skip-diarization", action="store_true")
    parser.add_argument("--skip-perception", action="store_true", help="lecture variants")
    parser.add_argument("--skip-video-batching", action="store_true")
    parser.add_argument(
        "--long-lecture-minutes",
        type=float,
        default=0.0,
        help="build a lecture this long from the sample's slides and run every asset on it "
        "once (no warm run, baseline, LLM batching, diarization or video batching)",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON to this file")
    args = parser.parse_args()
    long_lecture = args.long_lecture_minutes > 0

    memory = TreeMemory().start()
    with tempfile.TemporaryDirectory(prefix="vid2learn-bench-") as tmp:
        video = args.video
        build_seconds = None
        if long_lecture:
            from benchmarks.long_lecture import build_long_lecture

            began = time.perf_counter()
            video = build_long_lecture(
                args.long_lecture_minutes, Path(tmp) / "long" / "lecture.mp4"
            )
            build_seconds = round(time.perf_counter() - began, 1)
        duration = probe_media(video).duration
        run = run_pipeline(
            video, Path(tmp) / "project", args.skip_video_batching, not long_lecture, memory
        )
        report = pipeline_report(video, duration, run)
        if long_lecture:
            report["long_lecture"] = {
                "minutes_asked": args.long_lecture_minutes,
                "built_from": "the sample lecture's slides in shuffled orders",
                "build_seconds": build_seconds,
            }
        report["models"] = models_used()
        # Before anything else runs: what the pipeline itself needed, llama-server included.
        report["pipeline_memory"] = memory.snapshot()
        if not long_lecture and not args.skip_baseline:
            audio = (
                Path(tmp) / "project" / "data" / "warehouse" / "media" / run["key"] / "audio.wav"
            )
            report["transcript_baseline"] = transcript_baseline(audio, duration, run)
    if not long_lecture and not args.skip_llm_batching:
        # Batched generation vs one call per chunk, same model and prompts, same run.
        from benchmarks.llm_batching import benchmark_llm_batching
        from resources.common.model_resources import model_resources

        report["llm_batching"] = benchmark_llm_batching(model_resources()["llm"])
    if not long_lecture and not args.skip_diarization:
        from benchmarks.diarization import benchmark_diarization

        report["diarization"] = benchmark_diarization()
    if not long_lecture and not args.skip_perception:
        from benchmarks.perception import benchmark_perception
        from vid2learn_dagster.sample.variants import VARIANTS

        with tempfile.TemporaryDirectory(prefix="vid2learn-variants-") as folder:
            report["perception"] = benchmark_perception(list(VARIANTS), Path(folder))
    memory.stop()  # before the interpreter exits, while the llama-server still runs
    report["memory"] = memory.snapshot()
    report["peak_memory_mib"] = report["memory"]["peak_concurrent_mib"]
    report["python_peak_memory_mib"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    report["load_average_at_end"] = list(os.getloadavg())
    report["floors"] = floors(report, long_lecture)
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
