"""Publication records: one JSON file per post with an append-only list of events.

Where the records live, and why
-------------------------------
Records live on a dedicated git branch, `wxpub-records`, written only by the publish job:

- Branch protection on `main` stays strict (reviews required, no direct pushes, not even by the
  publish job): the job never needs to push to `main` to keep its records.
- The records branch is protected to the publish job's identity (only that deploy key / bot may push),
  so editors cannot rewrite what was published; force pushes are refused.
- History is append-only and auditable: every event is its own commit (`<post-id>: <step> <status>`),
  a record file only ever gains events, and concurrent writers are reconciled by merging events, never
  by dropping them.
- The archive and the lead-time checks read the records with plain git (`read_records`), from the
  local branch or `origin/wxpub-records` after a fetch; no extra service, no database.

Layout of the branch (the working tree and the checked-out branch are never touched):

    records/<post-id>.json        the record, e.g. records/2026/12-05-card-offer.json
    records/<post-id>.form.md     the approval form as Markdown (and .form.html)
    records/_images.json          image cache: "body:<sha256>" / "cover:<sha256>" -> URL (and media_id),
                                  so an image is uploaded to WeChat once, ever, across runners

Writing is git plumbing: the blob, the trees on its path and the commit are written into the object
database through GitPython's `odb` (what `hash-object -w`, `mktree` and `commit-tree` do, without a process
per object), then `git update-ref` moves the branch with the old value as a compare-and-swap that fails
(and is retried, merged onto the new tip) if anyone moved the branch meanwhile. About 30 ms per event.
`push()` sends the branch to `origin`; a non-fast-forward is resolved by fetching, merging record files
event by event (records are per-post files, so this is trivial) and pushing a merge commit.

`DirectoryLedger` keeps the same files in a plain folder, for tests and offline use.

The record model (`Event`, `Record`, the file format and merging) lives in `pipeline.record`; this module
is the storage, and re-exports the model's names.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import GitError
from .record import (
    EVENT_STATUSES,
    HEADER_KEYS,
    IMAGES_FILE,
    RECORDS_DIR,
    REMOTE_STEPS,
    SCHEMA,
    STATUSES,
    STEPS,
    Event,
    Record,
    _post_id_of,
    dumps,
    merge_file,
    merge_images_text,
    merge_record_text,
    record_path,
)

# the record model is re-exported: `from pipeline.ledger import Record` keeps working
__all__ = [
    "BRANCH",
    "EVENT_STATUSES",
    "HEADER_KEYS",
    "IMAGES_FILE",
    "RECORDS_DIR",
    "REMOTE",
    "REMOTE_STEPS",
    "SCHEMA",
    "STATUSES",
    "STEPS",
    "DirectoryLedger",
    "Event",
    "GitLedger",
    "Ledger",
    "Record",
    "actor",
    "dumps",
    "merge_file",
    "merge_images_text",
    "merge_record_text",
    "open_ledger",
    "read_records",
    "record_path",
]

BRANCH = "wxpub-records"
REMOTE = "origin"
_ZERO = "0" * 40


def actor() -> str:
    """Who is acting: `$GITHUB_ACTOR` (CI), else the git user, else the login name."""
    name = os.environ.get("GITHUB_ACTOR", "").strip()
    if name:
        return name
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # pragma: no cover - no login name at all
        return "unknown"


# -- storage -------------------------------------------------------------------------------------------


class Ledger:
    """Where records are kept. Subclasses store files; this class speaks records and events."""

    def read(self, path: str) -> bytes | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def write(self, files: Mapping[str, bytes], message: str) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def paths(self) -> Iterator[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- records -------------------------------------------------------------------------------------

    def get(self, post_id: str) -> Record:
        """The record of `post_id` (an empty one when there is none yet)."""
        base = record_path(post_id)
        data = self.read(base)
        rec = Record.loads(data, post_id=post_id) if data else Record(post_id)
        rec.post_id = post_id
        md = self.read(base[: -len(".json")] + ".form.md")
        html = self.read(base[: -len(".json")] + ".form.html")
        rec.form_markdown = md.decode("utf-8") if md else ""
        rec.form_html = html.decode("utf-8") if html else ""
        return rec

    def records(self) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for path in sorted(self.paths()):
            pid = _post_id_of(path)
            if pid is not None:
                out[pid] = self.get(pid)
        return out

    def append(
        self,
        record: Record,
        event: Event,
        *,
        form_markdown: str | None = None,
        form_html: str | None = None,
        images: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Record:
        """Persist `record` plus `event` (and optionally the form and image-cache entries) at once.

        Returns the new record. The write is durable (committed or fsynced) when this returns.
        """
        new = record.appended(event)
        base = record_path(record.post_id)[: -len(".json")]
        files: dict[str, bytes] = {f"{base}.json": new.dumps().encode("utf-8")}
        if form_markdown is not None:
            files[f"{base}.form.md"] = form_markdown.encode("utf-8")
            new.form_markdown = form_markdown
        if form_html is not None:
            files[f"{base}.form.html"] = form_html.encode("utf-8")
            new.form_html = form_html
        if images:
            cache = self.images()
            cache.update({k: dict(v) for k, v in images.items()})
            files[f"{RECORDS_DIR}/{IMAGES_FILE}"] = dumps(cache).encode("utf-8")
        self.write(files, f"{record.post_id}: {event.step} {event.status}")
        return new

    # -- image cache ---------------------------------------------------------------------------------

    def images(self) -> dict[str, dict[str, Any]]:
        """The image cache: `body:<sha256>` -> {url}, `cover:<sha256>` -> {media_id, url}."""
        data = self.read(f"{RECORDS_DIR}/{IMAGES_FILE}")
        if not data:
            return {}
        obj = json.loads(data)
        return {str(k): dict(v) for k, v in obj.items() if isinstance(v, Mapping)} if isinstance(obj, dict) else {}

    def add_images(self, entries: Mapping[str, Mapping[str, Any]], message: str = "image cache") -> None:
        cache = self.images()
        cache.update({k: dict(v) for k, v in entries.items()})
        self.write({f"{RECORDS_DIR}/{IMAGES_FILE}": dumps(cache).encode("utf-8")}, message)

    def describe(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__


class DirectoryLedger(Ledger):
    """Records in a plain folder: `<directory>/records/<post-id>.json` and so on (tests, offline use).

    Writes are atomic (temporary file, fsync, rename). `directory` may also be a records folder itself
    (holding `<yyyy>/<mm-dd-slug>.json`) when it has no `records/` inside and holds JSON files.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        # a records folder itself (no `records/` inside, JSON files in it): read it as `records/`
        self._flat = not (self.directory / RECORDS_DIR).is_dir() and any(self.directory.rglob("*.json"))

    def _file(self, path: str) -> Path:
        if self._flat:
            return self.directory / path[len(RECORDS_DIR) + 1 :]
        return self.directory / path

    def read(self, path: str) -> bytes | None:
        try:
            return self._file(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def write(self, files: Mapping[str, bytes], message: str) -> None:
        for path, data in files.items():
            target = self._file(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def paths(self) -> Iterator[str]:
        top = self.directory if self._flat else self.directory / RECORDS_DIR
        if not top.is_dir():
            return
        for p in top.rglob("*"):
            if p.is_file() and not p.name.startswith(".tmp-"):
                yield f"{RECORDS_DIR}/{p.relative_to(top).as_posix()}"

    def describe(self) -> str:
        return str(self.directory)


class GitLedger(Ledger):
    """Records on the `wxpub-records` branch of the repository at `root`, written with git plumbing.

    Neither the working tree, the index nor the checked-out branch is touched. Each `write` is one
    commit, made on a temporary index and moved onto the branch with a compare-and-swap `update-ref`.
    When the local branch is missing or behind `origin/wxpub-records`, it starts from the remote one.
    """

    def __init__(
        self, root: Path, *, branch: str = BRANCH, remote: str = REMOTE, auto_push: bool = False, sync: bool = True
    ) -> None:
        self.root = Path(root)
        self.branch = branch
        self.remote = remote
        self.auto_push = auto_push  # push after every write: a runner that dies loses nothing pushed
        self.ref = f"refs/heads/{branch}"
        self.remote_ref = f"refs/remotes/{remote}/{branch}"
        self._tree_cache: tuple[str, dict[str, str]] | None = None
        self._seen: dict[str, str] = {}  # path -> blob sha our in-memory data was read from or written as
        self._written: dict[str, str] = {}
        self._ident: dict[str, str] | None = None
        self._db: Any = None
        try:
            self._git("rev-parse", "--git-dir")
        except GitError:
            raise GitError(f"{root} is not a git repository; records need one (or use --records-dir)") from None
        self.read_only = not sync
        if sync:
            self.sync()

    # -- git ---------------------------------------------------------------------------------------

    def _git(self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
        full_env = {**os.environ, **(env or {})}
        try:
            out = subprocess.run(
                ["git", *args], cwd=self.root, input=input, capture_output=True, env=full_env, timeout=120
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GitError(f"git {args[0]} failed: {exc}") from None
        if out.returncode != 0:
            msg = out.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {' '.join(args[:2])} failed: {msg}", hint="check the records branch")
        return out.stdout.decode("utf-8", "replace")

    def _rev(self, ref: str) -> str | None:
        try:
            return self._git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip() or None
        except GitError:
            return None

    def _is_ancestor(self, a: str, b: str) -> bool:
        try:
            self._git("merge-base", "--is-ancestor", a, b)
            return True
        except GitError:
            return False

    def tip(self) -> str | None:
        local = self._rev(self.ref)
        if getattr(self, "read_only", False):  # not synced: read the newer of the local and remote branch
            remote = self._rev(self.remote_ref)
            if remote and (local is None or (local != remote and self._is_ancestor(local, remote))):
                return remote
        return local

    def sync(self) -> None:
        """Fast-forward the local branch to `origin/wxpub-records` when that one is ahead."""
        remote = self._rev(self.remote_ref)
        if remote is None:
            return
        local = self.tip()
        if local == remote:
            return
        if local is None:
            self._git("update-ref", self.ref, remote, _ZERO)
        elif self._is_ancestor(local, remote):
            self._git("update-ref", self.ref, remote, local)

    def _tree(self, commit: str | None) -> dict[str, str]:
        """path -> blob sha of the records tree at `commit`."""
        if commit is None:
            return {}
        if self._tree_cache and self._tree_cache[0] == commit:
            return self._tree_cache[1]
        out = self._git("ls-tree", "-r", "-z", "--full-tree", commit, "--", RECORDS_DIR)
        files: dict[str, str] = {}
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            _mode, kind, sha = meta.split()
            if kind == "blob":
                files[path] = sha
        self._tree_cache = (commit, files)
        return files

    def _blob(self, sha: str) -> bytes:
        out = subprocess.run(["git", "cat-file", "blob", sha], cwd=self.root, capture_output=True, timeout=60)
        if out.returncode != 0:
            raise GitError(f"git cat-file {sha} failed: {out.stderr.decode('utf-8', 'replace').strip()}")
        return out.stdout

    def _identity(self) -> dict[str, str]:
        """Commit identity: the git user when configured, else the publish job's name."""
        if self._ident is not None:
            return self._ident
        env: dict[str, str] = {}
        for key, cfg, default in (
            ("NAME", "user.name", "wxpub publish job"),
            ("EMAIL", "user.email", "wxpub-publish@localhost"),
        ):
            value = ""
            if not (os.environ.get(f"GIT_COMMITTER_{key}") and os.environ.get(f"GIT_AUTHOR_{key}")):
                try:
                    value = self._git("config", cfg).strip()
                except GitError:
                    value = ""
            env.setdefault(f"GIT_AUTHOR_{key}", os.environ.get(f"GIT_AUTHOR_{key}") or value or default)
            env.setdefault(f"GIT_COMMITTER_{key}", os.environ.get(f"GIT_COMMITTER_{key}") or value or default)
        self._ident = env
        return env

    def commit_files(
        self, parent: str | None, files: Mapping[str, bytes], message: str, extra_parents: Iterable[str] = ()
    ) -> str:
        """A commit holding the tree of `parent` with `files` replaced; nothing else is touched.

        The objects are written straight into the object database through GitPython's `odb` (what
        `hash-object -w`, `mktree` and `commit-tree` do, without a process per object); only the
        compare-and-swap `update-ref` in `write` runs git.
        """
        tree = self._commit_tree(parent) if parent else None
        self._written = {}
        for path, data in sorted(files.items()):
            blob = self._store(b"blob", data)
            tree = self._put(tree, path.split("/"), blob)
            self._written[path] = blob.hex()
        assert tree is not None
        ident = self._identity()
        offset = time.localtime().tm_gmtoff
        stamp = (
            f"{int(time.time())} {'+' if offset >= 0 else '-'}{abs(offset) // 3600:02d}{abs(offset) % 3600 // 60:02d}"
        )
        lines = [f"tree {tree.hex()}"]
        lines += [f"parent {p}" for p in [parent, *extra_parents] if p]
        lines.append(f"author {ident['GIT_AUTHOR_NAME']} <{ident['GIT_AUTHOR_EMAIL']}> {stamp}")
        lines.append(f"committer {ident['GIT_COMMITTER_NAME']} <{ident['GIT_COMMITTER_EMAIL']}> {stamp}")
        body = "\n".join(lines) + "\n\n" + message.rstrip("\n") + "\n"
        return self._store(b"commit", body.encode("utf-8")).hex()

    @property
    def _odb(self) -> Any:
        if self._db is None:
            import git

            self._db = git.Repo(self.root).odb
        return self._db

    def _store(self, kind: bytes, data: bytes) -> bytes:
        """Write one object; its binary sha."""
        from gitdb import IStream

        return bytes(self._odb.store(IStream(kind, len(data), io.BytesIO(data))).binsha)

    def _commit_tree(self, commit: str) -> bytes:
        raw = self._odb.stream(bytes.fromhex(commit)).read()
        first = raw.split(b"\n", 1)[0]
        if not first.startswith(b"tree "):
            raise GitError(f"{commit} is not a commit")
        return bytes.fromhex(first[5:].decode())

    def _entries(self, tree: bytes | None) -> dict[bytes, tuple[bytes, bytes]]:
        """name -> (mode, binsha) of a tree object."""
        if tree is None:
            return {}
        raw, out, pos = self._odb.stream(tree).read(), {}, 0
        while pos < len(raw):
            space = raw.index(b" ", pos)
            nul = raw.index(b"\0", space)
            out[raw[space + 1 : nul]] = (raw[pos:space], raw[nul + 1 : nul + 21])
            pos = nul + 21
        return out

    def _put(self, tree: bytes | None, parts: list[str], blob: bytes) -> bytes:
        """A new tree: `tree` with the blob at `parts` (sub-trees created or rewritten as needed)."""
        entries = self._entries(tree)
        name = parts[0].encode("utf-8")
        if len(parts) == 1:
            entries[name] = (b"100644", blob)
        else:
            sub = entries.get(name)
            entries[name] = (b"40000", self._put(sub[1] if sub and sub[0] == b"40000" else None, parts[1:], blob))
        # git orders entries by name, a sub-tree's name compared as if it ended in "/"
        ordered = sorted(entries.items(), key=lambda kv: kv[0] + (b"/" if kv[1][0] == b"40000" else b""))
        return self._store(b"tree", b"".join(mode + b" " + n + b"\0" + sha for n, (mode, sha) in ordered))

    # -- Ledger --------------------------------------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        sha = self._tree(self.tip()).get(path)
        if sha:
            self._seen[path] = sha
        return self._blob(sha) if sha else None

    def paths(self) -> Iterator[str]:
        yield from self._tree(self.tip())

    def write(self, files: Mapping[str, bytes], message: str, *, attempts: int = 5) -> None:
        if self.read_only:
            raise GitError("the records are open read-only (a dry run writes nothing)")
        for attempt in range(attempts):
            # our last commit is the tip unless someone moved the branch: then the CAS below fails
            old = self._tree_cache[0] if self._tree_cache and attempt == 0 else self.tip()
            if old is not None:
                current = self._tree(old)
                merged = {}
                for path, data in files.items():
                    sha = current.get(path)
                    if sha is None or sha == self._seen.get(path):
                        merged[path] = data  # new, or exactly the version our data was built on
                    else:
                        merged[path] = merge_file(path, data, self._blob(sha))
                files = merged
            new = self.commit_files(old, files, message)
            try:
                self._git("update-ref", "-m", f"wxpub: {message}", self.ref, new, old or _ZERO)
            except GitError:
                continue  # someone moved the branch meanwhile: merge onto the new tip and try again
            self._tree_cache = (new, {**(self._tree(old) if old else {}), **self._written})
            self._seen.update(self._written)
            if self.auto_push:
                self.push()
            return
        raise GitError(f"cannot update {self.branch}: it keeps moving", hint="is another publish job running?")

    def records(self) -> dict[str, Record]:
        tip = self.tip()
        files = self._tree(tip)
        wanted = {p: sha for p, sha in files.items() if p.endswith((".json", ".form.md", ".form.html"))}
        blobs = self._blobs(list(wanted.values()))
        out: dict[str, Record] = {}
        for path, sha in sorted(wanted.items()):
            pid = _post_id_of(path)
            if pid is None:
                continue
            rec = Record.loads(blobs[sha], post_id=pid)
            rec.post_id = pid
            self._seen[path] = sha
            stem = path[: -len(".json")]
            md, html = files.get(stem + ".form.md"), files.get(stem + ".form.html")
            rec.form_markdown = blobs[md].decode("utf-8") if md else ""
            rec.form_html = blobs[html].decode("utf-8") if html else ""
            out[pid] = rec
        return out

    def _blobs(self, shas: list[str]) -> dict[str, bytes]:
        """Many blobs in one `git cat-file --batch` call."""
        if not shas:
            return {}
        unique = list(dict.fromkeys(shas))
        out = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=self.root,
            input=("\n".join(unique) + "\n").encode(),
            capture_output=True,
            timeout=300,
        )
        if out.returncode != 0:
            raise GitError(f"git cat-file --batch failed: {out.stderr.decode('utf-8', 'replace').strip()}")
        data, pos, blobs = out.stdout, 0, {}
        for sha in unique:
            nl = data.index(b"\n", pos)
            header = data[pos:nl].split()
            size = int(header[2])
            blobs[sha] = data[nl + 1 : nl + 1 + size]
            pos = nl + 1 + size + 1
        return blobs

    def describe(self) -> str:
        return f"branch {self.branch}"

    # -- push ----------------------------------------------------------------------------------------

    def fetch(self) -> None:
        """Fetch `origin/wxpub-records` (absent on the first run) and bring the local branch up to it."""
        try:
            self._git("fetch", "--quiet", self.remote, f"+{self.ref}:{self.remote_ref}")
        except GitError as exc:
            if "couldn't find remote ref" not in exc.message.lower():
                raise
            return
        self.sync()
        self.merge_remote()

    def push(self, *, attempts: int = 4) -> str:
        """`git push origin wxpub-records`; on a non-fast-forward, fetch, merge records and retry.

        Returns the pushed commit. Never forces.
        """
        for _ in range(attempts):
            tip = self.tip()
            if tip is None:
                return ""
            try:
                self._git("push", "--quiet", self.remote, f"{self.ref}:{self.ref}")
                self._git("update-ref", self.remote_ref, tip)
                return tip
            except GitError as exc:
                last = exc
            self._git("fetch", "--quiet", self.remote, f"+{self.ref}:{self.remote_ref}")
            self.merge_remote()
        raise GitError(f"cannot push {self.branch} to {self.remote}: {last.message}", hint="retry the job")

    def merge_remote(self) -> None:
        """Merge `origin/wxpub-records` into the local branch (records merged event by event)."""
        remote, local = self._rev(self.remote_ref), self.tip()
        if remote is None or local is None or self._is_ancestor(remote, local):
            return
        if self._is_ancestor(local, remote):
            self._git("update-ref", self.ref, remote, local)
            return
        base = self._git("merge-base", local, remote).strip() or None
        base_files, ours, theirs = self._tree(base), self._tree(local), self._tree(remote)
        changed = {p: sha for p, sha in ours.items() if base_files.get(p) != sha}
        files: dict[str, bytes] = {}
        for path, sha in changed.items():
            mine = self._blob(sha)
            other = theirs.get(path)
            files[path] = (
                mine if other is None or other == base_files.get(path) else merge_file(path, mine, self._blob(other))
            )
        commit = self.commit_files(remote, files, f"merge {self.remote}/{self.branch}", extra_parents=[local])
        self._git("update-ref", self.ref, commit, local)


def open_ledger(root: Path, *, directory: Path | None = None) -> Ledger:
    """The records store: a folder when `directory` is given, else the `wxpub-records` branch of `root`."""
    return DirectoryLedger(directory) if directory is not None else GitLedger(root)


def read_records(root: Path, *, ref: str | None = None, directory: Path | None = None) -> dict[str, Record]:
    """Every record by post id: from `directory` when given, else from git.

    With no `ref`, reads the local `wxpub-records` branch or `origin/wxpub-records` (whichever is newer);
    an empty dict when neither exists (nothing published yet) or `root` is no git repository.
    """
    if directory is not None:
        return DirectoryLedger(Path(directory)).records()
    reader = _Reader(Path(root))
    if reader.broken:
        return {}
    commit: str | None
    if ref is None:
        local = reader.rev(f"refs/heads/{BRANCH}")
        remote = reader.rev(f"refs/remotes/{REMOTE}/{BRANCH}")
        if local and remote and local != remote and reader.is_ancestor(local, remote):
            commit = remote
        else:
            commit = local or remote
    else:
        commit = reader.rev(ref)
        if commit is None:
            raise GitError(f"no such records ref: {ref}", hint=f"fetch it first: git fetch {REMOTE} {BRANCH}")
    if commit is None:
        return {}
    return reader.records_at(commit)


class _Reader(GitLedger):
    """Read-only view at a fixed commit (no sync, no writes)."""

    def __init__(self, root: Path) -> None:  # deliberately no super().__init__: nothing to sync
        self.root = root
        self.branch, self.remote = BRANCH, REMOTE
        self.ref, self.remote_ref = f"refs/heads/{BRANCH}", f"refs/remotes/{REMOTE}/{BRANCH}"
        self._tree_cache = None
        self._seen, self._written, self._ident = {}, {}, None
        self._db = None
        self.read_only = True
        self._at: str | None = None
        try:
            self._git("rev-parse", "--git-dir")
            self.broken = False
        except GitError:
            self.broken = True

    def rev(self, ref: str) -> str | None:
        return self._rev(ref)

    def is_ancestor(self, a: str, b: str) -> bool:
        return self._is_ancestor(a, b)

    def tip(self) -> str | None:
        return self._at

    def records_at(self, commit: str) -> dict[str, Record]:
        self._at = commit
        return self.records()

    def write(self, files: Mapping[str, bytes], message: str, *, attempts: int = 5) -> None:
        raise GitError("read-only view of the records")
