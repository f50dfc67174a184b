"""Reconciliation: the article a version sends, and finding this post's drafts and articles on WeChat by
its versions' fingerprints (listings without content, within the run's call budget)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import WeChatError
from .base import PublisherBase
from .identity import item_key, marker_comment, marker_prefix, version_keys
from .model import Job


class Reconcile(PublisherBase):
    def article(self, job: Job) -> dict[str, Any]:
        meta = job.post.meta
        assert meta is not None
        return {
            "title": meta.title,
            "author": meta.author,
            "digest": meta.digest,
            "content": job.html + marker_comment(job.marker),
            "content_source_url": str(meta.source_url) if meta.source_url else "",
            "thumb_media_id": job.cover_media_id,
            "need_open_comment": 0 if meta.comments == "closed" else 1,
            "only_fans_can_comment": 1 if meta.comments == "fans" else 0,
        }

    def _versions(self, job: Job) -> tuple[set[str], set[str], set[str]]:
        """(fingerprints of this commit's content, of earlier commits' content, titles of every version).

        Fingerprints are recorded with every `draft started` event; this commit's is also computed from
        the article about to be sent, once its cover is known."""
        this: set[str] = set()
        older: set[str] = set()
        titles = {job.post.meta.title.strip()} if job.post.meta else set()
        for e in job.record.events:
            if e.step == "due" and e.data.get("title"):
                titles.add(str(e.data["title"]).strip())
            if e.step == "draft" and e.status == "started" and e.data.get("fingerprint"):
                keys = {"f:" + str(e.data["fingerprint"])}
                if e.data.get("text_fingerprint"):
                    keys.add("t:" + str(e.data["text_fingerprint"]))
                (this if e.commit == job.commit else older).update(keys)
        if job.cover_media_id and job.html:
            this.update(version_keys(self.article(job)))
        return this, older, titles

    def _mine(self, job: Job, item: dict[str, Any], versions: tuple[set[str], set[str], set[str]]) -> str:
        """'this' when a draft/published item (with content) is this post's current version, 'older' for
        an earlier commit of the same post, 'either' when the two cannot be told apart, '' otherwise.

        The marker comment decides when WeChat kept it (a hint: nothing promises that comments survive);
        otherwise the version's fingerprint does (title, cover and the text of the content, which WeChat
        documents it keeps)."""
        this, older, _titles = versions
        news = (item.get("content") or {}).get("news_item") or []
        for article in news:
            text = f"{article.get('content', '')} {article.get('content_source_url', '')}"
            if job.marker in text:
                return "this"
            if marker_prefix(job.id) in text:
                return "older"
            fp = item_key(article)
            if fp in this and fp in older:
                return "either"
            if fp in this:
                return "this"
            if fp in older:
                return "older"
        return ""

    def _scan(self, job: Job, kind: str, *, stop_first: bool) -> Iterator[tuple[str, dict[str, Any]]]:
        """(classification, item with content) for the items of one listing pass that belong to this
        post: drafts (`kind` "drafts") or published articles ("published"). The listing is read without
        content (`no_content=1`) in any order; only items whose title is one of the post's versions'
        are fetched in full (`draft/get`, `freepublish/getarticle`). Stops at the first match when asked."""
        versions = self._versions(job)
        titles = versions[2]
        fetch = self.client.batchget_drafts if kind == "drafts" else self.client.batchget_published
        offset = 0
        while True:
            self._spend()
            page = fetch(offset=offset, count=20, no_content=True)
            items = page.get("item") or []
            for item in items:
                news = (item.get("content") or {}).get("news_item") or []
                shown = [n for n in news if "title" in n]
                if news and len(shown) == len(news) and not any(str(n["title"]).strip() in titles for n in shown):
                    continue  # another post's (a listing that hides titles is looked at in full)
                if not all("content" in n for n in news):
                    self._spend()
                    try:
                        if kind == "drafts":
                            full = self.client.get_draft(str(item.get("media_id", "")))
                        else:
                            full = self.client.get_published_article(str(item.get("article_id", "")))
                    except WeChatError as exc:
                        if exc.errcode in (40007, 53600):  # gone since it was listed
                            continue
                        raise
                    item = {**item, "content": {"news_item": full.get("news_item") or []}}
                mine = self._mine(job, item, versions)
                if mine:
                    yield mine, item
                    if stop_first:
                        return
            offset += len(items)
            if not items or offset >= int(page.get("total_count", 0)):
                return

    def find_drafts(self, job: Job) -> tuple[list[str], list[str]]:
        """(media_ids of drafts of this content, media_ids of drafts of earlier commits of this post).
        A draft that cannot be told apart from an earlier version's counts as earlier (it is replaced)."""
        this: list[str] = []
        older: list[str] = []
        for mine, item in self._scan(job, "drafts", stop_first=False):
            (this if mine == "this" else older).append(str(item.get("media_id")))
        return this, older

    def find_published(self, job: Job, kind: str = "this") -> dict[str, Any] | None:
        """{article_id, article_url} of this content's published article (`kind` "older": of an earlier
        version of the post), if WeChat lists one. One listing pass at most, stopping at the first match;
        an article that cannot be told apart from either version counts for both (never a second one)."""
        for mine, item in self._scan(job, "published", stop_first=False):
            if mine in (kind, "either"):
                news = (item.get("content") or {}).get("news_item") or [{}]
                return {"article_id": str(item.get("article_id", "")), "article_url": str(news[0].get("url", ""))}
        return None
