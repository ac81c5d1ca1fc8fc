"""What every adapter shares: file inspection before anything is written, row errors, run recording."""
import codecs
import csv
import hashlib
import io
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import ImportRun, RejectedRow
from streamrec.cache import catalog_changed

# How many rejected rows one run stores (counts stay exact beyond it; the run's details say so).
MAX_STORED_REJECTS = 10_000
RAW_LIMIT = 2000

Progress = Callable[[int], None]


class FileRefused(Exception):
    """The file as a whole cannot be imported (header, emptiness, encoding, unknown kind)."""


class RowError(Exception):
    """One record is invalid; it is rejected with this reason and the rest of the file goes on."""


@dataclass
class FileInfo:
    path: Path
    size: int
    checksum: str
    lines: int
    encoding: str


def inspect_file(path: Path, encodings: tuple[str, ...] = ("utf-8",)) -> FileInfo:
    """Checksum, line count and encoding of ``path``, read once in binary chunks.

    The first of ``encodings`` that decodes the whole file wins; if none does, the file is refused
    with the byte offset of the first undecodable byte. Nothing is written.
    """
    path = Path(path)
    if not path.is_file():
        raise FileRefused(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise FileRefused(f"{path}: the file is empty")
    digest = hashlib.sha256()
    lines = 0
    decoders = {name: codecs.getincrementaldecoder(name)("strict") for name in encodings}
    errors: dict[str, str] = {}
    offset = 0
    saw_nul = False
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            saw_nul = saw_nul or b"\x00" in chunk
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    errors[name] = f"byte 0x{chunk[error.start]:02x} at offset {offset + error.start} is not valid {name}"
                    del decoders[name]
            offset += len(chunk)
    for name, decoder in list(decoders.items()):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            errors[name] = f"the file ends inside a {name} character"
            del decoders[name]
    if saw_nul:
        raise FileRefused(f"{path}: wrong encoding: the file holds NUL bytes (UTF-16 or binary?); expected {' or '.join(encodings)}")
    if not decoders:
        raise FileRefused(f"{path}: wrong encoding: {'; '.join(errors.values())}")
    encoding = next(name for name in encodings if name in decoders)
    return FileInfo(path=path, size=size, checksum=digest.hexdigest(), lines=lines, encoding=encoding)


def open_text(info: FileInfo) -> io.TextIOWrapper:
    encoding = "utf-8-sig" if info.encoding == "utf-8" else info.encoding
    return open(info.path, encoding=encoding, newline="")


def first_line(info: FileInfo) -> str:
    with open_text(info) as handle:
        return handle.readline().rstrip("\r\n")


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    matched: int = 0
    new: int = 0
    ambiguous: int = 0
    merged: int = 0  # titles folded into another one an external id showed to be the same work
    held: int = 0  # id conflicts sent to the review list instead

    FIELDS = ("rows", "created", "updated", "unchanged", "rejected", "matched", "new", "ambiguous", "merged", "held")

    def add(self, other: "Counts") -> None:
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.FIELDS}


@dataclass
class Batch:
    """What one batch did; saved to its run in the batch's own transaction."""

    counts: Counts = field(default_factory=Counts)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)

    def reject(self, line: int, reason: str, raw: str = "") -> None:
        self.counts.rows += 1
        self.counts.rejected += 1
        self.rejects.append((line, reason, raw[:RAW_LIMIT]))


def load_csv_records(info: "FileInfo", transform: Callable[[list[str], int], object],
                     flush: Callable[[list, Batch], None], size: int, progress: Progress | None) -> None:
    """Read the CSV records of ``info`` after its header and hand them to ``flush`` ``size`` rows at
    a time (each call is one batch, committed on its own).

    ``transform(row, line)`` turns a record into what ``flush`` writes; a ``RowError`` rejects that
    record with its line number, and so does a record the CSV reader cannot parse. Blank lines are
    not records. ``progress`` receives the number of lines each batch covered.
    """
    with open_text(info) as handle:
        reader = csv.reader(handle)
        next(reader)
        batch, records, done = Batch(), [], reader.line_num
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                batch.reject(start, f"unreadable CSV record: {error}")
                continue
            if not any(cell.strip() for cell in row):
                continue
            try:
                records.append(transform(row, start))
            except RowError as error:
                batch.reject(start, str(error), ",".join(row))
            if len(records) + batch.counts.rejected >= size:
                flush(records, batch)
                if progress:
                    progress(reader.line_num - done)
                batch, records, done = Batch(), [], reader.line_num
        if records or batch.counts.rows:
            flush(records, batch)
        if progress:
            progress(reader.line_num - done)


