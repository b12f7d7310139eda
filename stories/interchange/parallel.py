"""Reading the stories of an archive file in worker processes (PostgreSQL).

The story section (the rest of the file from the first story on) is cut into chunks of whole
stories, each a story's line and everything up to the next chunk's. Worker processes, forked
with the reference tables already read, turn chunks into COPY data; the main process hands it
to the COPY writer in file order. A row's primary key is its line number, so the workers need
nothing from each other, and the first refusal in file order stops the load, naming its line.
"""

import gc
import multiprocessing
import queue
import traceback
from collections import deque
from pathlib import Path

from django.db import connection

from stories.interchange.archive import LoadError, parse_line
from stories.interchange.copy import CopyWriter, batch_copy_text

# A story's line as export_archive and generate_archive write it: where the story section is
# cut into chunks for the workers, so that a story and its posts stay together.
STORY_LINE = b'\n{"model":"stories.story"'
CHUNK_BYTES = 4 * 2**20
# Lines written another way (spaces, other key order) are not cut: past this much without a
# story line as above, the rest is read in order by the main process.
MAX_CHUNK_BYTES = 64 * 2**20


class StorySection:
    """The rest of an archive file from the first story on: where it starts, and how it is cut
    into chunks of whole stories for the workers."""

    def __init__(self, reader, workers):
        self.reader = reader  # it stops where the section starts
        self.path = reader.path
        self.bar = reader.bar
        self.size = Path(reader.path).stat().st_size
        self.workers = workers

    def chunks(self):
        """(start, end, first line number, cut) for each chunk, in file order. A chunk ends
        where a story begins, about every CHUNK_BYTES. `cut` is False for a last chunk that
        could not be cut (see MAX_CHUNK_BYTES): that one is read in order, not by a worker."""
        start, line = self.reader.offset, self.reader.line
        with open(self.path, "rb") as stream:
            stream.seek(start)
            data = b""
            while block := stream.read(CHUNK_BYTES):
                data += block
                cut = data.rfind(STORY_LINE) + 1  # just after the newline; 0 if none
                if not cut:
                    if len(data) < MAX_CHUNK_BYTES:
                        continue
                    yield start, self.size, line, False
                    return
                yield start, start + cut, line, True
                start += cut
                line += data.count(b"\n", 0, cut)
                data = data[cut:]
            if data:
                yield start, start + len(data), line, True


def read_chunk(loader, path, start, end, line):
    """Feed the records of bytes start to end of the file to `loader`, which then flushes
    every buffer; returns the last line number. A chunk starts with a story's line."""
    loader.story_key = loader.story_pk = None
    loader.story_posts = {}
    number = line - 1
    with open(path, "rb") as stream:
        stream.seek(start)
        remaining = end - start
        for number, raw in enumerate(stream, line):  # noqa: B007 - the last is returned
            loader.add(number, parse_line(number, raw))
            remaining -= len(raw)
            if remaining <= 0:
                break
    for buffer in loader.buffers:
        buffer.last_line = number
        loader.flush(buffer)
    return number


def add_in_parallel(loader, section):
    """The stories and their posts from `section` on, read and checked by worker processes a
    chunk at a time, for `loader` (a BulkLoader, which has read everything before them).
    Returns the last line number."""
    for buffer in loader.buffers:
        loader.flush(buffer)
    loader.writer.close()  # no thread of ours may be running while the workers fork
    workers = Workers(loader, section.workers)
    loader.writer = CopyWriter(connection)
    try:
        return workers.load(section)
    finally:
        workers.stop()


class Workers:
    """Forked worker processes, each a copy of the BulkLoader as it stood when they started:
    they take chunks from `tasks` and put what each became on `results`, with its number."""

    def __init__(self, loader, count):
        self.loader = loader
        self.count = count
        context = multiprocessing.get_context("fork")  # a forked process inherits its target
        self.tasks = context.Queue()
        self.results = context.Queue()
        self.processes = [
            context.Process(
                target=self.work,
                args=(self.tasks, self.results),
                name=f"archive-reader-{i}",
                daemon=True,
            )
            for i in range(count)
        ]
        gc.freeze()  # the objects the workers inherit stay shared, not copied on first touch
        for process in self.processes:
            process.start()
        gc.unfreeze()

    # In the workers

    def work(self, tasks, results):
        while (task := tasks.get()) is not None:
            number, *chunk = task
            try:
                outcome = self.load_chunk(*chunk)
            except Exception:  # noqa: BLE001 - handed to the main process
                outcome = ("failed", traceback.format_exc())
            results.put((number, outcome))

    def load_chunk(self, path, start, end, line):
        """One chunk as COPY data for each table, with the counts it adds."""
        loader = self.loader
        before = {name: plan.count for name, plan in loader.plans.items()}
        loader.writer = ChunkCollector(loader.buffers)
        try:
            last_line = read_chunk(loader, path, start, end, line)
        except LoadError as exc:
            return "refused", exc.line, exc.reason
        counts = {name: plan.count - before[name] for name, plan in loader.plans.items()}
        return "loaded", loader.writer.payloads, counts, last_line

    # In the main process

    def load(self, section):
        """Send the section's chunks to the workers and take what they make in file order,
        with a bounded number in flight (memory stays bounded); returns the last line."""
        pending = deque()  # (number, size) of the chunks sent, in file order
        arrived = {}  # outcomes by chunk number, kept until their turn
        last_line = None
        for number, (start, end, line, cut) in enumerate(section.chunks()):
            if not cut:
                while pending:
                    self.take(*pending.popleft(), arrived, section)
                last_line = read_chunk(self.loader, section.path, start, end, line)
                section.bar.update(end - start)
                break
            self.tasks.put((number, section.path, start, end, line))
            pending.append((number, end - start))
            if len(pending) > 2 * self.count:
                last_line = self.take(*pending.popleft(), arrived, section)
        while pending:
            last_line = self.take(*pending.popleft(), arrived, section)
        return last_line

    def take(self, number, size, arrived, section):
        """Hand one chunk's COPY data to the writer; raise the worker's refusal if it had one."""
        while number not in arrived:
            arrived.update([self.receive()])
        outcome = arrived.pop(number)
        if outcome[0] == "refused":
            raise LoadError(outcome[1], outcome[2])
        if outcome[0] == "failed":
            raise RuntimeError(f"a worker reading the archive failed:\n{outcome[1]}")
        _, payloads, counts, last_line = outcome
        for index, payload, lines in payloads:
            self.loader.writer.send(self.loader.buffers[index], payload, lines)
        for name, count in counts.items():
            self.loader.plans[name].count += count
        section.bar.update(size)
        return last_line

    def receive(self):
        while True:
            try:
                return self.results.get(timeout=1)
            except queue.Empty:
                if not all(process.is_alive() for process in self.processes):
                    raise RuntimeError("a worker reading the archive stopped") from None

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join()
        for channel in (self.tasks, self.results):
            channel.cancel_join_thread()
            channel.close()


class ChunkCollector:
    """Stands in for the CopyWriter in a worker: batches become COPY data, kept for the main
    process (which knows the buffers by their index)."""

    def __init__(self, buffers):
        self.index = {id(buffer): i for i, buffer in enumerate(buffers)}
        self.payloads = []

    def send(self, buffer, rows, lines):
        self.payloads.append((self.index[id(buffer)], batch_copy_text(buffer, rows), lines))
