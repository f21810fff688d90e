"""The lecture's own terms correct the transcript: words shown on screen fix mis-heard ones.

Whisper hears a domain term it does not know as ordinary words that sound alike ("binary
search" as "minor research", issue 11), while the slide on screen at that moment spells
it. Passing the slide text to Whisper as a prompt fixed the term but doubled the word
error rate, so the correction comes after transcription, word by word, and is recorded:

- the vocabulary is what the screen shows while the words are said (slide text and code
  of the slides on screen then, give or take `context_s`) and the video's title;
- a run of one to three heard words, one of them a content word, is replaced by a term
  of one to three shown words when the two sound alike (metaphone codes, edit
  similarity) and look alike, the heard words are not themselves on screen, and the
  term is not just an inflection of them;
- a term that sounds less alike (or, spelled further off, more alike: "a new read" for
  `enumerate`), that is a heard word with another ending ("orders" heard as "order"; word
  for word only, unless Whisper wrote the ending as a word: "point is" for "points"),
  that replaces words the screen shows too ("binary search" heard as "linear search"
  while both are on the slide: no spelling can choose), that is heard right but for one
  word ("dynamite search"), that takes the place of more or fewer words ("a new rate"
  for `enumerate`), that is a short word of four or five letters ("keys" heard as
  "Keyes"), or that is the spoken form of what code abbreviates ("descending"
  for `DESC`; it may replace function words alone: "this end and") or the singular of a
  shown plural ("word" for "words"; `spoken_forms`), is only taken when Whisper itself,
  asked again with the screen's words as its previous text instead of the sentence that
  biased its beam, finds the term the likelier transcript of that audio (`Listener`, which
  allows for the fewer tokens of a shorter text);
- word timestamps are kept: a term replacing as many words takes their times one for
  one, otherwise the heard span is shared out by the length of each term word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from vid2learn_dagster.alignment.spoken_forms import code_reading, singular
from vid2learn_dagster.common.dictionary import known_words
from vid2learn_dagster.storage.tables import SCHEMAS, conform

# The audio Whisper hears at once: no sentence asked about is longer.
WHISPER_WINDOW_S = 30.0
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Endings that inflect an English word (after its stem, or after it less a final "e"/"y").
_ENDINGS = ("s", "es", "ies", "d", "ed", "ied", "ing", "er", "ers", "est", "ly")
# Words a term must bring more than: a correction to "and" or "the" is a grammar edit.
STOPWORDS = frozenset(
    (
        "also",
        "been",
        "does",
        "each",
        "from",
        "have",
        "here",
        "into",
        "just",
        "like",
        "many",
        "more",
        "most",
        "much",
        "only",
        "other",
        "over",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "very",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
    )
)


@dataclass(frozen=True)
class TermSettings:
    """Thresholds measured on the sample lecture and the generated variants."""

    # The screen's words count from this long before a slide appears to after it goes.
    context_s: float = 5.0
    # Sound-alike: similarity of the metaphone codes of the joined letters (0-1)...
    min_phonetic: float = 0.8
    # ...and look-alike: similarity of the letters themselves.
    min_spelling: float = 0.6
    # Terms shorter than this (letters) are too easily confused to correct towards on
    # their spelling: only hearing may take them.
    min_term_letters: int = 6
    max_words: int = 3
    # Words Whisper itself was unsure of (every changed word below this probability) are
    # corrected on weaker evidence: both similarity floors drop by `unsure_relief`.
    unsure_below: float = 0.5
    unsure_relief: float = 0.15
    # Terms only taken when hearing confirms them (`Listener`) may be shorter: a spoken
    # form ("word" said for the screen's "words"), or a shown word spelled at least
    # `min_spelling` alike ("Keyes" for "keys", "can't" for `COUNT`). Short words sound
    # like many heard ones: "the list" for `else` (letters 0.43 alike) gained +3.6 on one
    # of issue 11's variants. With that floor, over seeds 0-4 short terms added 108
    # candidates; the right ones ("Keyes" on three seeds, "edges" for `ages`, "can't")
    # gained +3.3 to +6.8, the best of the rest -1.1...
    heard_min_term_letters: int = 4
    # ...and looser similarity floors...
    heard_min_phonetic: float = 0.5
    heard_min_spelling: float = 0.4
    # ...or, for words split apart, sounding closer still with the spelling further off:
    # "a new read" for `enumerate` (metaphone ANRT / ENMRT 0.6, letters 0.22). Over issue
    # 11's variants (seeds 0-4, 21 lectures) it let 25 more texts be asked, 10 % more: that
    # one gained +6.9 nats, the best of the rest -5.6. A spelling floor of 0.2 alone let
    # "to be sorted" -> "target" (sound 0.5) through at +3.5.
    split_min_phonetic: float = 0.6
    split_min_spelling: float = 0.2
    # ...and Whisper's log-likelihood of the corrected segment, told the screen's words
    # (with its allowance per token), must beat the heard one's by this much (nats). On
    # the sample and issue 11's variants in the voices of seeds 0-4 (whisper base, 21
    # lectures, truth screens), 411 corrected segments were scored: 37 that lower the
    # word error rate gained 2.7-22.4 (the rest below 2.0, left as heard); of the 318
    # that do not, the best gained 3.8 (the same term over one more word, which
    # `_narrowest` sets aside) and the best that would raise the word error rate -2.5.
    min_gain: float = 2.0


# Whisper's log-likelihood of each text as the transcript of the audio from `start` to
# `end` (seconds), told what the screen shows then: `resources/speech/hearing.py`.
Listener = Callable[[float, float, Sequence[str], str], Sequence[float]]


@dataclass(frozen=True)
class Term:
    """Words shown together on screen (a run inside one line), when, and where."""

    words: tuple[str, ...]
    start: float
    end: float
    source: str
    # The whole line they were read from: what hearing is told the screen shows.
    line: str = field(default="", compare=False)
    # Words said for what the screen shows, not shown themselves (`spoken_forms`): the
    # reading of a code abbreviation ("descending" for DESC) or the singular of a plural
    # noun ("word" for "words"). Taken only when hearing confirms them.
    spoken: Literal["", "reading", "number"] = ""


@dataclass(frozen=True)
class Screen:
    """What one slide showed and when (a row of `visual_descriptions` with its keyframe's
    time range)."""

    scene: int
    start: float
    end: float
    text: str
    code: str


def slide_screens(keyframes: pd.DataFrame, visuals: pd.DataFrame) -> list[Screen]:
    """What each slide showed and when, from the `keyframes` and `visual_descriptions`
    tables of one video."""
    spans = keyframes.set_index("scene")[["start", "end"]]
    return [
        Screen(int(r.scene), *spans.loc[r.scene], str(r.on_screen_text or ""), str(r.code or ""))
        for r in visuals.itertuples(index=False)
        if r.scene in spans.index
    ]


def _words(line: str) -> list[str]:
    """Words of a line; identifiers split at underscores and camel case (`binary_search`,
    `binarySearch` -> binary, search), as a speaker says them."""
    spaced = _CAMEL.sub(" ", line.replace("_", " "))
    return _WORD.findall(spaced)


def screen_terms(
    screens: Iterable[Screen], title: str, duration: float, max_words: int = 3
) -> list[Term]:
    """Every run of 1..max_words words inside one line of a slide, its code or the title."""
    terms: dict[tuple[tuple[str, ...], float, float, str], str] = {}
    sources = [(title, 0.0, duration, "title")]
    for s in screens:
        sources.append((s.text, s.start, s.end, f"slide {s.scene}"))
        sources.append((s.code, s.start, s.end, f"code on slide {s.scene}"))
    for text, start, end, source in sources:
        for line in text.splitlines():
            words = _words(line)
            for n in range(1, max_words + 1):
                for i in range(len(words) - n + 1):
                    terms.setdefault((tuple(words[i : i + n]), start, end, source), line)
    shown = {key[0] for key in terms}
    said = set()
    for text, start, end, source in sources:
        for line in text.splitlines():
            for word in _words(line):
                reading = code_reading(word) if source.startswith("code") else None
                one = singular(word)
                heard_as = f"said for {word} in {source}"
                if reading:
                    said.add(Term(reading, start, end, heard_as, line=line, spoken="reading"))
                if one and (one,) not in shown:
                    said.add(Term((one,), start, end, heard_as, line=line, spoken="number"))
    return [Term(*key, line=line) for key, line in terms.items()] + sorted(said, key=str)


def _near(term: Term, start: float, end: float, settings: TermSettings) -> bool:
    """Whether words said from `start` to `end` may be the term: its slide is on screen
    then, give or take `context_s`."""
    return term.start - settings.context_s <= start and end <= term.end + settings.context_s


def _letters(words: Sequence[str]) -> str:
    return "".join(re.sub(r"[^a-z]", "", w.lower()) for w in words)


def _similarity(a: str, b: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.normalized_similarity(a, b)


def _phonetic(letters: str) -> str:
    import jellyfish

    return jellyfish.metaphone(letters)


def _inflection(heard: str, term: str) -> bool:
    """One is the other plus an ending ("search" / "searching", "make" / "making"): not
    a mis-hearing. Only an ending: "world" is not "word" inflected."""
    short, long = sorted((heard, term), key=len)
    return len(short) >= 3 and any(
        long == stem + ending for stem in (short, short[:-1]) for ending in _ENDINGS
    )


@dataclass(frozen=True)
class Correction:
    first: int  # index of the first heard word (transcript_words in time order)
    heard: tuple[str, ...]
    term: Term
    score: float  # sound-alike plus look-alike similarity, 0-2
    on_screen: bool  # shown at that very moment, not just near it: preferred
    needs_hearing: bool = False  # taken only if the `Listener` confirms it
    gain: float | None = None  # log-likelihood gain (nats) the `Listener` found

    @property
    def span(self) -> set[int]:
        """Indices of the heard words it replaces."""
        return set(range(self.first, self.first + len(self.heard)))


@dataclass(frozen=True)
class _Spelled:
    term: Term
    letters: str
    sound: str


def _changed(heard: Sequence[str], shown: Sequence[str]) -> tuple[list[str], list[str], int]:
    """The heard and shown words that differ, and how many words the two share."""
    shared = {w.lower() for w in heard} & {w.lower() for w in shown}
    return (
        [w for w in heard if w.lower() not in shared],
        [w for w in shown if w.lower() not in shared],
        len(shared),
    )


def _plausible(heard: list[str], shown: list[str]) -> bool:
    """A mis-hearing, not a change of case or punctuation: the term brings content words
    (not "an", "by", "and") spelled otherwise than the heard ones."""
    if not heard or not shown:
        return False
    if not all(_content(w) for w in shown):
        return False
    return not any(_letters([h]) == _letters([s]) for h in heard for s in shown)


def _inflected(heard: list[str], shown: list[str]) -> bool:
    """The term is a heard word with another ending ("customer" for the screen's
    "customers"): as likely a grammar edit as a mis-hearing, so only hearing decides."""
    return any(_inflection(_letters([h]), _letters([s])) for h in heard for s in shown)


def _ending_split_off(heard: str, term: str) -> bool:
    """The heard letters spell the term but for one: Whisper wrote its ending as a word of
    its own ("point is" for "points"), so the extra heard word is no word heard right."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(heard, term) <= 1


