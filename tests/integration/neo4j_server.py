"""A real Neo4j for the test session: the launcher from tools/neo4j-local (built with Maven once, cached under var/)."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from tools.graph.neo4j_local import Neo4jLauncher, build_launcher, free_port, start_neo4j, stop_neo4j

PASSWORD = "test-graph-password"


@dataclass
class LocalNeo4j:
    """One Neo4j server process that a test may stop and start again on the same port and data."""

    launcher: Neo4jLauncher
    data_dir: Path
    port: int
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None
    start_seconds: list[float] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def start(self) -> None:
        started = time.monotonic()
        self.process = start_neo4j(self.data_dir, self.port, password=self.password, launcher=self.launcher)
        self.start_seconds.append(time.monotonic() - started)

    def stop(self) -> None:
        if self.process is not None:
            stop_neo4j(self.process)
            self.process = None


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    """Neo4j Community on a free loopback port with its own data directory, for the whole session."""
    server = LocalNeo4j(launcher=build_launcher(), data_dir=tmp_path_factory.mktemp("neo4j"), port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
