"""A pool of render worker processes, restarted when one dies."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.process import BaseProcess

from music_studio.settings import Settings
from music_studio.worker import run_worker

logger = logging.getLogger("music_studio.supervisor")


class WorkerPool:
    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[BaseProcess] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)

    def _new(self) -> BaseProcess:
        process = self._context.Process(target=run_worker, args=(self.settings,), name="music-studio-worker")
        process.start()
        return process

    def start(self) -> None:
        self._processes = [self._new() for _ in range(self.count)]
        self._thread.start()

    def _supervise(self) -> None:
        while not self._stop.wait(1.0):
            for index, process in enumerate(self._processes):
                if not process.is_alive() and not self._stop.is_set():
                    logger.warning("worker pid %s exited with %s; restarting", process.pid, process.exitcode)
                    self._processes[index] = self._new()

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every worker (each finishes its current job), then wait; kill stragglers."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.join(timeout=timeout)
            if process.is_alive():
                process.kill()
                process.join()

    def wait(self) -> None:
        """Block until stop() is called from a signal handler or another thread."""
        while not self._stop.wait(1.0):
            pass