def _content(word: str) -> bool:
    """A word that carries meaning (not "the", "to", "with")."""
    return len(word) >= 4 and word.lower() not in STOPWORDS


def _anchored(heard: Sequence[str], shown: Sequence[str]) -> bool:
    """A term of several words heard right but for one ("dynamite search" for "binary
    search"): the content words around it place the term, however unlike the one word
    sounds."""
    pairs = [(h.lower(), w.lower()) for h, w in zip(heard, shown, strict=True)]
    anchors = [h for h, w in pairs if h == w]
    return len(pairs) - len(anchors) == 1 and any(_content(a) for a in anchors)


def _candidates(
    heard: list[str],
    probabilities: Sequence[float],
    starts: Sequence[float],
    ends: Sequence[float],
    terms: Sequence[Term],
    settings: TermSettings,
    dictionary: Collection[str],
) -> list[Correction]:
    spelled = [_Spelled(t, _letters(t.words), _phonetic(_letters(t.words))) for t in terms]
    found = []
    for first in range(len(heard)):
        for n in range(1, settings.max_words + 1):
            span = heard[first : first + n]
            if len(span) < n or not all(span):
                break
            at, until = starts[first], ends[first + n - 1]
            near = [s for s in spelled if _near(s.term, at, until, settings)]
            letters = _letters(span)
            # Heard words the screen shows too can only be overruled by hearing.
            on_screen = any(s.letters == letters for s in near if not s.term.spoken)
            shown_words = {w.lower() for s in near if not s.term.spoken for w in s.term.words}
            for s in near:
                changed, brought, shared = _changed(span, s.term.words)
                if s.letters == letters or shared > 1 or not _plausible(changed, brought):
                    continue
                # "then" -> "Python": function words are heard right, or unfixable. Even
                # hearing, told the slide, took "their name" for "SELECT name" (+12.3
                # nats) and "By the end" for "pythons" (+6.3, issue 11's variants); only
                # the reading of code ("this end and" for "descending") may replace
                # nothing but them.
                if s.term.spoken != "reading" and not any(_content(w) for w in changed):
                    continue
                # Only word for word: "to values" -> "value" gained up to +4.6 nats by
                # dropping a "to" heard right (issue 11's variants, seeds 0-4). Unless the
                # extra word is the ending itself: "point is" -> "points" gained 2.4-4.3
                # (four of those five seeds), the other such texts ("customer so" ->
                # "customers", "table is" -> "Tables") -8.6 at best.
                inflected = _inflected(changed, brought)
                if (
                    inflected
                    and len(s.term.words) != n
                    and not _ending_split_off(letters, s.letters)
                ):
                    continue
                # A word the screen shows, heard, is not dropped for a term of fewer
                # words: "and the orders" (the code shows `orders`) -> "another" gained
                # +5.8 nats on one voice seed and cost two words heard right.
                if len(s.term.words) < n and any(
                    _content(w) and w.lower() in shown_words for w in changed
                ):
                    continue
                shown = on_screen or all(w.lower() in shown_words for w in changed)
                said, meant = _letters(changed), _letters(brought)
                if len(meant) < settings.heard_min_term_letters:
                    continue
                short = len(meant) < settings.min_term_letters
                odds = probabilities[first : first + n]
                unsure = [p for w, p in zip(span, odds, strict=True) if w in changed]
                relax = settings.unsure_relief if max(unsure) < settings.unsure_below else 0.0
                spelling = _similarity(said, meant)
                if short and not s.term.spoken and spelling < settings.min_spelling:
                    continue
                alike = _similarity(_phonetic(said), _phonetic(meant))
                # One real word for one term is a choice between two words, which only
                # hearing can make: "puts" (said) for the slide's "points" was taken on
                # spelling in five of twenty voice seeds (issue 11's variants); hearing
                # scores it 1.4-2.9 nats below what was heard. A made-up word
                # ("Victionary") or a phrase for a term ("minor research") stays sure.
                real_word = n == 1 and span[0].lower() in dictionary
                sure = (
                    not short
                    and not real_word
                    and not shown
                    and not s.term.spoken
                    and not inflected
                    and spelling >= settings.min_spelling - relax
                    and alike >= settings.min_phonetic - relax
                )
                hearable = (
                    (len(s.term.words) == n and _anchored(span, s.term.words))
                    or (
                        spelling >= settings.heard_min_spelling
                        and alike >= settings.heard_min_phonetic
                    )
                    or (
                        spelling >= settings.split_min_spelling
                        and alike >= settings.split_min_phonetic
                    )
                )
                if sure or hearable:
                    now = s.term.start <= at < s.term.end
                    found.append(
                        Correction(first, tuple(span), s.term, alike + spelling, now, not sure)
                    )
    return found


