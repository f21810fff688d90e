"""Probing and audio extraction on tiny generated clips with known properties."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.http_server import make_test_video
from vid2learn_dagster.ingest.media import (
    FfmpegNotFoundError,
    MediaError,
    extract_audio,
    probe_media,
)

SECONDS = 2.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "audio": make_test_video(folder / "tone.mp4", SECONDS, with_audio=True),
        "silent": make_test_video(folder / "silent.mp4", SECONDS, with_audio=False),
    }


def read_wav(path: Path) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        samples = np.frombuffer(wav.readframes(params.nframes), dtype=np.int16)
    return params, samples


def test_probe_reports_streams_size_rate_and_duration(clips: dict[str, Path]) -> None:
    info = probe_media(clips["audio"])
    assert info.has_video and info.has_audio
    assert (info.width, info.height, info.fps) == (320, 240, 25.0)
    assert info.duration == pytest.approx(SECONDS, abs=0.1)
    silent = probe_media(clips["silent"])
    assert silent.has_video and not silent.has_audio


def test_probe_rejects_a_file_that_is_not_media(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("just text\n" * 50)
    with pytest.raises(MediaError, match=r"notes\.mp4"):
        probe_media(text)


def test_extract_audio_gives_16k_mono_pcm_with_the_tone(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    wav_path = tmp_path / "audio.wav"
    info = extract_audio(clips["audio"], wav_path)
    params, samples = read_wav(wav_path)
    assert (params.nchannels, params.framerate, params.sampwidth) == (1, 16000, 2)
    assert info.path == wav_path and info.sample_rate == 16000 and info.had_audio_stream
    assert info.duration == pytest.approx(SECONDS, abs=0.1)
    assert info.duration == pytest.approx(params.nframes / 16000)
    # The 440 Hz tone is there: the spectrum's peak sits at 440 Hz.
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    peak_hz = np.argmax(spectrum) * 16000 / len(samples)
    assert peak_hz == pytest.approx(440, abs=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audio.wav"]


def test_video_without_audio_gives_silence_of_its_length(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    info = extract_audio(clips["silent"], tmp_path / "audio.wav")
    params, samples = read_wav(info.path)
    assert not info.had_audio_stream
    assert (params.nchannels, params.framerate) == (1, 16000)
    assert info.duration == pytest.approx(probe_media(clips["silent"]).duration, abs=0.05)
    assert len(samples) > 0 and not samples.any()


def test_failed_extraction_leaves_no_file(tmp_path: Path) -> None:
    text = tmp_path / "broken.mp4"
    text.write_text("not a video")
    out = tmp_path / "out"
    with pytest.raises(MediaError):
        extract_audio(text, out / "audio.wav")
    assert not out.exists() or list(out.iterdir()) == []


def test_missing_ffmpeg_says_how_to_install_it(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FfmpegNotFoundError, match="apt-get install ffmpeg"):
        probe_media(clips["audio"])


def test_make_test_video_cuts_change_the_colour_at_each_cut(tmp_path: Path) -> None:
    clip = make_test_video(tmp_path / "cuts.mp4", seconds=3.0, with_audio=False, cuts=[1.0, 2.0])
    info = probe_media(clip)
    assert info.duration == pytest.approx(3.0, abs=0.1) and not info.has_audio
    # One pixel from the middle of each shot (frames 12, 37, 62 at 25 fps): red, green, blue.
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(clip),
            "-vf",
            "select='eq(n,12)+eq(n,37)+eq(n,62)',scale=1:1",
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    pixels = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
    assert [int(np.argmax(p)) for p in pixels] == [0, 1, 2]
