"""Regenerate the bundled sample lecture (`lecture.mp4`) and its ground truth (`lecture.json`).

The sample is synthetic so every fact a test checks is known exactly: slides are drawn with
Pillow, speech comes from espeak-ng in two voices (lecturer and student, for diarization),
and cut / utterance times are computed from frame and sample counts, not estimated.

    python -m vid2learn_dagster.sample.generate [--out DIR]

Needs Debian `espeak-ng`, `ffmpeg` and `fonts-dejavu-core`. Output is byte-identical for the
same tool versions: no timestamps, fixed encoder threads, bit-exact muxing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vid2learn_dagster.sample import SAMPLE_DIR
from vid2learn_dagster.storage.files import atomic_path

# ---------------------------------------------------------------------------------------------
# Content: edit here. Spoken text spells numbers and symbols as words so ASR can be scored
# against it (espeak reads "%" or "10" in ways Whisper transcribes differently).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice; pitch 0-99, speed in words per minute."""

    speaker: str
    espeak: str
    pitch: int
    speed: int


@dataclass(frozen=True)
class Formula:
    """A display formula `lhs = numerator / denominator`, drawn as a stacked fraction."""

    lhs: str
    numerator: str
    denominator: str
    latex: str


@dataclass(frozen=True)
class Slide:
    title: str
    speech: tuple[tuple[Voice, str], ...]
    body: tuple[str, ...] = ()
    code: str | None = None
    formula: Formula | None = None
    dark: bool = False  # consecutive slides alternate themes so every cut is a visible change
    # An incremental build: for each utterance, how many code lines (or bullets) are shown
    # while it is said. Empty: everything from the start.
    reveal: tuple[int, ...] = ()


@dataclass(frozen=True)
class Lecture:
    """A scripted lecture: its slides in order, the first drawn as a title slide."""

    title: str
    slides: tuple[Slide, ...]
    # Text of a band drawn on top of every slide (a course template): every slide then
    # shares one layout, the hard case for slide-change detection (issue 11).
    header: str = ""


LECTURER = Voice("lecturer", "en-us", pitch=30, speed=150)
STUDENT = Voice("student", "en-gb+f3", pitch=80, speed=175)

TITLE = "Python List Comprehensions"

SLIDES: tuple[Slide, ...] = (
    Slide(
        title=TITLE,
        body=("A short introduction for beginners",),
        dark=True,
        speech=(
            (LECTURER, "Welcome to this short lesson about list comprehensions in Python."),
            (LECTURER, "By the end, you will be able to build a new list in a single line."),
        ),
    ),
    Slide(
        title="Why use a comprehension?",
        body=(
            "Build a new list from an existing one",
            "Replace a loop and an append call",
            "Filter items with an if clause",
            "Often shorter and easier to read",
        ),
        speech=(
            (LECTURER, "A comprehension builds a new list from an existing sequence."),
            (LECTURER, "It replaces a simple loop with an append call, and it can filter items."),
        ),
    ),
    Slide(
        title="From loop to comprehension",
        code=(
            "squares = []\n"
            "for n in range(10):\n"
            "    squares.append(n * n)\n"
            "\n"
            "# the same list in one line\n"
            "squares = [n * n for n in range(10)]\n"
        ),
        dark=True,
        speech=(
            (LECTURER, "Here is a loop that collects the square of each number."),
            (LECTURER, "We start with an empty list, and append one value in every step."),
            (LECTURER, "The last line does the same work with a comprehension."),
        ),
    ),
    Slide(
        title="Filtering with if",
        code=(
            "def even_squares(numbers):\n"
            '    """Squares of the even numbers."""\n'
            "    return [\n"
            "        n * n\n"
            "        for n in numbers\n"
            "        if n % 2 == 0\n"
            "    ]\n"
        ),
        speech=(
            (LECTURER, "We can add a condition at the end. This function keeps the even numbers."),
            (STUDENT, "Excuse me, I have a question. Can I also use else inside the filter part?"),
            (
                LECTURER,
                "Good question. Not in the filter. If you need an else, "
                "put a conditional expression at the front of the comprehension.",
            ),
        ),
    ),
    Slide(
        title="Example: the mean",
        formula=Formula(
            lhs="x\u0304",
            numerator="x\u2081 + x\u2082 + \u2026 + x\u2099",
            denominator="n",
            latex=r"\bar{x} = \frac{x_1 + x_2 + \dots + x_n}{n}",
        ),
        body=("Add up all the values", "Divide by how many values there are"),
        dark=True,
        speech=(
            (LECTURER, "The mean of a list is the sum of its values, divided by their count."),
            (STUDENT, "What happens if the list is empty?"),
            (LECTURER, "Then the count is zero, and Python raises an error. Check for that first."),
        ),
    ),
    Slide(
        title="Summary",
        body=(
            "An expression, then a for clause",
            "An optional if clause filters items",
            "Use a plain loop when the logic grows",
        ),
        speech=(
            (
                LECTURER,
                "To sum up, a comprehension is an expression, a loop, and an optional filter.",
            ),
            (LECTURER, "When the logic grows long, a plain loop is easier to read."),
            (LECTURER, "Thank you for watching."),
        ),
    ),
)

