"""The real WeChat client against the real sandbox on loopback: tokens, retries, errors, images, publishing."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import stat
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from pipeline.errors import ConfigError, PostError, TransportError, WeChatError
from pipeline.wechat.client import PublishFailed, PublishTimeout, RetriesExhausted, WeChatClient, redact
from pipeline.wechat.images import BODY_IMAGE_LIMIT, prepare_image
from pipeline.wechat.sandbox import Fault, Sandbox, SandboxConfig
from pipeline.wechat.token import TokenCache

T0 = 1_796_000_000.0  # 2026-11-30, a Monday


class FakeClock:
    """Time that moves only when told (or when something sleeps on it)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def png_bytes(size: tuple[int, int] = (64, 48), mode: str = "RGB", fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(buf, format=fmt)
    return buf.getvalue()


def noise_png(side: int = 800) -> bytes:
    """A PNG of random pixels: incompressible, well over 1 MB."""
    rng = random.Random(7)
    im = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (40, 30), i) for i in (10, 60, 120)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


@pytest.fixture
def wechat(tmp_path: Path) -> Iterator[Callable[..., tuple[Sandbox, WeChatClient]]]:
    """`wechat(client_kw={...}, **sandbox_config)` -> (a started sandbox, a client of it); both closed after."""
    opened: list[Any] = []

    def make(client_kw: dict[str, Any] | None = None, **config: Any) -> tuple[Sandbox, WeChatClient]:
        sb = Sandbox(SandboxConfig(**config))
        sb.start()
        opened.append(sb)
        kw: dict[str, Any] = {"state_dir": tmp_path / "state", "backoff": 0.01, "sleep": lambda s: None}
        kw["timeout"] = (2.0, 5.0)
        kw.update(client_kw or {})
        client = WeChatClient(
            kw.pop("appid", sb.config.appid), kw.pop("secret", sb.config.secret), base_url=sb.base_url, **kw
        )
        opened.append(client)
        return sb, client

    yield make
    for obj in reversed(opened):
        obj.close() if isinstance(obj, WeChatClient) else obj.stop()


def paths(sb: Sandbox) -> list[str]:
    return [c.path.removeprefix("/cgi-bin/") for c in sb.calls()]


def cover_id(client: WeChatClient) -> str:
    return client.add_cover(png_bytes((900, 383), fmt="JPEG"), "cover.jpg")[0]


def article(client: WeChatClient, **over: Any) -> dict[str, Any]:
    a = {
        "title": "借记卡年费减免通知",
        "author": "个人金融部",
        "digest": "即日起免收年费。",
        "content": "<section><p>即日起，本行借记卡免收年费。</p></section>",
        "thumb_media_id": cover_id(client),
    }
    a.update(over)
    return a


# --------------------------------------------------------------------------- token


