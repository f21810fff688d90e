"""The screen's own terms correct mis-heard words (issue 11), and only mis-heard ones:
never a grammar edit on spelling alone, never a word the screen shows itself, never a term
from a slide that was not on screen; word timestamps are kept and every correction is
recorded."""

from __future__ import annotations

import pandas as pd
import pytest

from vid2learn_dagster.alignment.term_correction import (
    Screen,
    corrected_chunks,
    corrected_words,
    corrections_table,
    find_corrections,
    screen_terms,
)
from vid2learn_dagster.storage.tables import SCHEMAS

SLIDES = [
    Screen(1, 0.0, 10.0, "Searching a list\n- Linear search checks every item", ""),
    Screen(2, 10.0, 20.0, "Binary search", "for index, item in enumerate(items):"),
]


def words(*spoken: tuple[str, float], probability: float = 0.9) -> pd.DataFrame:
    """A transcript_words table: each word 0.4 s long from the time given."""
    return pd.DataFrame(
        {
            "video_id": "v",
            "segment_id": 0,
            "start": [t for _, t in spoken],
            "end": [t + 0.4 for _, t in spoken],
            "word": [w for w, _ in spoken],
            "probability": probability,
            "speaker": "SPEAKER_00",
        }
    )


def corrected(table: pd.DataFrame, screens=SLIDES) -> pd.DataFrame:
    terms = screen_terms(screens, "Searching lists", 20.0)
    return corrections_table("v", table, find_corrections(table, terms))


def test_a_term_on_screen_replaces_the_words_that_sound_like_it():
    heard = words(("Now", 12.0), ("minor", 12.4), ("research", 12.8), ("halves", 13.2))
    table = corrected(heard)
    assert table.columns.tolist() == SCHEMAS["term_corrections"].names
    (row,) = table.itertuples()
    assert (row.word_index, row.words, row.heard, row.corrected) == (
        1,
        2,
        "minor research",
        "binary search",
    )
    assert (row.start, row.end) == pytest.approx((12.4, 13.2)) and row.source == "slide 2"
    fixed = corrected_words(heard, table)
    assert fixed["word"].tolist() == ["Now", "binary", "search", "halves"]
    assert fixed[["start", "end"]].equals(heard[["start", "end"]]), "timestamps one for one"


def test_a_code_identifier_is_spelled_as_in_the_code_and_times_are_shared_out():
    heard = words(("with", 14.0), ("a", 14.4), ("numerate", 14.8))
    table = corrected(heard)
    (row,) = table.itertuples()
    assert (row.heard, row.corrected, row.source) == ("a numerate", "enumerate", "code on slide 2")
    fixed = corrected_words(heard, table)
    assert fixed["word"].tolist() == ["with", "enumerate"]
    assert (fixed["start"].iloc[1], fixed["end"].iloc[1]) == pytest.approx((14.4, 15.2))


def test_a_term_is_only_used_while_its_slide_is_on_screen():
    heard = words(("a", 2.0), ("numerate", 2.4))  # slide 1 is showing, no enumerate
    assert corrected(heard).empty


def test_the_slide_on_screen_wins_over_its_neighbour():
    heard = words(("minor", 2.0), ("research", 2.4))  # "linear search" on slide 1
    assert corrected(heard)["corrected"].tolist() == ["linear search"]


@pytest.mark.parametrize(
    "spoken",
    [
        [("Linear", 3.0), ("search", 3.4), ("check", 3.8), ("every", 4.2)],  # grammar
        [("binary", 12.0), ("search", 12.4)],  # already right
        [("the", 12.0), ("binary", 12.4), ("search", 12.8)],  # a function word more
        [("searching", 2.0)],  # an inflection of a shown word
        [("Then", 2.0)],  # a function word, even if unsure, is not "Searching"
    ],
)
def test_words_that_are_right_or_only_inflected_stay(spoken):
    assert corrected(words(*spoken)).empty


def test_the_chunk_text_is_corrected_and_keeps_its_punctuation():
    heard = words(("Then", 12.0), ("minor", 12.4), ("research,", 12.8), ("fast.", 13.2))
    chunks = pd.DataFrame({"segment_ids": [[0]], "text": ["Then minor research, fast."]})
    fixed = corrected_chunks(chunks, heard, corrected(heard))
    assert fixed["text"].tolist() == ["Then binary search, fast."]


