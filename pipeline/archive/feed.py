"""The archive's RSS 2.0 feed: the latest publications, written with xml.etree."""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET

from .model import Entry

FEED_ITEMS = 50
DC = "http://purl.org/dc/elements/1.1/"
ET.register_namespace("dc", DC)


def rss(entries: list[Entry], *, title: str, site_url: str = "", limit: int = FEED_ITEMS) -> bytes:
    """RSS for the newest `limit` entries. Links are absolute under `site_url`, else site-relative."""
    base = site_url.rstrip("/") + "/" if site_url else ""
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = base or "./"
    ET.SubElement(channel, "description").text = f"{title}：已发布文章"
    ET.SubElement(channel, "language").text = "zh-cn"
    if entries:
        ET.SubElement(channel, "lastBuildDate").text = email.utils.format_datetime(entries[0].published_at)
    for e in entries[:limit]:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = ("【已撤回】" if e.status == "retracted" else "") + e.title
        ET.SubElement(item, "link").text = base + e.url
        ET.SubElement(item, "guid", isPermaLink="false").text = e.id
        ET.SubElement(item, "pubDate").text = email.utils.format_datetime(e.published_at)
        ET.SubElement(item, "category").text = e.category_name
        ET.SubElement(item, f"{{{DC}}}creator").text = e.unit  # RSS's own <author> must be an e-mail address
        if e.digest:
            ET.SubElement(item, "description").text = e.digest
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
