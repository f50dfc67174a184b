"""The local WeChat, over real HTTP on loopback: tokens, limits, media, drafts, publish jobs, broadcasts, faults."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import sigint_burst
from PIL import Image

from pipeline.commands.sandbox import parse_fault
from pipeline.errors import UsageError
from pipeline.wechat.sandbox import SANDBOX_SECRET, Fault, Sandbox, SandboxConfig

PROJECT = Path(__file__).resolve().parents[1]
BEIJING = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING).timestamp()


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


class Raw:
    """Plain HTTP calls to the sandbox, to test the server's answers without the client's handling."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.http = requests.Session()
        self._token = ""

    def close(self) -> None:
        self.http.close()

    def stable_token(self, **over: Any) -> dict[str, Any]:
        body = {"grant_type": "client_credential", "appid": self.sb.config.appid, "secret": self.sb.config.secret}
        body.update(over)
        return self.http.post(f"{self.sb.base_url}/cgi-bin/stable_token", json=body, timeout=5).json()

    def token(self) -> str:
        if not self._token:
            self._token = self.stable_token()["access_token"]
        return self._token

    def call(self, path: str, payload: Any = None, *, token: str | None = None, method: str = "POST", **kw: Any):
        params = {"access_token": self.token() if token is None else token, **kw.pop("params", {})}
        if payload is not None:
            kw["data"] = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        resp = self.http.request(method, f"{self.sb.base_url}/cgi-bin/{path}", params=params, timeout=5, **kw)
        return resp.json()

    def upload(self, path: str, data: bytes, name: str, **params: str) -> requests.Response:
        return self.http.post(
            f"{self.sb.base_url}/cgi-bin/{path}",
            params={"access_token": self.token(), **params},
            files={"media": (name, data, "application/octet-stream")},
            timeout=5,
        )

    def cover(self) -> str:
        return self.upload("material/add_material", image(), "cover.jpg", type="image").json()["media_id"]

    def draft(self, **over: Any) -> str:
        return self.call("draft/add", {"articles": [article(self.cover(), **over)]})["media_id"]


def image(fmt: str = "JPEG", size: tuple[int, int] = (90, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 90, 160)).save(buf, format=fmt)
    return buf.getvalue()


def article(thumb: str, **over: Any) -> dict[str, Any]:
    a = {
        "title": "存款利率调整公告",
        "author": "计划财务部",
        "content": "<p>本行自12月1日起调整存款利率。</p>",
        "thumb_media_id": thumb,
    }
    a.update(over)
    return a


@pytest.fixture
def start() -> Iterator[Any]:
    """`start(**config)` -> (sandbox, Raw); stopped after the test."""
    opened: list[tuple[Sandbox, Raw]] = []

    def make(**config: Any) -> tuple[Sandbox, Raw]:
        sb = Sandbox(SandboxConfig(**config))
        sb.start()
        raw = Raw(sb)
        opened.append((sb, raw))
        return sb, raw

    yield make
    for sb, raw in opened:
        raw.close()
        sb.stop()


# ------------------------------------------------------------------------- tokens


def test_stable_token_is_the_same_while_valid_and_force_refresh_invalidates(start) -> None:
    _sb, raw = start()
    first = raw.stable_token()
    assert first["expires_in"] == 7200
    assert raw.stable_token()["access_token"] == first["access_token"]
    forced = raw.stable_token(force_refresh=True)["access_token"]
    assert forced != first["access_token"]
    assert raw.call("draft/count", method="GET", token=first["access_token"])["errcode"] == 40001
    assert raw.call("draft/count", method="GET", token=forced) == {"total_count": 0}


def test_token_expires_and_is_renewed_near_expiry(start) -> None:
    clock = Clock()
    _sb, raw = start(clock=clock, token_ttl=600, token_renew_window=60)
    token = raw.stable_token()["access_token"]
    clock.t += 500
    assert raw.stable_token() == {"access_token": token, "expires_in": 100}
    clock.t += 50  # 50 s left: inside the renewal window -> a new token; the old one still works until expiry
    renewed = raw.stable_token()["access_token"]
    assert renewed != token
    assert raw.call("draft/count", method="GET", token=token) == {"total_count": 0}
    clock.t += 50
    assert raw.call("draft/count", method="GET", token=token)["errcode"] == 42001
    assert raw.call("draft/count", method="GET", token=renewed) == {"total_count": 0}