class Hearing:
    """Whisper's verdict, scripted: the log-likelihood of each text it is asked about.

    The decision rule is what is specified here; the real listener (whisper base on a
    generated lecture) is `test_variant_perception.py`'s."""

    def __init__(self, likelier: dict[str, float]):
        self.likelier, self.asked, self.told = likelier, [], []

    def __call__(self, start: float, end: float, texts, shown: str) -> list[float]:
        self.asked.append((start, end, list(texts)))
        self.told.append(shown)
        return [self.likelier.get(t, -20.0) for t in texts]


TERMS = screen_terms(SLIDES, "Searching lists", 20.0)
# "binary search" heard as "linear search" while both slides are near: spelling cannot choose.
BIASED = words(("Linear", 12.0), ("search", 12.4), ("cuts.", 12.8))


def test_hearing_is_asked_about_the_whole_sentence_when_a_voice_change_split_it():
    """The pipeline splits a segment where the voice changes; a false change mid-sentence
    must not leave hearing a fragment (seed 1's "waits for the next one" alone preferred
    "wait"). Sentences that end stay apart: Whisper is not forced through the one before."""
    heard = words(("Then", 10.0), ("stop.", 10.4), ("Now", 11.0), ("Linear", 12.0))
    heard = pd.concat([heard, words(("search", 12.4), ("cuts.", 12.8))], ignore_index=True)
    heard["segment_id"] = [0, 0, 1, 1, 2, 2]  # split after "Linear" by a voice change
    listen = Hearing({" Now binary search cuts.": -12.0})
    table = corrections_table("v", heard, find_corrections(heard, TERMS, listen=listen))
    assert table["corrected"].tolist() == ["binary"]
    ((start, end, texts),) = listen.asked
    assert (start, end) == pytest.approx((11.0, 13.2))
    assert texts[0] == " Now Linear search cuts."


def test_a_term_heard_as_another_shown_term_is_taken_when_hearing_prefers_it():
    listen = Hearing({" Binary search cuts.": -12.0})
    terms = screen_terms(SLIDES, "Searching lists", 20.0)
    table = corrections_table("v", BIASED, find_corrections(BIASED, terms, listen=listen))
    assert table[["heard", "corrected", "hearing_gain"]].values.tolist() == [
        ["Linear", "Binary", 8.0]
    ]
    ((start, end, texts),) = listen.asked  # one question for the segment, as Whisper writes
    assert (start, end) == pytest.approx((12.0, 13.2))
    assert texts[0] == " Linear search cuts." and " Binary search cuts." in texts
    # Whisper is told what the screen shows around then (both slides, give or take 5 s),
    # line by line, and not the sentence before.
    assert listen.told == [
        "Searching lists Searching a list - Linear search checks every item "
        "Binary search for index, item in enumerate(items):"
    ]
    assert corrected_words(BIASED, table)["word"].tolist() == ["Binary", "search", "cuts."]


@pytest.mark.parametrize("gain", [-3.0, 0.0, 1.9])
def test_without_a_clear_gain_in_hearing_what_was_heard_stays(gain):
    listen = Hearing({" Binary search cuts.": -20.0 + gain})
    terms = screen_terms(SLIDES, "Searching lists", 20.0)
    assert find_corrections(BIASED, terms, listen=listen) == []


def test_without_hearing_only_terms_that_sound_alike_correct():
    assert corrected(BIASED).empty


def test_a_term_that_sounds_alike_needs_no_hearing():
    sure = words((" minor", 12.4), (" research", 12.8))
    listen = Hearing({})
    table = corrections_table(
        "v", sure, find_corrections(sure, screen_terms(SLIDES, "", 20.0), listen=listen)
    )
    assert table["corrected"].tolist() == ["binary search"] and listen.asked == []
    assert table["hearing_gain"].isna().all()


def test_a_term_heard_right_but_for_one_word_is_asked_however_unlike_that_word_sounds():
    """ "dynamite search" for "binary search": metaphone cannot link the two words, the
    shared "search" places the term; hearing decides, and mid-sentence the term is lower
    case even though Whisper capitalised what it took for a name."""
    heard = words((" Use", 12.0), (" Dynamite", 12.4), (" Search", 12.8), (" now.", 13.2))
    listen = Hearing({" Use binary search now.": -10.0})
    table = corrections_table("v", heard, find_corrections(heard, TERMS, listen=listen))
    assert table[["heard", "corrected", "hearing_gain"]].values.tolist() == [
        ["Dynamite Search", "binary search", 10.0]
    ]
    assert find_corrections(heard, TERMS, listen=Hearing({})) == [], "hearing must agree"


