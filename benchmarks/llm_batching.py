"""Batched vs one-at-a-time generation on the CPU language-model backend.

    python -m benchmarks.llm_batching                       # CPU default: CTranslate2, Qwen 1.5B
    python -m benchmarks.llm_batching --backend transformers --prompts 4

Chunk rewrites (greedy), first as one `generate` call, then one call per prompt;
tokens/s counts generated tokens over wall time, after a warm-up call so model loading is
not measured. The floor the pipeline relies on: batched >= 2x sequential.

Every timed run gets chunk texts of its own (pairs of sample sentences, paired differently
per run): a server's prompt cache would otherwise serve a later run the prompts an
earlier one computed, and the mode that ran second would look faster than it is. The
shared instruction prefix is still cached, as in the pipeline. The defaults (8 prompts,
48 new tokens, one run per mode) keep it near a minute with the 1.5B model on 2 cores.
`benchmark_llm_batching()` is what the pipeline benchmark calls; prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

from resources.language.llm import Generation, LLMResource
from vid2learn_dagster.language.prompting import render

CHUNKS = [
    "so um today we uh look at python lists and why they matter",
    "a list is like uh a sequence of things and you you index it from zero",
    "you can um append to a list, append adds one item at the end",
    "slicing uh gives you a new list, so xs one to three is like two items",
    "dictionaries um map keys to values so lookups are really really fast",
    "you write a dictionary with uh braces, key colon value, comma separated",
    "a for loop uh goes over every item of a list one at a time",
    "and um you can loop over a dictionary's items to get keys and values",
]


def run_prompts(n_prompts: int, run: int) -> list:
    """`n_prompts` rewrite prompts for timed run `run`: sentence i joined with sentence
    i + run + 1, so runs 0-6 share no chunk text (up to 8 prompts)."""
    n = len(CHUNKS)
    return [
        render("rewrite", text=f"{CHUNKS[i % n]}, {CHUNKS[(i + run + 1) % n]}")
        for i in range(n_prompts)
    ]


def _timed(llm: LLMResource, prompts: list, max_new_tokens: int, batched: bool) -> dict:
    start = time.perf_counter()
    if batched:
        generations = llm.generate(prompts, max_new_tokens=max_new_tokens)
    else:
        generations: list[Generation] = []
        for prompt in prompts:
            generations += llm.generate([prompt], max_new_tokens=max_new_tokens)
    seconds = time.perf_counter() - start
    tokens = sum(g.completion_tokens for g in generations)
    prompt = sum(g.prompt_tokens - g.cached_tokens for g in generations)
    return {
        "seconds": round(seconds, 2),
        "tokens": tokens,
        "tokens_per_s": round(tokens / seconds, 1),
        "prompt_tokens_processed": prompt,
        "cached_prompt_tokens": sum(g.cached_tokens for g in generations),
        "processed_tokens_per_s": round((prompt + tokens) / seconds, 1),
    }


def benchmark_llm_batching(
    llm: LLMResource | None = None,
    *,
    n_prompts: int = 8,
    max_new_tokens: int = 48,
    repeats: int = 1,
) -> dict:
    """Tokens/s of batched and sequential generation of `n_prompts` rewrites, and the ratio.

    The modes alternate `repeats` times and the best run of each counts: the machine is
    shared, and the best run is the one least disturbed by other processes.
    """
    llm = llm or LLMResource()
    load_start = time.perf_counter()
    # Loads the model / starts the server, and caches the instruction prefix every run shares.
    llm.generate([render("rewrite", text=CHUNKS[0])], max_new_tokens=4)
    load_seconds = time.perf_counter() - load_start
    runs: dict[str, list[dict]] = {"batched": [], "sequential": []}
    for repeat in range(repeats):
        for index, mode in enumerate(runs):
            prompts = run_prompts(n_prompts, 2 * repeat + index)
            runs[mode].append(_timed(llm, prompts, max_new_tokens, batched=mode == "batched"))
    best = {mode: max(r, key=lambda run: run["tokens_per_s"]) for mode, r in runs.items()}
    return {
        "model_id": llm.model_id,
        "backend_running": llm.loaded().backend,  # auto falls back when llama-server fails
        "prompts": n_prompts,
        "max_new_tokens": max_new_tokens,
        "batch_size": llm.batch_size,
        "threads": llm.threads,
        "load_seconds": round(load_seconds, 1),
        **best,
        "speedup": round(best["batched"]["tokens_per_s"] / best["sequential"]["tokens_per_s"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=LLMResource().batch_size)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    llm = LLMResource(backend=args.backend, batch_size=args.batch_size)
    result = benchmark_llm_batching(
        llm, n_prompts=args.prompts, max_new_tokens=args.max_new_tokens, repeats=args.repeats
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