def test_basic_token_call_keeps_the_old_token_for_an_overlap(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, token_overlap=300)
    params = {"grant_type": "client_credential", "appid": sb.config.appid, "secret": sb.config.secret}
    a = requests.get(f"{sb.base_url}/cgi-bin/token", params=params, timeout=5).json()["access_token"]
    b = requests.get(f"{sb.base_url}/cgi-bin/token", params=params, timeout=5).json()["access_token"]
    assert a != b
    assert sb.calls()[0].query == "grant_type=client_credential&appid=wx00000000sandbox&secret=***"
    assert raw.call("draft/count", method="GET", token=a) == {"total_count": 0}
    clock.t += 301
    assert raw.call("draft/count", method="GET", token=a)["errcode"] == 42001
    assert raw.call("draft/count", method="GET", token=b) == {"total_count": 0}


@pytest.mark.parametrize(
    ("config", "over", "errcode"),
    [
        ({}, {"appid": "wx-someone-else"}, 40013),
        ({}, {"secret": "wrong"}, 40125),
        ({}, {"grant_type": "password"}, 40002),
        ({"whitelist_error": True}, {}, 40164),
    ],
)
def test_token_refusals(start, config: dict[str, Any], over: dict[str, str], errcode: int) -> None:
    _sb, raw = start(**config)
    answer = raw.stable_token(**over)
    assert answer["errcode"] == errcode
    assert " rid: " in answer["errmsg"]
    if errcode == 40164:
        assert "127.0.0.1" in answer["errmsg"] and "whitelist" in answer["errmsg"]


def test_calls_without_or_with_a_bad_token(start) -> None:
    sb, raw = start()
    resp = requests.post(f"{sb.base_url}/cgi-bin/draft/add", json={}, timeout=5)
    assert resp.status_code == 200 and resp.json()["errcode"] == 41001
    assert raw.call("draft/add", {}, token="nonsense")["errcode"] == 40001
    assert raw.call("no/such/api", {})["errcode"] == 40066


# ------------------------------------------------------------------------- limits


@pytest.mark.parametrize(
    ("over", "errcode"),
    [
        ({"title": "标" * 32}, 0),
        ({"title": "标" * 33}, 45003),
        ({"title": ""}, 47001),
        ({"author": "作" * 16}, 0),
        ({"author": "作" * 17}, 45110),
        ({"digest": "摘" * 128}, 0),
        ({"digest": "摘" * 129}, 45004),
        ({"content": "字" * 19_999}, 0),
        ({"content": "字" * 20_000}, 45002),
        ({"content": ""}, 44003),
        ({"content_source_url": "https://example.com/" + "a" * 1004}, 0),
        ({"content_source_url": "https://example.com/" + "a" * 1005}, 45005),
        ({"need_open_comment": 2}, 47001),
        ({"pic_crop_235_1": "0_0_1_2"}, 47001),
        ({"pic_crop_235_1": "0_0.1_1_0.9"}, 0),
        ({"thumb_media_id": "no-such-media"}, 40007),
        ({"thumb_media_id": ""}, 40007),
    ],
)
def test_article_limits(start, over: dict[str, Any], errcode: int) -> None:
    sb, raw = start()
    answer = raw.call("draft/add", {"articles": [article(raw.cover(), **over)]})
    assert answer.get("errcode", 0) == errcode, answer
    assert len(sb.drafts()) == (1 if errcode == 0 else 0)


def test_draft_structure_errors(start) -> None:
    _sb, raw = start()
    thumb = raw.cover()
    assert raw.call("draft/add", {"articles": []})["errcode"] == 44003
    assert raw.call("draft/add", {"articles": [article(thumb)] * 9})["errcode"] == 45008
    assert "media_id" in raw.call("draft/add", {"articles": [article(thumb, title=f"第{i}篇") for i in range(8)]})
    escaped = json.dumps({"articles": [article(thumb)]}, ensure_ascii=True)
    assert raw.call("draft/add", data=escaped)["errcode"] == 40033
    assert raw.call("draft/add", data=b"{not json")["errcode"] == 47001
    temp = raw.upload("media/upload", image(), "t.jpg", type="thumb").json()["media_id"]
    assert raw.call("draft/add", {"articles": [article(temp)]})["errcode"] == 40007  # temporary media


