"""Attach diarization turns to transcript words and segments ("who said this?").

Pure pandas: the diarizer gives speaker turns (which may overlap when two people talk at
once); ASR gives words and segments with times. A word belongs to the speaker whose turns
cover most of it, and a segment whose words change speaker is split there, so every
segment row has exactly one speaker. Also here: the `speaker_turns` table (exclusive turns
plus `overlap` rows) and the notebook's quotes of voices other than the main speaker.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np
import pandas as pd

from vid2learn_dagster.notebook.rendering import clock, escape_markdown
from vid2learn_dagster.speech.diarization import Turn
from vid2learn_dagster.storage.tables import conform

# Words x turns overlap matrices are built in blocks so a long lecture (tens of thousands
# of words, thousands of turns) never needs gigabytes at once.
_BLOCK = 2048
# Overlap pieces shorter than this are boundary noise between the two views of one
# diarization (the offline backend drops turns under 0.05 s and bridges 0.1 s pauses).
MIN_OVERLAP_SECONDS = 0.1


def turns_table(
    video_id: str, turns: Iterable[Turn], overlapping: Iterable[Turn] = ()
) -> pd.DataFrame:
    """The `speaker_turns` table for one video, in time order.

    `turns` are the exclusive view (one voice holds the floor at any instant: overlap
    False); `overlapping` is speech over that voice (overlap True, see `speech_over_others`).
    One table then answers both questions: `WHERE NOT overlap` is who has the floor (what
    words are aligned to), and all rows summed per speaker is how long each one spoke.
    """
    rows = sorted(
        [(t, False) for t in turns] + [(t, True) for t in overlapping],
        key=lambda row: (row[0].start, row[0].end, row[1], row[0].speaker),
    )
    df = pd.DataFrame(
        {
            "video_id": [video_id] * len(rows),
            "start": [t.start for t, _ in rows],
            "end": [t.end for t, _ in rows],
            "speaker": [t.speaker for t, _ in rows],
            "overlap": [flag for _, flag in rows],
        }
    )
    return conform(df, "speaker_turns")


def speech_over_others(
    turns: Iterable[Turn], exclusive: Iterable[Turn], min_duration: float = MIN_OVERLAP_SECONDS
) -> list[Turn]:
    """The parts of each speaker's `turns` that the `exclusive` view gives to someone else.

    Both views come from one diarization with the same names (`SpeakerTurns`). Pieces
    shorter than `min_duration` are dropped: they are rounding and bridging differences
    between the two views, not a second voice.
    """
    held: dict[str, list[tuple[float, float]]] = {}
    for t in exclusive:
        held.setdefault(t.speaker, []).append((t.start, t.end))
    for spans in held.values():
        spans.sort()
    # One speaker's exclusive turns never overlap each other, so their ends are sorted too.
    ends = {speaker: [end for _, end in spans] for speaker, spans in held.items()}
    pieces = []
    for turn in sorted(turns, key=lambda t: (t.start, t.end, t.speaker)):
        spans = held.get(turn.speaker, [])
        cursor = turn.start
        first = bisect.bisect_right(ends.get(turn.speaker, []), turn.start)
        for start, end in spans[first:]:
            if start >= turn.end:
                break
            if start - cursor >= min_duration:
                pieces.append(Turn(cursor, start, turn.speaker))
            cursor = max(cursor, end)
        if turn.end - cursor >= min_duration:
            pieces.append(Turn(cursor, turn.end, turn.speaker))
    return pieces


def attribute_speakers(
    segments: pd.DataFrame, words: pd.DataFrame, turns: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The transcript tables with a speaker on every word and segment.

    Words are aligned to the exclusive turns (`overlap` False): during crosstalk a word
    belongs to the voice holding the floor, not to whoever of the two sorts first.
    Segments are then split where their words change speaker (`split_segments_by_speaker`).
    """
    words = words.assign(speaker=assign_speakers(words, turns[~turns["overlap"]]))
    segments, words = split_segments_by_speaker(
        segments.drop(columns="speaker", errors="ignore"), words
    )
    return conform(segments, "transcript_segments"), conform(words, "transcript_words")


def assign_speakers(words: pd.DataFrame, turns: pd.DataFrame) -> pd.Series:
    """The speaker of each row of `words` (any table with `start`/`end`), aligned to its index.

    The speaker whose turns overlap the word longest wins (summed over that speaker's
    turns), so a word straddling a change goes to the side holding most of it; a word in a
    gap between turns goes to the nearest turn, because ASR word times and diarization
    boundaries disagree by a few hundred milliseconds. With no turns at all every speaker is
    missing (None): the video has no detected speech, which is not an error.
    """
    out = pd.Series([None] * len(words), index=words.index, dtype=object, name="speaker")
    if words.empty or turns.empty:
        return out
    speakers, codes = np.unique(turns["speaker"].to_numpy(dtype=str), return_inverse=True)
    t_start = turns["start"].to_numpy(dtype=float)
    t_end = turns["end"].to_numpy(dtype=float)
    w_start = words["start"].to_numpy(dtype=float)
    w_end = np.maximum(words["end"].to_numpy(dtype=float), w_start)
    choice = np.empty(len(words), dtype=int)
    for lo in range(0, len(words), _BLOCK):
        ws, we = w_start[lo : lo + _BLOCK, None], w_end[lo : lo + _BLOCK, None]
        overlap = np.clip(np.minimum(we, t_end) - np.maximum(ws, t_start), 0.0, None)
        per_speaker = np.zeros((len(ws), len(speakers)))
        for k in range(len(speakers)):
            per_speaker[:, k] = overlap[:, codes == k].sum(axis=1)
        # Distance from the word to each turn: 0 when they touch or overlap.
        gap = np.maximum(np.maximum(t_start - we, ws - t_end), 0.0)
        nearest = codes[gap.argmin(axis=1)]
        covered = per_speaker.max(axis=1) > 0
        choice[lo : lo + _BLOCK] = np.where(covered, per_speaker.argmax(axis=1), nearest)
    out[:] = speakers[choice]
    return out


