"""Whisper as a judge: how likely a given text is as the transcript of some audio.

Term correction (issue 11) asks it whether a term the screen shows is a likelier
transcript of a stretch of speech than what the beam search wrote. The beam was biased
by the previous text ("linear search" for a said "binary search" right after a sentence
about linear search), so the previous text Whisper is given is what the screen shows
then, not the previous sentence: every text compared gets the same prompt, the lecture's
own vocabulary, the context a listener in the room has. Told nothing, Whisper base kept
"my research" over a said "binary search" by 5-8 nats in one voice; told the slide, it
took the term by 2.8-7.5 (figures in `TermSettings.min_gain`). A prompt only weighs the
fixed texts it is given here, so it cannot garble the rest of the speech the way a
prompted transcription does (`FACTS.md`: WER 14 -> 29 % on tiny.en).
Kept apart from `whisper.py` so that the transcript's code version does not change with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resources.speech.whisper import (
    SAMPLE_RATE,
    WhisperResource,
    _import_faster_whisper,
    load_model,
)
from vid2learn_dagster.alignment.term_correction import Listener

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

# Audio kept either side of the words scored: word times are approximate.
MARGIN_S = 0.2
# Whisper's text context: prompt, start-of-transcript tokens and text together.
CONTEXT_TOKENS = 448
# Its previous-text prompt holds at most half of that, less one (faster-whisper's
# `get_prompt` keeps as many).
MAX_PROMPT_TOKENS = CONTEXT_TOKENS // 2 - 1
# Nats allowed per token of text, as a decoder's insertion bonus: a forced likelihood
# falls with every token, so with none a text of fewer tokens scores higher whatever was
# said ("in the order table" -> "another table", wrong and three tokens shorter, gained
# +2.6). Issue 11's variants (seeds 0-4, 411 corrected segments scored): the best that
# raises the word error rate gains +2.6 with 0 (it passes `min_gain`), -0.4 with 1, -2.5
# with 2 (37 right ones above 2.0) and -2.3 with 3 (35). A partial remedy: dropping a
# real word from a heard sentence still gains up to +12 with 2, so hearing only ever
# judges the screen's terms (`term_correction`), never free text.
TOKEN_ALLOWANCE = 2.0


def listener(whisper: WhisperResource, audio_path: Callable[[], Path], language: str) -> Listener:
    """Scores texts as transcripts of stretches of this audio (seconds), given what the
    screen shows: the sum of Whisper's token log-probabilities, with the model `whisper`
    transcribes with. The audio (`audio_path()` may download it) and the model load on
    the first call: most videos never need one."""

    @functools.cache
    def load() -> tuple[WhisperModel, Any, Any]:
        faster_whisper = _import_faster_whisper()
        model = load_model(whisper.load_settings())
        audio = faster_whisper.decode_audio(str(audio_path()), sampling_rate=SAMPLE_RATE)
        tokenizer = faster_whisper.tokenizer.Tokenizer(
            model.hf_tokenizer,
            model.model.is_multilingual,
            task="transcribe",
            language=(language or "en") if model.model.is_multilingual else "en",
        )
        return model, audio, tokenizer

    def listen(start: float, end: float, texts: Sequence[str], shown: str) -> list[float]:
        model, audio, tokenizer = load()
        clip = audio[
            max(0, int((start - MARGIN_S) * SAMPLE_RATE)) : int((end + MARGIN_S) * SAMPLE_RATE)
        ]
        return likelihoods(model, tokenizer, clip, texts, shown)

    return listen


def likelihoods(
    model: WhisperModel, tokenizer: Any, clip: Any, texts: Sequence[str], prompt: str = ""
) -> list[float]:
    """Whisper's log-likelihood of each text given `clip` (its first 30 s) and `prompt` as
    the previous text (its last `MAX_PROMPT_TOKENS`), one batch.

    CTranslate2's `align` forces each text after the start sequence and reports every
    token's probability, given one row of encoder output (or of mel features, which it
    encodes) per text.
    """
    import ctranslate2
    import numpy as np
    from faster_whisper.audio import pad_or_trim

    tokens = [tokenizer.encode(text) for text in texts]
    start = list(tokenizer.sot_sequence)
    # Past the context CTranslate2 raises ("No position encodings ... >= 448"; it takes
    # two positions after the text, measured): the prompt gives way to the texts, and
    # texts too long to force get no verdict (equal scores).
    spare = CONTEXT_TOKENS - len(start) - max(map(len, tokens)) - 2
    if spare < 0:
        return [0.0] * len(texts)
    room = min(MAX_PROMPT_TOKENS, spare - 1)  # less <|startofprev|>
    if prompt.strip() and room > 0:
        previous = tokenizer.encode(" " + prompt.strip())[-room:]
        start = [tokenizer.sot_prev, *previous, *start]

    features = model.feature_extractor(clip)
    frames = min(features.shape[-1], model.feature_extractor.nb_max_frames)
    # The clip's own length (even: the encoder halves it), not Whisper's 30 s window: the
    # encoder is most of the cost and scales with it (a 3.5 s sentence: 0.19 s on 2 cores
    # against 1.9 s padded), and the comparison held (same_layout's "Binary" over "Linear":
    # +9.8 nats unpadded, +8.3 padded).
    padded = pad_or_trim(features, frames + frames % 2)[None]
    if model.model.device == "cpu":
        # Encoded once and repeated per text. A GPU encodes the batch instead, since its
        # output cannot be copied back as an array.
        padded = np.array(model.encode(padded))
    batch = np.ascontiguousarray(np.repeat(padded, len(texts), axis=0))
    results = model.model.align(
        ctranslate2.StorageView.from_array(batch), start, tokens, [frames] * len(texts)
    )
    return [
        float(np.log(np.maximum(r.text_token_probs, 1e-12)).sum()) + TOKEN_ALLOWANCE * len(t)
        for r, t in zip(results, tokens, strict=True)
    ]
