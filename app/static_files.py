"""Static files: served by WhiteNoise, compressed, under a URL that changes whenever they do.

Every static URL carries a hash of the whole `static/` folder (`/static/3f9c2a61b0d4/js/nav.js`).
A hash of the folder rather than of each file keeps the ES modules' relative imports
(`import ... from "./token.js"`) pointing at the same hashed folder, so a page and everything it
imports change URL together, and every file can be cached for a year as immutable: a repeat
visit asks for none of them. WhiteNoise serves the files, picks the gzip or Brotli copy the
browser accepts, and sets the caching headers; its Compressor writes those copies once per
digest, into a folder every worker shares.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

CACHE_CONTROL = "public, max-age=31536000, immutable"


def static_digest(root: Path) -> str:
    """A short hash of every file's path and content under `root`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def build_compressed_copy(source: Path, build_root: Path, digest: str) -> Path:
    """The files of `source` with .gz and .br copies beside them, built once per digest.

    Several workers may start at once: each builds in a folder of its own and renames it into
    place, and a worker that loses the race uses the winner's copy.
    """
    target = build_root / digest
    if target.is_dir():
        return target
    build_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{digest}-", dir=build_root))
    try:
        shutil.copytree(source, scratch, dirs_exist_ok=True)
        compressor = Compressor(quiet=True)
        for path in sorted(p for p in scratch.rglob("*") if p.is_file()):
            if compressor.should_compress(path.name):
                for _ in compressor.compress(str(path)):
                    pass  # compress() yields each file it writes
        scratch.rename(target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _immutable_headers(headers, path: str, url: str) -> None:  # noqa: ARG001
    headers["Cache-Control"] = CACHE_CONTROL
    headers["X-Content-Type-Options"] = "nosniff"


def serve_static_files(app: Flask, source: Path) -> None:
    """Put WhiteNoise in front of the app for everything under the app's static URL path."""
    digest = app.static_url_path.rstrip("/").rsplit("/", 1)[-1]
    built = build_compressed_copy(source, Path(app.config["STATIC_BUILD_FOLDER"]), digest)
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(built),
        prefix=app.static_url_path + "/",
        allow_all_origins=False,
        add_headers_function=_immutable_headers,
    )
