"""Install the map's front-end files from npm into static/vendor/ for Streamlit to serve offline.

Run by ``make app`` and ``make test``. It runs ``npm ci`` (from package-lock.json, scripts off)
when node_modules is missing or older than the lock file, then copies the few files the map
pages load into ``static/vendor/<package>/``. Both folders are gitignored: nothing vendored is
committed. The mapping from folium's CDN addresses to these files lives in ``geo/maps.py``
(``VENDOR_FILES``); this script copies exactly that list.

Usage: python scripts/install_assets.py [--check]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.maps import VENDOR_FILES  # noqa: E402

NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"


def npm_install() -> None:
    """Run ``npm ci`` when node_modules is missing or older than package-lock.json."""
    lock = ROOT / "package-lock.json"
    stamp = NODE_MODULES / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit(
            "install_assets: npm not found — install Node.js and npm (Debian: apt-get install "
            "-y nodejs npm), then run `make app` again"
        )
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ROOT,
        check=True,
    )


def copy_vendor_files() -> list[Path]:
    """Copy every file or folder listed in ``VENDOR_FILES`` into static/vendor; return targets."""
    copied = []
    for relative in sorted(set(VENDOR_FILES)):
        source = NODE_MODULES / relative
        target = VENDOR / relative
        if not source.exists():
            sys.exit(f"install_assets: {source} is missing — run `npm ci` in {ROOT}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
        copied.append(target)
    return copied


def missing_files() -> list[str]:
    """Vendor files that are not installed yet (empty when the map can render offline)."""
    return [rel for rel in sorted(set(VENDOR_FILES)) if not (VENDOR / rel).exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report missing files")
    args = parser.parse_args(argv)
    if args.check:
        missing = missing_files()
        for rel in missing:
            print(f"missing: static/vendor/{rel}")
        return 1 if missing else 0
    npm_install()
    copied = copy_vendor_files()
    print(f"install_assets: {len(copied)} vendor entries in {VENDOR.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
