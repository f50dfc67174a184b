"""Stages images and cover: body images uploaded once, ever (content-addressed cache on the records
branch), the cover once as permanent material; a cached cover WeChat no longer knows is uploaded again."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..i18n import _
from ..post import cover_path, resolve_inside
from .model import Job, StepFailed
from .render import Render


class Uploads(Render):
    def stage_images(self, job: Job) -> None:
        def body() -> None:
            assert self.ledger is not None
            cache = self.ledger.images()
            todo: list[tuple[str, str, bytes]] = []
            for rel in job.images:
                path, problem = resolve_inside(job.post.folder, rel, self.root)
                if path is None:
                    raise StepFailed(
                        "images", _("{path}: image {problem}", path=job.post.path, problem=problem), blocked=True
                    )
                data = path.read_bytes()
                key = "body:" + hashlib.sha256(data).hexdigest()
                if key in cache:
                    job.image_urls[rel] = str(cache[key]["url"])
                else:
                    todo.append((rel, key, data))
            if todo:
                self._event(job, "images", "started", uploads=[rel for rel, _, _ in todo])
                for rel, key, data in todo:
                    url = self.client.upload_body_image(data, Path(rel).name)
                    self._crash("images", "call")
                    self.ledger.add_images({key: {"url": url, "post": job.id}}, f"{job.id}: image {rel}")
                    job.image_urls[rel] = url
                    self._say(job, "images", _("uploaded {file}", file=rel))
            if job.images and job.record.result("images", commit=job.commit) != {"urls": job.image_urls}:
                self._event(job, "images", "done", urls=job.image_urls)
            job.html = self._render(job, job.image_urls).html

        self._guard(job, "images", body)

    def _cover_file(self, job: Job) -> tuple[Path, bytes, str]:
        path = cover_path(job.post, self.root)
        if path is None:
            raise StepFailed("cover", _("{path}: the cover cannot be read", path=job.post.path), blocked=True)
        data = path.read_bytes()
        return path, data, "cover:" + hashlib.sha256(data).hexdigest()

    def stage_cover(self, job: Job) -> None:
        def body() -> None:
            assert self.ledger is not None
            _path, _data, key = self._cover_file(job)
            cached = self.ledger.images().get(key)
            if cached and cached.get("media_id"):
                job.cover_media_id = str(cached["media_id"])
                done = job.record.result("cover", commit=job.commit)
                if done is None or done.get("media_id") != job.cover_media_id:
                    self._event(job, "cover", "done", media_id=job.cover_media_id, cached=True)
                return
            self._upload_cover(job)

        self._guard(job, "cover", body)

    def _upload_cover(self, job: Job, *, stale: str = "") -> None:
        """Upload the cover as permanent material and cache it. `stale`: a cached media_id WeChat no longer
        knows (40007): its cache entry is dropped in the same record write."""
        path, data, key = self._cover_file(job)
        if stale:
            self._event(
                job,
                "cover",
                "failed",
                error=_("WeChat no longer knows the cached cover {media_id} (40007)", media_id=stale),
                errcode=40007,
                media_id=stale,
                dropped_from_cache=True,
                _images={key: {"media_id": "", "dropped_media_id": stale, "post": job.id}},
            )
            self._say(job, "cover", _("the cached cover is unknown to WeChat (40007): uploading it again"))
        self._event(job, "cover", "started", file=path.name)
        media_id, url = self.client.add_cover(data, path.name)
        self._crash("cover", "call")
        job.cover_media_id = media_id
        self._event(
            job,
            "cover",
            "done",
            media_id=media_id,
            url=url,
            **({"replaces": stale} if stale else {}),
            _images={key: {"media_id": media_id, "url": url, "post": job.id}},
        )
        self._say(job, "cover", _("uploaded"))
