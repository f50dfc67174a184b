"""The web editor's files: generated from the policy, committed up to date, kept in step when it changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.editor import build
from pipeline.editor.config import CATEGORY_LABELS, editor_config, forge_origins, local_config, utc_offset
from pipeline.policy import CATEGORIES, PRODUCTS, load_policy, parse_policy

ROOT = Path(__file__).resolve().parents[1]


def _fields(config: dict[str, object]) -> dict[str, dict[str, object]]:
    collection = config["collections"][0]  # type: ignore[index]
    return {f["name"]: f for f in collection["fields"]}


def test_committed_admin_files_are_what_the_policy_generates() -> None:
    """Fails when policy/policy.yml (or the generator) changed and `wxpub editor build` was not run."""
    generated = build.generate(ROOT, load_policy(ROOT))
    stale = generated.stale(ROOT / "admin")
    assert stale == [], f"admin/ is stale: {stale}; run `wxpub editor build` and commit admin/"


def test_the_form_says_only_what_the_policy_allows() -> None:
    policy = load_policy(ROOT)
    config = editor_config(policy)
    fields = _fields(config)
    assert [o["value"] for o in fields["unit"]["options"]] == list(policy.unit_names)
    assert [(o["value"], o["label"]) for o in fields["category"]["options"]] == [
        ("product", "产品动态"),
        ("campaign", "营销活动"),
        ("notice", "公告通知"),
        ("service", "客户服务"),
        ("knowledge", "知识科普"),
        ("other", "其他"),
    ]
    assert set(CATEGORY_LABELS) == set(CATEGORIES)
    assert [o["value"] for o in fields["products"]["options"]] == list(PRODUCTS)
    assert fields["products"]["multiple"] is True
    assert [o["value"] for o in fields["delivery"]["options"]] == ["publish", "broadcast"]
    assert fields["publish_at"]["format"] == "YYYY-MM-DDTHH:mm:ss[+08:00]"
    assert "32" in fields["title"]["hint"] and "16" in fields["author"]["hint"] and "128" in fields["digest"]["hint"]
    assert fields["cover"]["widget"] == "image"
    assert fields["body"]["widget"] == "markdown"
    assert [f["name"] for f in fields["maintenance"]["fields"]] == ["start", "end"]
    assert [f["name"] for f in fields["urgent"]["fields"]] == ["reason"]
    assert [f["name"] for f in fields["sources"]["fields"]] == ["file", "source", "license"]
    assert fields["tags"]["widget"] == "list"
    assert config["publish_mode"] == "editorial_workflow"
    assert config["locale"] == "zh_Hans"
    collection = config["collections"][0]
    assert collection["folder"] == "posts"
    assert collection["path"] == "{{_wx_year}}/{{_wx_monthday}}-{{slug}}/index"
    assert (collection["media_folder"], collection["public_folder"]) == ("", "")


def test_a_unit_added_to_the_policy_appears_as_an_option_after_rebuilding(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    shutil.copytree(ROOT / "admin", repo / "admin", ignore=shutil.ignore_patterns("vendor", "theme.css"))
    assert main(["editor", "build", "--check", "--root", str(repo)]) == 0
    policy_file = repo / "policy" / "policy.yml"
    text = policy_file.read_text(encoding="utf-8")
    anchor = "  - {name: 开发区支行, kind: branch, heads: {users: [feng-kaifaqu]}}\n"
    assert anchor in text
    policy_file.write_text(
        text.replace(anchor, anchor + "  - {name: 新城支行, kind: branch, heads: {users: [xin-branch]}}\n"),
        encoding="utf-8",
    )
    assert main(["editor", "build", "--check", "--root", str(repo)]) == 1  # stale: the check notices
    assert main(["editor", "build", "--no-bundle", "--root", str(repo)]) == 0
    config = yaml.safe_load((repo / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert "新城支行" in [o["value"] for o in _fields(config)["unit"]["options"]]
    assert main(["editor", "build", "--check", "--root", str(repo)]) == 0


def test_the_backend_block_is_kept_and_set_by_options(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    args = ["editor", "build", "--no-bundle", "--root", str(repo)]
    assert main([*args, "--repo", "county-bank/wechat-posts", "--base-url", "https://auth.bank.internal"]) == 0
    assert main(args) == 0  # regenerating keeps the deployment's settings
    config = yaml.safe_load((repo / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert config["backend"] == {
        "name": "github",
        "repo": "county-bank/wechat-posts",
        "branch": "main",
        "base_url": "https://auth.bank.internal",
    }
    page = (repo / "admin" / "index.html").read_text(encoding="utf-8")
    assert "connect-src &#x27;self&#x27; blob: https://api.github.com;" in page
    forge = "https://git.bank.internal"
    api = f"{forge}/api/v1"
    assert main([*args, "--forge", "forgejo", "--repo", "web/posts", "--api-root", api, "--app-id", "abc"]) == 0
    config = yaml.safe_load((repo / "admin" / "config.yml").read_text(encoding="utf-8"))
    assert config["backend"] == {"name": "forgejo", "repo": "web/posts", "api_root": api, "app_id": "abc"}
    assert forge_origins(config["backend"]) == [forge]
    page = (repo / "admin" / "index.html").read_text(encoding="utf-8")
    assert f"connect-src &#x27;self&#x27; blob: {forge};" in page


def test_a_backend_without_the_editorial_workflow_is_refused(tmp_path: Path) -> None:
    """Decap's `gitea` backend would commit a save to main: no pull request, no approval gate."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    (repo / "admin").mkdir()
    (repo / "admin" / "config.yml").write_text("backend: {name: gitea, repo: a/b}\n", encoding="utf-8")
    assert main(["editor", "build", "--no-bundle", "--root", str(repo)]) == 2
    text = (ROOT / "policy" / "policy.yml").read_text(encoding="utf-8").replace("kind: github", "kind: gitea")
    assert editor_config(parse_policy(text))["backend"]["name"] == "forgejo"


