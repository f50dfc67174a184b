"""The CI workflows hold to the project's security rules (issue 9), checked by reading the YAML.

Each rule is a small function returning problems; every rule is run on the real workflows (no problem
allowed) and on a deliberately bad workflow (the problem must be found), so no rule can pass vacuously.
zizmor, the workflow auditor, must report nothing over `.github/workflows`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
PUBLISH_ENVIRONMENT = "wechat-production"
REQUIRED_CHECKS = ("check", "leadtime", "approval-gate", "workflow-audit")

# The pins read from the actions' own repositories (docs: actions-pins). A known SHA must carry its own
# version in the comment, so a comment can never lie about what runs. Unknown SHAs are allowed when
# pinned and commented (a future upgrade); add them here once verified.
KNOWN_PINS = {
    ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1"): "v7.0.1",
    ("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97"): "v7.0.0",
    ("actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f"): "v7.0.0",
    ("actions/download-artifact", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"): "v8.0.1",
    ("actions/cache", "27d5ce7f107fe9357f9df03efb73ab90386fccae"): "v5.0.5",
    ("actions/upload-pages-artifact", "fc324d3547104276b827a68afc52ff2a11cc49c9"): "v5.0.0",
    ("actions/deploy-pages", "cd2ce8fcbc39b97be8ca5fce6e763baed58fa128"): "v5.0.0",
    ("github/codeql-action", "8aad20d150bbac5944a9f9d289da16a4b0d87c1e"): "v4.36.2",
}


# -- loading -----------------------------------------------------------------------------------


class Workflow:
    """A parsed workflow plus its raw text (comments matter for pins)."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.data: dict[Any, Any] = yaml.safe_load(text)
        assert isinstance(self.data, dict), f"{name}: not a mapping"

    @property
    def triggers(self) -> dict[str, Any]:
        # PyYAML (YAML 1.1) reads the bare key `on` as the boolean True.
        on = self.data.get("on", self.data.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return dict.fromkeys(on)
        return dict(on or {})

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        return self.data.get("jobs") or {}


def load(name: str, text: str) -> Workflow:
    return Workflow(name, text)


def real_workflows() -> list[Workflow]:
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    return [Workflow(f.name, f.read_text(encoding="utf-8")) for f in files]


def strings(node: Any) -> Iterator[str]:
    """Every string value (and key) under a node."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str):
                yield k
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def is_publish_job(job: dict[str, Any]) -> bool:
    env = job.get("environment")
    name = env.get("name") if isinstance(env, dict) else env
    return name == PUBLISH_ENVIRONMENT


# -- the rules ---------------------------------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
SECRET_REF = re.compile(r"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[|\))|toJSON\(\s*secrets", re.I)
PINNED = re.compile(r"^(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)(?P<sub>/[^@]*)?@(?P<sha>[0-9a-f]{40})$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<value>\S+)\s*(?:#\s*(?P<comment>.*))?$")


def no_pull_request_target(wf: Workflow) -> list[str]:
    problems = []
    if "pull_request_target" in wf.triggers:
        problems.append(f"{wf.name}: triggers on pull_request_target (runs PR code with secrets); use pull_request")
    for n, line in enumerate(wf.text.splitlines(), 1):
        code = line.split("#", 1)[0]
        if "pull_request_target" in code:
            problems.append(f"{wf.name}:{n}: pull_request_target appears outside a comment")
    return problems


def explicit_permissions(wf: Workflow) -> list[str]:
    problems = []
    if "permissions" not in wf.data:
        problems.append(f"{wf.name}: no top-level permissions; add `permissions: {{}}`")
    elif wf.data["permissions"] not in ({}, None, "read-all") and not _read_only(wf.data["permissions"]):
        problems.append(f"{wf.name}: top-level permissions grant write; grant it on the job that needs it")
    for job_id, job in wf.jobs.items():
        if "permissions" not in job:
            problems.append(f"{wf.name}: job {job_id} has no explicit permissions")
    return problems


def _read_only(perms: Any) -> bool:
    return isinstance(perms, dict) and all(v in ("read", "none") for v in perms.values())


def secrets_only_in_publish_job(wf: Workflow) -> list[str]:
    """`secrets.*` may appear only inside the job bound to the publish environment (GITHUB_TOKEN aside)."""
    problems = []
    top = {k: v for k, v in wf.data.items() if k != "jobs"}
    outside: list[tuple[str, Any]] = [(f"{wf.name} (workflow level)", top)]
    outside += [(f"{wf.name}: job {jid}", job) for jid, job in wf.jobs.items() if not is_publish_job(job)]
    for where, node in outside:
        for s in strings(node):
            for m in SECRET_REF.finditer(s):
                if m.group(1) and m.group(1).upper() == "GITHUB_TOKEN":
                    continue
                problems.append(f"{where}: references secrets ({m.group(0)!r}); only the publish job may")
    return problems


def no_expressions_in_scripts(wf: Workflow) -> list[str]:
    """No `${{ … }}` inside a `run:` (or github-script `script:`): pass values through `env:`."""
    problems = []
    for job_id, job in wf.jobs.items():
        for i, step in enumerate(job.get("steps") or [], 1):
            scripts = [("run", step.get("run"))]
            if str(step.get("uses", "")).startswith("actions/github-script"):
                scripts.append(("script", (step.get("with") or {}).get("script")))
            for key, script in scripts:
                if not isinstance(script, str):
                    continue
                for m in EXPRESSION.finditer(script):
                    problems.append(
                        f"{wf.name}: job {job_id} step {i} ({step.get('name', '')}): `${{{{{m.group(1)}}}}}` "
                        f"inside `{key}:`; set it in `env:` and use the variable"
                    )
    return problems


def publish_job_serialised(wf: Workflow) -> list[str]:
    problems = []
    for job_id, job in wf.jobs.items():
        if not is_publish_job(job):
            continue
        conc = job.get("concurrency") or wf.data.get("concurrency")
        if not isinstance(conc, dict) or not conc.get("group"):
            problems.append(f"{wf.name}: publish job {job_id} has no concurrency group")
        elif conc.get("cancel-in-progress") is not False:
            problems.append(f"{wf.name}: publish job {job_id} must set cancel-in-progress: false")
    return problems


def actions_pinned(wf: Workflow) -> list[str]:
    problems = []
    for n, line in enumerate(wf.text.splitlines(), 1):
        m = USES_LINE.match(line)
        if not m:
            continue
        value, comment = m.group("value").strip("'\""), (m.group("comment") or "").strip()
        if value.startswith("./"):
            continue  # a workflow or action from this same commit
        pin = PINNED.match(value)
        if not pin:
            problems.append(f"{wf.name}:{n}: `{value}` is not pinned to a full 40-hex commit SHA")
            continue
        if not re.match(r"v\d+(\.\d+)*\b", comment):
            problems.append(f"{wf.name}:{n}: `{value}` needs its version in a comment, e.g. `# v1.2.3`")
            continue
        known = KNOWN_PINS.get((pin.group("action"), pin.group("sha")))
        if known and comment.split()[0] != known:
            problems.append(f"{wf.name}:{n}: comment says {comment.split()[0]} but that SHA is {known}")
    return problems


def checkouts_keep_no_credentials(wf: Workflow) -> list[str]:
    problems = []
    for job_id, job in wf.jobs.items():
        for step in job.get("steps") or []:
            checkout = str(step.get("uses", "")).startswith("actions/checkout@")
            if checkout and (step.get("with") or {}).get("persist-credentials") is not False:
                problems.append(f"{wf.name}: job {job_id}: checkout without persist-credentials: false")
    return problems


RULES = (
    no_pull_request_target,
    explicit_permissions,
    secrets_only_in_publish_job,
    no_expressions_in_scripts,
    publish_job_serialised,
    actions_pinned,
    checkouts_keep_no_credentials,
)


# -- the real workflows ------------------------------------------------------------------------


def test_the_three_workflows_exist_and_parse() -> None:
    names = {wf.name for wf in real_workflows()}
    assert {"review.yml", "publish.yml", "archive.yml"} <= names


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_real_workflows_follow_the_rule(rule: Any) -> None:
    problems = [p for wf in real_workflows() for p in rule(wf)]
    assert problems == []


def _workflow(name: str) -> Workflow:
    return next(wf for wf in real_workflows() if wf.name == name)


def test_review_runs_on_pull_requests_and_reviews_one_run_per_pr() -> None:
    wf = _workflow("review.yml")
    assert set(wf.triggers) == {"pull_request", "pull_request_review"}
    conc = wf.data["concurrency"]
    assert "github.event.pull_request.number" in conc["group"]
    assert conc["cancel-in-progress"] is True


def test_review_jobs_are_the_required_checks_and_read_only() -> None:
    wf = _workflow("review.yml")
    names = {job.get("name", jid) for jid, job in wf.jobs.items()}
    assert set(REQUIRED_CHECKS) <= names
    for jid, job in wf.jobs.items():
        writes = {k for k, v in (job["permissions"] or {}).items() if v == "write"}
        runs_code = any("run" in s for s in job.get("steps") or [])
        # Only a job that runs no code of its own may write, and only code-scanning results.
        assert not writes or (writes == {"security-events"} and not runs_code), jid


def test_review_passes_the_base_ref_through_env_and_writes_sarif() -> None:
    wf = _workflow("review.yml")
    steps = [s for job in wf.jobs.values() for s in job.get("steps") or []]
    check = next(s for s in steps if "wxpub check" in s.get("run", ""))
    assert "--changed-since" in check["run"] and "--format github" in check["run"] and "--sarif" in check["run"]
    assert check["env"]["BASE_REF"] == "${{ github.event.pull_request.base.ref }}"
    assert any("wxpub leadtime" in s.get("run", "") for s in steps)
    gate = wf.jobs["approval-gate"]
    assert any('wxpub approvals --pr "$PR_NUMBER"' in s.get("run", "") for s in gate["steps"])
    # The gate's code comes from the base branch: a PR cannot rewrite its own judge.
    base = next(s for s in gate["steps"] if (s.get("with") or {}).get("path") == "base")
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    runs = [s.get("run", "") for s in gate["steps"]]
    install, policy, approvals = (next(i for i, r in enumerate(runs) if k in r) for k in ("./base", "cp -R", "wxpub"))
    assert install < approvals and policy < approvals and "base/policy pr/policy" in runs[policy]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert any(s["with"]["path"] == "wxpub.sarif" for s in uploads)


def test_publish_runs_on_the_whitelisted_runner_in_the_protected_environment() -> None:
    wf = _workflow("publish.yml")
    assert set(wf.triggers) == {"push", "schedule", "workflow_dispatch"}
    assert wf.triggers["push"]["branches"] == ["main"]
    assert wf.triggers["schedule"] == [{"cron": "*/10 * * * *"}]
    job = wf.jobs["publish"]
    assert is_publish_job(job)
    assert job["runs-on"] == ["self-hosted", "wechat-egress"]
    assert job["concurrency"] == {"group": "wechat-publish", "cancel-in-progress": False}
    assert job["permissions"]["contents"] == "write"
    run = "\n".join(s.get("run", "") for s in job["steps"])
    assert "wxpub publish" in run
    env = {k: v for s in job["steps"] for k, v in (s.get("env") or {}).items()}
    assert env["WECHAT_APPID"] == "${{ secrets.WECHAT_APPID }}"
    assert env["WECHAT_SECRET"] == "${{ secrets.WECHAT_SECRET }}"
    checkout = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0


def test_retraction_runs_with_the_publisher_never_beside_it() -> None:
    wf = _workflow("publish.yml")
    job = wf.jobs["retract"]
    assert is_publish_job(job) and job["concurrency"] == wf.jobs["publish"]["concurrency"]
    run = "\n".join(s.get("run", "") for s in job["steps"])
    assert 'wxpub retract "$POST" --reason "$REASON"' in run
    env = {k: v for s in job["steps"] for k, v in (s.get("env") or {}).items()}
    assert env["POST"] == "${{ inputs.post }}" and env["REASON"] == "${{ inputs.reason }}"


def test_archive_builds_the_site_as_an_artifact() -> None:
    wf = _workflow("archive.yml")
    steps = [s for job in wf.jobs.values() for s in job.get("steps") or []]
    assert any("wxpub archive build" in s.get("run", "") for s in steps)
    assert any(str(s.get("uses", "")).startswith("actions/upload-artifact@") for s in steps)
    assert "workflow_run" not in wf.triggers


def test_workflows_note_what_gitea_lacks() -> None:
    text = (WORKFLOWS / "publish.yml").read_text(encoding="utf-8")
    assert "Gitea" in text and "environment:" in text and "re-verif" in text


# -- every rule catches its violation ----------------------------------------------------------

GOOD_JOB = """
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - run: echo ok
"""

BAD = {
    "no_pull_request_target": (
        "on:\n  pull_request_target:\npermissions: {}\njobs:\n  a:" + GOOD_JOB,
        "pull_request_target",
    ),
    "explicit_permissions": (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n",
        "no explicit permissions",
    ),
    "secrets_only_in_publish_job": (
        "on: push\npermissions: {}\njobs:\n  a:"
        + GOOD_JOB
        + "        env:\n          TOKEN: ${{ secrets.WXPUB_ORG_READ_TOKEN }}\n",
        "references secrets",
    ),
    "no_expressions_in_scripts": (
        "on: pull_request\npermissions: {}\njobs:\n  a:"
        + GOOD_JOB
        + '      - run: echo "${{ github.event.pull_request.title }}"\n',
        "inside `run:`",
    ),
    "publish_job_serialised": (
        "on: push\npermissions: {}\njobs:\n  p:\n    environment: wechat-production\n"
        "    concurrency:\n      group: wechat-publish\n      cancel-in-progress: true" + GOOD_JOB,
        "cancel-in-progress: false",
    ),
    "actions_pinned": (
        "on: push\npermissions: {}\njobs:\n  a:" + GOOD_JOB + "      - uses: actions/setup-python@v7\n",
        "not pinned",
    ),
    "checkouts_keep_no_credentials": (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    permissions: {}\n    steps:\n"
        "      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n",
        "persist-credentials",
    ),
}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_rule_catches_a_bad_workflow(rule: Any) -> None:
    text, expected = BAD[rule.__name__]
    problems = rule(load("bad.yml", text))
    assert any(expected in p for p in problems), problems


def test_more_ways_to_break_the_rules_are_caught() -> None:
    head = "on: push\npermissions: {}\njobs:\n"
    publish_without_group = head + "  p:\n    environment: {name: wechat-production}" + GOOD_JOB
    assert "no concurrency group" in publish_job_serialised(load("p.yml", publish_without_group))[0]
    secret_at_top = "on: push\npermissions: {}\nenv:\n  S: ${{ secrets.WECHAT_SECRET }}\njobs:\n  a:" + GOOD_JOB
    assert secrets_only_in_publish_job(load("t.yml", secret_at_top))
    all_secrets = head + "  a:" + GOOD_JOB + "        env:\n          A: ${{ toJSON(secrets) }}\n"
    assert secrets_only_in_publish_job(load("j.yml", all_secrets))
    github_token = head + "  a:" + GOOD_JOB + "        env:\n          T: ${{ secrets.GITHUB_TOKEN }}\n"
    assert secrets_only_in_publish_job(load("g.yml", github_token)) == []
    lying_comment = GOOD_JOB.replace("# v7.0.1", "# v9.9.9")
    assert "comment says v9.9.9" in actions_pinned(load("c.yml", "on: push\njobs:\n  a:" + lying_comment))[0]
    no_comment = GOOD_JOB.replace(" # v7.0.1", "")
    assert "version in a comment" in actions_pinned(load("n.yml", "on: push\njobs:\n  a:" + no_comment))[0]
    write_all = "on: push\npermissions: write-all\njobs:\n  a:" + GOOD_JOB
    assert "grant write" in explicit_permissions(load("w.yml", write_all))[0]
    script = (
        "on: push\npermissions: {}\njobs:\n  a:"
        + GOOD_JOB
        + "      - uses: actions/github-script@"
        + "0" * 40
        + " # v7\n        with:\n          script: console.log('${{ github.head_ref }}')\n"
    )
    assert "inside `script:`" in no_expressions_in_scripts(load("s.yml", script))[0]


# -- zizmor ------------------------------------------------------------------------------------


def _zizmor() -> str | None:
    beside = Path(sys.executable).parent / "zizmor"
    return str(beside) if beside.exists() else shutil.which("zizmor")


def test_zizmor_reports_nothing() -> None:
    exe = _zizmor()
    if exe is None:
        pytest.skip("zizmor is not installed (pip install zizmor); CI installs it with the dev extra")
    # --no-ignores: an inline `# zizmor: ignore[...]` must not hide a finding either.
    proc = subprocess.run(
        [exe, "--offline", "--no-ignores", "--format", "json", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    findings = json.loads(proc.stdout or "[]")
    summary = [f"{f['ident']}: {f['desc']}" for f in findings]
    assert proc.returncode == 0 and summary == [], (summary, proc.stderr[-2000:])


def test_zizmor_does_find_a_bad_workflow(tmp_path: Path) -> None:
    exe = _zizmor()
    if exe is None:
        pytest.skip("zizmor is not installed")
    bad = tmp_path / ".github" / "workflows"
    bad.mkdir(parents=True)
    (bad / "bad.yml").write_text(
        "on: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo '${{ github.event.pull_request.title }}'\n",
        encoding="utf-8",
    )
    proc = subprocess.run([exe, "--offline", "--format", "json", str(bad)], capture_output=True, text=True, timeout=120)
    idents = {f["ident"] for f in json.loads(proc.stdout or "[]")}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= idents


# -- CODEOWNERS and pre-commit -----------------------------------------------------------------


def test_codeowners_cover_the_pipeline_policy_workflows_and_posts() -> None:
    owners: dict[str, list[str]] = {}
    for line in (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, *teams = line.split()
            owners[pattern] = teams
    for path in ("/policy/", "/pipeline/", "/.github/"):
        assert "@xxbank/technology" in owners[path] and "@xxbank/ebanking" in owners[path], path
    assert "@xxbank/ebanking" in owners["/posts/"]
    assert all(o.startswith("@") for teams in owners.values() for o in teams)


def test_pre_commit_hook_parses_and_its_entry_is_a_real_command() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "wxpub-check"]
    assert hook["language"] == "python" and hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    assert files.search("posts/2026/12-05-card-offer/index.md") and not files.search("pipeline/post.py")
    program, *args = hook["entry"].split()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(rf'^{re.escape(program)}\s*=\s*"pipeline\.cli:main"', pyproject, re.M), program
    # The entry runs: the same CLI, asked for the subcommand's help.
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *args, "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert "--changed-since" in proc.stdout


def test_operations_guide_names_the_real_required_checks() -> None:
    guide = ROOT / "docs" / "operations.md"
    if not guide.exists():
        pytest.fail("docs/operations.md is missing")
    text = guide.read_text(encoding="utf-8")
    jobs = {job.get("name", jid) for jid, job in _workflow("review.yml").jobs.items()}
    for name in REQUIRED_CHECKS:
        assert f"`{name}`" in text and name in jobs, name


def _policy_keys() -> list[str]:
    """`version`, `units`, … and `section.key` for every section of the policy model."""
    from pydantic import BaseModel

    from pipeline.policy import Policy

    keys = []
    for name, info in Policy.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys += [f"{name}.{sub}" for sub in ann.model_fields]
        else:
            keys.append(name)
    return keys


def test_operations_guide_explains_every_policy_key() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [k for k in _policy_keys() if f"`{k}`" not in text]
    assert missing == [], "explain these policy keys in docs/operations.md section 5"


# -- the workflows' commands, for real ---------------------------------------------------------


def _wxpub_lines(script: str) -> list[list[str]]:
    import shlex

    out = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("wxpub "):
            tokens = shlex.split(line.split("||", 1)[0])
            out.append([t if not t.startswith("$") else "1" if "NUMBER" in t else "x" for t in tokens])
    return out


def test_every_wxpub_command_in_the_workflows_parses() -> None:
    """The flags the workflows pass exist in the CLI (the workflows and the CLI cannot drift)."""
    from pipeline.cli import build_parser

    seen = []
    for wf in real_workflows():
        for job in wf.jobs.values():
            for step in job.get("steps") or []:
                for tokens in _wxpub_lines(step.get("run", "")):
                    tokens = [t.replace("origin/${BASE_REF}", "origin/main") for t in tokens]
                    args = build_parser().parse_args(tokens[1:])
                    assert callable(getattr(args, "func", None)), tokens
                    seen.append(tokens[1])
    assert {"check", "leadtime", "approvals", "publish", "retract", "archive"} <= set(seen)


def _step(wf: str, job: str, command: str) -> dict[str, Any]:
    return next(s for s in _workflow(wf).jobs[job]["steps"] if command in s.get("run", ""))


def _run_step(step: dict[str, Any], cwd: Path, values: dict[str, str], extra: dict[str, str]) -> Any:
    """Run a step's `run:` script with bash as Actions does, its `env:` keys filled from `values`."""
    import os

    assert set(step.get("env") or {}) == set(values), "the step's env changed: update the test"
    env = {**os.environ, **values, **extra, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def pr_repo(make_repo: Any, tmp_path: Path) -> Path:
    """A repository whose origin/main has one post, and a PR branch that adds a post with two faults."""
    from conftest import git, post_text, write_post

    root = make_repo({"2030/03-01-old": post_text(publish_at=_dt(2030, 3, 1))})
    git(tmp_path, "clone", "-q", "--bare", str(root), "origin.git")
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "fetch", "-q", "origin")
    git(root, "checkout", "-q", "-b", "pr")
    long_title = "这是一个超过三十二个字符的标题用来测试微信标题长度限制是否生效以及报告是否正确"
    write_post(root, "2030/01-03-new", post_text(title=long_title, publish_at=_dt(2030, 1, 3)))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "add a post")
    return root


