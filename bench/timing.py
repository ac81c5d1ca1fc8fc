"""Timing shared by the benches that time calls in-process."""
import time


def timed(function, repeats: int, warm_up: int = 20) -> list[float]:
    """Wall milliseconds of ``repeats`` calls, after ``warm_up`` untimed ones (a serving process is
    long-lived: its first calls fault in pages of freshly loaded arrays)."""
    for _ in range(warm_up):
        function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples
