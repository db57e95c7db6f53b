"""What the image tests share: logging, bounded commands as root, a file lock, the names.

Standard library only; run with /usr/bin/python3.
"""
import fcntl
import os
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
UID = 999  # the image's postgres user and group (Dockerfile)
# In every command line of this test's containers (Patroni's configuration, the data
# directory, the scope): how leftovers are recognised, here and by cleanup.py.
UNIQUE = "pgdrill-img-" + uuid.uuid4().hex[:10]
STARTED = time.monotonic()


def log(msg):
    print("test_image: [%5.1fs] %s" % (time.monotonic() - STARTED, msg), file=sys.stderr,
          flush=True)


def sh(argv, timeout=120, check=True, **kw):
    """A command as root, bounded, output captured; raises with its output on failure."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(argv), p.returncode,
                                                      p.stdout[-3000:], p.stderr[-3000:]))
    return p


class FileLock:
    """An exclusive flock, waited for at most timeout seconds."""

    def __init__(self, path, timeout):
        self.path, self.timeout = path, timeout

    def __enter__(self):
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    raise AssertionError("%s held for over %ds" % (self.path, self.timeout))
                time.sleep(1)

    def __exit__(self, *exc):
        os.close(self.fd)
        return False


