"""Replicas behind nginx (benchmarks/cluster.py): the real proxy, real `streamlit run` replicas,
protocol-level sessions, one real browser and an import in the middle, on the demo's district.

No timing threshold: the run's figures must all be there, every action must have succeeded,
every replica must have shown the import's new version, and no browser's affinity cookie may
have reached two replicas.
"""

import re
import shutil
import subprocess

import pytest

from benchmarks.cluster import ACTIONS, affinity, main, render_nginx

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
    for action in ACTIONS:  # each of the scripted mix ran and is in the table
        assert re.search(rf"^\| {action} \| [1-9]\d* \| \d+ \| \d+ \| \d+ \| 0 \|$", out, re.M), (action, out)
    assert re.search(r"^\| browser \S+ \| [1-9]", out, re.M), out
    assert len(re.findall(r"^replica \d: peak resident memory [1-9]\d+ MB", out, re.M)) == 2, out
    assert re.search(r"affinity: [1-9]\d* cookies, 0 reached two replicas", out), out
    shown = re.search(r"new version shown by each replica after the import's commit: (.*?);", out).group(1)
    assert re.fullmatch(r"\d+\.\d\d s, \d+\.\d\d s", shown), out
    assert "import: exit 0" in out and "error:" not in out
