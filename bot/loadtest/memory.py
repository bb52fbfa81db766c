"""Resident memory of every process the benchmark watches, each with its children
(psutil), sampled on a background thread: the peak per process, the peak of the
product's processes together, and, for the soak, a time series of chosen ones. Also
each process's CPU time (with its children), read around every measured run: where
the machine's cores went."""
from __future__ import annotations

import threading
import time
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple

import psutil

MIB = 1024 * 1024


def _tree_sum(pid: int, children: bool, measure: Callable[[psutil.Process], float]
              ) -> Optional[float]:
    """`measure` of `pid` plus its living descendants; None once `pid` is gone."""
    try:
        process = psutil.Process(pid)
        total = measure(process)
        for child in process.children(recursive=True) if children else ():
            try:
                total += measure(child)
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return None


def tree_rss(pid: int, children: bool = True) -> Optional[int]:
    """Bytes resident in `pid` (and its descendants); None once it is gone."""
    found = _tree_sum(pid, children, lambda p: p.memory_info().rss)
    return None if found is None else int(found)


def tree_cpu(pid: int, children: bool = True) -> Optional[float]:
    """CPU seconds (user and system) of `pid` and its living descendants so far; None
    once it is gone."""
    def cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    return _tree_sum(pid, children, cpu)


class MemorySampler:
    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.watched: Dict[str, Tuple[int, str]] = {}  # name -> (pid, group)
        self.alone: set = set()  # names measured without their children
        self.peak: Dict[str, float] = {}  # MiB
        self.last: Dict[str, float] = {}
        self.group_peak: Dict[str, float] = {}
        self.series: List[Tuple[float, int, Dict[str, float]]] = []  # (s, messages, MiB)
        self._series_names: Tuple[str, ...] = ()
        self._progress: Callable[[], int] = lambda: 0
        self._began = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def watch(self, processes: Mapping[str, int], group: str, children: bool = True) -> None:
        """Sample these processes from now on; without `children` for a process whose
        children are watched on their own (the load generator starts the servers)."""
        with self._lock:
            for name, pid in processes.items():
                self.watched[name] = (pid, group)
                if not children:
                    self.alone.add(name)

    def record_series(self, names: Iterable[str], progress: Callable[[], int]) -> None:
        """From now on also keep (time, progress(), MiB of `names`) at every sample."""
        with self._lock:
            self._series_names = tuple(names)
            self._progress = progress
            self.series = []
            self._began = time.monotonic()

    def stop_series(self) -> List[Tuple[float, int, Dict[str, float]]]:
        with self._lock:
            self._series_names = ()
            return list(self.series)

    def sample(self) -> None:
        with self._lock:
            watched = dict(self.watched)
            alone = set(self.alone)
            names, progress = self._series_names, self._progress
        groups: Dict[str, float] = {}
        now: Dict[str, float] = {}
        for name, (pid, group) in watched.items():
            rss = tree_rss(pid, children=name not in alone)
            if rss is None:
                continue
            mib = rss / MIB
            now[name] = mib
            groups[group] = groups.get(group, 0.0) + mib
        with self._lock:
            for name, mib in now.items():
                self.last[name] = mib
                self.peak[name] = max(self.peak.get(name, 0.0), mib)
            for group, mib in groups.items():
                self.group_peak[group] = max(self.group_peak.get(group, 0.0), mib)
            if names:
                self.series.append((time.monotonic() - self._began, progress(),
                                    {n: now[n] for n in names if n in now}))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.sample()

    def cpu_seconds(self) -> Dict[str, float]:
        """Each watched process's CPU seconds so far (with its children)."""
        with self._lock:
            watched = dict(self.watched)
            alone = set(self.alone)
        found = {name: tree_cpu(pid, children=name not in alone)
                 for name, (pid, _) in watched.items()}
        return {name: seconds for name, seconds in found.items() if seconds is not None}

    def snapshot(self) -> Dict[str, object]:
        with self._lock:
            return {
                "processes": {name: {"group": group, "pid": pid,
                                     "peak_mib": round(self.peak.get(name, 0.0), 1),
                                     "last_mib": round(self.last.get(name, 0.0), 1)}
                              for name, (pid, group) in self.watched.items()},
                "group_peak_mib": {g: round(v, 1) for g, v in self.group_peak.items()},
            }
