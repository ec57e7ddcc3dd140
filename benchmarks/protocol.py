"""A dashboard session spoken in Streamlit's own WebSocket protocol, without a browser.

What the browser's Streamlit client does, cut to what a load test needs: open
`/_stcore/stream` (subprotocol "streamlit"), send a `BackMsg.rerun_script` with the page, the
query string and the widgets' values, and read `ForwardMsg`s until `script_finished`. One such
session costs the server what a browser's does (a session, its script runs, the deltas
serialised and sent) and the client almost nothing, so one process drives dozens of them.

A run counts as an error when the page shows an exception (an `exception` element), the
server reports anything but a successful finish, the connection drops, or nothing comes
back within the timeout: a failure never becomes a number.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
VERSION_RE = re.compile(r'data-version="([^"]+)"')


class RunFailed(RuntimeError):
    pass


@dataclass
class RunResult:
    seconds: float
    messages: int = 0
    bytes: int = 0
    texts: list[str] = field(default_factory=list)  # markdown, heading and alert bodies, in order
    widgets: dict[str, str] = field(default_factory=dict)  # widget id -> element type
    exception: str | None = None

    @property
    def version(self) -> str | None:
        """The data version the frame drew (ui.build_frame's data stamp carries it)."""
        for text in self.texts:
            m = VERSION_RE.search(text)
            if m:
                return m.group(1)
        return None


def first_cookie(base_url: str, timeout: float = 30) -> str:
    """GET the app's page once, as a browser does before it opens the WebSocket, and return the
    Cookie header to send with it (the proxy's affinity cookie; nothing without a proxy)."""
    req = urllib.request.Request(base_url + "/")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        r.read()
        cookies = [h.split(";", 1)[0] for h in r.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


class Session:
    """One protocol-level session against `base_url` (http://host:port, a replica or the proxy)."""

    def __init__(self, base_url: str, cookie: str = "", timeout: float = 60, headers: dict | None = None):
        self.base_url = base_url
        self.cookie = cookie
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.ws = None
        self.widgets: dict[str, str] = {}
        self.query_string = ""

    async def connect(self) -> None:
        import websockets

        url = "ws" + self.base_url[len("http"):] + "/_stcore/stream"
        headers = {**self.headers, **({"Cookie": self.cookie} if self.cookie else {})} or None
        self.ws = await asyncio.wait_for(websockets.connect(
            url, subprotocols=["streamlit"], additional_headers=headers, max_size=None,
            open_timeout=self.timeout, ping_interval=None), self.timeout)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def run(self, page: str = "", query: str = "", widget_values: dict | None = None) -> RunResult:
        """Rerun the script on `page` (its url_path; "" the default page) with `query` as the
        address's query string and `widget_values` ({widget id: value}) changed."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = query
        cs.page_name = page
        for wid, value in (widget_values or {}).items():
            w = cs.widget_states.widgets.add()
            w.id = wid
            if isinstance(value, (list, tuple)):
                w.string_array_value.data.extend(str(v) for v in value)
            elif isinstance(value, bool):
                w.bool_value = value
            elif isinstance(value, int):
                w.int_value = value
            else:
                w.string_value = str(value)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        result = RunResult(seconds=0.0)
        deadline = t0 + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RunFailed(f"no script_finished within {self.timeout:.0f} s (page {page or 'default'!r})")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            result.messages += 1
            result.bytes += len(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                what = el.WhichOneof("type")
                if what in ("markdown", "heading", "alert"):  # text, titles, st.error / st.info …
                    result.texts.append(getattr(el, what).body)
                elif what == "exception":
                    result.exception = f"{el.exception.type}: {el.exception.message}"[:500]
                elif what and hasattr(getattr(el, what), "id") and getattr(el, what).id:
                    result.widgets[getattr(el, what).id] = what
            elif kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script called st.rerun(): its next run follows on this connection
                result.seconds = time.perf_counter() - t0
                if fm.script_finished not in FINISHED_OK:
                    raise RunFailed(f"script finished with status {fm.script_finished} (page {page or 'default'!r})")
                break
        self.widgets.update(result.widgets)
        if result.exception:
            raise RunFailed(f"exception on page {page or 'default'!r}: {result.exception}")
        return result

    def widget_id(self, suffix: str) -> str | None:
        """The id of a keyed widget seen so far whose key starts with `suffix` (ids end in -<key>)."""
        for wid in self.widgets:
            if wid.rsplit("-", 1)[-1].startswith(suffix):
                return wid
        return None


async def _warm(base_url: str, pages: list[str], timeout: float) -> None:
    s = Session(base_url, timeout=timeout)
    await s.connect()
    try:
        for page in pages:
            r = await s.run(page)
            print(f"{page or 'default page'}: {r.seconds * 1000:.0f} ms, {r.messages} messages")
    finally:
        await s.close()


def main(argv=None) -> int:
    """`python -m benchmarks.protocol URL [PAGE ...]`: run each page once in one session (a
    replica's readiness check: systemd's ExecStartPost in deploy/systemd); exit 1 on any error."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(prog="python -m benchmarks.protocol", description=main.__doc__)
    ap.add_argument("url", help="the replica, e.g. http://127.0.0.1:8501")
    ap.add_argument("pages", nargs="*", default=[""], help='url paths ("" the default page)')
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--wait", type=float, default=120, help="seconds to wait for the replica's health endpoint")
    a = ap.parse_args(argv)
    deadline = time.time() + a.wait
    while True:
        try:
            with urllib.request.urlopen(a.url.rstrip("/") + "/_stcore/health", timeout=5) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            pass
        if time.time() > deadline:
            print(f"{a.url} did not answer within {a.wait:.0f} s", file=sys.stderr)
            return 1
        time.sleep(0.5)
    try:
        asyncio.run(_warm(a.url.rstrip("/"), a.pages or [""], a.timeout))
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
