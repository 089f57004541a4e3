"""Compiled LangGraph graphs, once per worker process.

The LangGraph plugin hands every workflow run the same registered ``StateGraph``; compiling it is
pure (no I/O, no randomness) and took ~6 ms of each run's first workflow task, so the worker compiles
each graph once and every run invokes that compiled form (LangGraph's compiled graphs keep no
per-invocation state; concurrent ``ainvoke`` calls are independent).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.langgraph import graph

_compiled: dict[int, tuple[Any, Any]] = {}
"""Registered graph (by identity) -> (that graph, its compiled form); holding the graph keeps its id from being reused."""


def compiled(name: str) -> Any:
    """The compiled form of the graph registered as ``name`` (compiled on first use in this process)."""
    registered = graph(name)
    entry = _compiled.get(id(registered))
    if entry is None or entry[0] is not registered:
        entry = _compiled[id(registered)] = (registered, registered.compile())
    return entry[1]