def test_content_is_cleaned_like_wechat_does(start) -> None:
    sb, raw = start()
    url = raw.upload("media/uploadimg", image(), "a.jpg").json()["url"]
    html = f'<p>正文</p><script>alert(1)</script><img src="{url}"><img src="https://elsewhere.example/x.png">'
    media_id = raw.draft(content=html)
    (item,) = raw.call("draft/get", {"media_id": media_id})["news_item"]
    assert "<script" not in item["content"]
    assert url in item["content"] and "elsewhere.example" not in item["content"]
    assert item["digest"] == "正文"  # empty digest: the start of the text
    assert sb.drafts()[0]["articles"][0]["filtered_images"] == ["https://elsewhere.example/x.png"]


# -------------------------------------------------------------------------- media


def test_uploadimg_answers_json_as_text_plain_and_serves_the_image(start) -> None:
    sb, raw = start()
    data = image("PNG")
    resp = raw.upload("media/uploadimg", data, "chart.png")
    assert resp.headers["Content-Type"] == "text/plain"
    url = json.loads(resp.text)["url"]
    assert url.startswith(f"{sb.base_url}/mmbiz/")
    with requests.get(url, timeout=5) as got:
        assert got.content == data and got.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("data", "name", "errcode"),
    [
        (image("GIF"), "a.gif", 40005),
        (image("BMP"), "a.bmp", 40005),
        (image("PNG"), "a.gif", 40005),  # the name counts too
        (b"%PDF-1.4 not an image", "a.pdf", 40005),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "big.png", 40009),
    ],
)
def test_uploadimg_refusals(start, data: bytes, name: str, errcode: int) -> None:
    _sb, raw = start()
    assert raw.upload("media/uploadimg", data, name).json()["errcode"] == errcode


def test_uploadimg_without_media(start) -> None:
    sb, raw = start()
    resp = requests.post(
        f"{sb.base_url}/cgi-bin/media/uploadimg", params={"access_token": raw.token()}, files={"other": b"x"}, timeout=5
    )
    assert resp.json()["errcode"] == 41005


def test_add_material_gives_permanent_ids(start) -> None:
    sb, raw = start()
    answer = raw.upload("material/add_material", image("GIF"), "c.gif", type="image").json()
    assert answer["media_id"].startswith("PERM_") and answer["url"].startswith(sb.base_url)
    assert sb.media()[answer["media_id"]]["permanent"] is True
    assert raw.upload("material/add_material", image(), "c.jpg", type="file").json()["errcode"] == 40004
    big_thumb = image(size=(600, 600))
    big_thumb += b"\0" * (65 * 1024)
    assert raw.upload("material/add_material", big_thumb, "t.jpg", type="thumb").json()["errcode"] == 40009


# ------------------------------------------------------------------------- drafts


def test_draft_box_get_batchget_count_update_delete(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, token_ttl=1e8)
    ids = []
    for i in range(3):
        ids.append(raw.draft(title=f"草稿{i}"))
        clock.t += 10
    assert raw.call("draft/count", method="GET") == {"total_count": 3}
    page = raw.call("draft/batchget", {"offset": 0, "count": 2, "no_content": 1})
    assert page["total_count"] == 3 and page["item_count"] == 2
    assert [it["media_id"] for it in page["item"]] == [ids[2], ids[1]]  # newest first
    assert "content" not in page["item"][0]["content"]["news_item"][0]
    full = raw.call("draft/batchget", {"offset": 2, "count": 20, "no_content": 0})
    assert full["item"][0]["content"]["news_item"][0]["content"].startswith("<p>")
    assert raw.call("draft/batchget", {"offset": 0, "count": 21})["errcode"] == 47001
    upd = {"media_id": ids[0], "index": 0, "articles": article(raw.cover(), title="改过的标题")}
    assert raw.call("draft/update", upd)["errcode"] == 0
    assert raw.call("draft/get", {"media_id": ids[0]})["news_item"][0]["title"] == "改过的标题"
    assert raw.call("draft/delete", {"media_id": ids[1]})["errcode"] == 0
    assert raw.call("draft/delete", {"media_id": ids[1]})["errcode"] == 40007
    assert raw.call("draft/get", {"media_id": ids[1]})["errcode"] == 40007
    assert [d["media_id"] for d in sb.drafts()] == [ids[0], ids[2]]


# ------------------------------------------------------------------ publish jobs