SAMPLE = Lecture(TITLE, SLIDES)

# ---------------------------------------------------------------------------------------------
# Timing and rendering parameters.
# ---------------------------------------------------------------------------------------------

FPS = 15
SAMPLE_RATE = 22050  # espeak-ng's native rate; a whole number of samples per frame (1470)
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS
LEAD_IN_S = 0.3  # silence after a cut before the first utterance
GAP_S = 0.45  # silence between utterances on one slide
TAIL_S = 0.3  # minimum silence before the next cut (padded up to a whole frame)
SILENCE_THRESHOLD = 300  # int16 amplitude; espeak pads each utterance with silence we trim

WIDTH, HEIGHT = 1280, 720
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class Theme:
    """Slide colours (RGB)."""

    background: tuple[int, int, int]
    ink: tuple[int, int, int]
    accent: tuple[int, int, int]
    panel: tuple[int, int, int]  # code background


# Light and dark alternate: PySceneDetect's ContentDetector (default threshold) misses cuts
# between two light slides that differ only in text, and issue 3 relies on detected cuts.
LIGHT = Theme(background=(250, 250, 247), ink=(20, 24, 32), accent=(32, 86, 160),
              panel=(236, 238, 243))  # fmt: skip
DARK = Theme(background=(24, 26, 31), ink=(238, 238, 238), accent=(120, 172, 255),
             panel=(34, 36, 42))  # fmt: skip
CODE_SIZE = 32  # >= 26 px so OCR reads it (issue 3)
HEADER_HEIGHT = 44

ENCODE_ARGS = (
    # -tune stillimage + long GOP keep the file small; x264 threads pinned because its
    # output depends on the thread count; bitexact flags drop encoder version strings.
    *("-c:v", "libx264", "-preset", "medium", "-tune", "stillimage", "-crf", "28"),
    *("-pix_fmt", "yuv420p", "-g", "300", "-threads", "2"),
    *("-c:a", "aac", "-b:a", "48k", "-ac", "1"),
    *("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"),
    *("-flags:a", "+bitexact", "-movflags", "+faststart"),
)


# ---------------------------------------------------------------------------------------------
# Slides
# ---------------------------------------------------------------------------------------------


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    """DejaVu with the BASIC layout engine: raqm is optional in Pillow and changes pixels."""
    path = FONT_DIR / name
    if not path.exists():
        warnings.warn(
            f"{path} missing (apt install fonts-dejavu-core); using Pillow's default font, "
            "so code will not be monospace and slides will differ from the committed video",
            stacklevel=2,
        )
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _draw_title(draw: ImageDraw.ImageDraw, title: str, theme: Theme) -> int:
    """Slide heading with an accent rule; returns the y where content may start."""
    draw.text((80, 50), title, font=_font("DejaVuSans-Bold.ttf", 52), fill=theme.accent)
    draw.rectangle((80, 128, WIDTH - 80, 132), fill=theme.accent)
    return 170


def _draw_bullets(
    draw: ImageDraw.ImageDraw, lines: tuple[str, ...], top: int, theme: Theme, visible: int
) -> None:
    font = _font("DejaVuSans.ttf", 38)
    for i, line in enumerate(lines[:visible]):
        y = top + i * 70
        draw.ellipse((90, y + 14, 104, y + 28), fill=theme.accent)
        draw.text((130, y), line, font=font, fill=theme.ink)


