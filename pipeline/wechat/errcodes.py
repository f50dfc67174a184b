"""WeChat error codes the client acts on, and what to tell the operator for each.

Sources: the contract in `docs/wechat-api.md` and WeChat's global return-code table. The client
retries `RETRYABLE`, refreshes the token once on `TOKEN_ERRORS`, and raises every other non-zero
errcode as `WeChatError` with the hint below (or a generic one). The texts are marked for translation
(`N_`) and translated where shown.
"""

from __future__ import annotations

from ..i18n import N_, _

SYSTEM_BUSY = -1
INVALID_CREDENTIAL = 40001
INVALID_TOKEN = 40014
TOKEN_EXPIRED = 42001
CLIENTMSGID_EXISTS = 45065

#: Worth another attempt after a pause.
RETRYABLE = frozenset({SYSTEM_BUSY})

#: The access token was refused: fetch a fresh one and retry the call once.
TOKEN_ERRORS = frozenset({INVALID_CREDENTIAL, INVALID_TOKEN, TOKEN_EXPIRED})

HINTS: dict[int, str] = {
    40001: N_(
        "the access token was refused again after a refresh: another tool may be force-refreshing this "
        "account's token; make wxpub the only caller or share its token cache"
    ),
    40014: N_("the access token was refused again after a refresh; check that no other tool refreshes it"),
    42001: N_("the access token expired again right after a refresh; check the runner's clock"),
    40013: N_("WECHAT_APPID is not a valid AppID: copy it from the WeChat console (设置与开发 > 基本配置)"),
    40125: N_(
        "WECHAT_SECRET is not this account's AppSecret: reset it in the console (设置与开发 > 基本配置) "
        "and update the CI secret"
    ),
    40243: N_("the AppSecret is frozen: unfreeze or reset it in the WeChat console, then update WECHAT_SECRET"),
    40164: N_(
        "this machine's egress IP is not on the account's IP whitelist: add the runner's egress IP in the "
        "console (设置与开发 > 基本配置 > IP白名单), or set WECHAT_API_BASE to a proxy whose fixed egress IP is "
        "whitelisted"
    ),
    48001: N_(
        "the account may not call this API: publishing needs a verified (认证) account with the API "
        "authorised; check 接口权限 in the console"
    ),
    48004: N_("this API is forbidden for the account (banned or restricted); see the console's notices"),
    45009: N_(
        "the daily call quota for this API is used up: retry tomorrow, or reset it with clear_quota "
        "(10 times a month) in the console"
    ),
    45011: N_("the per-minute call quota is used up: wait a minute and run again"),
    45028: N_(
        "the broadcast (群发) quota is used up (a service account reaches each follower 4 times a month, "
        "one send-to-all a day): move publish_at or use delivery: publish"
    ),
    53503: N_(
        "the draft failed WeChat's publish check: open it in the console's draft box, fix what WeChat "
        "reports, then run the publish job again"
    ),
    53504: N_("WeChat requires this draft to be published from the web console"),
    53505: N_("WeChat requires this draft to be saved manually in the web console first"),
    40007: N_(
        "the media_id is not valid (a cover must be a permanent material; a draft disappears once "
        "published or mass-sent)"
    ),
    40005: N_("the file type is not accepted (body images must be jpg or png)"),
    40009: N_("the image is too large (body images must be under 1 MB)"),
    40004: N_("the media type is not accepted"),
    41005: N_("the upload carried no media"),
    40033: N_("the request had \\uXXXX escapes: JSON must be sent as UTF-8 (ensure_ascii=False)"),
    44003: N_("the draft has no article, or an article has no content"),
    45002: N_("the article content is too long (under 20,000 characters and 1 MB)"),
    45003: N_("the title is too long (at most 32 characters)"),
    45004: N_("the digest is too long (at most 128 characters)"),
    45005: N_("a link is too long (content_source_url at most 1 KB)"),
    45008: N_("too many articles in one draft (at most 8)"),
    45110: N_("the author is too long (at most 16 characters)"),
    47001: N_("WeChat could not read the request (data format error)"),
    53600: N_("the article_id is not valid (deleted, or never published by this account)"),
    40059: N_(
        "the msg_id is not valid for this account (never sent by it, sent by another account, or no longer "
        "deletable): check WECHAT_APPID and the WeChat console's 群发记录"
    ),
}

PUBLISH_STATUS: dict[int, str] = {
    0: N_("published"),
    1: N_("publishing"),
    2: N_("originality check failed (原创声明失败)"),
    3: N_("failed (常规失败)"),
    4: N_("rejected by platform review (平台审核不通过)"),
    5: N_("deleted by the account after publishing"),
    6: N_("banned after publishing (被封禁)"),
}

PUBLISH_FINAL = frozenset({0, 2, 3, 4, 5, 6})


def hint_for(errcode: int) -> str | None:
    """What the operator should do about `errcode`, or None when WeChat's message says it all."""
    hint = HINTS.get(errcode)
    return _(hint) if hint else None


def publish_status_text(status: int) -> str:
    """A `publish_status` in words, in the reader's language."""
    text = PUBLISH_STATUS.get(status)
    return _(text) if text else _("status {status}", status=status)
