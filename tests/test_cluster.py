"""Replicas behind nginx (benchmarks/cluster.py): the real proxy, real `streamlit run` replicas,
protocol-level sessions, one real browser and an import in the middle, on the demo's district.

No timing threshold: the run's figures must all be there, every action must have succeeded,
every replica must have shown the import's new version, and no browser's affinity cookie may
have reached two replicas.
"""

import re
import shutil
import subprocess
import time

import pytest

# replicas, nginx and browsers: on one worker, so two deployments never compete for the cores
pytestmark = pytest.mark.xdist_group("cluster")

from benchmarks.cluster import ACTIONS, affinity, main, render_nginx
from serve import healthy

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _need(path: str, what: str):
    import os
    from pathlib import Path

    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {what} (.ci/run does)")
        pytest.skip(f"{what} is not installed")


def test_the_template_renders_to_a_configuration_nginx_accepts(tmp_path):
    _need(NGINX, "Debian's nginx")
    from benchmarks.cluster import nginx_main_conf

    site = tmp_path / "site.conf"
    site.write_text(render_nginx("127.0.0.1:8080", ["127.0.0.1:8501", "127.0.0.1:8502"], str(tmp_path / "a.log")))
    text = site.read_text()
    assert "hash $tm_route_key consistent;" in text and "server 127.0.0.1:8502" in text
    assert "${" not in "".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    (tmp_path / "nginx-tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(nginx_main_conf(tmp_path, site))
    out = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_affinity_counts_a_cookie_that_reached_two_replicas(tmp_path):
    log = tmp_path / "access.log"
    log.write_text('1 200 "GET / HTTP/1.1" route=a upstream=127.0.0.1:1 0.1\n'
                   '2 101 "GET /_stcore/stream HTTP/1.1" route=a upstream=127.0.0.1:1 9.0\n'
                   '3 200 "GET / HTTP/1.1" route=b upstream=127.0.0.1:2 0.1\n'
                   '4 101 "GET /_stcore/stream HTTP/1.1" route=b upstream=127.0.0.1:1, 127.0.0.1:2 3.0\n'
                   '5 200 "GET / HTTP/1.1" route=c upstream=127.0.0.1:1 0.1\n'
                   '6 200 "GET / HTTP/1.1" route=c upstream=127.0.0.1:2 0.1\n')
    a = affinity(log, {"127.0.0.1:1": 0, "127.0.0.1:2": 1})
    assert a["requests"] == {0: 3, 1: 3} and a["keys"] == 3 and a["keys_on_two_replicas"] == 1
    assert a["cookies"] == {0: 1, 1: 1}  # a on the first, b on the second; c on both counts for neither


@pytest.mark.browser
def test_two_replicas_behind_nginx_serve_sessions_and_show_an_import(demo_dir, tmp_path, capsys):
    _need(NGINX, "Debian's nginx")
    _need("/usr/bin/chromium", "Debian's chromium")
    code = main(["--replicas", "2", "--sessions", "4", "--browsers", "1", "--duration", "10", "--min-actions", "6", "--tier", "district",
                 "--store", "local", "--data-dir", str(demo_dir), "--json", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert re.fullmatch(r"p95 \d+ ms, errors 0, sessions 4, replicas 2", lines[-1]), out
    assert code == 0, out
    rows = re.findall(r"^\| (\w+) \| ([1-9]\d*) \| \d+ \| \d+ \| \d+ \| 0 \|$", out, re.M)
    ran = {name for name, _ in rows}
    assert ran <= set(ACTIONS), out
    # the whole mix (each session runs six actions); on a machine so busy that an action takes
    # most of a minute, a session may stop short of it: then at least half the mix
    assert len(ran) >= 3 and ("overview" in ran or "as_of" in ran), out
    assert re.search(r"^\| browser \S+ \| [1-9]", out, re.M), out
    assert len(re.findall(r"^replica \d: peak resident memory [1-9]\d+ MB", out, re.M)) == 2, out
    assert re.search(r"affinity: [1-9]\d* cookies, 0 reached two replicas", out), out
    shown = re.search(r"new version shown by each replica after the import's commit: (.*?);", out).group(1)
    assert re.fullmatch(r"\d+\.\d\d s, \d+\.\d\d s", shown), out
    assert "import: exit 0" in out and "error:" not in out


def _serving(ports: dict[int, int]) -> int:
    """The replica (index) that holds the screen's WebSocket: the one with an established TCP
    connection on its port (nginx's log names a WebSocket only once it has ended)."""
    held = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            port = int(local.rsplit(":", 1)[1], 16)
            if state == "01" and port in ports:  # ESTABLISHED, on a replica's listening port
                held.add(ports[port])
    assert len(held) == 1, f"expected one replica holding the screen, found {sorted(held)}"
    return held.pop()


@pytest.mark.browser
@pytest.mark.system  # holds the 10 s bound, which four workers on two cores can break: `uv run pytest -m system`
def test_meeting_screen_resumes_its_rotation_when_its_replica_is_killed(demo_dir, tmp_path):
    """A meeting screen behind nginx on two replicas: the replica serving it is killed (SIGKILL,
    as a crash), and later the other one, after the first came back (systemd's Restart=). Each
    time the screen reconnects by itself, keeps its place and set-up (the URL) and moves on to
    the next unit's card within 10 s. Screenshots before and after: tests/artifacts/cluster/."""
    _need(NGINX, "Debian's nginx")
    _need("/usr/bin/chromium", "Debian's chromium")
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from benchmarks.cluster import nginx, replicas, restart
    from serve import CHROMIUM, CHROMIUM_ARGS

    shots = Path(__file__).parent / "artifacts" / "cluster"
    shots.mkdir(parents=True, exist_ok=True)
    query = "views=units&interval=5&dwell=units:5&lang=zh"
    with replicas(2, demo_dir, tmp_path) as reps, nginx(tmp_path, [f"127.0.0.1:{r.port}" for r in reps]) as (url, log):
        ports = {r.port: i for i, r in enumerate(reps)}
        import asyncio
        import threading

        from benchmarks.cluster import warm_up

        def ready(urls):
            """Each replica has drawn the meeting screen once, as a deployment's readiness check does
            before it sends a replica traffic (its own thread: Playwright's sync API holds a loop)."""
            th = threading.Thread(target=lambda: asyncio.run(warm_up(urls, page="meeting")))
            th.start()
            th.join(120)

        ready([r.url for r in reps])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.goto(f"{url}/meeting?{query}")

                def card(timeout=60_000) -> str:
                    el = page.wait_for_selector(".mt-stage [data-unit]", state="visible", timeout=timeout)
                    return el.get_attribute("data-unit")

                def next_card(after: str, timeout_s: float) -> tuple[str, float]:
                    t0 = time.time()
                    page.wait_for_function(
                        "(u) => { const e = document.querySelector('.mt-stage [data-unit]');"
                        " return e && e.getAttribute('data-unit') !== u; }", arg=after, polling=100,
                        timeout=timeout_s * 1000)
                    return card(), time.time() - t0

                next_card(card(), 30)  # it rotates

                def position() -> int:
                    return int(re.search(r"[?&]page=(\d+)", page.url).group(1))
                for round_no in (1, 2):
                    victim = _serving(ports)
                    shown, at = card(), position()
                    page.screenshot(path=str(shots / f"meeting_before_kill_{round_no}.png"))
                    reps[victim].proc.kill()  # the replica serving the screen dies
                    killed_at = time.time()
                    held = None
                    while held in (None, victim) and time.time() - killed_at < 40:  # the screen taken over
                        try:
                            held = _serving(ports)
                        except AssertionError:
                            held = None
                        time.sleep(0.1)
                    reconnected = time.time() - killed_at
                    state = "() => document.querySelector(\"[data-testid='stApp']\").getAttribute('data-test-script-state')"
                    page.wait_for_function(f"({state})() === 'running'", polling=50, timeout=40_000)
                    page.wait_for_function(f"({state})() === 'notRunning'", polling=50, timeout=40_000)
                    live = time.time() - killed_at  # the new replica has drawn the screen
                    kept, kept_at = card(), position()
                    # the place kept (the address): the card shown before the kill, or the next one
                    # had the rotation just moved on (or wrapped round to the first)
                    assert (kept == shown and kept_at == at) or kept_at in (at + 1, 1), (at, kept_at, shown, kept)
                    after, _ = next_card(kept, 40)
                    moved = time.time() - killed_at
                    page.screenshot(path=str(shots / f"meeting_after_kill_{round_no}.png"))
                    print(f"round {round_no}: replica {victim} killed; WebSocket on replica {held} after "
                          f"{reconnected:.1f} s, screen drawn again after {live:.1f} s, next card after {moved:.1f} s "
                          f"({shown} -> {after})")
                    assert live <= 10, f"round {round_no}: the screen was drawn again only after {live:.1f} s"
                    assert moved <= live + 5 + 2, f"round {round_no}: no next card {moved - live:.1f} s after redrawn"
                    assert _serving(ports) != victim
                    assert page.locator("[data-testid='stException']").count() == 0
                    # the set-up and the place survived: the URL, and the rotation moved one card on
                    assert "views=units" in page.url and "interval=5" in page.url and "dwell=units%3A5" in page.url \
                        or "dwell=units:5" in page.url, page.url
                    restart(reps[victim])  # systemd's Restart= brings it back
                    deadline = time.time() + 60
                    while not healthy(reps[victim].url):
                        assert time.time() < deadline, "the killed replica did not come back"
                        time.sleep(0.2)
                    ready([reps[victim].url])
            finally:
                browser.close()


def test_a_replica_behind_a_proxy_refuses_other_computers_without_login(demo_dir, tmp_path):
    """本机模式 (no login configured) is for this computer: a replica on 127.0.0.1 behind nginx
    sees every browser come from 127.0.0.1, so a session that the proxy forwarded from another
    address gets the "login is not configured" page and no data; this computer still gets in."""
    import asyncio

    from benchmarks.cluster import replicas
    from benchmarks.protocol import Session

    async def titles(url: str, forwarded: str | None) -> str:
        s = Session(url, timeout=120, headers={"X-Forwarded-For": forwarded} if forwarded else None)
        await s.connect()
        try:
            return " ".join((await s.run("")).texts)
        finally:
            await s.close()

    with replicas(1, demo_dir, tmp_path) as (r,):
        remote = asyncio.run(titles(r.url, "10.20.30.40, 127.0.0.1"))
        spoofed = asyncio.run(titles(r.url, "127.0.0.1, 192.168.1.9"))
        local = asyncio.run(titles(r.url, None))
        via_local_proxy = asyncio.run(titles(r.url, "127.0.0.1"))
    for refused in (remote, spoofed):
        assert "未配置登录" in refused and "data-version" not in refused, refused[:500]
    for admitted in (local, via_local_proxy):
        assert "未配置登录" not in admitted and "data-version" in admitted, admitted[:500]