def test_a_function_word_does_not_anchor_a_term():
    """ "points to exactly" is not "points to another" heard wrong: "to" places nothing."""
    screens = [Screen(1, 0.0, 10.0, "A foreign key points to another table", "")]
    heard = words((" every", 2.0), (" order", 2.4), (" points", 2.8), (" to", 3.2),
                  (" exactly", 3.6), (" one.", 4.0))  # fmt: skip
    listen = Hearing({})
    find_corrections(heard, screen_terms(screens, "", 10.0), listen=listen)
    assert not any("another" in text for _, _, texts in listen.asked for text in texts)


@pytest.mark.parametrize(
    ("before", "expected"), [(" create", "a dictionary"), (" it.", "A dictionary")]
)
def test_a_slide_term_is_cased_for_its_place_in_the_sentence(before, expected):
    """The slide's capital "A" heads a bullet, not the sentence it is said in."""
    screens = [Screen(1, 0.0, 10.0, "A dictionary of ages", "")]
    heard = words((before, 1.0), (" a", 1.4), (" Victionary", 1.8), (" of", 2.2))
    table = corrections_table("v", heard, find_corrections(heard, screen_terms(screens, "", 10.0)))
    assert table["corrected"].tolist() == [expected]


def test_a_word_the_screen_shows_is_not_dropped_for_a_shorter_term():
    """The code shows `orders`, the slide "points to another table"; "and the orders
    table" (said: "in the orders table") must keep "orders", however much hearing likes
    "another table" (+5.8 nats on one voice seed). Word for word stays open to hearing."""
    screens = [
        Screen(1, 0.0, 10.0, "Counting orders", "SELECT name FROM orders"),
        Screen(2, 10.0, 20.0, "Keys\n- A foreign key points to another table", ""),
    ]
    heard = words(("ID", 11.6), ("and", 12.0), ("the", 12.4), ("orders", 12.8), ("table.", 13.2))
    listen = Hearing({" ID another table.": -5.0})
    assert find_corrections(heard, screen_terms(screens, "", 20.0), listen=listen) == []
    assert " ID another table." not in {text for _, _, texts in listen.asked for text in texts}


def test_one_real_word_is_never_replaced_by_another_on_spelling_alone():
    """Unsure words "By the research": "research" spells like "search", but it is a word,
    and Whisper writing one word for another is a choice only hearing makes ("puts", said,
    was taken for the slide's "points" in five of twenty voice seeds). "By the research"
    for "Binary search" is a phrase standing for a term: spelling may take it."""
    unsure = words((" By", 12.0), (" the", 12.4), (" research", 12.8), (" cuts.", 13.2),
                   probability=0.3)  # fmt: skip
    alone = words((" research", 12.8), (" cuts.", 13.2), probability=0.3)

    def corrected_as(heard, listen) -> list[str]:
        found = find_corrections(heard, TERMS, listen=listen)
        return corrections_table("v", heard, found)["corrected"].tolist()

    assert corrected_as(unsure, None) == ["Binary search"]
    assert corrected_as(alone, None) == []
    assert corrected_as(alone, Hearing({" search cuts.": -5.0})) == ["search"]
    assert corrected_as(alone, Hearing({" search cuts.": -19.0})) == [], "hearing must prefer it"


@pytest.mark.parametrize("last", ["rate", "read"])
def test_a_term_may_take_the_place_of_more_words_than_it_has_when_hearing_confirms(last):
    """ "enumerate" heard as "a new rate" or "a new read": a code identifier Whisper does
    not know comes out as several everyday words, which may sound like it (metaphone ANRT
    for ENMRT) while their letters hardly match; one term replaces the three, their span
    shared out."""
    heard = words((" list", 12.0), (" with", 12.4), (" a", 12.8), (" new", 13.2),
                  (f" {last}.", 13.6))  # fmt: skip
    listen = Hearing({" list with enumerate.": -8.0})
    table = corrections_table("v", heard, find_corrections(heard, TERMS, listen=listen))
    assert table[["heard", "corrected", "source"]].values.tolist() == [
        [f"a new {last}.", "enumerate", "code on slide 2"]
    ]
    fixed = corrected_words(heard, table)
    assert fixed["word"].tolist() == [" list", " with", " enumerate"]
    assert fixed["end"].iloc[-1] == pytest.approx(14.0) and fixed["start"].is_monotonic_increasing
    assert find_corrections(heard, TERMS, listen=Hearing({})) == [], "hearing must agree"