def _said(words: Sequence[str], lo: int, hi: int, c: Correction | None = None) -> str:
    """Words `lo`..`hi` of the transcript as Whisper writes one (each after a space), with
    correction `c` made as `corrections_table` writes it: the term takes the last heard
    word's trailing punctuation."""
    said = [w.strip() for w in words[lo:hi]]
    if c is not None:
        last = c.first - lo + len(c.heard) - 1
        tail = re.sub(r"^.*?([^A-Za-z0-9']*)$", r"\1", said[last])
        said[c.first - lo : last + 1] = [" ".join(_written(c, words)) + tail]
    return "".join(f" {w}" for w in said)


def _sentences(words: pd.DataFrame, candidates: list[Correction]) -> dict[tuple[int, int], list]:
    """The candidates by the words of the sentence holding them (first word, end word).

    Whisper is asked about one sentence at a time, not a 30 s window of them: the earlier
    sentences of a window would be forced text before the term, the very bias that made
    it write "linear" for "binary". A sentence is a segment, joined with the next while it
    does not end one (`_ends_sentence`): the pipeline splits segments where the voice
    changes, and a false change before "waits for the next one" (a one-voice lecture,
    seed 1) left hearing that fragment, which preferred the slide's "wait" by 4.2 nats;
    the whole sentence preferred "waits", as said, by 4.7.
    """
    segments = words["segment_id"].tolist()
    raw = [str(w) for w in words["word"]]
    starts, ends = words["start"].tolist(), words["end"].tolist()
    bounds: list[tuple[int, int]] = []
    sentence_of: list[int] = []
    for i, segment in enumerate(segments):
        new_segment = i and segment != segments[i - 1]
        # Never past the 30 s of audio Whisper hears at once (`hearing.likelihoods`).
        too_long = bounds and ends[i] - starts[bounds[-1][0]] > WHISPER_WINDOW_S
        if new_segment and (_ends_sentence(raw[i - 1]) or too_long):
            bounds.append((i, i + 1))
        elif bounds:
            bounds[-1] = (bounds[-1][0], i + 1)
        else:
            bounds.append((0, 1))
        sentence_of.append(len(bounds) - 1)
    held: dict[tuple[int, int], list[Correction]] = {}
    for c in candidates:
        lo = bounds[sentence_of[c.first]][0]
        hi = bounds[sentence_of[c.first + len(c.heard) - 1]][1]
        held.setdefault((lo, hi), []).append(c)
    return held