class RunRecorder:
    """Keeps an ImportRun up to date, batch by batch, inside each batch's transaction."""

    MAX_AMBIGUOUS_NOTES = 500

    def __init__(self, run: ImportRun):
        self.run = run
        self.totals = Counts()
        self.stored_rejects = 0
        self.ambiguous_notes: list[str] = []
        self._lock = threading.Lock()
        # CPU time of this process during the run: on SQLite (in-process) the whole cost of the
        # import, which a machine shared with other work does not inflate as it does wall time.
        self._cpu_start = time.process_time()

    def save_batch(self, batch: Batch) -> None:
        """Call inside the batch's transaction: counters and rejected rows commit with the data.

        Thread-safe (batches may be written by several threads); no database work under the lock."""
        counts = batch.counts
        with self._lock:
            take = max(0, min(MAX_STORED_REJECTS - self.stored_rejects, len(batch.rejects)))
            self.stored_rejects += take
            self.totals.add(counts)
            self.ambiguous_notes.extend(batch.ambiguous[: max(0, self.MAX_AMBIGUOUS_NOTES - len(self.ambiguous_notes))])
        ImportRun.objects.filter(pk=self.run.pk).update(
            heartbeat_at=timezone.now(), **{name: F(name) + getattr(counts, name) for name in Counts.FIELDS}
        )
        if take:
            RejectedRow.objects.bulk_create(
                [RejectedRow(run_id=self.run.pk, line_number=line, reason=reason, raw=raw) for line, reason, raw in batch.rejects[:take]],
                batch_size=2000,
            )

    def commit(self, batch: Batch, write: Callable[[], None] | None = None) -> None:
        """Run ``write`` and record ``batch`` as one transaction."""
        with transaction.atomic():
            if write is not None:
                write()
            self.save_batch(batch)

    def finish(self, status: str, message: str = "", **details) -> ImportRun:
        run = self.run
        run.refresh_from_db()
        run.status = status
        run.message = message
        run.finished_at = timezone.now()
        run.details = {
            **run.details,
            **details,
            "seconds": round((run.finished_at - run.started_at).total_seconds(), 2),
            "cpu_seconds": round(time.process_time() - self._cpu_start, 2),
            "ambiguous_titles": self.ambiguous_notes,
            "rejected_rows_stored": self.stored_rejects,
            "rejected_rows_truncated": run.rejected > self.stored_rejects,
        }
        run.save(update_fields=["status", "message", "finished_at", "details"])
        catalog_changed()  # titles written in bulk, which sends no signals
        return run


def row_checksum(*values) -> str:
    """A stable checksum of a transformed record, to tell unchanged re-imports from changes."""
    return hashlib.sha1(repr(values).encode("utf-8")).hexdigest()


def prefetched(iterator: Iterator, depth: int = 1) -> Iterator:
    """Run ``iterator`` in a thread, ``depth`` items ahead of the consumer (bounded memory).

    Parsing (Python) then overlaps with writing (the database), which releases the GIL while it waits.
    An exception in the producer is raised in the consumer.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put(("item", item), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put(("end", done))
        except BaseException as error:  # handed to the consumer
            items.put(("error", error))

    thread = threading.Thread(target=produce, name="import-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(timeout=5)


class ParallelWriter:
    """Write batches on ``workers`` threads, each with its own database connection.

    PostgreSQL works on one core per connection; on a bulk load that core is the bottleneck
    (index upkeep, foreign-key checks), so two connections use both cores of the machine. Every
    batch is still one transaction. The queue is bounded, so memory stays bounded. The first error
    stops the work and is raised by ``submit`` or ``close``.
    """

    def __init__(self, workers: int, write: Callable):
        self.write = write
        self.queue: queue.Queue = queue.Queue(maxsize=workers)
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._work, name=f"import-writer-{i}", daemon=True) for i in range(workers)]
        for thread in self.threads:
            thread.start()

    def _work(self) -> None:
        from django.db import connections

        try:
            while (item := self.queue.get()) is not None:
                if not self.errors:
                    try:
                        self.write(*item)
                    except BaseException as error:  # handed to the submitting thread
                        self.errors.append(error)
        finally:
            connections.close_all()

    def submit(self, *item) -> None:
        if self.errors:
            raise self.errors[0]
        self.queue.put(item)

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]