def test_the_page_loads_nothing_from_elsewhere_and_has_a_strict_csp() -> None:
    page = (ROOT / "admin" / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page.replace('http-equiv="Content-Security-Policy"', "")
    srcs = [line for line in page.splitlines() if "src=" in line or "href=" in line]
    assert srcs and all("https://" not in line and "//" not in line.split("src=")[-1] for line in srcs)
    assert "default-src &#x27;self&#x27;" in page and "object-src &#x27;none&#x27;" in page


def test_the_local_config_points_at_the_local_backend_only() -> None:
    config = editor_config(load_policy(ROOT))
    local = local_config(config, "/api/v1")
    assert local["backend"] == {"name": "proxy", "proxy_url": "/api/v1", "branch": "main"}
    assert local["collections"] == config["collections"]


def test_a_timezone_with_daylight_saving_is_refused() -> None:
    text = (
        (ROOT / "policy" / "policy.yml")
        .read_text(encoding="utf-8")
        .replace("timezone: Asia/Shanghai", "timezone: Europe/Berlin")
    )
    with pytest.raises(ValueError, match="daylight saving"):
        utc_offset(parse_policy(text))


def test_build_without_npm_packages_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    monkeypatch.setenv("WXPUB_NODE_MODULES", str(tmp_path / "nowhere" / "node_modules"))
    assert main(["editor", "build", "--root", str(repo)]) == 2


def test_the_demo_serves_the_editor_with_its_local_backend(tmp_path: Path) -> None:
    import json
    import subprocess
    import urllib.request

    from pipeline.demo import start_editor
    from pipeline.editor.serve import DECAP_SERVER

    if not (ROOT / DECAP_SERVER).is_file():
        pytest.skip("the editor's npm packages are not installed (npm ci)")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    shutil.copytree(ROOT / "admin", repo / "admin", ignore=shutil.ignore_patterns("vendor", "theme.css"))
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    lines: list[str] = []
    editor = start_editor(ROOT, repo, 0, lines.append)
    assert editor is not None, lines
    try:
        with urllib.request.urlopen(editor.url) as reply:
            assert "Content-Security-Policy" in reply.read().decode()
        with urllib.request.urlopen(editor.url + "config.yml") as reply:
            config = yaml.safe_load(reply.read())
        assert config["backend"] == {"name": "proxy", "proxy_url": "/api/v1", "branch": "main"}
        assert (repo / "admin" / "vendor" / "decap-cms.js").is_file()
        api = editor.url.replace("/admin/", "/api/v1")
        request = urllib.request.Request(api, data=json.dumps({"action": "info"}).encode(), method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request) as reply:
            info = json.loads(reply.read())
        assert "editorial_workflow" in info["publish_modes"]  # decap-server in its git mode
        # decap-server answers browsers only for the editor's page, not for any other page on localhost.
        for origin, allowed in ((editor.url.removesuffix("/admin/"), True), ("http://127.0.0.1:9", False)):
            preflight = urllib.request.Request(editor.backend.url, method="OPTIONS")
            preflight.add_header("Origin", origin)
            preflight.add_header("Access-Control-Request-Method", "POST")
            preflight.add_header("Access-Control-Request-Headers", "content-type")
            with urllib.request.urlopen(preflight) as reply:
                assert (reply.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    finally:
        editor.stop()
    text = "\n".join(lines)
    assert editor.url in text and f"git -C {repo} branch --list 'cms/*'" in text


def test_the_editor_is_copied_beside_the_archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.editor.serve import DECAP_SERVER

    if not (ROOT / DECAP_SERVER).is_file():
        pytest.skip("the editor's npm packages are not installed (npm ci)")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "policy", repo / "policy")
    shutil.copytree(ROOT / "admin", repo / "admin", ignore=shutil.ignore_patterns("vendor", "theme.css"))
    site = tmp_path / "site"
    (site / "admin").mkdir(parents=True)
    (site / "admin" / "stale.txt").write_text("from an older build", encoding="utf-8")
    monkeypatch.setenv("WXPUB_NODE_MODULES", str(ROOT / "node_modules"))  # the packages of this checkout
    assert main(["editor", "build", "--root", str(repo), "--site-dir", str(site)]) == 0
    served = site / "admin"
    assert {"index.html", "config.yml", "wxpub-editor.js", "manual-init.js", "theme.css"} <= {
        p.name for p in served.iterdir()
    }
    assert (served / "vendor" / "decap-cms.js").is_file() and (served / "vendor" / "yaml" / "index.js").is_file()
    assert not list(served.rglob("*.map")) and not (served / "stale.txt").exists()
