"""Probe media files and extract the audio track with ffmpeg.

ffmpeg is the one tool that reads every container yt-dlp can produce, so probing and
audio extraction shell out to it rather than to a Python decoder. Transcription and
diarization models want 16 kHz mono PCM, so that is the one audio format made here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

from vid2learn_dagster.storage.files import atomic_path

SAMPLE_RATE = 16000


class FfmpegNotFoundError(RuntimeError):
    """ffmpeg/ffprobe is not on PATH: the pipeline cannot read any media without it."""


class MediaError(ValueError):
    """A file ffmpeg cannot read as media (not a video, corrupt, truncated)."""


@dataclass(frozen=True)
class MediaInfo:
    """What downstream stages need to know about a media file."""

    duration: float
    has_video: bool
    has_audio: bool
    width: int | None
    height: int | None
    fps: float | None


@dataclass(frozen=True)
class AudioInfo:
    """The extracted WAV; `had_audio_stream` is False when it is made-up silence (a mute video)."""

    path: Path
    sample_rate: int
    duration: float
    had_audio_stream: bool


def find_tool(name: str) -> str:
    """The path of an ffmpeg binary, or an error that says how to install it."""
    found = shutil.which(name)
    if found is None:
        raise FfmpegNotFoundError(
            f"{name} not found on PATH; install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg)"
        )
    return found


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1:] or ["no error output"]
        raise MediaError(f"{what}: {detail[0]}")
    return proc


def _fraction(text: str | None) -> float | None:
    """ffprobe rates look like '30000/1001'; '0/0' means unknown."""
    if not text:
        return None
    num, _, den = text.partition("/")
    try:
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return value or None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "N/A") else None
    except ValueError:
        return None


def probe_media(path: Path) -> MediaInfo:
    """Read streams and duration with ffprobe; raise MediaError for a file that is not media."""
    proc = _run(
        [
            find_tool("ffprobe"),
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        f"ffprobe cannot read {path}",
    )
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams", [])
    # Cover art in an audio file is a 'video' stream with one frame: not a video.
    videos = [
        s
        for s in streams
        if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if not videos and not audios:
        raise MediaError(f"{path} has no audio or video stream")
    video = videos[0] if videos else {}
    durations = [_float(data.get("format", {}).get("duration"))]
    durations += [_float(s.get("duration")) for s in videos + audios]
    duration = next((d for d in durations if d is not None), None)
    if duration is None:
        raise MediaError(f"{path} has no known duration")
    return MediaInfo(
        duration=duration,
        has_video=bool(videos),
        has_audio=bool(audios),
        width=video.get("width"),
        height=video.get("height"),
        fps=_fraction(video.get("avg_frame_rate")) or _fraction(video.get("r_frame_rate")),
    )


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def extract_audio(video_path: Path, wav_path: Path, sample_rate: int = SAMPLE_RATE) -> AudioInfo:
    """Write the first audio track as mono 16-bit PCM WAV at `sample_rate`.

    A video without audio (a silent screencast) yields silence of the video's length, so
    every later stage can treat every video alike; `had_audio_stream` records the fact.
    """
    info = probe_media(video_path)
    if info.has_audio:
        source = ["-i", str(video_path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    else:
        source = [
            "-f",
            "lavfi",
            "-i",
            f"anullsrc=r={sample_rate}:cl=mono",
            "-t",
            f"{info.duration:.3f}",
        ]
    with atomic_path(wav_path) as tmp:
        _run(
            [
                find_tool("ffmpeg"),
                "-nostdin",
                "-v",
                "error",
                *source,
                "-ac",
                "1",
                "-ar",
                str(sample_rate),
                "-c:a",
                "pcm_s16le",
                "-f",
                "wav",
                "-y",
                str(tmp),
            ],
            f"ffmpeg cannot extract audio from {video_path}",
        )
        duration = wav_duration(tmp)
    return AudioInfo(
        path=wav_path,
        sample_rate=sample_rate,
        duration=duration,
        had_audio_stream=info.has_audio,
    )
