"""End to end in a real browser: the app served by ``traitors replay`` (``streamlit run``) on a free port,
driven by Playwright in Debian's Chromium. Opens a game, steps through it, switches point of view, checks
what is visible, and saves screenshots (to ``$TRAITORS_SCREENSHOTS`` when set, else a temporary folder)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_app_data import HOSTILE, LLM_GAME, build_db
from traitors.events import Statement
from traitors.state import replay
from traitors.store import Store

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run installs it)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {proc.returncode}: {proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{base}/_stcore/health did not answer within {timeout} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of the app serving a fresh test database."""
    url = build_db(tmp_path_factory.mktemp("browser") / "games.db")
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "from traitors.cli import main; main()",
        "replay",
        "--db",
        url,
        "--port",
        str(port),
        "--no-browser",
    ]  # `traitors replay`, which runs `streamlit run app/main.py`
    log = (tmp_path_factory.getbasetemp() / "streamlit.log").open("w")
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        yield base, url
    finally:  # the server and anything it started: its own process group
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def settle(page) -> None:
    """Wait until the page's script run is over and its widgets and charts are drawn (for screenshots)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
    )
    # one check over the charts present at each poll: a list taken once could name a stale chart that the
    # rerun removes a moment later (its index then never resolves)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].every(p => p.querySelector('.main-svg'))"
    )
    page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("TRAITORS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_open_step_switch_point_of_view_in_chromium(served: tuple[str, str], shots: Path) -> None:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
    )
    expect = sync_api.expect
    base, url = served
    events = Store(url, create=False).load_events("paper-1")
    roles = replay(events).initial_roles
    faithful = sorted(p for p, r in roles.items() if r == "faithful")[0]
    night = next(e.seq for e in events if isinstance(e, Statement) and e.channel == "traitors")
    dialogs: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_default_timeout(60_000)  # a cold Chromium and first render on a loaded 2-core machine
        page.goto(base)
        page.get_by_text("5 games match.").wait_for()
        settle(page)
        page.screenshot(path=str(shots / "1-games.png"), full_page=True)
        page.get_by_role("combobox", name="Game").click()
        page.get_by_role("option", name="paper-1", exact=True).click()
        page.get_by_role("button", name="Open replay").click()
        page.get_by_text("Replay · paper-1").wait_for()
        for step in (1, 2):
            page.get_by_role("button", name="Next").click()
            page.get_by_text(f"Step {step} / {len(events) - 1}").wait_for()
        page.get_by_role("button", name="Prev").click()
        page.get_by_text(f"Step 1 / {len(events) - 1}").wait_for()
        page.goto(f"{base}/?game=paper-1&page=Replay&step={night}")  # the Traitors' first night talk
        page.get_by_text(f"Step {night} / {len(events) - 1}").wait_for()
        expect(page.get_by_text("Traitors' channel").first).to_be_visible()
        settle(page)
        page.screenshot(path=str(shots / "2-replay-omniscient.png"), full_page=True)
        page.get_by_role("combobox", name="Point of view").click()
        page.get_by_role("option", name=faithful, exact=True).click()
        page.get_by_text(f"(not seen by {faithful})").wait_for()
        expect(page.get_by_text("Traitors' channel")).to_have_count(0)  # stale elements go after the rerun
        page.get_by_role("tab", name="Player", exact=True).click()
        page.get_by_text(f"Knows: {faithful} is a faithful").wait_for()
        settle(page)
        page.screenshot(path=str(shots / "3-replay-as-player.png"), full_page=True)
        page.get_by_text("Autoplay").click()
        page.get_by_text(f"Step {night + 1} / {len(events) - 1}").wait_for()
        page.get_by_text("Autoplay").click()
        page.locator("label").filter(has_text="Trust").first.click()
        page.get_by_text("Trust network, day").wait_for()
        page.locator(".js-plotly-plot").first.wait_for()
        settle(page)
        page.screenshot(path=str(shots / "4-trust.png"), full_page=True)
        page.locator("label").filter(has_text="Compare").first.click()
        page.get_by_text("Per-game metrics (CSV)").wait_for()
        settle(page)
        page.screenshot(path=str(shots / "5-compare.png"), full_page=True)
        llm = Store(url, create=False).load_events(LLM_GAME)
        page.goto(f"{base}/?game={LLM_GAME}&page=Replay&pov=Alex&step={len(llm) - 1}")
        page.get_by_text(f"Step {len(llm) - 1} / {len(llm) - 1}").wait_for()
        page.get_by_text(HOSTILE + " (Alex)").first.wait_for(state="attached")
        assert page.locator("#injected").count() == 0 and page.locator("a[href^='javascript']").count() == 0
        page.get_by_role("tab", name="Player", exact=True).click()
        page.get_by_text("Raw reply").wait_for()
        settle(page)
        page.screenshot(path=str(shots / "6-llm-player.png"), full_page=True)
        browser.close()
    assert dialogs == []
