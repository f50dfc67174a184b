"""Stage record: the article URL and the time: the post is published. Also what a dry run says instead."""

from __future__ import annotations

from ..i18n import _
from .base import PublisherBase
from .model import Job


class RecordStage(PublisherBase):
    def stage_record(self, job: Job) -> None:
        def body() -> None:
            if job.record.published:
                return
            final = job.record.result("poll", commit=job.commit) or job.record.result("broadcast", commit=job.commit)
            draft = job.record.result("draft", commit=job.commit) or {}
            submit = job.record.result("submit", commit=job.commit) or {}
            data = {
                "delivery": job.delivery,
                "media_id": draft.get("media_id", ""),
                "publish_id": submit.get("publish_id", ""),
                "article_id": (final or {}).get("article_id", ""),
                "article_url": (final or {}).get("article_url", ""),
                "msg_id": (final or {}).get("msg_id", ""),
                "msg_data_id": (final or {}).get("msg_data_id", ""),
                "confirmed_by": (final or {}).get("confirmed_by", ""),
                "evidence": (final or {}).get("evidence", ""),
                "published_at": self.clock().isoformat(),
                "marker": job.marker,
                "tree": job.tree,
            }
            kept = {k: str(v) if k.startswith("msg_") else v for k, v in data.items() if v not in ("", None)}
            self._event(job, "record", "done", **kept)
            self._say(job, "record", job.record.article_url or _("done"))

        self._guard(job, "record", body)

    # -- dry run -------------------------------------------------------------------------------------

    def _dry_run_text(self, job: Job) -> str:
        meta = job.post.meta
        assert meta is not None
        what = _("broadcast to every follower (群发)") if meta.delivery == "broadcast" else _("publish (发表)")
        text = _(
            "would {what}: {title}, {chars} characters of HTML, {images} body image(s), cover {cover}, commit {commit}",
            what=what,
            title=repr(meta.title),
            chars=len(job.html),
            images=len(job.images),
            cover=str(meta.cover),
            commit=job.commit[:12],
        )
        return text + "".join(f"; {note}" for note in job.notes)
