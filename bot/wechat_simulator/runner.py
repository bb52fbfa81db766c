"""Serve an aiohttp application from a background thread with its own event loop, on a
port of our choosing or a free one (the simulator, and the tests' little callback
servers)."""
from __future__ import annotations

import asyncio
import socket
import threading
from typing import Awaitable, Optional, TypeVar

from aiohttp import web

T = TypeVar("T")
START_TIMEOUT = 10.0


class ThreadedApp:
    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.url: Optional[str] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> str:
        """Serve and return the base URL once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("already started")
        # Bound here, so a taken port fails in the caller's thread.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list = []

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(self._setup(sock))
            except BaseException as error:  # reported to start()
                failure.append(error)
                ready.set()
                return
            ready.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self._shutdown())
            self.loop.close()

        self._thread = threading.Thread(target=serve, name=f"aiohttp:{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT) or failure:
            raise RuntimeError(f"could not serve on {self.host}:{self.port}: {failure}")
        self.url = f"http://{self.host}:{self.port}"
        return self.url

    async def _setup(self, sock: socket.socket) -> None:
        self._runner = web.AppRunner(self.app, handle_signals=False, access_log=None,
                                     shutdown_timeout=0.25)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _shutdown(self) -> None:
        """Stop serving, then cancel what is still running (a handler asleep past a
        client's deadline, a callback being posted)."""
        await self._runner.cleanup()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def run(self, coroutine: Awaitable[T], timeout: Optional[float] = None) -> T:
        """Run a coroutine on the server's loop and wait for its result (never call this
        from that loop itself)."""
        if self.loop is None or self._thread is None or not self._thread.is_alive():
            raise RuntimeError("not started")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError("run() called from the server's own loop: await instead")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        if self._thread is None or self.loop is None:
            return
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(START_TIMEOUT)
        self._thread = None
