"""Read a post as it was at a commit: one long-running `git cat-file --batch` per process.

The archive shows each post as published, i.e. at the commit its record names. Asking git once per
object (`git show`) would cost a process per post; a single `cat-file --batch` answers thousands of
queries over a pipe. Objects are immutable, so what is read is cached by object id (and a commit's
folder by `commit:path`) for the rest of the build and, through the build's manifest, for the next one.

A reader is per process (the archive forks workers): `reader_for(root)` starts one lazily in the
calling process and never shares a pipe across a fork.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import IO

TREE_MODE = b"40000"
_OBJECT_ID = re.compile(r"[0-9a-f]{7,64}")  # a record names its commit by id, never by a branch or tag


class ObjectReader:
    """Objects of one repository by id or `rev:path`, through one `git cat-file --batch` process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._broken = False
        self._commits: dict[str, bool] = {}
        self._roots: dict[str, str | None] = {}
        self._trees: dict[str, dict[str, tuple[bytes, str]]] = {}
        self._prefetched: dict[str, tuple[str, str, bytes] | None] = {}

    def _start(self) -> subprocess.Popen[bytes] | None:
        if self._proc is None and not self._broken:
            try:
                self._proc = subprocess.Popen(
                    ["git", "cat-file", "--batch"],
                    cwd=self.root,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:
                self._broken = True
        return self._proc

    def get(self, spec: str) -> tuple[str, str, bytes] | None:
        """(object id, type, content) of `spec` (an id or `rev:path`), or None when it does not exist."""
        if spec in self._prefetched:
            return self._prefetched.pop(spec)
        if not spec or "\n" in spec or "\r" in spec:
            return None
        proc = self._start()
        if proc is None:
            return None
        stdin, stdout = proc.stdin, proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(spec.encode("utf-8") + b"\n")
            stdin.flush()
            header = stdout.readline()
        except (BrokenPipeError, OSError):
            self._fail()
            return None
        parts = header.split()
        if len(parts) != 3:  # "<spec> missing" / "ambiguous", or the process died (empty line)
            if not header:
                self._fail()
            return None
        size = int(parts[2])
        data = _read_exactly(stdout, size + 1)[:size]
        return parts[0].decode(), parts[1].decode(), data

    def blob(self, object_id: str) -> bytes | None:
        """The content of a blob by id."""
        got = self.get(object_id)
        return got[2] if got and got[1] == "blob" else None

    def has_commit(self, commit: str) -> bool:
        """True when `commit` is a commit id (not a branch or tag name) of a commit in this repository."""
        if commit not in self._commits:
            got = self.get(f"{commit}^{{commit}}") if _OBJECT_ID.fullmatch(commit) and commit.strip("0") else None
            self._commits[commit] = got is not None and got[1] == "commit"
        return self._commits[commit]

    def folder(self, commit: str, path: str) -> tuple[str, dict[str, str]] | None:
        """(tree id, {relative file path: blob id}) of the folder `path` at `commit`, or None when absent.

        The trees above the folder (`posts/`, `posts/2026/`) are parsed once and kept: asking git for
        `commit:path` would make it walk them again for every post."""
        tree = self._root_tree(commit)
        for name in [p for p in path.split("/") if p]:
            entry = self._entries(tree).get(name) if tree else None
            tree = entry[1] if entry and entry[0] == TREE_MODE else None
        got = self.get(tree) if tree else None
        if got is None or got[1] != "tree":
            return None
        files: dict[str, str] = {}
        self._walk(got[2], "", files)
        return got[0], files

    def _root_tree(self, commit: str) -> str | None:
        if commit not in self._roots:
            got = self.get(f"{commit}^{{commit}}") if self.has_commit(commit) else None
            first = got[2].split(b"\n", 1)[0] if got else b""
            self._roots[commit] = first[5:].decode() if first.startswith(b"tree ") else None
        return self._roots[commit]

    def _entries(self, tree: str) -> dict[str, tuple[bytes, str]]:
        """name -> (mode, id) of a tree above the posts, parsed once."""
        if tree not in self._trees:
            got = self.get(tree)
            data = got[2] if got and got[1] == "tree" else b""
            self._trees[tree] = {name: (mode, oid) for mode, name, oid in parse_tree(data)}
        return self._trees[tree]

    def prefetch(self, specs: list[str]) -> None:
        """Ask for many objects at once (a thread writes the queries while this one reads the answers, so
        neither pipe fills up); each answer is kept until `get` takes it. Saves a round trip per object."""
        todo = list(dict.fromkeys(s for s in specs if s and "\n" not in s and "\r" not in s))
        proc = self._start() if todo else None
        if proc is None:
            return
        stdin, stdout = proc.stdin, proc.stdout
        assert stdin is not None and stdout is not None

        def write() -> None:
            try:
                stdin.write(b"".join(s.encode("utf-8") + b"\n" for s in todo))
                stdin.flush()
            except OSError:
                pass

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        for spec in todo:
            header = stdout.readline()
            parts = header.split()
            if not header:
                break
            if len(parts) != 3:
                self._prefetched[spec] = None
                continue
            size = int(parts[2])
            self._prefetched[spec] = (parts[0].decode(), parts[1].decode(), _read_exactly(stdout, size + 1)[:size])
        writer.join()
        if len(todo) and todo[-1] not in self._prefetched:  # the process died
            self._fail()

    def prefetch_folders(self, wanted: list[tuple[str, str]]) -> None:
        """Prefetch the folders `(commit, path)` and their index.md, two batches in all."""
        trees = []
        for commit, path in wanted:
            tree = self._root_tree(commit)
            for name in [p for p in path.split("/") if p]:
                entry = self._entries(tree).get(name) if tree else None
                tree = entry[1] if entry and entry[0] == TREE_MODE else None
            if tree:
                trees.append(tree)
        self.prefetch(trees)
        blobs = []
        for tree in trees:
            got = self._prefetched.get(tree)
            if got is not None and got[1] == "tree":
                blobs += [oid for mode, name, oid in parse_tree(got[2]) if name == "index.md" and mode != TREE_MODE]
        self.prefetch(blobs)

    def _walk(self, tree: bytes, prefix: str, out: dict[str, str]) -> None:
        for mode, name, oid in parse_tree(tree):
            if mode == TREE_MODE:
                sub = self.get(oid)
                if sub is not None and sub[1] == "tree":
                    self._walk(sub[2], f"{prefix}{name}/", out)
            elif not mode.startswith(b"16"):  # a submodule is no file
                out[prefix + name] = oid

    def _fail(self) -> None:
        self.close()
        self._broken = True

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def parse_tree(data: bytes) -> list[tuple[bytes, str, str]]:
    """(mode, name, object id) of each entry of a raw git tree object."""
    out = []
    i, n = 0, len(data)
    while i < n:
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        name = data[space + 1 : nul].decode("utf-8", "surrogateescape")
        out.append((data[i:space], name, data[nul + 1 : nul + 21].hex()))
        i = nul + 21
    return out


def blob_id(data: bytes) -> str:
    """The id git gives a blob of these bytes (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    buf = stream.read(size)
    while len(buf) < size:
        more = stream.read(size - len(buf))
        if not more:
            break
        buf += more
    return buf


_readers: dict[tuple[int, str], ObjectReader] = {}


def reader_for(root: Path) -> ObjectReader:
    """This process's reader of the repository at `root` (started on first use; one inherited through a fork
    is left alone: its pipe belongs to the parent)."""
    key = (os.getpid(), str(root))
    reader = _readers.get(key)
    if reader is None:
        reader = _readers[key] = ObjectReader(root)
    return reader


def close_readers() -> None:
    """Stop this process's readers."""
    pid = os.getpid()
    for k in [k for k in _readers if k[0] == pid]:
        _readers.pop(k).close()


atexit.register(close_readers)
