"""The web editor (Decap CMS) at /admin/: generated from the policy, served with its local backend.

`build.generate` / `build.write` make admin/index.html, admin/config.yml and the page's scripts;
`build.copy_bundle` copies the npm-installed bundle beside them; `serve` runs the page and, for trying
it on one machine, decap-server on a git repository.
"""
