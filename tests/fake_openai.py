"""A scriptable OpenAI-compatible chat server on a free local port, for exact provider behaviour.

Each request takes the next step of ``script`` (then ``ok`` forever): ``ok``, ``status:429``,
``status:500``, ``sleep:<s>`` (answer after a delay), ``garbage`` (200 whose message is not JSON),
``body_garbage`` (200 whose HTTP body is not JSON), ``slow_stream:<s>`` (stream, one chunk every
<s> seconds). Every request body is kept in ``received`` so tests can assert what left the process.
A classify prompt (prompts/classify_ticket.yaml) is answered with ``classification`` when set, else
with its first candidate and first intent at confidence 0.9. ``latency_s`` delays every answer (the
benchmark's fixed-latency model).
It is a real HTTP server (not a mock transport) because ChatOpenAI builds its own httpx client.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

USAGE = {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: list[str] = []
        self.received: list[dict[str, Any]] = []
        self.draft_text = "Thank you, {person}. Please check your bank statement as described in [{doc}]. If this does not help, reply and the team will follow up within 8 hours."
        self.review: dict[str, Any] = {"findings": []}
        self.classification: dict[str, Any] | None = None
        self.latency_s = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    def __enter__(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_step(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else "ok"

    def sent_text(self) -> str:
        """Everything the provider received, as one string."""
        return "\n".join(json.dumps(body, ensure_ascii=False) for body in self.received)

    def _answer(self, body: dict[str, Any]) -> str:
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if body.get("stream"):
            person = (re.findall(r"<PERSON_\d+>", prompt) or ["customer"])[0]
            doc = (re.findall(r"\[((?:KB|RB)-\d+)\]", prompt) or ["KB-0000"])[0]
            return self.draft_text.format(person=person, doc=doc)
        if "Candidates (category / subcategory" in prompt:
            if self.classification is not None:
                return json.dumps(self.classification)
            pair = re.search(r"^- ([^/\n]+?) / ([^:\n]+?)(?::|$)", prompt, re.MULTILINE)
            intents = re.search(r"^Intents: ([\w-]+)", prompt, re.MULTILINE)
            return json.dumps(
                {"category": pair.group(1) if pair else "?", "subcategory": pair.group(2) if pair else "?",
                 "intent": intents.group(1) if intents else "other", "confidence": 0.9}
            )
        return json.dumps(self.review)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.received.append(body)
                step = fake.next_step()
                if fake.latency_s:
                    time.sleep(fake.latency_s)
                if step.startswith("status:"):
                    code = int(step.split(":")[1])
                    payload = json.dumps({"error": {"message": "scripted", "type": "server_error", "code": code}}).encode()
                    self.send_response(code)
                    if code == 429:
                        self.send_header("retry-after", "0")
                    self._send(payload)
                    return
                if step.startswith("sleep:"):
                    time.sleep(float(step.split(":")[1]))
                if step == "body_garbage":
                    self.send_response(200)
                    self._send(b"<html>definitely not json", "text/html")
                    return
                text = "Sure! Here you go: {findings: [oops" if step == "garbage" else fake._answer(body)
                if body.get("stream"):
                    delay = float(step.split(":")[1]) if step.startswith("slow_stream:") else 0.0
                    self._stream(body, text, delay)
                    return
                self.send_response(200)
                self._send(json.dumps(_completion(body, text)).encode())

            def _send(self, payload: bytes, content_type: str = "application/json") -> None:
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, body: dict[str, Any], text: str, delay: float) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                try:
                    for event in _chunks(body, text):
                        self.wfile.write(f"data: {event}\n\n".encode())
                        self.wfile.flush()
                        if delay:
                            time.sleep(delay)
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        return Handler


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": USAGE,
    }


def _chunks(body: dict[str, Any], text: str) -> Iterator[str]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": body.get("model", "fake")}
    words = re.findall(r"\S+\s*", text)
    pieces = [" ".join(words[i : i + 4]) for i in range(0, len(words), 4)] or [""]
    for i, piece in enumerate(pieces):
        delta: dict[str, Any] = {"content": "".join(words[i * 4 : i * 4 + 4])}
        if i == 0:
            delta["role"] = "assistant"
        yield json.dumps({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    yield json.dumps({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    if (body.get("stream_options") or {}).get("include_usage"):
        yield json.dumps({**base, "choices": [], "usage": USAGE})
