"""The URL list: what is accepted, why a line is rejected, and how keys are derived."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vid2learn_dagster.ingest.urls import (
    KEY_MAX,
    InvalidUrlError,
    is_youtube,
    normalize_url,
    parse_url_list,
    video_key,
)

KEY_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
YOUTUBE_ID = "dQw4w9WgXcQ"


def test_comments_blanks_and_duplicates_are_skipped() -> None:
    text = "\n".join(
        [
            "# lectures for week 1",
            "",
            "https://example.com/a.mp4",
            "   ",
            "https://example.com/b.mp4   # the second one",
            "https://example.com/a.mp4",
            "  https://example.com/a.mp4  # same again, indented",
            "https://example.com/c.mp4#t=10",
        ]
    )
    result = parse_url_list(text)
    assert result.rejected == []
    assert [(line.line_no, line.url) for line in result.accepted] == [
        (3, "https://example.com/a.mp4"),
        (5, "https://example.com/b.mp4"),
        (8, "https://example.com/c.mp4#t=10"),
    ]
    assert result.urls == [line.url for line in result.accepted]


def test_scheme_and_host_case_are_normalized_and_deduplicated() -> None:
    result = parse_url_list("HTTPS://Example.COM/Lecture.mp4\nhttps://example.com/Lecture.mp4\n")
    assert result.urls == ["https://example.com/Lecture.mp4"]


def test_absolute_path_becomes_file_url_and_matches_its_file_url(tmp_path: Path) -> None:
    video = tmp_path / "my lecture.mp4"
    video.write_bytes(b"x")
    result = parse_url_list(f"{video}\n{video.as_uri()}\nfile://localhost{video}\n")
    assert result.urls == [video.as_uri()]
    assert result.urls[0].startswith("file:///") and "%20" in result.urls[0]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello", "not a URL"),
        ("ftp://example.com/a.mp4", "unsupported scheme 'ftp:'"),
        ("javascript:alert(1)", "unsupported scheme 'javascript:'"),
        ("mailto:someone@example.com", "unsupported scheme 'mailto:'"),
        ("https:///a.mp4", "missing host"),
        ("http://", "missing host"),
        ("https://example.com/my lecture.mp4", "contains spaces"),
        ("https://example.com:99999/a.mp4", "invalid port"),
        ("videos/a.mp4", "relative path"),
        ("./a.mp4", "relative path"),
        ("a.mp4", "relative path"),
        ("~/a.mp4", "relative path"),
        ("www.youtube.com/watch?v=dQw4w9WgXcQ", "missing scheme"),
        ("localhost:8000/a.mp4", "missing scheme"),
        ("/no/such/dir/a.mp4", "no such file"),
        ("file:///no/such/dir/a.mp4", "no such file"),
        ("file://otherhost/a.mp4", "another host"),
    ],
)
def test_rejections_say_why(line: str, reason: str) -> None:
    result = parse_url_list(f"https://example.com/ok.mp4\n{line}  # note\n")
    assert result.urls == ["https://example.com/ok.mp4"]
    [rejection] = result.rejected
    assert (rejection.line_no, rejection.text) == (2, line)
    assert reason in rejection.reason


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidUrlError, match="not a file"):
        normalize_url(str(tmp_path))


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={YOUTUBE_ID}",
        f"https://www.youtube.com/watch?v={YOUTUBE_ID}&t=42s",
        f"https://m.youtube.com/watch?v={YOUTUBE_ID}",
        f"https://youtu.be/{YOUTUBE_ID}?t=3",
        f"https://www.youtube.com/shorts/{YOUTUBE_ID}",
        f"https://www.youtube.com/embed/{YOUTUBE_ID}",
        f"https://www.youtube-nocookie.com/embed/{YOUTUBE_ID}",
        f"https://www.youtube.com/live/{YOUTUBE_ID}",
        # Downloads use noplaylist, so a video inside a playlist is keyed as the video.
        f"https://www.youtube.com/watch?v={YOUTUBE_ID}&list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
    ],
)
def test_youtube_variants_share_the_video_id(url: str) -> None:
    assert video_key(url) == YOUTUBE_ID
    assert is_youtube(url)


def test_other_sites_use_their_id_prefixed_by_extractor() -> None:
    assert video_key("https://vimeo.com/76979871") == "vimeo-76979871"
    assert video_key("https://www.dailymotion.com/video/x7tgad0") == "dailymotion-x7tgad0"


def test_direct_media_keys_hash_the_whole_url() -> None:
    a = video_key("http://127.0.0.1:8765/a.mp4")
    assert a == video_key("http://127.0.0.1:8765/a.mp4")
    assert a.startswith("a-") and len(a) == len("a-") + 10
    # The same file name on another host, port, path or query is another video.
    others = {
        video_key(url)
        for url in (
            "http://127.0.0.2:8765/a.mp4",
            "http://127.0.0.1:8766/a.mp4",
            "http://127.0.0.1:8765/x/a.mp4",
            "http://127.0.0.1:8765/a.mp4?v=2",
        )
    }
    assert len(others) == 4 and a not in others
    assert video_key("HTTP://127.0.0.1:8765/a.mp4") == a


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/Vid%C3%A9o%20lecture%20(1).final.mp4",
        "https://example.com/" + "very-long-name_" * 20 + ".mp4",
        "https://example.com/",
        "https://example.com/watch?id=../../etc/passwd",
    ],
)
def test_keys_are_safe_and_short(url: str) -> None:
    key = video_key(url)
    assert KEY_CHARS.match(key), key
    assert len(key) <= KEY_MAX


def test_local_path_and_its_file_url_share_a_key(tmp_path: Path) -> None:
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"x")
    key = video_key(str(video))
    assert key == video_key(video.as_uri())
    assert key.startswith("talk-")
    other = tmp_path / "other" / "talk.mp4"
    other.parent.mkdir()
    other.write_bytes(b"x")
    assert video_key(str(other)) != key
    # A key depends on the text alone: a file that is gone still has its key.
    other.unlink()
    assert video_key(str(other)) == video_key(other.as_uri())


def test_is_youtube_checks_the_host_not_the_text() -> None:
    assert not is_youtube("https://notyoutube.com/watch?v=dQw4w9WgXcQ")
    assert not is_youtube("https://example.com/youtube.com/a.mp4")
