"""The Dagster UI in a real browser, against a real instance with one materialized video.

The sample lecture is run through the `process_video` job into a throwaway project, then
`dagster-webserver` serves that project's instance with the repository's `workspace.yaml`
on a free loopback port, and headless Chromium (Debian's, driven by Playwright) loads the
global asset lineage and the notebook's partition page. Screenshots are saved under the
test's temporary folder (and `$VID2LEARN_SCREENSHOTS` when set); their paths are printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from tests.pipeline import Project

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("VID2LEARN_CHROMIUM", "/usr/bin/chromium"))
# No network beyond loopback, no GPU, no sandbox (CI runs as root); never `playwright install`.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 120
PAGE_TIMEOUT_MS = 60_000
LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
# Zoomed out, the graph shortens long names in the middle: "transcri…_segments".
ELLIPSIS = "…"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def _wait_until_loaded(base: str, proc: subprocess.Popen, log: Path) -> None:
    """Wait for the webserver to answer and the code location to load (or fail loudly)."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {proc.returncode}:\n{log.read_text()}")
        try:
            entries = _graphql(base, LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
        except (OSError, ValueError, KeyError, TypeError):  # not up yet, or mid-start
            entries = []
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            errors = [e["locationOrLoadError"] for e in entries]
            failed = [e["message"] for e in errors if e["__typename"] == "PythonError"]
            assert not failed, f"the code location failed to load: {failed}"
            return
        time.sleep(0.5)
    pytest.fail(f"dagster-webserver not ready after {SERVER_START_S} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    return CHROMIUM


@pytest.fixture(scope="module")
def materialized(chromium, sample_lecture_run) -> tuple[Project, str]:
    """The session's materialized sample lecture (after the Chromium check, so a missing
    browser skips before the slow run): (project, partition key)."""
    project, key, _ = sample_lecture_run
    return project, key


@pytest.fixture(scope="module")
def webserver(materialized, tmp_path_factory) -> Iterator[str]:
    """`dagster-webserver` on a free loopback port over the project's instance; its base URL."""
    log = tmp_path_factory.mktemp("webserver") / "webserver.log"
    port = _free_port()
    cmd = [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port)]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*cmd, "-w", str(REPO / "workspace.yaml")],
            cwd=REPO,
            env=os.environ.copy(),  # VID2LEARN_HOME and DAGSTER_HOME of the project
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the code server stops with it
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_loaded(base, proc, log)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> list[Path]:
    """Folders every screenshot is written to: the test's own, and $VID2LEARN_SCREENSHOTS."""
    folders = [tmp_path_factory.mktemp("screenshots")]
    if os.environ.get("VID2LEARN_SCREENSHOTS"):
        folders.append(Path(os.environ["VID2LEARN_SCREENSHOTS"]))
        folders[-1].mkdir(parents=True, exist_ok=True)
    return folders


