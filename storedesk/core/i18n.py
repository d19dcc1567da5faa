"""Compiling the project's translations (.po in the package → .mo in the home directory).

Pure Python (Babel), so no gettext tools are needed on the machine. Called by the
``storedesk`` command before Django serves anything, and by the test suite.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_translations(source: Path, target: Path) -> list[Path]:
    """Write ``target/<lang>/LC_MESSAGES/*.mo`` for every ``source/<lang>/LC_MESSAGES/*.po``
    that is newer than its .mo. Returns the files written."""
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        relative = po_path.relative_to(source).with_suffix(".mo")
        mo_path = target / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = mo_path.with_suffix(".mo.tmp")
        with temporary.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        temporary.replace(mo_path)  # atomic: a concurrent reader never sees half a file
        written.append(mo_path)
    return written


def compile_project_translations() -> list[Path]:
    from django.conf import settings

    return compile_translations(settings.LOCALE_SOURCE_DIR, settings.LOCALE_PATHS[0])
