"""Lines of standard input or of a (growing) file, as they arrive, with their byte
offsets: what ``skvaelstm watch`` reads, and where a later run goes on."""

import hashlib
import io
import os
import sys
import time

__all__ = []  # private helper of skvaelstm._watch

# Bytes per read of the input.
_READ_BYTES = 1 << 16
# Seconds between looks at a followed file that has not grown.
_POLL_SECONDS = 0.2


def _file_place(path, where):
    """Where a later run goes on in the file ``path`` (None for standard input)."""
    if path in (None, "-"):
        return None
    status = os.stat(path)
    return {"device": status.st_dev, "inode": status.st_ino, **where}


def _resume_place(path, place):
    """The saved place when ``path`` is the file it was saved for, else None."""
    if place is None or path in (None, "-"):
        return None
    status = os.stat(path)
    same = (status.st_dev, status.st_ino) == (place.get("device"), place.get("inode"))
    return place if same and status.st_size >= place.get("offset", 0) else None


def _line_batches(path, follow, place=None):
    """Lists of ``(line, end)`` pairs of complete text lines as they become
    available, ``end`` the byte offset after the line (None for standard input).
    With ``place``, the header line and then the lines after ``place["offset"]``."""
    if path in (None, "-"):
        try:
            descriptor = sys.stdin.fileno()
        except (AttributeError, ValueError, io.UnsupportedOperation):
            for line in sys.stdin:   # a replaced stdin (tests, notebooks): line by line
                yield [(line.rstrip("\n"), None)]
            return
        for batch in _descriptor_batches(descriptor, follow=False):
            yield [(line, None) for line, _ in batch]
        return
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if place is None:
            yield from _descriptor_batches(descriptor, follow)
            return
        for batch in _descriptor_batches(descriptor, follow=False):
            header = [(line, end) for line, end in batch if line.strip()][:1]
            if header:
                yield header
                break
        os.lseek(descriptor, place["offset"], os.SEEK_SET)
        yield from _descriptor_batches(descriptor, follow, start=place["offset"])
    finally:
        os.close(descriptor)


def _descriptor_batches(descriptor, follow, start=0):
    buffer, consumed = b"", start
    while True:
        data = os.read(descriptor, _READ_BYTES)
        if not data:
            if follow:
                time.sleep(_POLL_SECONDS)
                continue
            if buffer:
                yield [(buffer.decode(), consumed + len(buffer))]
            return
        *lines, buffer = (buffer + data).split(b"\n")
        batch = []
        for line in lines:
            consumed += len(line) + 1
            batch.append((line.decode(), consumed))
        if batch:
            yield batch


def _file_digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