def _ends_sentence(word: str) -> bool:
    """Whether a transcript word closes a sentence (Whisper ends every segment it writes
    so; 292 of 292 segments of the lecture variants did)."""
    return word.rstrip().endswith((".", "?", "!"))


def _shown(terms: Sequence[Term], start: float, end: float, settings: TermSettings) -> str:
    """The screen's lines near `start`-`end`, in the order they were read, on one line."""
    lines = (t.line for t in terms if _near(t, start, end, settings))
    return " ".join(" ".join(line.split()) for line in dict.fromkeys(lines))


def _hear(
    words: pd.DataFrame,
    candidates: list[Correction],
    terms: Sequence[Term],
    listen: Listener,
    settings: TermSettings,
) -> list[Correction]:
    """The candidates with the gain in log-likelihood Whisper, told what the screen shows,
    finds in their segment with the term over the segment as heard; one `listen` per
    segment."""
    raw = [str(w) for w in words["word"]]
    starts, ends = words["start"].tolist(), words["end"].tolist()
    scored = []
    for (lo, hi), asked in _sentences(words, candidates).items():
        said = {c: _said(raw, lo, hi, c) for c in asked}
        texts = list(dict.fromkeys([_said(raw, lo, hi), *said.values()]))
        start, end = starts[lo], ends[hi - 1]
        heard = listen(start, end, texts, _shown(terms, start, end, settings))
        score = dict(zip(texts, heard, strict=True))
        scored += [replace(c, gain=round(score[said[c]] - score[texts[0]], 2)) for c in asked]
    return scored


