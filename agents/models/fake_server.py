"""A local OpenAI-compatible server for tests and benchmarks (stdlib only; no model, no network).

It answers ``/v1/chat/completions`` (plain, streaming SSE, ``response_format`` json_schema/json_object,
forced ``tools``) with deterministic JSON that fits the request's schema (speeches of ``speech_chars``
characters), reports usage (with prefix ``cached_tokens`` like a prefix cache), sleeps a fixed latency,
enforces the token limit (a longer answer is cut and ends with ``finish_reason: "length"``), can think like
a reasoning model (``reasoning_tokens`` hidden tokens per answer, counted in the limit and reported in
``completion_tokens_details``), rejects strict schemas with keywords OpenAI's strict mode refuses, and injects
faults: 429 with Retry-After, 500, timeouts, malformed JSON, unknown names, empty content, refusals and
replies cut at the limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from agents.models.base import _TOKEN
from agents.models.fake_answers import (
    SPEECH_CHARS,
    common_prefix,
    digest,
    envelope,
    fake_value,
    schema_in_prompt,
    unknown_name,
)

TRANSPORT_FAULTS = ("rate_limit", "server_error", "timeout")
CONTENT_FAULTS = ("malformed", "unknown_name", "empty", "refusal", "length")
#: Schema keywords OpenAI's strict structured outputs refuse (a 400 naming the keyword).
STRICT_REFUSED = ("maxLength", "minLength")
#: Hidden reasoning per answer by ``reasoning_effort``, as a share of ``reasoning_tokens``.
EFFORT_SHARE = {"minimal": 0.25, "low": 0.5, "medium": 1.0, "high": 2.0}


class FakeOpenAI:
    """The server. ``faults`` maps a fault name to its rate (drawn per request body, first sight only);
    ``script`` is a list of faults served, in order, to the next requests before any drawn one.
    ``rejects`` names request parameters answered with OpenAI's 400 for reasoning models (``max_tokens``,
    ``temperature`` other than 1, or any other name); with ``key``, any other bearer key gets a 401. Answers
    report ``model`` (the requested name, or ``served_model``) and ``system_fingerprint``. ``speech_chars``
    is the length of speeches (a ``text`` field beside ``accuses``). With ``reasoning_tokens`` the server
    thinks like a reasoning model: each answer first spends that many hidden tokens (scaled by the request's
    ``reasoning_effort``: minimal ¼, low ½, medium 1, high 2), which count against ``max_completion_tokens``
    / ``max_tokens`` and are reported in ``usage.completion_tokens_details.reasoning_tokens``."""

    def __init__(
        self,
        latency: float = 0.0,
        faults: dict[str, float] | None = None,
        script: list[str] | None = None,
        supports: tuple[str, ...] = ("json_schema", "tools", "json_object"),
        timeout_sleep: float = 1.0,
        retry_after: float = 0.05,
        rejects: tuple[str, ...] = (),
        key: str | None = None,
        served_model: str | None = None,
        fingerprint: str = "fp_fake",
        speech_chars: int = SPEECH_CHARS,
        reasoning_tokens: int = 0,
    ) -> None:
        self.latency, self.faults, self.script = latency, dict(faults or {}), list(script or [])
        self.supports, self.timeout_sleep, self.retry_after = supports, timeout_sleep, retry_after
        self.rejects, self.key = tuple(rejects), key
        self.served_model, self.fingerprint = served_model, fingerprint
        self.speech_chars, self.reasoning_tokens = speech_chars, reasoning_tokens
        self.requests: list[dict[str, Any]] = []
        self.injected: Counter[str] = Counter()
        self.auth_headers: list[str] = []
        self.inflight = self.max_inflight = 0
        self._seen: Counter[str] = Counter()
        self._prompts: list[list[str]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``."""
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        """Serve on a free loopback port in a daemon thread."""
        handler = type("Handler", (_Handler,), {"server_ref": self, "disable_nagle_algorithm": True})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def pick_fault(self, raw: bytes) -> str | None:
        """The fault for this request body: scripted first, else drawn on the body's first sight."""
        key = hashlib.sha256(raw).hexdigest()
        with self._lock:
            if self.script:
                fault = self.script.pop(0)
            else:
                self._seen[key] += 1
                fault = None
                if self._seen[key] == 1:
                    u, acc = (digest(key) % 10_000) / 10_000, 0.0
                    for name, rate in sorted(self.faults.items()):
                        acc += rate
                        if u < acc:
                            fault = name
                            break
            return fault if fault != "none" else None

    def count(self, fault: str | None) -> str | None:
        """Count a fault that is actually served."""
        if fault:
            with self._lock:
                self.injected[fault] += 1
        return fault

    def cached_prefix(self, tokens: list[str]) -> int:
        """Longest token prefix shared with a recent prompt (a simulated prefix cache)."""
        with self._lock:
            recent = self._prompts[-16:]
            self._prompts.append(tokens)
        return max((common_prefix(tokens, other) for other in recent), default=0)

    def stats(self) -> dict[str, Any]:
        """Counters for benchmarks: requests served, most requests in flight at once, faults injected."""
        with self._lock:
            return {
                "requests": len(self.requests),
                "max_inflight": self.max_inflight,
                "injected": dict(self.injected),
            }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # socketserver's default (5) drops bursts of connections: 1 s SYN retries


