"""The rules the renderer enforces: what WeChat does to an article body, said before it happens."""

from __future__ import annotations

from ..findings import Rule, Severity, register
from ..i18n import N_

R_BODY_LENGTH = register(
    Rule(
        id="render/body-length",
        name="body-length",
        article="WeChat",
        severity=Severity.ERROR,
        summary=N_("the rendered article is 20,000 characters or more, or 1 MB or more"),
        help=N_(
            "WeChat rejects an article whose HTML content is 20,000 characters or more, or 1 MB or more "
            "(45002 content size out of limit). The count is of the HTML wxpub sends: the text plus the "
            "inline styles of the theme and the image URLs WeChat assigns."
        ),
        instead=N_("Split the article into two posts, or shorten it; long tables and code blocks cost the most."),
    )
)
R_LIST_DEPTH = register(
    Rule(
        id="render/list-depth",
        name="list-depth",
        article="WeChat",
        severity=Severity.INFO,
        summary=N_("a list is nested more than two levels deep and is flattened"),
        help=N_("WeChat's article view keeps lists to two levels; wxpub lifts deeper items to the second level."),
        instead=N_("Keep lists to two levels, or turn the third level into a sentence or a table."),
        example="- 一级\n    - 二级\n        - 三级（会被提升到二级）",
    )
)
R_IMAGE_MISSING = register(
    Rule(
        id="render/image-missing",
        name="image-missing",
        article="WeChat",
        severity=Severity.ERROR,
        summary=N_("a body image does not exist in the post folder"),
        help=N_("Every image the body shows is uploaded to WeChat from the post folder; a missing file cannot be."),
        instead=N_("Add the file beside index.md, or correct the name (names are case-sensitive)."),
    )
)
R_IMAGE_SOURCE = register(
    Rule(
        id="render/image-source",
        name="image-source",
        article="WeChat",
        severity=Severity.ERROR,
        summary=N_("a body image is not a file in the post folder (a web address, data: URI or outside path)"),
        help=N_(
            "WeChat shows only images uploaded through its API and drops every other image address; "
            "files outside the post folder are not part of the reviewed post."
        ),
        instead=N_("Save the image (with its licence noted under `sources:`) in the post folder: ![说明](chart.png)."),
    )
)
R_IMAGE_FORMAT = register(
    Rule(
        id="render/image-format",
        name="image-format",
        article="WeChat",
        severity=Severity.INFO,
        summary=N_("a body image is not JPEG or PNG and will be converted"),
        help=N_("WeChat's body-image upload accepts only JPEG and PNG; other formats are converted before upload."),
        instead=N_("Save the image as PNG (charts, screenshots) or JPEG (photos)."),
    )
)
R_IMAGE_SIZE = register(
    Rule(
        id="render/image-size",
        name="image-size",
        article="WeChat",
        severity=Severity.INFO,
        summary=N_("a body image is 1 MB or larger and will be recompressed"),
        help=N_(
            "WeChat's body-image upload (media/uploadimg) refuses files of 1 MB or more; the publisher "
            "recompresses or scales such images down before uploading, which can blur text in them."
        ),
        instead=N_("Resize the image yourself (1080 px wide is plenty for a phone) or save it as JPEG at quality 85."),
    )
)
R_IMAGE_UNMAPPED = register(
    Rule(
        id="render/image-unmapped",
        name="image-unmapped",
        article="WeChat",
        severity=Severity.ERROR,
        summary=N_("a body image has no WeChat URL at publish time"),
        help=N_(
            "At publish time every local image must have been uploaded; an image without its WeChat URL is dropped."
        ),
        instead=N_("Re-run the publish job; if it persists, report it: the publisher did not upload the image."),
    )
)
R_UNSAFE_HTML = register(
    Rule(
        id="render/unsafe-html",
        name="unsafe-html",
        article="WeChat",
        severity=Severity.REVIEW,
        summary=N_("raw HTML with scripts, frames, event handlers or script URLs was removed"),
        help=N_(
            "WeChat removes scripts and active content, and so does wxpub; raw HTML that tries to run "
            "something is unusual in a bank's article and worth a second look."
        ),
        instead=N_("Write the content in Markdown; use only plain formatting tags in raw HTML."),
    )
)

RULES = (
    R_BODY_LENGTH,
    R_LIST_DEPTH,
    R_IMAGE_MISSING,
    R_IMAGE_SOURCE,
    R_IMAGE_FORMAT,
    R_IMAGE_SIZE,
    R_IMAGE_UNMAPPED,
    R_UNSAFE_HTML,
)