def _split(candidates: list[Correction]) -> tuple[list[Correction], list[Correction]]:
    """Candidates taken on their sound, and those that need hearing where no sure one
    covers any of their words (a sure one wins: no need to ask)."""
    sure = [c for c in candidates if not c.needs_hearing]
    covered = {i for c in sure for i in c.span}
    weak = [c for c in candidates if c.needs_hearing and not covered & c.span]
    return sure, weak


def _rank(c: Correction) -> tuple:
    """Which of overlapping candidates wins: the one on screen, then the one hearing
    prefers (one it was not asked about counts as no gain), then the most alike."""
    return (not c.on_screen, -(c.gain or 0.0), -c.score, c.first)


def _rivals(sure: list[Correction]) -> list[Correction]:
    """Sure candidates for the same words that bring different words, both on screen then
    or both not ("Victionary" as the title's "Dictionaries" or the slide's "dictionary"):
    spelling would rank them, hearing can choose."""
    spans = [c.span for c in sure]
    brought = [_letters(_changed(c.heard, c.term.words)[1]) for c in sure]
    return [
        c
        for i, c in enumerate(sure)
        if any(
            spans[i] & spans[j] and brought[i] != brought[j] and c.on_screen == o.on_screen
            for j, o in enumerate(sure)
        )
    ]