def test_publish_job_goes_from_publishing_to_published_and_the_draft_leaves(start) -> None:
    sb, raw = start(publish_polls_until_done=2, publish_delay=None)
    media_id = raw.draft()
    submitted = raw.call("freepublish/submit", {"media_id": media_id})
    publish_id = submitted["publish_id"]
    assert submitted["errcode"] == 0 and isinstance(publish_id, str)
    statuses = [raw.call("freepublish/get", {"publish_id": publish_id})["publish_status"] for _ in range(4)]
    assert statuses == [1, 1, 0, 0]
    final = raw.call("freepublish/get", {"publish_id": publish_id})
    assert final["article_detail"]["count"] == 1 and final["fail_idx"] == []
    url = final["article_detail"]["item"][0]["article_url"]
    with requests.get(url, timeout=5) as page:
        assert page.status_code == 200 and "存款利率调整公告" in page.text
    assert sb.drafts() == []
    assert raw.call("freepublish/submit", {"media_id": media_id})["errcode"] == 40007
    listed = raw.call("freepublish/batchget", {"offset": 0, "count": 20, "no_content": 0})
    assert listed["total_count"] == 1 and listed["item"][0]["article_id"] == final["article_id"]
    got = raw.call("freepublish/getarticle", {"article_id": final["article_id"]})
    assert got["news_item"][0]["url"] == url
    assert [a["url"] for a in sb.published_articles()] == [url]


def test_publish_job_finishes_after_a_delay_without_polls(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, publish_polls_until_done=100, publish_delay=5.0)
    publish_id = raw.call("freepublish/submit", {"media_id": raw.draft()})["publish_id"]
    assert raw.call("freepublish/get", {"publish_id": publish_id})["publish_status"] == 1
    assert sb.published_articles() == []
    clock.t += 5
    assert len(sb.published_articles()) == 1  # the job finished on its own
    assert raw.call("freepublish/get", {"publish_id": publish_id})["publish_status"] == 0


@pytest.mark.parametrize("status", [2, 3, 4])
def test_failed_publish_keeps_the_draft(start, status: int) -> None:
    sb, raw = start(publish_outcome_by_title={"不会通过的文章": status}, publish_polls_until_done=0)
    ok_id = raw.call("freepublish/submit", {"media_id": raw.draft()})["publish_id"]
    bad_draft = raw.draft(title="不会通过的文章")
    bad_id = raw.call("freepublish/submit", {"media_id": bad_draft})["publish_id"]
    assert raw.call("freepublish/get", {"publish_id": ok_id})["publish_status"] == 0
    bad = raw.call("freepublish/get", {"publish_id": bad_id})
    assert bad["publish_status"] == status and bad["fail_idx"] == [1] and "article_id" not in bad
    assert [d["media_id"] for d in sb.drafts()] == [bad_draft]


