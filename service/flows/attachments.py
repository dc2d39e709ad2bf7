"""Evidence attachments: type sniffed from the bytes (not the client's word), size capped, stored by sha256."""
from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import uuid
import zipfile
from pathlib import Path

from ..domain.errors import NotFound, StorageFull, TooLarge, Unavailable, UnsupportedType, ValidationFailed
from ..domain.permissions import FILE_EVIDENCE
from ..store.models import Attachment
from ..store.uow import UnitOfWork
from .actors import Actor
from .context import Services

#: what evidence may be: scans and photos, PDFs, Word and Excel files
ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(head: bytes, data: bytes) -> str | None:
    """The allowed kind the bytes are, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def _safe_name(filename: str | None, kind: str) -> str:
    base = os.path.basename((filename or "").replace("\\", "/")).strip() or f"evidence.{kind}"
    base = re.sub(r"[\x00-\x1f\x7f\"/]", "_", base)[:150]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem}.{kind}"


def upload(svc: Services, uow: UnitOfWork, actor: Actor, branch: str | None, filename: str | None,
           stream) -> Attachment:
    """Store an evidence file for ``branch``; the caller must file work for that branch."""
    if branch is None or "\x00" in branch or uow.identity.branch(branch) is None:
        raise ValidationFailed(f"unknown branch {branch!r}", field="branch")
    actor.require(FILE_EVIDENCE, f"you do not file evidence for branch {branch}", branch)
    limit = svc.settings.attachment_max_bytes
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"file larger than {limit // (1024 * 1024)} MB", field="file",
                       message_zh=f"文件不能超过{limit // (1024 * 1024)}MB")
    if not data:
        raise ValidationFailed("empty file", field="file", message_zh="文件是空的")
    kind = sniff(data[:16], data)
    if kind is None:
        raise UnsupportedType("evidence must be a PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx) file", field="file",
                              message_zh="只能上传 PDF、PNG、JPEG、Word（.docx）或 Excel（.xlsx）文件")
    sha = hashlib.sha256(data).hexdigest()
    path = _path(svc, sha)
    if not path.exists():
        _store(path, data)
    row = Attachment(id=str(uuid.uuid4()), sha256=sha, filename=_safe_name(filename, kind), content_type=ALLOWED[kind],
                     size=len(data), branch=branch, uploaded_by=actor.name, created_at=svc.clock.now())
    uow.add(row)
    uow.commit()
    return row


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.part`` file renamed into place (a reader never sees half a
    file); a failed write (a full disk) leaves no ``.part`` behind and is a 507 or 503 naming the cause."""
    tmp = path.with_suffix(f".{uuid.uuid4().hex}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull("the disk holding the evidence files is full; nothing was stored") from None
        raise Unavailable(f"the evidence file could not be stored ({exc.strerror}); nothing was stored",
                          retry_after=60) from None


def _path(svc: Services, sha: str) -> Path:
    return Path(svc.settings.attachments_dir) / sha[:2] / sha


def fetch(svc: Services, uow: UnitOfWork, actor: Actor, attachment_id: str) -> tuple[Attachment, Path]:
    """An attachment and its file, if the actor sees its branch."""
    row = uow.attachments.get(attachment_id)
    if row is None or not actor.sees_branch(row.branch):
        raise NotFound(f"no attachment {attachment_id}")
    path = _path(svc, row.sha256)
    if not path.exists():
        raise NotFound(f"the file of attachment {attachment_id} is missing")
    return row, path
