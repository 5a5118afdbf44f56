"""Django's file cache, with each read done in as few system calls as the kernel allows.

The shared cache of a single-machine installation: every signed-in page reads entries from it
(the session and the user, and other pages' headers the unread count). Django's FileBasedCache
reads an entry through a buffered file in several calls (the expiry with pickle.load on the
file, then the rest) and checks the key's characters for memcached on every read; here the file
is read whole with open, read and close (a buffered file object adds two fstat and an lseek),
and the key is checked when it is written (as before: writes are Django's own). Same files, same
format, same expiry rule (an empty file counts as expired and is deleted, as an expired one), so
both classes read each other's entries.
"""

import contextlib
import io
import os
import pickle
import time
import zlib
from hashlib import md5
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache

_CHUNK = 65536


def _read_whole(path: str) -> bytes:
    """The file's bytes in as few system calls as the kernel allows: open, read until it gives
    nothing, close (a buffered file object adds two fstat and an lseek to every read)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        pieces = []
        while piece := os.read(fd, _CHUNK):
            pieces.append(piece)
        return b"".join(pieces)  # one piece comes back as it is, not copied
    finally:
        os.close(fd)


class FileCache(FileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._folder = os.path.abspath(dir)  # as FileBasedCache keeps it

    def _read_path(self, key: Any, version: int | None) -> str:
        digest = md5(self.make_key(key, version).encode(), usedforsecurity=False).hexdigest()
        return f"{self._folder}{os.sep}{digest}{self.cache_suffix}"  # os.path.join, faster

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        path = self._read_path(key, version)
        try:
            data = _read_whole(path)
        except FileNotFoundError:
            return default
        stream = io.BytesIO(data)
        try:
            expiry = pickle.load(stream)
        except EOFError:
            expiry = 0
        if expiry is not None and expiry < time.time():
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            return default
        return pickle.loads(zlib.decompress(data[stream.tell() :]))