def test_delete_and_ban_show_as_status_5_and_6(start) -> None:
    sb, raw = start(publish_polls_until_done=0)
    ids = [raw.call("freepublish/submit", {"media_id": raw.draft(title=t)})["publish_id"] for t in ("甲", "乙")]
    done = [raw.call("freepublish/get", {"publish_id": p}) for p in ids]
    assert raw.call("freepublish/delete", {"article_id": done[0]["article_id"], "index": 0})["errcode"] == 0
    sb.ban_article(done[1]["article_id"])
    assert [raw.call("freepublish/get", {"publish_id": p})["publish_status"] for p in ids] == [5, 6]
    with requests.get(done[0]["article_detail"]["item"][0]["article_url"], timeout=5) as page:
        assert "已被发布者删除" in page.text
    listed = raw.call("freepublish/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert [it["article_id"] for it in listed["item"]] == [done[1]["article_id"]]
    assert raw.call("freepublish/delete", {"article_id": "nope", "index": 0})["errcode"] == 53600
    assert raw.call("freepublish/get", {"publish_id": "12345"})["errcode"] == 40007


def test_resubmitting_a_draft_while_its_job_runs_publishes_twice(start) -> None:
    """The pessimistic reading of an undocumented case: a blind resubmit duplicates the article."""
    sb, raw = start(publish_delay=None, publish_polls_until_done=5)
    media_id = raw.draft()
    first = raw.call("freepublish/submit", {"media_id": media_id})["publish_id"]
    second = raw.call("freepublish/submit", {"media_id": media_id})["publish_id"]
    assert first != second
    sb.settle()
    assert len(sb.published_articles()) == 2


def test_unverified_account_cannot_publish_or_broadcast(start) -> None:
    _sb, raw = start(verified=False)
    media_id = raw.draft()
    assert raw.call("freepublish/submit", {"media_id": media_id})["errcode"] == 48001
    assert raw.call("message/mass/sendall", sendall(media_id, "x"))["errcode"] == 48001


# ---------------------------------------------------------------------- broadcasts


def sendall(media_id: str, clientmsgid: str) -> dict[str, Any]:
    return {
        "filter": {"is_to_all": True},
        "mpnews": {"media_id": media_id},
        "msgtype": "mpnews",
        "send_ignore_reprint": 0,
        "clientmsgid": clientmsgid,
    }


def test_mass_send_quota_one_a_day_four_a_month(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, token_ttl=1e8)
    answers = []
    for day in range(6):
        answers.append(raw.call("message/mass/sendall", sendall(raw.draft(title=f"第{day}天"), f"post-{day}")))
        if day == 0:
            again = raw.call("message/mass/sendall", sendall(raw.draft(title="同一天"), "same-day"))
            assert again["errcode"] == 45028
        clock.t += 86_400
    assert [a["errcode"] for a in answers] == [0, 0, 0, 0, 45028, 45028]
    assert answers[0]["errmsg"] == "send job submission success" and "msg_data_id" in answers[0]
    assert len(sb.mass_sends()) == 4
    clock.t = dt.datetime(2027, 1, 1, 9, 0, tzinfo=BEIJING).timestamp()  # a new month
    assert raw.call("message/mass/sendall", sendall(raw.draft(), "january"))["errcode"] == 0


def test_clientmsgid_is_deduplicated_for_24_hours(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, mass_day_quota=5, token_ttl=1e8)
    media_id = raw.draft()
    assert raw.call("message/mass/sendall", sendall(media_id, "post-a"))["errcode"] == 0
    assert sb.drafts() == []  # mass-sent drafts leave the draft box
    assert raw.call("message/mass/sendall", sendall(raw.draft(), "post-a"))["errcode"] == 45065
    clock.t += 24 * 3600
    assert raw.call("message/mass/sendall", sendall(raw.draft(), "post-a"))["errcode"] == 0
    sent = sb.mass_sends()
    assert len(sent) == 2
    with requests.get(sent[0]["items"][0]["url"], timeout=5) as page:
        assert "存款利率调整公告" in page.text
    assert raw.call("message/mass/get", {"msg_id": sent[0]["msg_id"]})["msg_status"] == "SEND_SUCCESS"


def test_mass_delete_withdraws_known_sends_only(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, mass_day_quota=5, token_ttl=1e8, mass_delete_window=1800)
    first = raw.call("message/mass/sendall", sendall(raw.draft(title="甲"), "a"))
    second = raw.call("message/mass/sendall", sendall(raw.draft(title="乙"), "b"))
    assert raw.call("message/mass/delete", {"msg_id": first["msg_id"], "article_idx": 0})["errcode"] == 0
    assert raw.call("message/mass/delete", {"msg_id": first["msg_id"], "article_idx": 0})["errcode"] == 0  # again
    assert [m["items"][0]["is_deleted"] for m in sb.mass_sends()] == [True, False]
    with requests.get(sb.mass_sends()[0]["items"][0]["url"], timeout=5) as page:
        assert "已被发布者删除" in page.text
    assert raw.call("message/mass/delete", {"msg_id": 42, "article_idx": 0})["errcode"] == 40059
    assert raw.call("message/mass/delete", {"article_idx": 0})["errcode"] == 40059
    assert raw.call("message/mass/delete", {"msg_id": second["msg_id"], "article_idx": 3})["errcode"] == 40060
    clock.t += 1801  # outside the window this sandbox was given
    assert raw.call("message/mass/delete", {"msg_id": second["msg_id"], "article_idx": 0})["errcode"] == 40059
    assert not sb.mass_sends()[1]["items"][0]["is_deleted"]


def test_deleting_a_deleted_article_answers_53600_and_getarticle_shows_it_deleted(start) -> None:
    for forget in (False, True):
        _sb, raw = start(publish_polls_until_done=0, forget_deleted=forget)
        done = raw.call(
            "freepublish/get", {"publish_id": raw.call("freepublish/submit", {"media_id": raw.draft()})["publish_id"]}
        )
        aid = done["article_id"]
        assert raw.call("freepublish/getarticle", {"article_id": aid})["news_item"][0]["is_deleted"] is False
        assert raw.call("freepublish/delete", {"article_id": aid, "index": 0})["errcode"] == 0
        assert raw.call("freepublish/delete", {"article_id": aid, "index": 0})["errcode"] == 53600
        got = raw.call("freepublish/getarticle", {"article_id": aid})
        if forget:
            assert got["errcode"] == 53600
        else:
            assert [it["is_deleted"] for it in got["news_item"]] == [True]


def test_sendall_of_an_unknown_draft(start) -> None:
    _sb, raw = start()
    assert raw.call("message/mass/sendall", sendall("DRAFT_nope", "z"))["errcode"] == 40007


# -------------------------------------------------------------------- quotas, faults


def test_daily_call_quota_and_clear_quota(start) -> None:
    clock = Clock()
    sb, raw = start(clock=clock, daily_call_quota=2, token_ttl=1e8)
    raw.token()
    assert [raw.call("draft/count", method="GET").get("errcode", 0) for _ in range(3)] == [0, 0, 45009]
    assert raw.call("openapi/quota/get", {"cgi_path": "/cgi-bin/draft/count"})["quota"]["used"] == 2
    assert raw.call("clear_quota", {"appid": sb.config.appid})["errcode"] == 0
    assert raw.call("draft/count", method="GET") == {"total_count": 0}
    clock.t += 86_400
    assert raw.call("draft/count", method="GET") == {"total_count": 0}


def test_fault_busy_first_n_after_skip(start) -> None:
    sb, raw = start(faults=[Fault("/cgi-bin/draft/count", "busy", first=2, skip=1)])
    codes = [raw.call("draft/count", method="GET").get("errcode", 0) for _ in range(5)]
    assert codes == [0, -1, -1, 0, 0]
    assert [c.fault for c in sb.calls() if c.path == "/cgi-bin/draft/count"] == [None, "busy", "busy", None, None]


def test_fault_probability_is_seeded(start) -> None:
    runs = []
    for _ in range(2):
        _sb, raw = start(seed=42, faults=[Fault("*", "busy", probability=0.5)])
        runs.append([raw.call("draft/count", method="GET", token="x").get("errcode") for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {-1, 40001}


def test_fault_http_status_and_quota(start) -> None:
    sb, raw = start(faults=[Fault("/cgi-bin/draft/add", "http", status=503), Fault("/cgi-bin/draft/add", "quota")])
    resp = requests.post(f"{sb.base_url}/cgi-bin/draft/add", params={"access_token": raw.token()}, timeout=5)
    assert resp.status_code == 503
    assert raw.call("draft/add", {"articles": []})["errcode"] == 44003  # the quota fault's first call was the 503's


def test_fault_drop_has_no_effect_and_crash_after_does(start) -> None:
    sb, raw = start(faults=[Fault("/cgi-bin/draft/add", "drop"), Fault("/cgi-bin/draft/add", "crash_after", skip=1)])
    thumb = raw.cover()
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            raw.call("draft/add", {"articles": [article(thumb)]})
    assert len(sb.drafts()) == 1  # the dropped call did nothing; the crashed one created its draft
    assert [c.fault for c in sb.calls() if c.path.endswith("draft/add")] == ["drop", "crash_after"]
    assert "media_id" in raw.call("draft/add", {"articles": [article(thumb)]})


def test_fault_delay(start) -> None:
    sb, raw = start(faults=[Fault("/cgi-bin/draft/count", "delay", delay=0.3)])
    with pytest.raises(requests.Timeout):
        raw.http.get(f"{sb.base_url}/cgi-bin/draft/count", params={"access_token": raw.token()}, timeout=0.1)
    assert raw.call("draft/count", method="GET") == {"total_count": 0}


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="fault kind 'explode'"):
        Fault("*", "explode")


# ---------------------------------------------------------------- state, threads


def test_calls_are_logged_with_the_token_redacted(start) -> None:
    lines: list[str] = []
    sb, raw = start(log=lines.append)
    token = raw.token()
    raw.call("draft/count", method="GET")
    raw.upload("material/add_material", image(), "c.jpg", type="image")
    assert [c.path for c in sb.calls()] == [
        "/cgi-bin/stable_token",
        "/cgi-bin/draft/count",
        "/cgi-bin/material/add_material",
    ]
    assert sb.calls()[2].query == "access_token=***&type=image"
    assert lines[1] == "GET /cgi-bin/draft/count?access_token=*** -> ok"
    text = repr(sb.calls()) + "\n".join(lines)
    assert token not in text and sb.config.secret not in text


def test_state_survives_a_restart_with_a_state_file(tmp_path: Path) -> None:
    config = SandboxConfig(state_file=tmp_path / "sandbox.json", publish_polls_until_done=0)
    with Sandbox(config) as sb:
        raw = Raw(sb)
        publish_id = raw.call("freepublish/submit", {"media_id": raw.draft()})["publish_id"]
        assert raw.call("freepublish/get", {"publish_id": publish_id})["publish_status"] == 0
        token = raw.token()
        raw.close()
    with Sandbox(SandboxConfig(state_file=tmp_path / "sandbox.json")) as again:
        raw = Raw(again)
        assert len(again.published_articles()) == 1
        assert raw.call("freepublish/get", {"publish_id": publish_id}, token=token)["publish_status"] == 0
        raw.close()


def test_concurrent_calls_are_safe(start) -> None:
    sb, raw = start()
    thumb = raw.cover()
    token = raw.token()
    ids: list[str] = []
    lock = threading.Lock()

    def add(n: int) -> None:
        with requests.Session() as s:
            for i in range(5):
                body = json.dumps({"articles": [article(thumb, title=f"并发{n}-{i}")]}, ensure_ascii=False)
                r = s.post(
                    f"{sb.base_url}/cgi-bin/draft/add", params={"access_token": token}, data=body.encode(), timeout=5
                )
                with lock:
                    ids.append(r.json()["media_id"])

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 30 and len(sb.drafts()) == 30


def test_index_page_lists_published_articles(start) -> None:
    sb, raw = start(publish_polls_until_done=0)
    raw.call("freepublish/get", {"publish_id": raw.call("freepublish/submit", {"media_id": raw.draft()})["publish_id"]})
    with requests.get(sb.base_url + "/", timeout=5) as page:
        assert "存款利率调整公告" in page.text and "(live)" in page.text
    assert requests.get(sb.base_url + "/s/nothing", timeout=5).status_code == 404


# ------------------------------------------------------------------------- the CLI


def _run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "sandbox", "--port", "0", *args],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    try:
        head = []
        while not head or "Ctrl-C" not in head[-1]:  # the banner ends with "Press Ctrl-C to stop."
            line = proc.stdout.readline()
            assert line, "".join(head)
            head.append(line)
        base = head[0].split()[4]
        secret = SANDBOX_SECRET if not env else env.get("SANDBOX_TEST_SECRET", "")
        body = {"grant_type": "client_credential", "appid": "wx00000000sandbox", "secret": secret}
        answer = requests.post(f"{base}/cgi-bin/stable_token", json=body, timeout=5).json()
        assert "access_token" in answer, answer
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return "".join(head) + rest, proc.returncode


def test_cli_serves_until_ctrl_c_and_prints_what_to_use() -> None:
    out, code = _run_cli()
    assert code == 0
    assert "WeChat sandbox listening on http://127.0.0.1:" in out
    assert "export WECHAT_APPID=wx00000000sandbox" in out
    assert f"export WECHAT_SECRET={SANDBOX_SECRET}   # sandbox-only test value, not a real secret" in out
    assert "POST /cgi-bin/stable_token -> ok" in out
    assert "access_token" not in out.replace("access_token=***", "")


def test_cli_secret_from_the_environment_is_not_printed() -> None:
    secret = "from-env-" + os.urandom(6).hex()
    out, code = _run_cli("--secret-env", "SANDBOX_TEST_SECRET", env={"SANDBOX_TEST_SECRET": secret})
    assert code == 0
    assert secret not in out
    assert "$SANDBOX_TEST_SECRET" in out


def test_cli_exits_0_on_ctrl_c_pressed_repeatedly_or_at_once() -> None:
    """Ctrl-C is the sandbox's normal stop: exit 0 even when signals arrive right after the first banner line
    and keep arriving during the shutdown (a `try: wait / except KeyboardInterrupt` lets those raise: 130)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "sandbox", "--port", "0", "--quiet"],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        assert "listening on" in first, first
        sigint_burst(proc)  # from before the banner ends until the process has gone
        rest, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, first + rest
    assert "sandbox stopped" in rest and "Traceback" not in rest


def test_stop_on_signals_turns_sigint_into_an_event_and_restores_handlers() -> None:
    from pipeline.signals import stop_on_signals, wait_for

    before = signal.getsignal(signal.SIGINT)
    with stop_on_signals() as stop:
        assert not stop.is_set()
    assert signal.getsignal(signal.SIGINT) is before  # no signal: the previous handlers are back
    try:
        with stop_on_signals() as stop:
            os.kill(os.getpid(), signal.SIGINT)  # would raise KeyboardInterrupt here without the handler
            wait_for(stop, poll=0.01)
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C during shutdown is absorbed too
            time.sleep(0.02)
        assert stop.is_set()
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("/cgi-bin/draft/add=crash_after", Fault("/cgi-bin/draft/add", "crash_after")),
        ("*=busy:3", Fault("*", "busy", first=3)),
        ("/cgi-bin/draft/count=delay:2.5", Fault("/cgi-bin/draft/count", "delay", first=10**9, delay=2.5)),
    ],
)
def test_cli_fault_specs(spec: str, fault: Fault) -> None:
    assert parse_fault(spec) == fault


@pytest.mark.parametrize("spec", ["nokind", "/x=explode", "/x=busy:many", "=busy"])
def test_cli_bad_fault_specs(spec: str) -> None:
    with pytest.raises(UsageError, match="--fault"):
        parse_fault(spec)


# -- fault controls for the publisher's outside-found faults (issue 15) ---------------------------------


def test_strip_comments_removes_html_comments_from_drafts(start: Any) -> None:
    _sb, raw = start(strip_comments=True)
    media_id = raw.draft(content="<p>正文</p><!--wxpub-abc-->")
    (item,) = raw.call("draft/get", {"media_id": media_id})["news_item"]
    assert item["content"] == "<p>正文</p>"
    _sb2, raw2 = start()
    kept = raw2.call("draft/get", {"media_id": raw2.draft(content="<p>正文</p><!--wxpub-abc-->")})
    assert "<!--wxpub-abc-->" in kept["news_item"][0]["content"]  # kept unless asked


def test_forget_media_makes_drafts_naming_it_answer_40007(start: Any) -> None:
    sb, raw = start()
    cover = raw.cover()
    sb.forget_media(cover)
    assert raw.call("draft/add", {"articles": [article(cover)]})["errcode"] == 40007


def test_http_503_for_n_calls_has_no_effect_and_call_counts_per_endpoint(start: Any) -> None:
    sb, raw = start(faults=[Fault("/cgi-bin/draft/add", "http", status=503, first=2)])
    cover = raw.cover()
    url = f"{sb.base_url}/cgi-bin/draft/add"
    body = json.dumps({"articles": [article(cover)]}, ensure_ascii=False).encode()
    codes = [raw.http.post(url, params={"access_token": raw.token()}, data=body, timeout=5).status_code for _ in "abc"]
    assert codes == [503, 503, 200] and len(sb.drafts()) == 1
    counts = sb.call_counts()
    assert counts["/cgi-bin/draft/add"] == 3 and counts["/cgi-bin/material/add_material"] == 1
    sb.reset_calls()
    assert sb.call_counts() == {}


def test_fill_and_listing_order(start: Any) -> None:
    sb, raw = start(listing_order="oldest")
    sb.fill(articles=45, drafts=3)
    page = raw.call("freepublish/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert page["total_count"] == 45 and page["item"][0]["article_id"] == "ART_FILL_000000"
    assert "content" not in page["item"][0]["content"]["news_item"][0]
    assert raw.call("draft/batchget", {"offset": 0, "count": 20, "no_content": 1})["total_count"] == 3
    sb.config.listing_order = "shuffled"
    ids = [
        it["article_id"]
        for off in (0, 20, 40)
        for it in raw.call("freepublish/batchget", {"offset": off, "count": 20, "no_content": 1})["item"]
    ]
    assert sorted(ids) == sorted(f"ART_FILL_{n:06d}" for n in range(45)) and ids != sorted(ids)


def test_mass_answer_url_gives_the_sends_link(start: Any) -> None:
    sb, raw = start(mass_answer_url=True)
    media_id = raw.draft()
    answer = raw.call(
        "message/mass/sendall",
        {"filter": {"is_to_all": True}, "mpnews": {"media_id": media_id}, "msgtype": "mpnews", "clientmsgid": "c1"},
    )
    assert answer["article_url"] == sb.mass_sends()[0]["items"][0]["url"] and answer["msg_data_id"]
