"""The web editor (Decap CMS) at /admin/: generated from the policy, served with its local backend.

`build.generate` / `build.write` make admin/index.html, admin/config.yml and the page's scripts;
`build.copy_bundle` copies the npm-installed bundle beside them; `serve.start_local` serves the page
with decap-server on a git repository, for trying it on one machine (the CLI's `serve`, the demo).
"""
