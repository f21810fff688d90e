"""Language-model plumbing: prompt templates and versions, and each backend generating text.

The plumbing tests run the real bundled SmolLM2-135M: through CTranslate2 (the CPU default
backend, converted from the GGUF), through llama.cpp's server and transformers (the
fallbacks), and through the generic OpenAI-compatible client against a real llama.cpp
server on loopback. What the
default model (Qwen2.5-Coder-1.5B) writes is judged in tests/test_ai_pipeline.py.
"""

from __future__ import annotations

import json
import socket

import pytest
from openai_server import openai_server  # noqa: F401  (session fixture)

from resources.language import llama_server
from resources.language.llm import CPU_BACKENDS, LLMResource
from resources.language.openai import LLMRequestError
from vid2learn_dagster.language import prompting
from vid2learn_dagster.language.llm_output import clean_text

TRANSCRIPTS = [
    "so um today we uh look at python lists",
    "a list is like uh a sequence of things and you you index it from zero",
    "dictionaries um map keys to values so you can look up a value by its key really fast",
    "and finally uh loops, a for loop goes over every item in a list one at a time, "
    "so you can like print each item or add them up, that's it for today",
]
VARIABLES = {
    "rewrite": {"text": TRANSCRIPTS[1]},
    "blend": {"title": "Lists", "points": "- ordered\n- indexed from zero"},
    "notebook_intro": {"outline": "1. Lists\n2. Dictionaries\n3. Loops", "language": "English"},
    "notebook_section": {"text": TRANSCRIPTS[2], "code": '"" (no code)', "language": "English"},
}


# The backend tests use one plain user message per transcript: SmolLM2-135M answers it,
# while the product's templates (system message plus task) it mostly echoes.
PLAIN_REWRITE = "Rewrite without filler words: "


def rewrite_prompts() -> list[str]:
    return [PLAIN_REWRITE + t for t in TRANSCRIPTS]


# --- prompts -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_every_template_renders_with_the_instruction_apart_from_the_data(name):
    messages = prompting.render(name, **VARIABLES[name])
    text = "\n".join(m["content"] for m in messages)
    assert "$" not in text and "[user]" not in text
    assert all(value in text for value in VARIABLES[name].values())
    assert messages[-1]["role"] == "user"
    # One shared system message first (the prefix llama-server's prompt cache serves), then
    # the task's instruction as the user message's first paragraph, then the data. The
    # instruction holds no data: the LLM resource strips echoes of it, and must not strip
    # copied data.
    assert messages[0] == prompting.render("rewrite", text="x")[0]
    assert messages[0]["role"] == "system"
    instruction = messages[-1]["content"].split("\n\n")[0]
    assert not any(value in instruction for value in VARIABLES[name].values())


def test_render_without_a_variable_is_an_error():
    with pytest.raises(KeyError):
        prompting.render("rewrite")
    with pytest.raises(FileNotFoundError):
        prompting.load_prompt("no_such_prompt")


def test_code_version_is_stable_and_changes_only_with_its_inputs(monkeypatch):
    settings = {"max_new_tokens": 256, "temperature": 0.0}
    rewrite = prompting.code_version(prompt_names=["rewrite"], model_id="m", settings=settings)
    blend = prompting.code_version(prompt_names=["blend"], model_id="m", settings=settings)
    assert rewrite == prompting.code_version(
        prompt_names=["rewrite"], model_id="m", settings=dict(reversed(settings.items()))
    )
    assert len(rewrite) == 12 and rewrite != blend
    assert rewrite != prompting.code_version(
        prompt_names=["rewrite"], model_id="n", settings=settings
    )
    assert rewrite != prompting.code_version(
        prompt_names=["rewrite"], model_id="m", settings={**settings, "temperature": 0.5}
    )

    original = prompting.load_prompt

    def edited(name: str) -> str:
        return original(name) + " Be brief." if name == "rewrite" else original(name)

    monkeypatch.setattr(prompting, "load_prompt", edited)
    assert rewrite != prompting.code_version(
        prompt_names=["rewrite"], model_id="m", settings=settings
    )
    assert blend == prompting.code_version(prompt_names=["blend"], model_id="m", settings=settings)


# --- backends ------------------------------------------------------------------------


def assert_usable_batch(llm: LLMResource, prompts: list) -> None:
    generations = llm.generate(prompts, max_new_tokens=48)
    assert len(generations) == len(prompts)
    for generation in generations:
        assert clean_text(generation.text, prompt=PLAIN_REWRITE), generation
        assert 0 < generation.completion_tokens <= 48
    # Results come back in prompt order: the prompts are of increasing length.
    counts = [g.prompt_tokens for g in generations]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)