def _narrowest(candidates: list[Correction], min_gain: float) -> list[Correction]:
    """Without a candidate hearing took that brings the same term over more heard words
    than another it took ("the world" -> "word" beside "world" -> "word"), unless it
    gained clearly more: a shorter text scores higher whatever was said, so the wider
    one would drop a word heard right ("returns word that", +3.8 nats, against "returns
    the word that", +3.7). Between sure ones, spelling has ranked already ("a numerate"
    over "numerate" for "enumerate")."""

    return [
        c
        for c in candidates
        if not any(
            c.gain is not None
            and d.gain is not None
            and d.term.words == c.term.words
            and d.span < c.span
            and c.gain - d.gain < min_gain
            for d in candidates
        )
    ]


def find_corrections(
    words: pd.DataFrame,
    terms: Sequence[Term],
    settings: TermSettings | None = None,
    listen: Listener | None = None,
    language: str = "en",
) -> list[Correction]:
    """The best non-overlapping corrections of `words` (a `transcript_words` table in time
    order), highest scores first, each heard word corrected at most once. Candidates that
    need hearing are dropped without a `listen`. `language` is the transcript's: a word of
    its dictionary heard alone is replaced only through hearing."""
    settings = settings or TermSettings()
    heard = [re.sub(r"[^A-Za-z'-]", "", str(w)) for w in words["word"]]
    candidates = _candidates(
        heard,
        words["probability"].tolist(),
        words["start"].tolist(),
        words["end"].tolist(),
        terms,
        settings,
        known_words(language),
    )
    sure, weak = _split(candidates)
    rivals = _rivals(sure)
    if listen is None:
        candidates = sure
    else:
        scored = _hear(words, weak + rivals, terms, listen, settings)
        candidates = [c for c in sure if c not in rivals] + [
            c for c in scored if not c.needs_hearing or c.gain >= settings.min_gain
        ]
    taken: set[int] = set()
    chosen = []
    for c in sorted(_narrowest(candidates, settings.min_gain), key=_rank):
        if not c.span & taken:
            taken |= c.span
            chosen.append(c)
    return sorted(chosen, key=lambda c: c.first)


def _opens_sentence(previous: str | None, heard: str) -> bool:
    """Whether `heard`, said after `previous`, starts a sentence; with nothing before it
    (None), Whisper's capital says."""
    if previous is None:
        return heard.strip()[:1].isupper()
    return _ends_sentence(previous)


