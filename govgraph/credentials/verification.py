"""Presentation verification off the event loop: in worker processes (the pairings and multi-scalar
multiplications of a verification hold the GIL, so processes are how both cores verify at once), or in a
thread when there are no workers. A verification is (canonical zk request, presentation JSON, trusted keys)
in, the `zk.credential.VerifiedPresentation` JSON out."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

from zk import credential as zkc
from zk.curve import get_backend
from zk.errors import ZkError
from zk.wire import parse_json

_backend_name = "arkworks"


def _initialise(backend: str) -> None:
    global _backend_name
    _backend_name = backend
    get_backend(backend)


def verify(
    request: str,
    presentation: Any,
    keys: Mapping[str, bytes],
    backend: str | None = None,
    revocation: zkc.AcceptedEpochs | None = None,
) -> dict:
    """One verification: the VerifiedPresentation JSON ({"ok": false, "cause": ...} on failure); a revocable
    schema's against the accepted epochs `revocation`."""
    curve = get_backend(backend or _backend_name)
    try:
        ask = zkc.PresentationRequest.from_json(parse_json(request, "presentation request"))
    except ZkError:
        return {"ok": False, "cause": "malformed"}
    if ask.schema.revocable and revocation is None:
        return {"ok": False, "cause": "malformed"}
    return zkc.verify_presentation(ask, presentation, keys, backend=curve, revocation=revocation).to_json()


class VerificationPool:
    """`workers` processes (0: one thread) verifying presentations with the curve backend named."""

    def __init__(self, workers: int, backend: str = "arkworks") -> None:
        self.backend = backend
        self.workers = workers
        self._executor: Executor | None = None

    def _get(self) -> Executor:
        if self._executor is None:
            if self.workers > 0:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_initialise,
                    initargs=(self.backend,),
                )
            else:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="verify")
        return self._executor

    def start(self) -> None:
        """Start the workers now (each imports zk and warms the curve), not at the first presentation."""
        executor = self._get()
        if isinstance(executor, ProcessPoolExecutor):
            for future in [executor.submit(_initialise, self.backend) for _ in range(self.workers)]:
                future.result()

    async def verify(
        self,
        request: str,
        presentation: Any,
        keys: Mapping[str, bytes],
        revocation: zkc.AcceptedEpochs | None = None,
    ) -> dict:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._get(), verify, request, presentation, dict(keys), self.backend, revocation
        )

    async def run(self, function: Callable[..., Any], *arguments: Any) -> Any:
        """`function(*arguments)` on the pool (a module-level function, picklable arguments): other
        verifications that hold the GIL (the election commission's ballots) share its workers."""
        return await asyncio.get_running_loop().run_in_executor(self._get(), function, *arguments)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