@pytest.fixture(scope="module")
def page(chromium, tmp_path_factory) -> Iterator[sync_api.Page]:
    """A headless Chromium page with a fresh profile."""
    profile = tmp_path_factory.mktemp("chromium_profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1600, "height": 1000},
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        # The UI's one-time "join the community" dialog would cover the graph.
        context.add_init_script("window.localStorage.setItem('communityNux', '\"1\"')")
        try:
            yield context.new_page()
        finally:
            context.close()


def _save(page: sync_api.Page, name: str, folders: list[Path], capsys) -> None:
    first = folders[0] / name
    page.screenshot(path=str(first), full_page=True)
    for folder in folders[1:]:
        shutil.copy(first, folder / name)
    with capsys.disabled():
        print(f"\nscreenshot: {', '.join(str(f / name) for f in folders)}")


def _shown_as(name: str, label: str) -> bool:
    """Whether a graph label is `name`, whole or shortened around an ellipsis."""
    if ELLIPSIS not in label:
        return label == name
    head, _, tail = label.partition(ELLIPSIS)
    return name.startswith(head) and name.endswith(tail) and len(head) + len(tail) < len(name)


# Zoomed out, each asset is a box whose colour variables say its status (green: materialized).
NODE_BOXES = "svg foreignObject [style*='--minimal-bg']"
NODES_JS = """selector => [...document.querySelectorAll(selector)].map(box => ({
  label: box.textContent.trim(), materialized: box.getAttribute("style").includes("green")}))"""


def test_asset_graph_shows_every_asset_and_what_is_materialized(
    page, webserver, screenshots, capsys
):
    from assets import STAGE_ASSETS
    from vid2learn_dagster.definitions import build_definitions

    every = [
        k.to_user_string() for k in build_definitions().resolve_asset_graph().get_all_asset_keys()
    ]
    stages = [k.to_user_string() for asset in STAGE_ASSETS for k in asset.keys]
    page.goto(f"{webserver}/asset-groups")
    page.get_by_text("Global asset lineage").wait_for()
    page.locator("svg foreignObject").first.wait_for()
    if page.locator(NODE_BOXES).count() < len(every):
        page.keyboard.press("Alt+e")  # the UI's "Expand all groups": groups start collapsed
    # The graph draws only the nodes in view, and its first zoom stops at a readable scale
    # that no longer holds ~20 assets: zoom out step by step (its zoom-out button) and
    # collect the nodes drawn at each step.
    # Status arrives after the layout (live data): wait for the first green node.
    with contextlib.suppress(sync_api.TimeoutError):
        page.wait_for_function(
            f"([sel]) => ({NODES_JS})(sel).some(node => node.materialized)", arg=[NODE_BOXES]
        )
    graph = page.locator("svg:has(foreignObject)").first
    box = graph.bounding_box() or {"x": 800, "y": 500, "width": 0, "height": 0}
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    zoom_out = page.locator("button:has([aria-label='zoom_out'])").first
    seen: dict[str, dict] = {}

    def look() -> bool:
        """Add the nodes drawn now; whether every asset has been seen, and every stage
        green (a node's status loads once it is in view)."""
        for node in page.evaluate(NODES_JS, NODE_BOXES):
            was = seen.get(node["label"], {"materialized": False})["materialized"]
            seen[node["label"]] = {**node, "materialized": was or node["materialized"]}
        green = [label for label, node in seen.items() if node["materialized"]]
        return len(seen) >= len(every) and all(
            any(_shown_as(name, label) for label in green) for name in stages
        )

    drawn = 0
    for _ in range(8):
        if look() or not zoom_out.count():
            break
        now = page.locator(NODE_BOXES).count()
        if now < drawn:  # too small to draw nodes: back one step
            page.locator("button:has([aria-label='zoom_in'])").first.click()
            page.wait_for_timeout(600)
            break
        drawn = now
        zoom_out.click()
        page.wait_for_timeout(600)
    # Then pan (the wheel pans, as for a user) over what may still lie outside the view.
    for dx, dy in ([(0, 400)] * 4 + [(0, -400)] * 8 + [(400, 0)] * 4 + [(-400, 0)] * 8) * 2:
        if look():
            break
        page.mouse.wheel(dx, dy)
        page.wait_for_timeout(500)
    nodes = list(seen.values())
    _save(page, "asset_graph.png", screenshots, capsys)

    def node_of(name: str) -> dict | None:
        return next((n for n in nodes if _shown_as(name, n["label"])), None)

    assert len(nodes) == len(every), nodes
    missing = [name for name in every if node_of(name) is None]
    assert not missing, f"not in the asset graph: {missing} (nodes: {nodes})"
    unmaterialized = [name for name in stages if not node_of(name)["materialized"]]
    assert not unmaterialized, f"stage assets not shown as materialized: {unmaterialized}"


def _outline_lines(markdown: str) -> list[str]:
    """The text a reader sees for each outline item: link text kept, targets dropped."""
    lines = [re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", ln).lstrip("-* ").strip() for ln in markdown]
    return [ln for ln in lines if ln]


def test_notebook_partition_page_shows_the_outline(
    page, webserver, materialized, screenshots, capsys
):
    project, key = materialized
    event = project.instance.get_latest_materialization_event(dg.AssetKey("notebook"))
    assert event is not None and event.dagster_event.partition == key
    recorded = event.asset_materialization.metadata
    outline = _outline_lines(recorded["outline"].value.splitlines())
    assert len(outline) == recorded["sections"].value > 0

    page.goto(f"{webserver}/assets/notebook?view=partitions&partition={key}")
    metadata = page.locator("table", has_text="outline")
    metadata.wait_for()
    metadata.get_by_text(outline[-1], exact=False).wait_for()
    _save(page, "notebook_partition.png", screenshots, capsys)
    shown = page.inner_text("body")
    assert key in shown
    for line in outline:
        assert line in shown, f"outline line {line!r} not on the partition page"