@pytest.fixture(scope="session")
def cpu_llm() -> LLMResource:
    return LLMResource(backend="ctranslate2", model="smollm2")


def test_the_default_is_qwen_coder_on_ctranslate2_with_a_portable_llama_server_behind():
    assert LLMResource().model_id == "ctranslate2:qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert CPU_BACKENDS == ("ctranslate2", "llama-server", "transformers")
    assert llama_server.server_binary().parent.name == "bin"
    assert "avx2" in llama_server.required_cpu_flags(llama_server.server_binary())


def test_cpu_default_backend_answers_every_prompt_of_a_batch(cpu_llm):
    assert cpu_llm.model_id == "ctranslate2:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert cpu_llm.loaded().backend == "ctranslate2"
    assert_usable_batch(cpu_llm, rewrite_prompts())


def test_cpu_default_backend_computes_a_shared_instruction_once_and_keeps_it(cpu_llm):
    prompts = [prompting.render("rewrite", text=t) for t in TRANSCRIPTS]
    first = cpu_llm.generate(prompts, max_new_tokens=8)
    again = cpu_llm.generate(prompts[:2], max_new_tokens=8)
    shared = again[0].cached_tokens
    # The system message and the instruction paragraph, never the transcript after it.
    instruction = prompting.render("rewrite", text="x")[-1]["content"].split("\n\n")[0]
    assert len(instruction.split()) < shared < min(g.prompt_tokens for g in first)
    assert [g.cached_tokens for g in first] == [0] + [shared] * (len(prompts) - 1)
    assert [g.cached_tokens for g in again] == [shared, shared]
    assert all(g.processed_tokens == g.prompt_tokens - shared + g.completion_tokens for g in again)


def test_cpu_default_backend_never_keeps_a_plain_prompts_own_text(cpu_llm):
    """Only an instruction is kept for later calls: a prompt without one (a plain string)
    asked again is computed again, so the cache cannot grow with every prompt seen."""
    prompt = [PLAIN_REWRITE + TRANSCRIPTS[0]]
    first, again = (cpu_llm.generate(prompt, max_new_tokens=4)[0] for _ in range(2))
    assert first.cached_tokens == again.cached_tokens == 0


def test_cpu_default_backend_starts_a_json_answer_at_its_brace(cpu_llm):
    (generation,) = cpu_llm.generate(
        [prompting.render("notebook_intro", **VARIABLES["notebook_intro"])],
        max_new_tokens=16,
        json_schema={"type": "object"},
    )
    assert generation.text.startswith("{") and not generation.text.startswith("{{")


def test_llama_server_backend_answers_every_prompt_of_a_batch():
    llm = LLMResource(backend="llama-server", model="smollm2")
    assert llm.model_id == "llama-server:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert_usable_batch(llm, rewrite_prompts())


def test_cpu_backend_rewrite_removes_fillers_and_keeps_the_content(cpu_llm):
    (generation,) = cpu_llm.generate([rewrite_prompts()[1]], max_new_tokens=48)
    words = clean_text(generation.text).lower()
    assert "list" in words and "zero" in words
    assert " um " not in f" {words} " and " uh " not in f" {words} "


@pytest.mark.slow
def test_transformers_backend_answers_every_prompt_of_a_batch():
    pytest.importorskip("transformers")
    llm = LLMResource(backend="transformers", model="smollm2", batch_size=4)
    assert llm.model_id == "transformers:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert_usable_batch(llm, rewrite_prompts())


def test_openai_backend_against_a_real_server(openai_server):  # noqa: F811
    llm = LLMResource(backend="openai", base_url=openai_server, batch_size=4)
    assert llm.model_id == f"openai:{openai_server}"
    assert_usable_batch(llm, rewrite_prompts())


def test_openai_backend_structured_output_follows_the_schema(openai_server):  # noqa: F811
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string", "maxLength": 60}},
        "required": ["title"],
        "additionalProperties": False,
    }
    llm = LLMResource(backend="openai", base_url=openai_server)
    (generation,) = llm.generate(
        [prompting.render("notebook_intro", **VARIABLES["notebook_intro"])],
        max_new_tokens=64,
        json_schema=schema,
    )
    data = json.loads(generation.text)
    assert set(data) == {"title"} and isinstance(data["title"], str)


def test_openai_backend_reports_an_unreachable_server_after_retrying():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket closes
    llm = LLMResource(
        backend="openai",
        base_url=f"http://127.0.0.1:{port}/v1",
        model="x",
        max_retries=1,
        timeout_s=2,
    )
    with pytest.raises(LLMRequestError, match="2 attempts failed"):
        llm.generate(["hello"], max_new_tokens=4)