def _dt(y: int, m: int, d: int) -> Any:
    import datetime as dt

    return dt.datetime(y, m, d, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_check_step_annotates_the_changed_post_writes_sarif_and_a_summary(pr_repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    proc = _run_step(
        _step("review.yml", "check", "wxpub check"),
        pr_repo,
        {"BASE_REF": "main"},
        {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true"},
    )
    assert proc.returncode == 1, proc.stderr
    assert "::error file=posts/2030/01-03-new/index.md" in proc.stdout
    assert "2030/03-01-old" not in proc.stdout  # only what the PR changed
    sarif = json.loads((pr_repo / "wxpub.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert "wechat/title-length" in {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert summary.read_text(encoding="utf-8").strip()


def test_the_leadtime_step_reads_the_pr_event_and_flags_a_short_lead_time(pr_repo: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 7, "created_at": "2030-01-01T02:00:00Z", "user": {"login": "ed"}}}),
        encoding="utf-8",
    )
    proc = _run_step(
        _step("review.yml", "leadtime", "wxpub leadtime"),
        pr_repo,
        {"BASE_REF": "main"},
        {"GITHUB_EVENT_PATH": str(event), "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "GITHUB_ACTIONS": "true"},
    )
    assert proc.returncode == 1, proc.stderr
    assert "::error file=posts/2030/01-03-new/index.md" in proc.stdout
    assert "leadtime/one-week" in proc.stdout


def users_only_policy() -> str:
    """The project's policy with every role named by forge users only (the GitHub set-up operations.md
    recommends: the automatic token cannot read organisation teams)."""
    policy = yaml.safe_load((ROOT / "policy" / "policy.yml").read_text(encoding="utf-8"))
    policy["roles"] = {name: {"users": role["users"]} for name, role in policy["roles"].items()}
    for unit in policy["units"]:
        unit["heads"] = {"users": unit["heads"]["users"]}
    return yaml.safe_dump(policy, allow_unicode=True, sort_keys=False)


def _gate_workspace(tmp_path: Path, pr_policy: str | None = None) -> Path:
    """The approval gate's workspace: `base/` (the policy in force) and `pr/` (the PR's content: a git
    checkout whose base commit holds the policy in force, as actions/checkout with fetch-depth: 0 gives)."""
    from conftest import git, post_text, write_post

    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "policy", ws / "base" / "policy")
    shutil.copytree(ROOT / "policy", ws / "pr" / "policy")
    for side in ("base", "pr"):
        (ws / side / "policy" / "policy.yml").write_text(users_only_policy(), encoding="utf-8")
    pr = ws / "pr"
    git(pr, "init", "-q", "-b", "main")
    git(pr, "add", "-A")
    git(pr, "commit", "-q", "-m", "base")
    if pr_policy is not None:
        (pr / "policy" / "policy.yml").write_text(pr_policy, encoding="utf-8")
    write_post(pr, "2030/03-01-card", post_text(publish_at=_dt(2030, 3, 1)))
    git(pr, "checkout", "-q", "-b", "pr")
    git(pr, "add", "-A")
    git(pr, "commit", "-q", "-m", "the pull request")
    return ws


def _shas(ws: Path) -> tuple[str, str]:
    """(head, base) of the workspace's pull request."""
    from conftest import git

    return git(ws / "pr", "rev-parse", "HEAD").strip(), git(ws / "pr", "rev-parse", "main").strip()


def _run_gate(ws: Path, api_url: str) -> Any:
    gate = _workflow("review.yml").jobs["approval-gate"]
    policy_step = next(s for s in gate["steps"] if "cp -R" in s.get("run", ""))
    assert _run_step(policy_step, ws, {}, {}).returncode == 0
    step = next(s for s in gate["steps"] if "wxpub approvals" in s.get("run", ""))
    from forge_standin import REPO, REPO_TOKEN

    return _run_step(
        step,
        ws / step["working-directory"],
        {"PR_NUMBER": "7", "GITHUB_TOKEN": REPO_TOKEN, "GITEA_TOKEN": REPO_TOKEN},
        {
            "GITHUB_API_URL": api_url,
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_STEP_SUMMARY": str(ws / "summary.md"),
            "GITHUB_EVENT_PATH": "",
        },
    )


def _forge_data(approvers: list[str], ws: Path) -> Any:
    from forge_standin import ForgeData

    data = ForgeData()
    head, base = _shas(ws)
    data.add_pull(7, author="editor", head=head, files=["posts/2030/03-01-card/index.md"], base=base)
    for i, login in enumerate(approvers):
        data.review(7, login, "APPROVED", head, f"2026-11-2{i + 1}T02:00:00Z")
    data.teams["xxbank/compliance"] = {"team-only-reviewer": "active"}
    return data


def test_the_gate_passes_with_the_automatic_token_when_approvers_are_users(tmp_path: Path) -> None:
    """The choice documented in docs/operations.md: users in the policy, the job token, no secret."""
    from forge_standin import GitHubStandin

    ws = _gate_workspace(tmp_path)
    with GitHubStandin(_forge_data(["li-retail", "qian-compliance", "zhou-ebank"], ws)) as gh:
        proc = _run_gate(ws, gh.url)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_gate_fails_closed_when_a_role_names_teams_the_token_cannot_read(tmp_path: Path) -> None:
    """With roles that name teams, the automatic token cannot verify a team approval: exit 2."""
    from conftest import policy_with_teams
    from forge_standin import GitHubStandin

    with_teams = policy_with_teams()
    ws = _gate_workspace(tmp_path)
    base_policy = ws / "pr" / "policy" / "policy.yml"
    with GitHubStandin(_forge_data(["li-retail", "qian-compliance", "zhou-ebank"], ws)) as gh:
        # the base commit's policy names teams (the pull request does not touch policy/)
        from conftest import git

        git(ws / "pr", "checkout", "-q", "main")
        base_policy.write_text(with_teams, encoding="utf-8")
        git(ws / "pr", "commit", "-q", "-am", "teams")
        git(ws / "pr", "checkout", "-q", "pr")
        git(ws / "pr", "rebase", "-q", "main")
        head, base = _shas(ws)
        gh.data.pulls[7]["head"]["sha"], gh.data.pulls[7]["base"]["sha"] = head, base
        for r in gh.data.reviews[7]:
            r["commit_id"] = head
        (ws / "base" / "policy" / "policy.yml").write_text(with_teams, encoding="utf-8")
        proc = _run_gate(ws, gh.url)
    assert proc.returncode == 2, proc.stdout
    assert "team membership" in proc.stderr


def test_a_pr_cannot_lower_the_tiers_that_judge_it(tmp_path: Path) -> None:
    """The PR's own policy drops the compliance tier; the gate judges with the base branch's policy."""
    from forge_standin import GitHubStandin

    policy = yaml.safe_load(users_only_policy())
    policy["approval"]["base"] = [{"tier": "ebanking"}]
    lowered = yaml.safe_dump(policy, allow_unicode=True, sort_keys=False)
    ws = _gate_workspace(tmp_path, pr_policy=lowered)
    with GitHubStandin(_forge_data(["zhou-ebank"], ws)) as gh:
        proc = _run_gate(ws, gh.url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "compliance" in proc.stdout


def test_operations_guide_covers_failures_retraction_and_records() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for errcode in ("40164", "48001", "45009", "40013", "40125", "53503", "45028"):
        assert f"| {errcode} |" in text, errcode
    for needle in ("wxpub retract", "wxpub-records", "calendar.yml", "Gitea", "Forgejo", "IP白名单", "wechat-egress"):
        assert needle in text, needle


def test_scheduled_archive_builds_only_when_something_moved(tmp_path: Path, make_repo: Any) -> None:
    """The archive's freshness step: a schedule with nothing new skips; new records or a push build."""
    import datetime as dt
    import os

    from conftest import git

    step = next(s for s in _workflow("archive.yml").jobs["build"]["steps"] if s.get("id") == "fresh")
    root = make_repo({})
    old = "2020-01-01T00:00:00+00:00"
    (root / "README").write_text("x", encoding="utf-8")
    git(root, "add", "README")
    git(root, "commit", "-q", "-m", "old", env={"GIT_COMMITTER_DATE": old, "GIT_AUTHOR_DATE": old})
    git(root, "update-ref", "refs/remotes/origin/wxpub-records", "HEAD")

    def decide(event: str) -> str:
        out = tmp_path / "out"
        out.write_text("", encoding="utf-8")
        proc = _run_step(step, root, {"EVENT": event}, {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": os.devnull})
        assert proc.returncode == 0, proc.stderr
        return out.read_text(encoding="utf-8").strip()

    nightly = dt.datetime.now(dt.UTC).hour == 0 and dt.datetime.now(dt.UTC).minute < 30
    assert decide("schedule") == ("build=true" if nightly else "build=false")
    assert decide("push") == "build=true"
    git(root, "commit", "-q", "--allow-empty", "-m", "published")  # a record written just now
    git(root, "update-ref", "refs/remotes/origin/wxpub-records", "HEAD")
    assert decide("schedule") == "build=true"