SQL = [Screen(1, 0.0, 10.0, "Sorting rows", "SELECT name FROM customers\nORDER BY orders DESC;")]
# "descending" said while the code shows DESC: Whisper writes two words it knows.
ASKED = words((" what", 2.0), (" does", 2.4), (" the", 2.8), (" sending", 3.2), (" do?", 3.6))


@pytest.mark.parametrize(
    "heard",
    [
        ASKED,
        # Nothing but function words heard: only hearing may overrule them.
        words(
            (" what", 2.0),
            (" does", 2.4),
            (" this", 2.8),
            (" end", 3.0),
            (" and", 3.2),
            (" do?", 3.6),
        ),
    ],
)
def test_code_read_aloud_is_heard_in_its_spoken_form_only_when_hearing_confirms_it(heard):
    terms = screen_terms(SQL, "", 10.0)
    assert ("descending",) in [t.words for t in terms if t.spoken]
    listen = Hearing({" what does descending do?": -6.0})
    table = corrections_table("v", heard, find_corrections(heard, terms, listen=listen))
    assert table[["corrected", "source"]].values.tolist() == [
        ["descending", "said for DESC in code on slide 1"]
    ]
    assert find_corrections(heard, terms) == [], "a spoken form is never taken on its sound"
    assert find_corrections(heard, terms, listen=Hearing({})) == []


def test_only_code_offers_the_reading_of_an_abbreviation():
    """A slide's "DESC" is prose (a name, an acronym), not a keyword read aloud."""
    assert not any(t.spoken for t in screen_terms([Screen(1, 0, 9, "DESC and ASC", "")], "", 9))


def test_a_plural_on_screen_may_be_said_in_the_singular():
    """The code counts `words`; the lecturer says "each word appears", which Whisper
    wrote "each world appears". "world" is not "word" inflected: hearing decides."""
    screens = [Screen(1, 0.0, 10.0, "Counting words", "counts = Counter(words)")]
    terms = screen_terms(screens, "", 10.0)
    assert {t.words for t in terms if t.spoken} == {("word",), ("count",)}
    heard = words((" how", 2.0), (" often", 2.4), (" each", 2.8), (" world", 3.2),
                  (" appears.", 3.6))  # fmt: skip
    listen = Hearing({" how often each word appears.": -4.0})
    table = corrections_table("v", heard, find_corrections(heard, terms, listen=listen))
    assert table[["heard", "corrected", "source"]].values.tolist() == [
        ["world", "word", "said for words in code on slide 1"]
    ]
    assert find_corrections(heard, terms) == [], "never on its sound alone"


def test_hearing_does_not_drop_a_word_heard_right_for_a_little_more_gain():
    """ "the world" -> "word" scores a little above "world" -> "word" only because the
    text is shorter: the narrower correction is written, "the" stays."""
    screens = [Screen(1, 0.0, 10.0, "Counting words", "")]
    heard = words((" returns", 2.0), (" the", 2.4), (" world", 2.8), (" that", 3.2),
                  (" appears.", 3.6))  # fmt: skip
    listen = Hearing({" returns word that appears.": -4.0, " returns the word that appears.": -4.5})
    table = corrections_table(
        "v", heard, find_corrections(heard, screen_terms(screens, "", 9), listen=listen)
    )
    assert table[["heard", "corrected", "hearing_gain"]].values.tolist() == [
        ["world", "word", 15.5]
    ]
    clearly = Hearing(
        {" returns word that appears.": -2.0, " returns the word that appears.": -4.5}
    )
    table = corrections_table(
        "v", heard, find_corrections(heard, screen_terms(screens, "", 9), listen=clearly)
    )
    assert table["heard"].tolist() == ["the world"], "a clear gain still decides"