class _Handler(BaseHTTPRequestHandler):
    server_ref: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: object) -> None:
        """Stay quiet."""

    def _wait(self) -> None:
        """Sleep what is left of the latency: the response time is the latency, however long the work."""
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            self._deadline = None
            time.sleep(max(0.0, deadline - time.perf_counter()))

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self._wait()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """``/stats``: the server's counters."""
        if self.path.rstrip("/").endswith("/stats"):
            return self._send(200, self.server_ref.stats())
        return self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        """``/v1/chat/completions``: record the request, answer (or fail) after exactly the latency."""
        started = time.perf_counter()
        srv = self.server_ref
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.loads(raw)
        with srv._lock:
            srv.requests.append(body)
            srv.auth_headers.append(self.headers.get("Authorization", ""))
        if not self.path.endswith("/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        refused = refusal_of(srv, self.headers.get("Authorization", ""), body)
        if refused is not None:
            return self._send(*refused)
        fault = srv.pick_fault(raw)
        with srv._lock:
            srv.inflight += 1
            srv.max_inflight = max(srv.max_inflight, srv.inflight)
        try:
            self._deadline = started + srv.latency
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer(srv, body, fault)
        finally:
            with srv._lock:
                srv.inflight -= 1

    def _answer(self, srv: FakeOpenAI, body: dict[str, Any], fault: str | None) -> None:
        if fault in TRANSPORT_FAULTS:
            srv.count(fault)
        if fault == "rate_limit":
            return self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": str(srv.retry_after)})
        if fault == "server_error":
            return self._send(500, {"error": {"message": "boom"}})
        if fault == "timeout":
            time.sleep(srv.timeout_sleep)
            return self._send(504, {"error": {"message": "late"}})
        fmt = (body.get("response_format") or {}).get("type")
        tools = body.get("tools")
        if (fmt and fmt not in srv.supports) or (tools and "tools" not in srv.supports):
            what = fmt if fmt and fmt not in srv.supports else "tools"
            return self._send(400, {"error": {"message": f"{what} is not supported by this server"}})
        refused = strict_refusal(body)
        if refused is not None:
            return self._send(400, refused)
        messages = body["messages"]
        salt = digest(json.dumps(messages, sort_keys=True), body.get("seed"))
        schema = None
        if fmt == "json_schema":
            schema = body["response_format"]["json_schema"]["schema"]
        elif tools:
            schema = tools[0]["function"]["parameters"]
        else:
            schema = schema_in_prompt(messages)
        chars = srv.speech_chars
        value = fake_value(schema, salt, chars) if schema else fake_value({"type": "string"}, salt, chars)
        content = json.dumps(value) if schema else value
        if fault in ("malformed", "unknown_name") and not schema:
            fault = None  # free text has no JSON to break
        srv.count(fault)
        refusal = None
        finish = "stop"
        if fault == "malformed":
            content = content[: max(1, len(content) // 2)] + " oops"
        elif fault == "unknown_name" and schema:
            content = (
                content.replace('"', '"Zorro', 1)
                if "enum" not in json.dumps(schema)
                else (json.dumps(unknown_name(fake_value(schema, salt, chars), schema)))
            )
        elif fault == "empty":
            content = ""
        elif fault == "refusal":
            content, refusal = None, "I'm sorry, I can't help with that."
        elif fault == "length":
            content, finish = content[: max(1, len(content) // 2)], "length"
        thought = thinking(srv, body)
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if content is not None and isinstance(limit, int):
            content, cut = cut_to(content, limit - thought)
            finish = "length" if cut else finish
            thought = min(thought, limit)
        prompt = [t for m in messages for t in _TOKEN.findall(str(m.get("content") or ""))]
        usage = {
            "prompt_tokens": len(prompt) + 4 * len(messages),
            "completion_tokens": len(_TOKEN.findall(content or refusal or "")) + thought,
            "prompt_tokens_details": {"cached_tokens": srv.cached_prefix(prompt)},
            "completion_tokens_details": {"reasoning_tokens": thought},
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
        if tools and content is not None and fault != "empty":
            name = tools[0]["function"]["name"]
            call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": content}}
            message.update(content=None, tool_calls=[call])
            finish = "tool_calls" if finish == "stop" else finish
        if body.get("stream"):
            return self._stream(body, message, usage, finish)
        choice = {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
        self._send(200, self._envelope(srv, body, "chat.completion", choices=[choice], usage=usage))

    def _envelope(self, srv: FakeOpenAI, body: dict[str, Any], obj: str, **fields: Any) -> dict[str, Any]:
        model = srv.served_model or body.get("model", "fake")
        served = {"model": model, "system_fingerprint": srv.fingerprint}
        return {**envelope(body, obj, **fields), **served}

    def _stream(self, body: dict, message: dict, usage: dict, finish: str) -> None:
        srv = self.server_ref
        self._wait()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        text = message.get("content") or ""
        pieces = [text[i : i + 16] for i in range(0, len(text), 16)] or [""]
        chunks = [{"index": 0, "delta": {"role": "assistant", "content": p}} for p in pieces]
        chunks.append({"index": 0, "delta": {}, "finish_reason": finish})
        for choice in chunks:
            event = self._envelope(srv, body, "chat.completion.chunk", choices=[choice])
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        if (body.get("stream_options") or {}).get("include_usage"):
            event = self._envelope(srv, body, "chat.completion.chunk", choices=[], usage=usage)
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def thinking(srv: FakeOpenAI, body: dict[str, Any]) -> int:
    """The hidden reasoning tokens this answer spends (0 unless the server thinks)."""
    share = EFFORT_SHARE.get(str(body.get("reasoning_effort", "medium")), 1.0)
    return int(srv.reasoning_tokens * share)


def cut_to(content: str, budget: int) -> tuple[str, bool]:
    """``content`` cut after ``budget`` tokens (none when the budget is spent), and whether it was cut."""
    tokens = list(_TOKEN.finditer(content))
    if len(tokens) <= budget:
        return content, False
    return (content[: tokens[budget - 1].end()] if budget > 0 else ""), True


def _keywords(node: Any, path: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]] | None:
    """The first refused keyword in a schema, and where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in STRICT_REFUSED:
                return key, path
            found = _keywords(value, (*path, key))
            if found:
                return found
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found = _keywords(value, (*path, str(i)))
            if found:
                return found
    return None


def strict_refusal(body: dict[str, Any]) -> dict[str, Any] | None:
    """OpenAI's 400 for a strict ``json_schema`` holding a keyword strict mode refuses (``None`` if fine)."""
    fmt = body.get("response_format") or {}
    spec = fmt.get("json_schema") or {}
    if fmt.get("type") != "json_schema" or not spec.get("strict"):
        return None
    found = _keywords(spec.get("schema"))
    if found is None:
        return None
    key, path = found
    message = (
        f"Invalid schema for response_format '{spec.get('name', 'answer')}': In context={path!r}, "
        f"'{key}' is not permitted."
    )
    return {"error": {"message": message, "type": "invalid_request_error", "param": "response_format",
                      "code": "invalid_json_schema"}}  # fmt: skip


def refusal_of(srv: FakeOpenAI, authorization: str, body: dict[str, Any]) -> tuple[int, dict] | None:
    """The (status, body) OpenAI would answer instead of a completion: 401 for a wrong key, 400 for a
    parameter the server rejects (as its reasoning models do); ``None`` to answer normally."""
    if srv.key is not None and authorization != f"Bearer {srv.key}":
        given = authorization.removeprefix("Bearer ")
        shown = f"{given[:3]}***{given[-4:]}" if len(given) > 8 else "***"
        message = f"Incorrect API key provided: {shown}. You can find your API key in your account settings."
        return 401, {"error": {"message": message, "type": "invalid_request_error", "param": None,
                               "code": "invalid_api_key"}}  # fmt: skip
    for param in srv.rejects:
        if param not in body or (param == "temperature" and body[param] == 1):
            continue
        if param == "temperature":
            message = (
                f"Unsupported value: 'temperature' does not support {body[param]} with this model. Only the "
                "default (1) value is supported."
            )
            code = "unsupported_value"
        else:
            message = f"Unsupported parameter: '{param}' is not supported with this model."
            if param == "max_tokens":
                message += " Use 'max_completion_tokens' instead."
            code = "unsupported_parameter"
        return 400, {"error": {"message": message, "type": "invalid_request_error", "param": param,
                               "code": code}}  # fmt: skip
    return None


def main() -> None:
    """``python -m agents.models.fake_server [--latency S] [--port N] [--speech-chars N]
    [--reasoning-tokens N] [--rejects max_tokens,temperature]``: serve until interrupted; prints the base URL
    (benchmarks run it in its own process, as a real server would be)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--speech-chars", type=int, default=SPEECH_CHARS, help="length of fake speeches")
    parser.add_argument("--reasoning-tokens", type=int, default=0, help="hidden tokens per answer")
    parser.add_argument("--rejects", default="", help="parameters to reject, comma-separated")
    args = parser.parse_args()
    if args.speech_chars < 1 or args.reasoning_tokens < 0:
        parser.error("--speech-chars must be positive and --reasoning-tokens not negative")
    rejects = tuple(p for p in args.rejects.split(",") if p)
    server = FakeOpenAI(
        latency=args.latency,
        speech_chars=args.speech_chars,
        reasoning_tokens=args.reasoning_tokens,
        rejects=rejects,
    )
    handler = type("Handler", (_Handler,), {"server_ref": server, "disable_nagle_algorithm": True})
    server._httpd = _Server(("127.0.0.1", args.port), handler)
    print(server.base_url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._httpd.serve_forever(0.05)


if __name__ == "__main__":
    main()