def _draw_code(draw: ImageDraw.ImageDraw, code: str, top: int, theme: Theme, visible: int) -> None:
    """Monospace code on a panel, one colour (high contrast for OCR, no syntax colours);
    the panel has the whole listing's size while its first `visible` lines are shown.
    A listing taller than the slide is an error: the ground truth would claim code that
    no one can see."""
    font = _font("DejaVuSansMono.ttf", CODE_SIZE)
    lines = code.rstrip("\n").split("\n")
    line_height = round(CODE_SIZE * 1.45)
    panel = (80, top, WIDTH - 80, top + 60 + line_height * len(lines))
    if panel[3] > draw.im.size[1]:
        raise ValueError(f"{len(lines)} lines of code run off the slide: {lines[0]!r}")
    draw.rounded_rectangle(panel, radius=12, fill=theme.panel)
    for i, line in enumerate(lines[:visible]):
        draw.text((115, top + 30 + i * line_height), line, font=font, fill=theme.ink)


def _draw_formula(draw: ImageDraw.ImageDraw, formula: Formula, top: int, theme: Theme) -> int:
    """Centered `lhs = numerator / denominator` with a fraction bar; returns the bottom y."""
    font = _font("DejaVuSans.ttf", 60)
    lhs = f"{formula.lhs} = "
    lhs_w = draw.textlength(lhs, font=font)
    num_w = draw.textlength(formula.numerator, font=font)
    den_w = draw.textlength(formula.denominator, font=font)
    left = (WIDTH - lhs_w - num_w) / 2
    bar_y = top + 95
    draw.text((left, bar_y), lhs, font=font, fill=theme.ink, anchor="lm")
    frac_left = left + lhs_w
    draw.text((frac_left, bar_y - 12), formula.numerator, font=font, fill=theme.ink, anchor="ld")
    draw.rectangle((frac_left, bar_y - 2, frac_left + num_w, bar_y + 2), fill=theme.ink)
    den_x = frac_left + (num_w - den_w) / 2
    draw.text((den_x, bar_y + 12), formula.denominator, font=font, fill=theme.ink, anchor="lt")
    return bar_y + 110


def render_slide(
    slide: Slide,
    is_title: bool,
    header: str = "",
    visible: int | None = None,
    height: int = HEIGHT,
) -> Image.Image:
    """One 1280x720 RGB slide image, with its first `visible` code lines or bullets
    (all by default) and, when `header` is given, under a band with that text."""
    theme = DARK if slide.dark else LIGHT
    if header:
        image = Image.new("RGB", (WIDTH, HEIGHT), theme.background)
        body = render_slide(slide, is_title, visible=visible, height=HEIGHT - HEADER_HEIGHT)
        image.paste(body, (0, HEADER_HEIGHT))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, WIDTH, HEADER_HEIGHT), fill=theme.accent)
        font = _font("DejaVuSans.ttf", 24)
        draw.text((24, HEADER_HEIGHT / 2), header, font=font, fill=theme.background, anchor="lm")
        return image
    shown = 10**6 if visible is None else visible
    image = Image.new("RGB", (WIDTH, height), theme.background)
    draw = ImageDraw.Draw(image)
    if is_title:
        draw.rectangle((0, 0, WIDTH, 16), fill=theme.accent)
        font = _font("DejaVuSans-Bold.ttf", 66)
        draw.text((WIDTH / 2, 300), slide.title, font=font, fill=theme.accent, anchor="mm")
        sub = _font("DejaVuSans.ttf", 38)
        for i, line in enumerate(slide.body):
            draw.text((WIDTH / 2, 400 + i * 60), line, font=sub, fill=theme.ink, anchor="mm")
        return image
    top = _draw_title(draw, slide.title, theme)
    if slide.formula is not None:
        top = _draw_formula(draw, slide.formula, top, theme)
    if slide.code is not None:
        _draw_code(draw, slide.code, top, theme, shown)
    else:
        _draw_bullets(draw, slide.body, top + 10, theme, shown)
    return image


# ---------------------------------------------------------------------------------------------
# Speech and timing
# ---------------------------------------------------------------------------------------------


def synthesize(voice: Voice, text: str, workdir: Path) -> np.ndarray:
    """espeak-ng speech as int16 samples at SAMPLE_RATE, leading/trailing silence trimmed."""
    wav = workdir / "utterance.wav"
    cmd = ["espeak-ng", "-v", voice.espeak, "-p", str(voice.pitch), "-s", str(voice.speed)]
    subprocess.run([*cmd, "-w", str(wav), text], check=True, capture_output=True)
    with wave.open(str(wav), "rb") as f:
        if f.getframerate() != SAMPLE_RATE or f.getnchannels() != 1 or f.getsampwidth() != 2:
            raise RuntimeError(f"unexpected espeak-ng wav format: {f.getparams()}")
        samples = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= SILENCE_THRESHOLD)
    return samples[loud[0] : loud[-1] + 1]


