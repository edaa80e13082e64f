"""Lines of standard input or of a (growing) file, as they arrive, with their byte
offsets: what ``skvaelstm watch`` reads, and where a later run goes on.

A followed file that is truncated (shorter than the place read to, as
``logrotate``'s ``copytruncate`` leaves it) or replaced (moved away and a new file
created under its name) is read again from its start, as ``tail -F`` follows a
file by name: stopping instead would end the monitoring at every rotation of
a log, and going on is safe for the scores. The new file's rows still pass the
time checks of ``watch`` (rows that repeat or come before the rows scored are
refused, rows lost in a rotation show as a gap), and the rest of a replaced
file is read before the new one, so nothing written to it is lost. Without a
time column rows have no identity: the command cannot tell rows read again
from new ones. A file truncated and written past the place read to between two
looks (every 0.2 s while nothing new comes) cannot be told from a grown one, as
for ``tail``.
"""

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


class _Reopened:
    """Yielded between batches when a followed file is read again from its start:
    the place read to starts again at line 0, and the file's header comes again."""

    def __init__(self, message):
        self.message = message


class _Lines:
    """Batches of complete text lines of ``path`` (None or "-": standard input)."""

    def __init__(self, path, follow, place=None):
        self.path = None if path in (None, "-") else path
        self.follow, self.place = follow, place
        self.identity = None   # (device, inode) of the file read now
        self._replaced = False

    def batches(self):
        """Lists of ``(line, end)`` pairs as lines become available, ``end`` the byte
        offset after the line (None for standard input), and ``_Reopened`` events.
        With ``place``, the header line and then the lines after ``place["offset"]``."""
        if self.path is None:
            yield from _stdin_batches()
            return
        descriptor = os.open(self.path, os.O_RDONLY)
        try:
            self.identity = _identity(os.fstat(descriptor))
            start = 0
            if self.place is not None:
                for batch in _descriptor_batches(descriptor):
                    header = [(line, end) for line, end in batch if line.strip()][:1]
                    if header:
                        yield header
                        break
                start = os.lseek(descriptor, self.place["offset"], os.SEEK_SET)
            while True:
                yield from _descriptor_batches(descriptor, start, self._changed)
                if not self.follow:
                    return
                descriptor, message = self._reopen(descriptor)
                start = 0
                yield _Reopened(message)
        finally:
            os.close(descriptor)

    def _changed(self, descriptor, position):
        """Whether the followed file was truncated or replaced (at the end of what
        could be read), None while it is not; False when reading is over (no
        --follow)."""
        if not self.follow:
            return False
        try:
            status = os.stat(self.path)
        except FileNotFoundError:   # moved away, the new one not there yet: wait
            return None
        self._replaced = _identity(status) != self.identity
        return self._replaced or os.fstat(descriptor).st_size < position or None

    def _reopen(self, descriptor):
        """The descriptor to read on after a change, and the line that tells it."""
        if not self._replaced:
            os.lseek(descriptor, 0, os.SEEK_SET)
            return descriptor, (f"{self.path} was truncated: reading it again from its "
                                "start.")
        new = os.open(self.path, os.O_RDONLY)
        os.close(descriptor)
        self.identity = _identity(os.fstat(new))
        return new, (f"{self.path} was replaced (rotated or re-created): reading the new "
                     "file from its start.")


def _stdin_batches():
    try:
        descriptor = sys.stdin.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        for line in sys.stdin:   # a replaced stdin (tests, notebooks): line by line
            yield [(line.rstrip("\n"), None)]
        return
    for batch in _descriptor_batches(descriptor):
        yield [(line, None) for line, _ in batch]


def _descriptor_batches(descriptor, start=0, changed=None):
    """Batches of the lines from the read place (``start`` bytes in) to the end.
    At the end, ``changed(descriptor, read_place)`` says whether to stop (True:
    the file changed; False: the end of the input) or wait for more (None)."""
    buffer, consumed = b"", start
    while True:
        data = os.read(descriptor, _READ_BYTES)
        if not data:
            change = False if changed is None else changed(descriptor,
                                                           consumed + len(buffer))
            if change is None:
                time.sleep(_POLL_SECONDS)
                continue
            if change is True and _still_there(descriptor, consumed + len(buffer)):
                continue   # written just before the change: read it first
            if buffer and not (change and _truncated(descriptor, consumed + len(buffer))):
                yield [(buffer.decode(), consumed + len(buffer))]
            return
        *lines, buffer = (buffer + data).split(b"\n")
        batch = []
        for line in lines:
            consumed += len(line) + 1
            batch.append((line.decode(), consumed))
        if batch:
            yield batch


def _still_there(descriptor, position):
    """Whether the file open as ``descriptor`` holds bytes after ``position``."""
    return os.fstat(descriptor).st_size > position


def _truncated(descriptor, position):
    # a truncated file's unfinished last line is gone: it is no line of the new text
    return os.fstat(descriptor).st_size < position


def _identity(status):
    return (status.st_dev, status.st_ino)


def _file_place(identity, where):
    """Where a later run goes on in the file of ``identity`` (None: standard input)."""
    if identity is None:
        return None
    return {"device": identity[0], "inode": identity[1], **where}


def _resume_place(path, place):
    """The saved place when ``path`` is the file it was saved for, else None."""
    if place is None or path in (None, "-") or not place.get("offset"):
        return None   # nothing read yet (offset 0: a file read again from its start)
    status = os.stat(path)
    same = _identity(status) == (place.get("device"), place.get("inode"))
    return place if same and status.st_size >= place["offset"] else None


def _file_digest(path):
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()
