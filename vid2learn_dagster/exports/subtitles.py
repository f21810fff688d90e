"""Subtitles with speaker names (issue 13 item 3): SRT through `srt` and WebVTT through
`webvtt-py`, the maintained writers, so players' parsers read them as their own.

Each transcript segment is one cue; where diarization named a speaker, SRT prefixes the
text with the name ("Speaker 1: ...") and WebVTT uses its voice tag (`<v Speaker 1>`),
which players show and screen readers announce.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from vid2learn_dagster.speech.speakers import speaker_name


def _cues(segments: pd.DataFrame) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker name or "", text) per segment with text, in time order."""
    cues = []
    for row in segments.sort_values("start", kind="stable").itertuples(index=False):
        text = " ".join(str(row.text or "").split())
        if text:
            speaker = "" if pd.isna(row.speaker) else speaker_name(str(row.speaker))
            cues.append(
                (float(row.start), max(float(row.end), float(row.start) + 0.001), speaker, text)
            )
    return cues


def srt_subtitles(segments: pd.DataFrame) -> str:
    """The `transcript_segments` table as SubRip text."""
    import srt

    return srt.compose(
        [
            srt.Subtitle(
                index,
                timedelta(seconds=start),
                timedelta(seconds=end),
                f"{speaker}: {text}" if speaker else text,
            )
            for index, (start, end, speaker, text) in enumerate(_cues(segments), start=1)
        ]
    )


def _vtt_clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def vtt_subtitles(segments: pd.DataFrame) -> str:
    """The `transcript_segments` table as WebVTT text, speakers as voice tags."""
    import webvtt

    document = webvtt.WebVTT()
    for start, end, speaker, said in _cues(segments):
        # Cue text is markup: "&", "<" and ">" are escaped ("-->" would end a cue early).
        text = said.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = f"<v {speaker}>{text}" if speaker else text
        document.captions.append(webvtt.Caption(_vtt_clock(start), _vtt_clock(end), body))
    return document.content
