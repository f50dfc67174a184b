"""Stage render: Markdown -> WeChat HTML; lists the body images."""

from __future__ import annotations

from typing import Any

from ..findings import Severity
from ..i18n import _
from .base import PublisherBase
from .model import Job, StepFailed, _findings_text


class Render(PublisherBase):
    def _render(self, job: Job, images: dict[str, str] | None) -> Any:
        from ..render import render_post

        rendered = render_post(job.post, self.root, self.policy, images=images)
        errors = [f for f in rendered.findings if f.severity is Severity.ERROR]
        if errors:
            raise StepFailed(
                "render", _("the post does not render: {findings}", findings=_findings_text(errors)), blocked=True
            )
        return rendered

    def stage_render(self, job: Job) -> None:
        def body() -> None:
            rendered = self._render(job, None)
            job.images = list(rendered.images)
            job.html = rendered.html
            if not self.dry_run and job.record.result("render", commit=job.commit) is None:
                self._event(job, "render", "done", images=job.images, characters=len(rendered.html))

        self._guard(job, "render", body)