def _seconds(samples: int) -> float:
    return round(samples / SAMPLE_RATE, 4)


@dataclass(frozen=True)
class Segment:
    """A run of identical frames: slide `slide` with `visible` lines shown (None: all)."""

    slide: int
    visible: int | None
    frames: int


def _frame_ceil(samples: int) -> int:
    return -(-samples // SAMPLES_PER_FRAME) * SAMPLES_PER_FRAME


def build_timeline(
    workdir: Path, lecture: Lecture = SAMPLE
) -> tuple[np.ndarray, dict, list[Segment]]:
    """Lay speech out slide by slide; returns the mono track, the ground-truth dict and
    the picture as segments of identical frames.

    Each slide starts on a frame boundary (SAMPLES_PER_FRAME divides every offset), so cut
    times are exact to the frame and the audio ends exactly where the video does. A build
    step of a revealed slide starts on the first frame boundary in the middle of the gap
    before the utterance that needs it.
    """
    pieces: list[np.ndarray] = []
    cursor = 0  # samples written so far
    slides, segments = [], []
    for index, slide in enumerate(lecture.slides):
        start = cursor
        cursor += round(LEAD_IN_S * SAMPLE_RATE)
        pieces.append(np.zeros(cursor - start, dtype="<i2"))
        utterances = []
        steps = [(start, slide.reveal[0])] if slide.reveal else [(start, None)]
        for i, (voice, text) in enumerate(slide.speech):
            if i:
                gap = round(GAP_S * SAMPLE_RATE)
                if slide.reveal and slide.reveal[i] != slide.reveal[i - 1]:
                    steps.append((_frame_ceil(cursor + gap // 2), slide.reveal[i]))
                pieces.append(np.zeros(gap, dtype="<i2"))
                cursor += gap
            speech = synthesize(voice, text, workdir)
            pieces.append(speech)
            utterances.append(
                {
                    "speaker": voice.speaker,
                    "voice": voice.espeak,
                    "start": _seconds(cursor),
                    "end": _seconds(cursor + len(speech)),
                    "text": text,
                }
            )
            cursor += len(speech)
        end = _frame_ceil(cursor + round(TAIL_S * SAMPLE_RATE))
        pieces.append(np.zeros(end - cursor, dtype="<i2"))
        cursor = end
        for (at, visible), (until, _) in zip(steps, [*steps[1:], (end, None)], strict=True):
            segments.append(Segment(index, visible, (until - at) // SAMPLES_PER_FRAME))
        entry = {
            "index": index,
            "start": _seconds(start),
            "end": _seconds(end),
            "frames": (end - start) // SAMPLES_PER_FRAME,
            "title": slide.title,
            "body": list(slide.body),
            "code": slide.code,
            "formula": slide.formula.latex if slide.formula else None,
            "utterances": utterances,
        }
        if slide.reveal:
            entry["steps"] = [{"start": _seconds(at), "visible": v} for at, v in steps]
        slides.append(entry)
    truth = {
        "title": lecture.title,
        "duration": _seconds(cursor),
        "fps": FPS,
        "cuts": [s["start"] for s in slides[1:]],
        "slides": slides,
        "script": " ".join(u["text"] for s in slides for u in s["utterances"]),
    }
    return np.concatenate(pieces), truth, segments


def write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes(samples.tobytes())


def to_json(truth: dict) -> str:
    """The exact text of lecture.json (tests compare it byte for byte after regenerating)."""
    return json.dumps(truth, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoding:
    """How the picture is written: at a constant frame rate (a video export), or only when
    the screen changes (a screen recorder's variable frame rate); optionally with a mouse
    pointer gliding over the slides (which must not count as a slide change)."""

    vfr: bool = False
    cursor: bool = False


def _pointer(path: Path) -> Path:
    """A 24x36 arrow pointer, black with a white rim, on transparency."""
    image = Image.new("RGBA", (24, 36), (0, 0, 0, 0))
    arrow = [(1, 1), (1, 30), (8, 23), (13, 34), (18, 32), (13, 21), (22, 21)]
    ImageDraw.Draw(image).polygon(arrow, fill=(0, 0, 0, 255), outline=(255, 255, 255, 255))
    image.save(path)
    return path


def encode(
    slide_pngs: list[Path], frames: list[int], wav: Path, out: Path, how: Encoding = Encoding()
) -> None:
    """Hard cuts: each still is repeated for its exact frame count, then concatenated.

    The `loop` filter repeats the already converted frame; looping the image input instead
    decodes and converts the PNG once per frame (half the encode time).
    """
    if how.vfr:
        _encode_vfr(slide_pngs, frames, wav, out)
        return
    inputs: list[str] = []
    chains = []
    for i, (png, count) in enumerate(zip(slide_pngs, frames, strict=True)):
        inputs += ["-i", str(png)]
        chains.append(
            f"[{i}:v]format=yuv420p,loop=loop={count - 1}:size=1,settb=1/{FPS},setpts=N[v{i}]"
        )
    labels = "".join(f"[v{i}]" for i in range(len(frames)))
    graph = ";".join([*chains, f"{labels}concat=n={len(frames)}:v=1:a=0[v]"])
    if how.cursor:  # a slow Lissajous path over the slide body
        inputs += ["-i", str(_pointer(wav.with_name("pointer.png")))]
        graph = graph.removesuffix("[v]") + (
            f"[s];[s][{len(frames)}:v]overlay=x='600+420*sin(t/3)':y='420+200*sin(t/5)'"
            ",format=yuv420p[v]"
        )
    # Key frames exactly on the cuts (frame indices, not seconds, to avoid rounding).
    cut_frames = np.cumsum(frames)[:-1]
    keys = "+".join(f"eq(n,{n})" for n in cut_frames)
    audio = len(inputs) // 2
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        *inputs, "-i", str(wav),
        "-filter_complex", graph, "-map", "[v]", "-map", f"{audio}:a",
        "-force_key_frames", f"expr:{keys}", "-r", str(FPS), *ENCODE_ARGS,
        str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)


def _encode_vfr(slide_pngs: list[Path], frames: list[int], wav: Path, out: Path) -> None:
    """One frame per change of the picture, each shown until the next (concat demuxer
    durations), plus the last picture again at the end, as a screen recorder writes."""
    listing = ["ffconcat version 1.0"]
    for png, count in zip(slide_pngs, frames, strict=True):
        listing += [f"file '{png}'", f"duration {count / FPS:.6f}"]
    listing.append(f"file '{slide_pngs[-1]}'")
    concat = wav.with_name("frames.ffconcat")
    concat.write_text("\n".join(listing) + "\n")
    cmd = [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "concat", "-safe", "0", "-i", str(concat), "-i", str(wav),
        "-map", "0:v", "-map", "1:a", "-fps_mode", "vfr", *ENCODE_ARGS, str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)


def generate(
    out_dir: Path = SAMPLE_DIR,
    lecture: Lecture = SAMPLE,
    name: str = "lecture",
    how: Encoding = Encoding(),
    meta: dict | None = None,
) -> dict:
    """Write `<name>.mp4` and `<name>.json` into `out_dir`; returns the ground truth
    (with `meta`'s keys added)."""
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            raise FileNotFoundError(f"{tool} not found: apt-get install -y espeak-ng ffmpeg")
    with tempfile.TemporaryDirectory(prefix="vid2learn-sample-") as tmp:
        workdir = Path(tmp)
        audio, truth, segments = build_timeline(workdir, lecture)
        truth.update(meta or {})
        wav = workdir / "lecture.wav"
        write_wav(wav, audio)
        pngs = []
        for i, segment in enumerate(segments):
            png = workdir / f"slide{i}.png"
            slide = lecture.slides[segment.slide]
            picture = render_slide(slide, segment.slide == 0, lecture.header, segment.visible)
            picture.save(png)
            pngs.append(png)
        with atomic_path(out_dir / f"{name}.mp4") as mp4:
            encode(pngs, [s.frames for s in segments], wav, mp4, how)
    with atomic_path(out_dir / f"{name}.json") as path:
        path.write_text(to_json(truth), encoding="utf-8")
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="output folder")
    args = parser.parse_args()
    started = time.perf_counter()
    truth = generate(args.out)
    size = (args.out / "lecture.mp4").stat().st_size
    print(
        f"{args.out / 'lecture.mp4'}: {truth['duration']:.2f} s, {len(truth['slides'])} slides, "
        f"{size / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