def _written(c: Correction, words: Sequence[str]) -> list[str]:
    """The words of `c`'s term as written in place of the heard ones (`words`: the
    transcript's), cased for their place in the sentence."""
    previous = words[c.first - 1] if c.first else None
    return _cased(c.term, _opens_sentence(previous, words[c.first]))


def _cased(term: Term, opens_sentence: bool) -> list[str]:
    """Code keeps its spelling; slide words are lower case but for acronyms and a capital
    opening a sentence. Not the heard word's case: Whisper capitalises a word it
    takes for a name ("Dynamite Search"), and hearing scores a capital mid-sentence as
    unlikely."""
    if term.source.startswith("code"):
        return list(term.words)
    # An acronym ("SQL") keeps its capitals; a slide's "A" does not.
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in term.words]
    if opens_sentence:
        words[0] = words[0][:1].upper() + words[0][1:]
    return words


def corrections_table(
    video_id: str, words: pd.DataFrame, found: Sequence[Correction]
) -> pd.DataFrame:
    """The `term_corrections` table: one row per corrected run of heard words."""
    raw = [str(w) for w in words["word"]]
    rows = []
    for c in found:
        span = words.iloc[c.first : c.first + len(c.heard)]
        rows.append(
            {
                "video_id": video_id,
                "word_index": c.first,
                "words": len(c.heard),
                "start": float(span["start"].iloc[0]),
                "end": float(span["end"].iloc[-1]),
                "heard": " ".join(str(w).strip() for w in span["word"]),
                "corrected": " ".join(_written(c, raw)),
                "source": c.term.source,
                "score": round(c.score / 2, 4),
                "hearing_gain": c.gain,
            }
        )
    return conform(
        pd.DataFrame(rows, columns=SCHEMAS["term_corrections"].names), "term_corrections"
    )


def corrected_words(words: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """`words` with each correction applied, keeping timestamps: one for one when the
    counts match, else the heard span shared out by the length of each term word."""
    rows = words.to_dict("records")
    out: list[dict] = []
    by_first = {int(c.word_index): c for c in corrections.itertuples(index=False)}
    index = 0
    while index < len(rows):
        c = by_first.get(index)
        if c is None:
            out.append(rows[index])
            index += 1
            continue
        span = rows[index : index + int(c.words)]
        new = str(c.corrected).split()
        lead = " " if str(span[0]["word"]).startswith(" ") else ""
        if len(new) == len(span):
            times = [(r["start"], r["end"]) for r in span]
        else:
            weights = [len(w) for w in new]
            total, cursor, step = sum(weights), span[0]["start"], span[-1]["end"] - span[0]["start"]
            times = []
            for weight in weights:
                times.append((cursor, cursor + step * weight / total))
                cursor += step * weight / total
        probability = min(float(r["probability"]) for r in span)
        for word, (start, end) in zip(new, times, strict=True):
            out.append({**span[0], "word": lead + word, "start": start, "end": end,
                        "probability": probability})  # fmt: skip
        index += len(span)
    return pd.DataFrame(out, columns=words.columns)


def corrected_chunks(
    chunks: pd.DataFrame, words: pd.DataFrame, corrections: pd.DataFrame
) -> pd.DataFrame:
    """`chunks` with each correction made in the text of the chunk holding its first word's
    segment; punctuation around the words stays."""
    chunks = chunks.copy()
    owner = {int(s): i for i, ids in enumerate(chunks["segment_ids"]) for s in ids}
    texts = list(chunks["text"])
    for c in corrections.itertuples(index=False):
        row = owner.get(int(words["segment_id"].iloc[int(c.word_index)]))
        if row is None:
            continue
        cores = [re.sub(r"^[^A-Za-z0-9']+|[^A-Za-z0-9']+$", "", w) for w in c.heard.split()]
        pattern = r"\b" + r"[^A-Za-z0-9']+".join(map(re.escape, cores)) + r"\b"
        texts[row] = re.sub(pattern, c.corrected, texts[row], count=1)
    chunks["text"] = texts
    return chunks
