"""The publisher: each due post to WeChat exactly once, every step recorded before and after its remote call.

Stages, in order, each a function of the post's record so far (a stage whose result is recorded for the
post's current commit is skipped, so a rerun resumes where the last run stopped):

    due      the post is merged on main, `publish_at <= now`, and has no successful record
    verify   its checks pass and the exact content was approved (`pipeline.approval.verify_commit`, or the
             policy trusts branch protection); stores approvers and the approval form
    render   Markdown -> WeChat HTML; lists the body images
    earlier  an earlier version of the post whose submit/broadcast outcome was never recorded may be live:
             then that is the publication, and the new version is not sent (WeChat cannot edit articles)
    images   body images uploaded once, ever (cache `body:<sha256>` -> URL on the records branch)
    cover    the cover uploaded once as permanent material (`cover:<sha256>` -> media_id)
    draft    `draft/add`
    submit   `freepublish/submit` (delivery: publish)  |  broadcast  `message/mass/sendall` (delivery: broadcast)
    poll     `freepublish/get` until final
    record   the article URL and the time: the post is published

Exactly once. The dangerous moment is a crash after WeChat accepted a call and before its answer was
recorded. Every remote step records `started` before the call, so a rerun knows when an answer may have
been lost, and reconciles before creating anything again. "Sent" is recorded only on WeChat's evidence,
never inferred from something the publisher did itself:

- one publisher at a time: the run holds a lease (`pipeline.lease`) before any WeChat call, renewed before
  every stage;
- what the publisher creates is recognised by its version's fingerprint (title, cover and the text of the
  content, which WeChat documents it keeps; recorded with `draft started`), the marker comment
  `<!--wxpub-<sha256(post id)[:12]>-<tree[:12]>-->` at the end of the content serving only as a hint;
- reconciliation reads listings without content (`no_content=1`), in no assumed order, fetches only the
  items whose title is one of the post's versions', stops at the first match, and spends at most
  `publish.reconcile_max_calls` calls a run (policy);
- a submit whose answer was lost: the draft is watched (`draft/get`: a successful publication removes it),
  then the published list is searched once; the draft is submitted again only if it is still in the draft
  box `publish.resubmit_after_minutes` (policy, 30) after the first submit; until then the run reports the
  post as not known yet. A recorded publish_id is polled, never resubmitted;
- a broadcast carries `clientmsgid` = the marker. It counts as sent on WeChat's `msg_id`, or a 45065 when
  the same clientmsgid is sent again within 24 hours (for a draft already gone nothing can be sent, so the
  repeat is a safe question). Without evidence the run stops and says how an operator records what the
  console shows (`wxpub publish --resolve POST=sent|not-sent`);
- an earlier commit's unsettled attempt is settled first: found live (then it is the publication: WeChat
  cannot edit articles), or "sent nothing" on evidence (its draft still in the box), recorded as
  `skipped` before its draft is deleted; every deletion is recorded (`discard`) before it is made;
- calls that create something (`draft/add`, `freepublish/submit`) run without the client's blind retries:
  after a lost answer (`RetriesExhausted.maybe_applied`) the publisher looks before repeating;
- images are content-addressed; a crash between an upload and its cache entry costs one extra upload of
  the same picture (invisible to readers), never an extra article. A cached cover WeChat no longer knows
  (40007) is dropped from the cache and uploaded once more.

Testing seam (documented, off unless set): `WXPUB_CRASH_AFTER=<step>[:<phase>]` makes the process exit
at once (`os._exit(70)`, no cleanup) at that point: `started` (recorded, before the remote call), `call`
(the call answered, nothing recorded yet: the lost-answer case; the default) or `done` (recorded).
`retract` (pipeline/retraction.py) honours `WXPUB_CRASH_AFTER=retract` after its delete call. The
fault-injection tests kill the publisher this way after each step and rerun it.

Where each part lives (one module per stage; `Publisher` in publisher.py only puts them in order):

    model.py      Job, Outcome, RunSummary, StepFailed; what a record says about an attempt
    identity.py   the marker and the version's fingerprint
    base.py       recording events, the crash seam, failures and progress; calls and cheap look-ups
    due.py        due (and git at the edge)
    verify.py     verify
    render.py     render
    earlier.py    earlier
    uploads.py    images, cover
    reconcile.py  the article sent, and finding this post's drafts and articles on WeChat
    draft.py      draft
    submit.py     submit, poll
    broadcast.py  broadcast
    record.py     record, and what a dry run says
    resolve.py    an operator's verdict (`wxpub publish --resolve`)

Retract and the lease live in pipeline/retraction.py and pipeline/lease.py.
"""

from __future__ import annotations

from .broadcast import CLIENTMSGID_TTL
from .due import committed_trees, dirty_paths, ensure_on_branch, last_commit
from .identity import (
    MARKER_PREFIX,
    content_text,
    fingerprint,
    item_key,
    marker_comment,
    marker_for,
    marker_prefix,
    version_keys,
)
from .model import ACCOUNT_ERRORS, CRASH_ENV, CRASH_EXIT, ApprovalNotVerified, Job, Outcome, RunSummary, StepFailed
from .publisher import Publisher
from .resolve import RESOLUTIONS, resolve
from .verify import PUBLISH_TIME_IGNORED_FAMILIES, approvers_of

__all__ = [
    "ACCOUNT_ERRORS",
    "CLIENTMSGID_TTL",
    "CRASH_ENV",
    "CRASH_EXIT",
    "MARKER_PREFIX",
    "PUBLISH_TIME_IGNORED_FAMILIES",
    "RESOLUTIONS",
    "ApprovalNotVerified",
    "Job",
    "Outcome",
    "Publisher",
    "RunSummary",
    "StepFailed",
    "approvers_of",
    "committed_trees",
    "content_text",
    "dirty_paths",
    "ensure_on_branch",
    "fingerprint",
    "item_key",
    "last_commit",
    "marker_comment",
    "marker_for",
    "marker_prefix",
    "resolve",
    "version_keys",
]