def test_token_is_cached_in_a_private_file_and_reused_by_a_new_client(wechat, tmp_path: Path) -> None:
    sb, client = wechat()
    token = client.token()
    assert client.token() == token
    files = list((tmp_path / "state").iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    data = json.loads(files[0].read_text())
    assert data["access_token"] == token
    assert sb.config.secret not in files[0].read_text()
    with WeChatClient(sb.config.appid, sb.config.secret, base_url=sb.base_url, state_dir=tmp_path / "state") as again:
        assert again.count_drafts() == 0
    assert paths(sb) == ["stable_token", "draft/count"]


def test_token_refreshed_shortly_before_expiry(wechat) -> None:
    clock = FakeClock()
    sb, client = wechat(client_kw={"clock": clock}, clock=clock, token_ttl=7200)
    first = client.token()
    clock.t += 7200 - 400
    assert client.token() == first  # 400 s left: still used
    clock.t += 150  # 250 s left: inside the 300 s margin -> refreshed
    second = client.token()
    assert second != first
    assert paths(sb) == ["stable_token", "stable_token"]
    assert client.count_drafts() == 0


@pytest.mark.parametrize(("spoil", "errcode"), [("expire_tokens", 42001), ("invalidate_tokens", 40001)])
def test_refused_token_is_refreshed_once_and_the_call_retried(wechat, spoil: str, errcode: int) -> None:
    sb, client = wechat()
    old = client.token()
    getattr(sb, spoil)()
    assert client.count_drafts() == 0
    assert paths(sb) == ["stable_token", "draft/count", "stable_token", "draft/count"]
    assert sb.calls()[1].errcode == errcode
    assert client.token() != old


def test_token_refused_while_wechat_still_hands_it_out_forces_a_refresh(wechat, tmp_path: Path) -> None:
    sb, client = wechat(faults=[Fault("/cgi-bin/draft/count", "busy", errcode=40014)])
    old = client.token()
    assert client.count_drafts() == 0
    # the plain refresh returned the refused token, so the client forced a new one
    assert paths(sb) == ["stable_token", "draft/count", "stable_token", "stable_token", "draft/count"]
    new = client.token()
    assert new != old
    cache = TokenCache(tmp_path / "state", sb.config.appid, sb.base_url).load()
    assert cache is not None and cache.token == new


def test_token_refused_twice_is_fatal_after_one_refresh(wechat) -> None:
    sb, client = wechat(faults=[Fault("/cgi-bin/draft/count", "busy", errcode=40001, first=5)])
    with pytest.raises(WeChatError) as info:
        client.count_drafts()
    assert info.value.errcode == 40001
    assert "force-refreshing" in str(info.value)
    assert paths(sb).count("draft/count") == 2


def test_loose_token_file_is_not_trusted(wechat, tmp_path: Path) -> None:
    sb, client = wechat()
    client.token()
    (path,) = (tmp_path / "state").iterdir()
    path.chmod(0o644)
    with WeChatClient(sb.config.appid, sb.config.secret, base_url=sb.base_url, state_dir=tmp_path / "state") as c2:
        c2.token()
    assert paths(sb) == ["stable_token", "stable_token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_state_dir_inside_a_wxpub_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "policy").mkdir()
    with pytest.raises(ConfigError, match="inside the repository"):
        WeChatClient("wxappid", "secret", state_dir=tmp_path / ".cache")


# ------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    "fault",
    [
        Fault("/cgi-bin/draft/add", "busy", first=3),
        Fault("/cgi-bin/draft/add", "http", first=2, status=502),
        Fault("/cgi-bin/draft/add", "http", first=1, status=503),
        Fault("/cgi-bin/draft/add", "drop", first=2),
    ],
    ids=["errcode-1", "http502", "http503", "dropped"],
)
def test_transient_failures_are_retried_with_backoff(wechat, fault: Fault) -> None:
    slept: list[float] = []
    sb, client = wechat(client_kw={"sleep": slept.append, "backoff": 0.5}, faults=[fault])
    media_id = client.add_draft([article(client)])
    assert [d["media_id"] for d in sb.drafts()] == [media_id]  # exactly one draft despite the failures
    assert len(slept) == fault.first
    for n, delay in enumerate(slept):  # jittered exponential: within [base/2, base]
        assert 0.5 * 2**n / 2 <= delay <= 0.5 * 2**n


def test_timeout_is_retried(wechat, caplog: pytest.LogCaptureFixture) -> None:
    sb, client = wechat(client_kw={"timeout": (1.0, 0.3)}, faults=[Fault("/cgi-bin/draft/count", "delay", delay=1.0)])
    assert client.count_drafts() == 0
    deadline = time.monotonic() + 3
    while paths(sb).count("draft/count") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow first call is logged once the sandbox finishes it
    assert paths(sb).count("draft/count") == 2
    assert "timed out" in caplog.text


@pytest.mark.parametrize(("kind", "maybe_applied"), [("busy", False), ("drop", True), ("http", True)])
def test_retries_are_bounded(wechat, kind: str, maybe_applied: bool) -> None:
    slept: list[float] = []
    sb, client = wechat(
        client_kw={"sleep": slept.append, "max_retries": 3}, faults=[Fault("/cgi-bin/draft/count", kind, first=99)]
    )
    with pytest.raises(RetriesExhausted) as info:
        client.count_drafts()
    assert isinstance(info.value, TransportError)
    assert info.value.maybe_applied is maybe_applied  # -1 means WeChat did nothing; a lost answer may hide a success
    assert info.value.attempts == 4
    assert info.value.errcode == (-1 if kind == "busy" else None)
    assert paths(sb).count("draft/count") == 4
    assert len(slept) == 3
    assert "after 4 attempts" in str(info.value)
    assert info.value.request == "GET /cgi-bin/draft/count"
    assert "run again later" in (info.value.hint or "")


def test_unreachable_server_is_a_transport_error(wechat) -> None:
    sb, client = wechat(client_kw={"max_retries": 1})
    client.token()
    sb.stop()
    with pytest.raises(RetriesExhausted, match="connection failed") as info:
        client.count_drafts()
    assert info.value.maybe_applied is False  # refused: the request never left


# -------------------------------------------------------------------- fatal errors


def _fatal_cases() -> list[tuple[str, dict[str, Any], dict[str, Any], Callable[[WeChatClient], object], int, str]]:
    def submit(c: WeChatClient) -> object:
        return c.submit(c.add_draft([article(c)]))

    def count(c: WeChatClient) -> object:
        return c.count_drafts()

    return [
        ("ip-whitelist", {"whitelist_error": True}, {}, count, 40164, "WECHAT_API_BASE"),
        ("unverified", {"verified": False}, {}, submit, 48001, "verified"),
        ("daily-quota", {"daily_call_quota": 0}, {}, count, 45009, "clear_quota"),
        ("wrong-appid", {}, {"appid": "wx0000wrong"}, count, 40013, "WECHAT_APPID"),
        ("wrong-secret", {}, {"secret": "not-the-secret"}, count, 40125, "WECHAT_SECRET"),
        ("frozen", {"faults": [Fault("/cgi-bin/stable_token", "busy", errcode=40243)]}, {}, count, 40243, "frozen"),
        (
            "publish-check",
            {"faults": [Fault("/cgi-bin/freepublish/submit", "busy", errcode=53503)]},
            {},
            submit,
            53503,
            "draft box",
        ),
    ]


@pytest.mark.parametrize(
    ("config", "client_kw", "call", "errcode", "says"),
    [c[1:] for c in _fatal_cases()],
    ids=[c[0] for c in _fatal_cases()],
)
def test_fatal_errors_say_what_to_do(wechat, config, client_kw, call, errcode: int, says: str) -> None:
    slept: list[float] = []
    _, client = wechat(client_kw={**client_kw, "sleep": slept.append}, **config)
    with pytest.raises(WeChatError) as info:
        call(client)
    exc = info.value
    assert exc.errcode == errcode
    assert says in (exc.hint or "")
    assert str(exc).startswith(f"WeChat error {errcode}: ")
    assert exc.hint in str(exc)
    assert exc.request.startswith("POST /cgi-bin/") or exc.request.startswith("GET /cgi-bin/")
    assert slept == []  # fatal: no retry


def test_broadcast_quota_error_has_a_hint(wechat) -> None:
    _, client = wechat(mass_day_quota=1)
    client.sendall(client.add_draft([article(client)]), "post-a")
    with pytest.raises(WeChatError) as info:
        client.sendall(client.add_draft([article(client, title="第二篇")]), "post-b")
    assert info.value.errcode == 45028
    assert "4 times a month" in (info.value.hint or "")


# -------------------------------------------------------------------------- images


def test_uploadimg_answers_text_plain_and_the_client_parses_it(wechat) -> None:
    sb, client = wechat()
    data = png_bytes()
    url = client.upload_body_image(data, "chart.png")
    resp = requests.post(
        f"{sb.base_url}/cgi-bin/media/uploadimg",
        params={"access_token": client.token()},
        files={"media": ("chart.png", data, "image/png")},
        timeout=5,
    )
    assert resp.headers["Content-Type"] == "text/plain"
    assert json.loads(resp.text)["url"] == url
    with requests.get(url, timeout=5) as got:
        assert got.content == data


def test_large_png_is_recompressed_under_the_limit_and_accepted(wechat) -> None:
    sb, client = wechat()
    big = noise_png()
    assert len(big) > BODY_IMAGE_LIMIT
    raw = requests.post(
        f"{sb.base_url}/cgi-bin/media/uploadimg",
        params={"access_token": client.token()},
        files={"media": ("big.png", big, "image/png")},
        timeout=5,
    )
    assert raw.json()["errcode"] == 40009  # the sandbox enforces the limit...
    url = client.upload_body_image(big, "big.png")  # ...and the client makes it fit
    with requests.get(url, timeout=5) as got:
        assert len(got.content) < BODY_IMAGE_LIMIT
        assert got.headers["Content-Type"] == "image/jpeg"


def test_gif_is_converted_and_accepted(wechat) -> None:
    sb, client = wechat()
    gif = animated_gif()
    raw = requests.post(
        f"{sb.base_url}/cgi-bin/media/uploadimg",
        params={"access_token": client.token()},
        files={"media": ("anim.gif", gif, "image/gif")},
        timeout=5,
    )
    assert raw.json()["errcode"] == 40005
    url = client.upload_body_image(gif, "anim.gif")
    assert url.endswith((".png", ".jpg"))


@pytest.mark.parametrize(
    ("data", "name", "fmt", "out_name"),
    [
        (png_bytes(fmt="JPEG"), "a.jpeg", "JPEG", "a.jpeg"),
        (png_bytes(), "b.png", "PNG", "b.png"),
        (png_bytes(), "b.PNG", "PNG", "b.PNG"),
        (png_bytes(), "misnamed.jpg", "PNG", "misnamed.png"),
        (png_bytes(fmt="GIF"), "c.gif", "JPEG", "c.jpg"),
        (png_bytes(mode="RGBA", fmt="WEBP"), "d.webp", "PNG", "d.png"),
        (png_bytes(fmt="BMP"), "img/e.bmp", "JPEG", "img/e.jpg"),
        (animated_gif(), "f.gif", "JPEG", "f.jpg"),
    ],
)
def test_prepare_image(data: bytes, name: str, fmt: str, out_name: str) -> None:
    out, filename = prepare_image(data, name)
    assert filename == out_name
    with Image.open(io.BytesIO(out)) as im:
        assert im.format == fmt
        assert getattr(im, "n_frames", 1) == 1
    if name.lower().endswith((".png", ".jpeg")) and fmt in ("PNG", "JPEG") and out_name == name:
        assert out == data  # already fine: untouched


def test_prepare_image_rejects_what_is_not_an_image() -> None:
    with pytest.raises(PostError, match=r"notes\.txt: not an image"):
        prepare_image(b"hello", "notes.txt")


# ------------------------------------------------------------------ drafts, publish


def test_chinese_json_is_sent_as_utf8_and_kept(wechat) -> None:
    sb, client = wechat()
    media_id = client.add_draft([article(client, title="“惠民”借记卡：年费全免！")])
    assert client.get_draft(media_id)["news_item"][0]["title"] == "“惠民”借记卡：年费全免！"
    escaped = json.dumps({"articles": [article(client)]}, ensure_ascii=True)
    raw = requests.post(
        f"{sb.base_url}/cgi-bin/draft/add", params={"access_token": client.token()}, data=escaped, timeout=5
    )
    assert raw.json()["errcode"] == 40033


def test_publish_lifecycle(wechat) -> None:
    clock = FakeClock()
    sb, client = wechat(
        client_kw={"clock": clock, "sleep": clock.sleep}, clock=clock, publish_polls_until_done=2, publish_delay=None
    )
    media_id = client.add_draft([article(client)])
    assert client.batchget_drafts()["item"][0]["media_id"] == media_id
    publish_id = client.submit(media_id)
    assert isinstance(publish_id, str)
    assert client.publish_status(publish_id)["publish_status"] == 1
    result = client.wait_published(publish_id, timeout=60)
    assert result["publish_status"] == 0
    url = result["article_detail"]["item"][0]["article_url"]
    assert len(clock.slept) == 1  # polled: 1 (above), 1, then 0
    assert sb.published_articles()[0]["url"] == url
    with requests.get(url, timeout=5) as page:
        assert "借记卡年费减免通知" in page.text
    # the draft left the draft box; submitting it again fails
    assert client.batchget_drafts()["total_count"] == 0
    with pytest.raises(WeChatError) as info:
        client.submit(media_id)
    assert info.value.errcode == 40007
    listed = client.batchget_published(no_content=False)
    assert listed["item"][0]["article_id"] == result["article_id"]
    assert "免收年费" in listed["item"][0]["content"]["news_item"][0]["content"]
    client.delete_published(result["article_id"])
    assert client.batchget_published()["total_count"] == 0
    with pytest.raises(PublishFailed) as gone:
        client.wait_published(publish_id)
    assert gone.value.publish_status == 5


def test_publish_id_given_as_int_comes_back_as_str(wechat) -> None:
    _, client = wechat(int_ids=True)
    publish_id = client.submit(client.add_draft([article(client)]))
    assert isinstance(publish_id, str) and publish_id.isdigit()
    assert client.publish_status(publish_id)["publish_id"] == publish_id


def test_failed_publish_raises_with_the_result(wechat) -> None:
    sb, client = wechat(publish_outcome_by_title={"原创声明失败的文章": 2})
    publish_id = client.submit(client.add_draft([article(client, title="原创声明失败的文章")]))
    with pytest.raises(PublishFailed) as info:
        client.wait_published(publish_id, interval=0.01)
    exc = info.value
    assert isinstance(exc, WeChatError) and exc.publish_status == 2
    assert exc.result["fail_idx"] == [1]
    assert f"publish job {publish_id} ended: originality check failed" in str(exc)
    assert len(sb.drafts()) == 1  # a failed job leaves the draft


def test_wait_published_times_out_when_the_job_stays_publishing(wechat) -> None:
    clock = FakeClock()
    sb, client = wechat(
        client_kw={"clock": clock, "sleep": clock.sleep},
        clock=clock,
        publish_polls_until_done=10_000,
        publish_delay=None,
    )
    publish_id = client.submit(client.add_draft([article(client)]))
    with pytest.raises(PublishTimeout) as info:
        client.wait_published(publish_id, timeout=120)
    assert info.value.publish_id == publish_id
    assert isinstance(info.value, TransportError)
    assert 120 <= clock.t - T0 <= 121
    assert 5 <= paths(sb).count("freepublish/get") <= 20


# ------------------------------------------------------------------------ broadcast


def test_sendall_after_a_lost_answer_is_recognised_as_already_sent(wechat) -> None:
    sb, client = wechat(faults=[Fault("/cgi-bin/message/mass/sendall", "crash_after")])
    media_id = client.add_draft([article(client)])
    result = client.sendall(media_id, "wxpub:2026/12-05-card-offer")
    assert result["already_sent"] is True
    assert [c.errcode for c in sb.calls() if c.path.endswith("sendall")] == [0, 45065]
    (sent,) = sb.mass_sends()
    assert sent["clientmsgid"] == "wxpub:2026/12-05-card-offer"
    assert sb.drafts() == []


def test_sendall_returns_msg_ids(wechat) -> None:
    sb, client = wechat()
    result = client.sendall(client.add_draft([article(client)]), "post-1")
    assert result["already_sent"] is False
    assert result["msg_id"] == sb.mass_sends()[0]["msg_id"]
    assert client.mass_status(result["msg_id"])["msg_status"] == "SEND_SUCCESS"


# -------------------------------------------------------------------- configuration


def test_from_env_names_the_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="WECHAT_APPID is not set"):
        WeChatClient.from_env(tmp_path, environ={"WECHAT_SECRET": "x"})
    with pytest.raises(ConfigError, match="WECHAT_SECRET is not set"):
        WeChatClient.from_env(tmp_path, environ={"WECHAT_APPID": "wx1", "WECHAT_SECRET": "  "})
    with pytest.raises(ConfigError, match="WECHAT_API_BASE 'ftp://x' is not an http"):
        WeChatClient.from_env(
            tmp_path, environ={"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "WECHAT_API_BASE": "ftp://x"}
        )
    with WeChatClient.from_env(tmp_path, environ={"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s"}) as c:
        assert c.base_url == "https://api.weixin.qq.com"
    env = {"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s", "WECHAT_API_BASE": "http://proxy.internal:8080/wx/"}
    with WeChatClient.from_env(tmp_path, environ=env) as c:
        assert c.base_url == "http://proxy.internal:8080/wx"
        assert c.cache.state_dir == tmp_path.resolve()


def test_default_state_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WXPUB_STATE_DIR", str(tmp_path / "wx-state"))
    with WeChatClient.from_env(environ={"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s"}) as c:
        assert c.cache.state_dir == (tmp_path / "wx-state").resolve()


def test_redact() -> None:
    assert redact("GET /x?access_token=abc&type=image") == "GET /x?access_token=***&type=image"
    assert redact('{"secret": "zz", "appid": "wx"}') == '{"secret": "***", "appid": "wx"}'
    assert redact("token abcdefgh here", "abcdefgh") == "token *** here"
    assert redact("GET /x?secret=s&appid=wx", "s") == "GET /x?secret=***&appid=wx"  # structurally, any length


def test_redact_leaves_text_alone_for_a_short_secret_and_hides_a_real_one(wechat) -> None:
    """A one-character WECHAT_SECRET must not turn messages into "u***able"; a real AppSecret (32 hex
    characters) is hidden wherever it appears."""
    assert redact("unable to reach WeChat: invalid appsecret", "s") == "unable to reach WeChat: invalid appsecret"
    real = "9f86d081884c7d659a2feaa0c55ad015"
    assert len(real) == 32
    assert redact(f"secret is {real}; again {real}.", real, "s") == "secret is ***; again ***."
    # against the sandbox: a wrong one-character secret is refused with WeChat's own words intact
    _sb, client = wechat(client_kw={"secret": "s"})
    with pytest.raises(WeChatError) as err:
        client.token()
    assert err.value.errcode == 40125 and "invalid appsecret" in err.value.message
    assert "***" not in err.value.message


def test_delete_mass_withdraws_a_broadcast_and_refuses_an_unknown_msg_id(wechat) -> None:
    sb, client = wechat()
    result = client.sendall(client.add_draft([article(client)]), "post-1")
    client.delete_mass(result["msg_id"])
    (sent,) = sb.mass_sends()
    assert [it["is_deleted"] for it in sent["items"]] == [True]
    with requests.get(sent["items"][0]["url"], timeout=5) as page:
        assert "已被发布者删除" in page.text
    assert [c.errcode for c in sb.calls() if c.path == "/cgi-bin/message/mass/delete"] == [0]
    with pytest.raises(WeChatError) as err:
        client.delete_mass(987654321)
    assert err.value.errcode == 40059 and err.value.hint and "WECHAT_APPID" in err.value.hint


# ------------------------------------------------------------------------- secrets


def test_secret_and_token_never_appear_in_output_logs_errors_or_files(
    wechat, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zq7-secret-" + os.urandom(8).hex()
    lines: list[str] = []
    caplog.set_level(logging.DEBUG)
    sb, client = wechat(
        secret=secret,
        log=lines.append,
        faults=[
            Fault("/cgi-bin/draft/add", "drop", first=1),
            Fault("/cgi-bin/draft/count", "busy", first=99),
            Fault("/cgi-bin/freepublish/submit", "busy", errcode=53503),
        ],
    )
    texts: list[str] = [repr(client), repr(client.cache), repr(sb), repr(sb.config)]
    media_id = client.add_draft([article(client)])
    sb.expire_tokens()
    client.upload_body_image(png_bytes(), "x.png")
    failures: list[BaseException] = []
    for call in (client.count_drafts, lambda: client.submit(media_id)):
        try:
            call()
        except (TransportError, WeChatError) as exc:
            failures.append(exc)
    with WeChatClient(
        sb.config.appid, "wrong-" + secret, base_url=sb.base_url, state_dir=tmp_path / "s2", sleep=lambda s: None
    ) as wrong:
        try:
            wrong.token()
        except WeChatError as exc:
            failures.append(exc)
    assert len(failures) == 3
    for exc in failures:
        texts += [str(exc), repr(exc), exc.request, exc.hint or "", "".join(traceback.format_exception(exc))]
    out = capsys.readouterr()
    texts += [out.out, out.err, *lines, *(r.getMessage() for r in caplog.records), *map(repr, sb.calls())]
    tokens = list(sb.platform.state["tokens"])  # every token handed out (none was force-dropped here)
    assert len(tokens) == 2  # the first, and the one fetched after expire_tokens()
    assert any("urllib3" in r.name for r in caplog.records)  # the debug lines that carry URLs were captured
    (token_file,) = (tmp_path / "state").iterdir()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    file_text = token_file.read_text()
    assert secret not in file_text
    assert json.loads(file_text)["access_token"] in tokens
    blob = "\n".join(texts)
    assert secret not in blob
    for token in tokens:
        assert token not in blob
    assert "access_token=***" in blob  # the redaction really ran over URL-bearing lines


def test_an_unwritable_state_dir_only_costs_the_cache(wechat, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the state directory should be")
    sb, client = wechat(client_kw={"state_dir": blocker / "state"})
    assert client.count_drafts() == 0
    assert "cannot cache the access token" in caplog.text
    assert paths(sb) == ["stable_token", "draft/count"]