def split_segments_by_speaker(
    segments: pd.DataFrame, words: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split each segment where its words change speaker; return (segments, words).

    `words` must carry a `speaker` column (from `assign_speakers`) and the `segment_id` of
    its segment. A split part takes its times and text from its own words, and every other
    column (e.g. `avg_logprob`) from the parent segment. Segments are renumbered 0..n-1 in
    order, and the returned words carry the new `segment_id`, so the two tables still join.
    A segment without words keeps its row and gets no speaker (None).
    """
    words = words.sort_values(["segment_id", "start"], kind="stable")
    by_segment = dict(iter(words.groupby("segment_id", sort=False)))
    seg_rows: list[dict] = []
    word_parts: list[pd.DataFrame] = []
    for seg in segments.sort_values(["start", "segment_id"], kind="stable").to_dict("records"):
        seg_words = by_segment.get(seg["segment_id"])
        if seg_words is None or seg_words.empty:
            seg_rows.append({**seg, "segment_id": len(seg_rows), "speaker": None})
            continue
        # fillna: None != None in pandas, which would split every word of a silent video.
        labels = seg_words["speaker"].fillna("")
        runs = list(seg_words.groupby((labels != labels.shift()).cumsum(), sort=False))
        for _, part in runs:
            new_id = len(seg_rows)
            row = {**seg, "segment_id": new_id, "speaker": part["speaker"].iloc[0]}
            if len(runs) > 1:
                row |= {
                    "start": float(part["start"].min()),
                    "end": float(part["end"].max()),
                    "text": join_words(part["word"]),
                }
            seg_rows.append(row)
            word_parts.append(part.assign(segment_id=new_id))
    columns = [*segments.columns, *(["speaker"] if "speaker" not in segments.columns else [])]
    new_segments = pd.DataFrame(seg_rows, columns=columns)
    new_words = pd.concat(word_parts, ignore_index=True) if word_parts else words.iloc[:0]
    return new_segments, new_words


def join_words(words: Iterable[str]) -> str:
    """Rebuild text from ASR words, which may or may not carry their leading space.

    faster-whisper words look like " Hello" / "," and others like "Hello": a space is
    added only where neither neighbour already has one.
    """
    text = ""
    for word in words:
        if text and not text[-1].isspace() and not word[:1].isspace():
            text += " "
        text += word
    return text.strip()


def speaker_name(label: str) -> str:
    """A reader's name for a diarization label: SPEAKER_00 -> "Speaker 1"."""
    prefix, _, number = label.rpartition("_")
    return f"Speaker {int(number) + 1}" if prefix == "SPEAKER" and number.isdigit() else label


def main_speaker(chunks: pd.DataFrame) -> str | None:
    """Who speaks longest in a `chunks` table (the lecturer of a lecture), None if nobody."""
    spoken = chunks.dropna(subset=["speaker"])
    if spoken.empty:
        return None
    return str((spoken["end"] - spoken["start"]).groupby(spoken["speaker"]).sum().idxmax())


def other_voices_markdown(chunks: pd.DataFrame, main: str | None, max_words: int = 40) -> str:
    """What voices other than `main` say in these chunks, quoted with who and when, each
    question followed by the main speaker's reply (the next chunk `main` speaks).

    A notebook section is written from the whole section's speech, so a question from the
    audience would otherwise read as the lecturer's words; and the reply is often the one
    place the lecture states a point (the sample's "put a conditional expression at the
    front" answers a student), which the model's explanation may leave out. Titled "Q&A"
    when a quote asks something. "" when only the main speaker (or nobody) speaks.
    """

    def line(row, note: str = "") -> str:
        words = " ".join(str(row.text).split()).split()
        quote = " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")
        who = f"**{speaker_name(row.speaker)}**{note}"
        return f"- {who} at {clock(row.start)}: “{escape_markdown(quote)}”"

    rows = [
        r
        for r in chunks.sort_values("start", kind="stable").itertuples(index=False)
        if not pd.isna(r.text) and str(r.text).strip()
    ]
    lines, asks = [], False
    for i, row in enumerate(rows):
        if pd.isna(row.speaker) or row.speaker == main:
            continue
        lines.append(line(row))
        if "?" in str(row.text):
            asks = True
            reply = next((r for r in rows[i + 1 :] if r.speaker != row.speaker), None)
            if reply is not None and reply.speaker == main:
                lines.append(line(reply, " replies"))
    if not lines:
        return ""
    return ("**Q&A**" if asks else "**Other speakers**") + "\n\n" + "\n".join(lines)
