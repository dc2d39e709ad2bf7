"""``branchflow backup FILE`` / ``restore FILE``: the database and the evidence files in one archive.

The archive (tar + gzip) holds ``manifest.json`` (format, version, schema revision, sha256 of every
member), the database copy (``database.sqlite3`` from SQLite's online backup API, or ``database.pgdump``
from ``pg_dump``) and ``attachments/<sha256>``. The database is copied first, then the files: evidence
files are written before their row commits and never deleted, so every file a row of the copy names is
on disk by then (a file uploaded meanwhile comes along, unnamed and harmless). Each file's bytes are
checked against its name as they are packed, and every member against the manifest before a restore
writes anything.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ..store import migrate, snapshot
from .context import Services

FORMAT = 1
_DATABASE = {"sqlite3": "database.sqlite3", "pg_dump": "database.pgdump"}


class BackupError(RuntimeError):
    """A backup or restore refused to go on; the message says why."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(svc: Services, target: Path, version: str = "") -> dict:
    """Write the archive ``target`` (atomically: a partial file never has the final name); its manifest."""
    engine, files = svc.db_engine, Path(svc.settings.attachments_dir)
    with tempfile.TemporaryDirectory(prefix="branchflow-backup-") as tmp:
        tmp = Path(tmp)
        fmt = snapshot.save(engine, tmp / "database")
        with svc.uow() as uow:  # after the copy: every row the copy holds is here too
            shas, instances = uow.ops.attachment_shas(), uow.ops.instance_count()
        manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(), "branchflow": version,
                    "database": {"format": fmt, "file": _DATABASE[fmt], "sha256": _sha256(tmp / "database"),
                                 "schema": migrate.current(engine)},
                    "instances": instances, "attachments": [], "missing": []}
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(tmp / "database", arcname=_DATABASE[fmt])
            for sha in shas:
                path = files / sha[:2] / sha
                if not path.is_file() or _sha256(path) != sha:
                    manifest["missing"].append(sha)
                    continue
                tar.add(path, arcname=f"attachments/{sha}")
                manifest["attachments"].append(sha)
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(datetime.now(timezone.utc).timestamp())
            tar.addfile(info, io.BytesIO(data))
        partial.replace(target)
    return manifest


def read_manifest(archive: Path) -> dict:
    """The manifest of a backup archive (nothing is extracted)."""
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError(f"{archive} has no manifest.json: not a branchflow backup")
        manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is a backup of format {manifest.get('format')}, this version reads {FORMAT}")
    return manifest


def restore(engine, attachments_dir: Path, archive: Path, force: bool = False) -> dict:
    """Restore ``archive`` into ``engine``'s database and ``attachments_dir``, both empty unless ``force``;
    every member is checked against the manifest first. Returns the manifest plus ``schema_now`` (the code's
    head: a restored database of an older schema needs ``branchflow db upgrade``)."""
    manifest = read_manifest(archive)
    attachments_dir = Path(attachments_dir)
    if attachments_dir.exists() and any(attachments_dir.iterdir()) and not force:
        raise BackupError(f"{attachments_dir} is not empty: restore into an empty place (or give --force)")
    if not force and not snapshot.is_empty(engine):
        raise BackupError(f"the database {engine.url.render_as_string()} is not empty: restore into an empty "
                          "database (or give --force)")
    db = manifest["database"]
    wanted = {db["file"]: db["sha256"], **{f"attachments/{sha}": sha for sha in manifest["attachments"]}}
    with tempfile.TemporaryDirectory(prefix="branchflow-restore-") as tmp:
        tmp = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                if member.name == "manifest.json":
                    continue
                if member.name not in wanted or not member.isfile():
                    raise BackupError(f"{archive} holds {member.name!r}, which its manifest does not list")
                out = tmp / member.name.replace("/", "_")
                with tar.extractfile(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                if _sha256(out) != wanted.pop(member.name):
                    raise BackupError(f"{member.name} in {archive} does not match its sha256: the archive is damaged")
        if wanted:
            raise BackupError(f"{archive} lacks {sorted(wanted)[0]}: the archive is incomplete")
        try:
            snapshot.load(engine, tmp / db["file"], db["format"], force=force)
        except snapshot.SnapshotError as exc:
            raise BackupError(str(exc)) from exc
        for sha in manifest["attachments"]:
            path = attachments_dir / sha[:2] / sha
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp / f"attachments_{sha}", path)
    return dict(manifest, schema_now=migrate.head())
