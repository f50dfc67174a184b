"""Build hook: compile the message catalogs (`pipeline/locale/*/LC_MESSAGES/*.po` -> `.mo`).

Everything else about the package is in pyproject.toml. The `.mo` files are never committed: they are
built here, into the wheel for `pip install .`, and beside the `.po` for the editable install
(`pip install -e .`, which scripts/bootstrap.sh does). `scripts/i18n.sh compile` does the same by hand.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
LOCALE = Path("pipeline") / "locale"


def compile_catalogs(target: Path) -> list[Path]:
    """Compile every catalog under pipeline/locale/ into the same relative place under `target`;
    fuzzy entries are left out (gettext then shows the English message)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted((HERE / LOCALE).glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        mo = target / po.relative_to(HERE).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class BuildPyWithCatalogs(build_py):
    """build_py, then the compiled catalogs: into the build tree, or, for an editable install, into the
    source tree the editable install imports from."""

    def run(self) -> None:
        super().run()
        target = HERE if self.editable_mode else Path(self.build_lib)
        self._catalogs = compile_catalogs(target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), *(str(p) for p in getattr(self, "_catalogs", []))]


setup(cmdclass={"build_py": BuildPyWithCatalogs})
