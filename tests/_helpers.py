"""Blocking reads with deadlines: a regression that makes a program (or a
generator) wait forever fails its test with a clear message instead of hanging
the suite."""

import contextlib
import os
import queue
import subprocess
import sys
import threading

import pytest

# Seconds a test waits for one line, a call or a process to end (the first
# lines of a child process wait for it to import torch: seconds on a busy machine).
TIMEOUT = 120
_END = object()


def within(seconds, function, what):
    """``function()``, or the test fails when it has not returned in ``seconds``
    (the call goes on in a daemon thread, which the interpreter does not wait for)."""
    done = queue.Queue()

    def call():
        try:
            done.put((True, function()))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            done.put((False, exc))

    threading.Thread(target=call, daemon=True).start()
    try:
        ok, result = done.get(timeout=seconds)
    except queue.Empty:
        pytest.fail(f"{what}: nothing after {seconds} s")
    if not ok:
        raise result
    return result


class LineReader:
    """The lines of a text stream, read in a daemon thread as they come (which
    also keeps a child's pipe from filling up); ``line`` waits with a deadline."""

    def __init__(self, stream, name):
        self.name, self._lines = name, queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream):
        try:
            for line in iter(stream.readline, ""):
                self._lines.put(line)
        finally:
            self._lines.put(_END)

    def line(self, timeout=TIMEOUT):
        """The next line; the test fails past ``timeout`` seconds or at the end."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no line on {self.name} within {timeout} s")
        if line is _END:
            self._lines.put(_END)
            pytest.fail(f"{self.name} ended while a line was awaited")
        return line

    def lines(self, count, timeout=TIMEOUT):
        return [self.line(timeout) for _ in range(count)]

    def rest(self, timeout=TIMEOUT):
        """Every line up to the end of the stream (the writer must have ended)."""
        lines = []
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"{self.name} did not end within {timeout} s")
            if line is _END:
                self._lines.put(_END)
                return "".join(lines)
            lines.append(line)


class Child:
    """``python -m skvaelstm ARGS`` with pipes, read with deadlines; killed when
    the ``with`` block ends, so that a failing test leaves no process behind."""

    def __init__(self, args, cwd):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skvaelstm", *map(str, args)], cwd=cwd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env)
        self.stdin = self.process.stdin
        self.stdout = LineReader(self.process.stdout, "the child's stdout")
        self.stderr = LineReader(self.process.stderr, "the child's stderr")

    def wait(self, timeout=TIMEOUT):
        """The exit status; the test fails when the process has not ended in time."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the child process did not end within {timeout} s")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)
        with contextlib.suppress(BrokenPipeError):   # unread input of a killed process
            self.stdin.close()
        for reader, stream in ((self.stdout, self.process.stdout),
                               (self.stderr, self.process.stderr)):
            reader.thread.join(TIMEOUT)   # at the end of the pipe: the process is gone
            stream.close()
