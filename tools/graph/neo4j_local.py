"""A real Neo4j on a machine without Docker: Neo4j Community, embedded in a small Java launcher.

``tools/neo4j-local/`` holds a pom.xml and one class that starts a ``DatabaseManagementService``
with the Bolt connector on ``127.0.0.1:<port>`` and its store in a data directory. Maven resolves
Neo4j from Maven Central once (into ``~/.m2``); :func:`build_launcher` compiles the class into
``var/neo4j-local/<hash of pom and source>/`` and records the dependency classpath there, so later
calls (the dev stack, each test session) reuse it without running Maven. :func:`start_neo4j`
starts a server and waits until its default database answers a query.

    launcher = build_launcher()                       # ~25 s on an empty ~/.m2, ~15 s warm, 0 s cached
    process = start_neo4j(Path("var/neo4j"), 7687)    # ~10 s to the first answered query
    ...
    stop_neo4j(process)
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Sequence

from core.errors import ConfigurationError, StoreUnavailableError
from core.settings import PROJECT_ROOT

LAUNCHER_DIR = PROJECT_ROOT / "tools" / "neo4j-local"
MAIN_CLASS = "dev.triagedesk.neo4jlocal.Neo4jLocal"
DEFAULT_JVM_OPTIONS = ("-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
"""Small heap, serial GC and the C1 compiler only: a dev/test server starts in about half the time
(C2 pays off only in long benchmark runs; ``bench/graph.py`` passes ``jvm_options=()``)."""


@dataclass(frozen=True)
class Neo4jLauncher:
    """The compiled launcher: its jar and the Neo4j jars it runs with."""

    jar: Path
    classpath: tuple[Path, ...]
    java: str = "java"

    def command(self, data_dir: Path, port: int, password: str | None = None, jvm_options: Sequence[str] = DEFAULT_JVM_OPTIONS) -> list[str]:
        classpath = os.pathsep.join(str(p) for p in (self.jar, *self.classpath))
        command = [self.java, *jvm_options, "-cp", classpath, MAIN_CLASS, "--port", str(port), "--data-dir", str(data_dir)]
        if password:
            command += ["--password", password]
        return command


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([LAUNCHER_DIR / "pom.xml", *LAUNCHER_DIR.joinpath("src").rglob("*.java")]):
        digest.update(path.relative_to(LAUNCHER_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if not java:
        raise ConfigurationError("Neo4j needs Java 17 or later on PATH (or JAVA_HOME)")
    return java


def _cached(build_dir: Path, java: str) -> Neo4jLauncher | None:
    jar, classpath_file = build_dir / "neo4j-local.jar", build_dir / "classpath.txt"
    if not (jar.exists() and classpath_file.exists()):
        return None
    classpath = tuple(Path(p) for p in classpath_file.read_text().strip().split(os.pathsep) if p)
    if not classpath or not all(p.exists() for p in classpath):
        return None  # ~/.m2 was cleaned: resolve again
    return Neo4jLauncher(jar=jar, classpath=classpath, java=java)


def build_launcher(state_dir: Path | None = None, *, offline_first: bool = True) -> Neo4jLauncher:
    """Compile the launcher once per pom/source version (Maven; Neo4j's jars come from Maven Central).

    Concurrent callers (a test session and the dev stack) serialise on a lock file; the second
    finds the first one's build. ``offline_first`` tries ``mvn -o`` before going to the network,
    which saves ~5 s of metadata checks on a warm ``~/.m2``.
    """
    java = _java()
    root = (state_dir or PROJECT_ROOT / "var") / "neo4j-local"
    build_dir = root / _source_hash()
    launcher = _cached(build_dir, java)
    if launcher:
        return launcher
    mvn = shutil.which("mvn")
    if not mvn:
        raise ConfigurationError("building the Neo4j launcher needs Maven (mvn) on PATH")
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        launcher = _cached(build_dir, java)
        if launcher:
            return launcher
        base = [mvn, "-B", "-q", "-f", str(LAUNCHER_DIR / "pom.xml"), f"-Dlauncher.buildDir={build_dir}", "package"]
        attempts = [[*base[:3], "-o", *base[3:]], base] if offline_first else [base]
        output = ""
        for command in attempts:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900)
            if done.returncode == 0:
                break
            output = (done.stdout + done.stderr)[-4000:]
        else:
            raise ConfigurationError(f"Maven could not build the Neo4j launcher:\n{output}")
    launcher = _cached(build_dir, java)
    if launcher is None:
        raise ConfigurationError(f"Maven ran but {build_dir} has no launcher jar or classpath")
    return launcher


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_neo4j(
    data_dir: Path,
    port: int,
    *,
    password: str | None = None,
    launcher: Neo4jLauncher | None = None,
    jvm_options: Sequence[str] = DEFAULT_JVM_OPTIONS,
    log: IO[bytes] | Path | None = None,
    wait: bool = True,
    timeout_s: float = 120.0,
) -> subprocess.Popen[bytes]:
    """Start Neo4j on ``127.0.0.1:port`` with its store in ``data_dir``; by default wait until it answers.

    The server's output goes to ``log`` (an open binary file or a path), by default
    ``<data_dir>/launcher.log``. Without ``password`` authentication is off (it listens on loopback
    only); with one, user ``neo4j`` gets it. The caller owns the process: :func:`stop_neo4j` it.
    """
    launcher = launcher or build_launcher()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    own_log = not hasattr(log, "write")
    log_path = Path(log or data_dir / "launcher.log") if own_log else None  # type: ignore[arg-type]
    log_offset = log_path.stat().st_size if log_path and log_path.exists() else 0
    log_target: IO[bytes] = open(log_path, "ab") if log_path else log  # type: ignore[arg-type,assignment]
    try:
        process = subprocess.Popen(
            launcher.command(data_dir, port, password, jvm_options),
            stdout=log_target,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal reaches the dev stack, which stops us in order
        )
    finally:
        if own_log:
            log_target.close()  # the child has its own descriptor
    if wait:
        try:
            wait_for_neo4j(port, password=password, process=process, timeout_s=timeout_s, ready_log=(log_path, log_offset) if log_path else None)
        except BaseException:
            stop_neo4j(process)
            raise
    return process


def wait_for_neo4j(
    port: int,
    *,
    password: str | None = None,
    process: subprocess.Popen[bytes] | None = None,
    timeout_s: float = 120.0,
    ready_log: tuple[Path, int] | None = None,
) -> float:
    """Block until Neo4j on ``port`` answers ``RETURN 1``; the seconds waited.

    With ``ready_log`` (the launcher's log and the offset its output starts at) the launcher's
    ``NEO4J_READY`` line is awaited first: Bolt listens before the password is set, and probing it
    with the password then trips Neo4j's authentication rate limit.
    """
    import neo4j

    started = time.monotonic()
    auth = ("neo4j", password) if password else None
    while True:
        if process is not None and process.poll() is not None:
            raise StoreUnavailableError(f"Neo4j exited with code {process.returncode} before it served Bolt on port {port}")
        if time.monotonic() - started > timeout_s:
            raise StoreUnavailableError(f"Neo4j did not answer on port {port} within {timeout_s:.0f} s")
        if ready_log is not None:
            with open(ready_log[0], "rb") as output:
                output.seek(ready_log[1])
                if b"NEO4J_READY" not in output.read():
                    time.sleep(0.1)
                    continue
        try:
            with neo4j.GraphDatabase.driver(
                f"bolt://127.0.0.1:{port}", auth=auth, connection_timeout=2.0, max_transaction_retry_time=0
            ) as driver:
                driver.execute_query("RETURN 1")
            return time.monotonic() - started
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired, neo4j.exceptions.TransientError, OSError):
            pass
        except neo4j.exceptions.AuthError:
            pass  # Bolt serves before the launcher has set the password
        except neo4j.exceptions.Neo4jError as exc:  # database still starting
            if "unavailable" not in str(exc).lower():
                raise
        time.sleep(0.25)


def stop_neo4j(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """SIGTERM (Neo4j shuts down cleanly), then SIGKILL after ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
