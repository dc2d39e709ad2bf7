"""The OpenAPI document and the server's own refusals tell the truth about what is answered."""
from __future__ import annotations

import json
import socket
from scenarios import publish


def test_every_handbook_format_answers_a_content_type_the_document_lists(api):
    round_id = publish(api)["round"]["id"]
    spec = api.client.get("/api/openapi.json").get_json()
    listed = set(spec["paths"]["/api/inspections/rounds/{round_id}/handbook"]["get"]["responses"]["200"]["content"])
    for fmt in ("json", "html", "pdf"):
        r = api.get(f"/api/inspections/rounds/{round_id}/handbook", "supervisor", query_string={"format": fmt})
        assert r.status_code == 200 and r.mimetype in listed, (fmt, r.mimetype, listed)


def _raw(port: int, request: bytes) -> tuple[int, str, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    ctype = next(v for k, _, v in (line.partition(": ") for line in lines[1:]) if k.lower() == "content-type")
    return int(lines[0].split(" ")[1]), ctype, body


def test_gunicorn_refusals_come_in_the_json_error_shape(server):
    status, ctype, body = _raw(server.port, b"GET /api/tasks?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400 and ctype == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request" and "too large" in error["message"]
    status, ctype, body = _raw(server.port, b"GET /api/tasks HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    assert status == 400 and ctype == "application/json" and json.loads(body)["error"]["message"]


def test_the_api_viewers_work_offline(api):
    """Swagger UI and ReDoc load every script and stylesheet from this app, never from a CDN (the intranet
    has no internet); the vendored ReDoc bundle is the one its recorded sha256 names."""
    import hashlib
    import re
    from pathlib import Path

    for page in ("/api/docs", "/api/redoc"):
        html = api.client.get(page).get_data(as_text=True)
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs), (page, refs)
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html, page
        for ref in refs:
            r = api.client.get(ref)
            assert r.status_code == 200 and len(r.data) > 1000, ref
    folder = Path(__file__).resolve().parents[1] / "service" / "api" / "static" / "redoc"
    digest, name = (folder / "ASSETS.sha256").read_text().split()
    assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert (folder / "LICENSE").exists()
    # nothing the bundle fetches at run time lies outside the app (its menu logo is served from here)
    bundle = (folder / name).read_text(encoding="utf-8")
    assert "https://cdn." not in bundle and "/assets/redoc/logo-mini.svg" in bundle
    assert api.client.get("/assets/redoc/logo-mini.svg").status_code == 200