def test_an_inflection_of_a_shown_word_is_taken_only_when_hearing_confirms_it():
    """The SQL joins `orders`; the lecturer says "orders", Whisper wrote "order". An
    ending may be a grammar edit as well as a mis-hearing: never on spelling alone,
    taken when hearing, told the slide, clearly prefers it."""
    screens = [Screen(1, 0.0, 10.0, "Joining tables", "JOIN orders ON orders.id = id")]
    terms = screen_terms(screens, "", 10.0)
    heard = words((" the", 2.0), (" customer", 2.4), (" id", 2.8), (" in", 3.2), (" the", 3.6),
                  (" order", 4.0), (" table.", 4.4))  # fmt: skip
    assert find_corrections(heard, terms) == []
    listen = Hearing({" the customer id in the orders table.": -4.0})
    table = corrections_table("v", heard, find_corrections(heard, terms, listen=listen))
    assert table[["heard", "corrected", "hearing_gain"]].values.tolist() == [
        ["order", "orders", 16.0]
    ]
    assert find_corrections(heard, terms, listen=Hearing({})) == [], "no gain, no change"


def test_an_inflection_never_takes_the_place_of_other_words_too():
    """ "to values" -> "value" would drop a "to" heard right; hearing favoured such texts
    by up to 4.6 nats on the variants, only for being shorter."""
    screens = [Screen(1, 0.0, 10.0, "Counting", "counts[number] += 1")]
    heard = words((" adds", 2.0), (" one", 2.4), (" to", 2.8), (" numbers.", 3.2))
    listen = Hearing({" adds one number.": -1.0, " adds one to number.": -30.0})
    assert find_corrections(heard, screen_terms(screens, "", 10.0), listen=listen) == []


def test_an_ending_heard_as_a_word_of_its_own_is_asked_as_the_inflection():
    """The slide says a key "points"; Whisper wrote "point is". The heard letters spell the
    term but for one, so "is" was never a word: hearing is asked and decides. "customer
    so" is one letter off "customers" too, and hearing turns it down."""
    screens = [Screen(1, 0.0, 10.0, "Keys\nA foreign key points to another table", "customers")]
    heard = words((" every", 2.0), (" order", 2.4), (" point", 2.8), (" is", 3.2), (" to", 3.6),
                  (" one", 4.0), (" customer", 4.4), (" so", 4.8), (" count", 5.2))  # fmt: skip
    terms = screen_terms(screens, "", 10.0)
    assert find_corrections(heard, terms) == [], "never on spelling alone"
    listen = Hearing({" every order points to one customer so count": -4.0})
    table = corrections_table("v", heard, find_corrections(heard, terms, listen=listen))
    assert table[["heard", "corrected", "hearing_gain"]].values.tolist() == [
        ["point is", "points", 16.0]
    ]
    assert corrected_words(heard, table)["word"].str.strip().tolist()[2:4] == ["points", "to"]
    assert " every order point is to one customers count" in listen.asked[0][2]


def test_a_short_word_on_screen_is_taken_only_through_hearing_and_only_if_spelled_alike():
    """ "keys" heard as "Keyes": four letters sound like too many heard words to correct
    on spelling, so hearing decides. "the list" is never asked as `else` (letters 0.43
    alike), though hearing favoured it by 3.6 nats on a variant where "the list" was
    said."""
    screens = [Screen(1, 0.0, 10.0, "Keys", "for key in keys:\n    pass\nelse:\n    pass")]
    heard = words((" the", 2.0), (" Keyes", 2.4), (" are", 2.8), (" in", 3.2), (" the", 3.6),
                  (" list.", 4.0))  # fmt: skip
    terms = screen_terms(screens, "", 10.0)
    assert find_corrections(heard, terms) == [], "never on spelling alone"
    listen = Hearing({" the keys are in the list.": -4.0, " the Keyes are in else.": 0.0})
    table = corrections_table("v", heard, find_corrections(heard, terms, listen=listen))
    assert table[["heard", "corrected", "hearing_gain"]].values.tolist() == [
        ["Keyes", "keys", 16.0]
    ]
    assert not any("else" in text for _, _, texts in listen.asked for text in texts)


def test_words_spelled_apart_from_a_term_are_only_asked_when_they_sound_close():
    """ "to be sorted" and "target" (code on screen) share a few letters and sounds
    (metaphone TBSRTT / TRJT 0.5): never a candidate, whatever hearing would say."""
    screens = [Screen(1, 0.0, 10.0, "Binary search", "def search(items, target):")]
    heard = words((" must", 2.0), (" it", 2.4), (" to", 2.8), (" be", 3.2), (" sorted?", 3.6))
    listen = Hearing({" must it target?": 0.0})
    assert find_corrections(heard, screen_terms(screens, "", 10.0), listen=listen) == []
    assert listen.asked == []
