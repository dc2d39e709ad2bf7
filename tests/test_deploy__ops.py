"""What an intranet IT team deploys: `branchflow serve` on waitress (Werkzeug only with --dev), hardened
systemd units, and the shipped nginx site — checked with `nginx -t`, then run in front of the service:
security headers on every answer, and nginx's own errors as JSON."""
from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import demo_services
from scenarios import ROOT, _free_port

DEPLOY = ROOT / "deploy"
UNITS = ["branchflow-web.service", "branchflow-scheduler.service", "branchflow.service", "branchflow-backup.service"]


class Served:
    """``branchflow serve`` in its own process on a free port (stdout: its banner; stderr: JSON log lines)."""

    def __init__(self, url: str, *extra: str, env: dict | None = None):
        self.port = _free_port()
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"branchflow-serve-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port), *extra], cwd=ROOT,
            env=dict(os.environ, BRANCHFLOW_DATABASE_URL=url, BRANCHFLOW_AUTO_MIGRATE="0", **(env or {})),
            stdout=subprocess.PIPE, stderr=open(self.log, "wb"), text=True, start_new_session=True)
        self.banner = self.proc.stdout.readline()
        for _ in range(300):  # polling a starting server
            try:
                self.get("/healthz")
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"serve did not start: {self.log.read_text()}")

    def get(self, path: str, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def test_serve_runs_waitress_with_the_scheduler_beside_it_and_dev_runs_werkzeug(tmp_path):
    cfg, _ = demo_services(tmp_path)
    served = Served(cfg.database_url)
    try:
        assert "waitress" in served.banner and f":{served.port}/" in served.banner
        status, headers, _ = served.get("/healthz", {"X-Request-ID": "from-the-test"})
        assert status == 200 and headers["server"] == "branchflow" and headers["x-request-id"] == "from-the-test"
        for _ in range(200):  # the in-process scheduler says it is alive right after it starts
            status, _, body = served.get("/readyz")
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200 and json.loads(body)["checks"]["scheduler"]["ok"]
    finally:
        served.stop()
    assert served.proc.returncode == 0  # SIGTERM: a clean stop, the scheduler shut down too
    lines = [json.loads(line) for line in served.log.read_text().splitlines() if line.startswith("{")]
    assert any(e.get("request_id") == "from-the-test" and e.get("route") == "/healthz" for e in lines)
    (tmp_path / "dev").mkdir()
    other, _ = demo_services(tmp_path / "dev")  # a database no scheduler has beaten in
    dev = Served(other.database_url, "--dev", "--no-scheduler")
    try:
        assert "Werkzeug development server" in dev.banner
        status, headers, _ = dev.get("/readyz")
        assert status == 503 and "Werkzeug" in headers["server"]  # no scheduler ran here
    finally:
        dev.stop()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS)
def test_systemd_units_are_hardened(unit, tmp_path):
    text = (DEPLOY / unit).read_text()
    for directive in ("UMask=0027", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "NoNewPrivileges=yes",
                      "ReadWritePaths=/var/lib/branchflow"):
        assert directive in text.replace("ReadWritePaths=/var/backups/branchflow /var/lib/branchflow",
                                         "ReadWritePaths=/var/lib/branchflow"), directive
    shutil.copy(DEPLOY / unit, tmp_path / unit)
    done = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(tmp_path / unit)],
                          capture_output=True, text=True)
    score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout).group(1))
    assert score <= 3.0, done.stdout[-3000:]


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "branchflow.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2)).sign(key, hashes.SHA256()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def _nginx_prefix(tmp_path: Path, upstream: int) -> tuple[Path, int, int]:
    """The shipped site, with test certificates, free ports and ``upstream`` as the service, under a minimal
    main configuration of its own (nothing of the host's nginx is touched)."""
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    os.chmod(prefix, 0o777)
    cert, key = _certificate(prefix)
    http_port, https_port = _free_port(), _free_port()
    site = (DEPLOY / "nginx-branchflow.conf").read_text()
    site = site.replace("/etc/ssl/certs/branchflow.pem", str(cert)).replace("/etc/ssl/private/branchflow.key", str(key))
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace("listen [::]:80;", "")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;").replace(
        "listen [::]:443 ssl http2;", "")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};")
    (prefix / "site.conf").write_text(site)
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    (prefix / "nginx.conf").write_text(f"""
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    {mime}
    access_log off;
    client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
""")
    return prefix, http_port, https_port


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's)")
def test_nginx_accepts_the_shipped_site(tmp_path):
    prefix, _, _ = _nginx_prefix(tmp_path, 8000)
    done = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr


def _https(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


SECURITY = ("content-security-policy", "strict-transport-security", "x-content-type-options")


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs Debian's)")
def test_nginx_serves_pages_and_api_with_security_headers_and_answers_its_own_errors_in_json(tmp_path):
    cfg, _ = demo_services(tmp_path)
    served = Served(cfg.database_url, "--no-scheduler")
    prefix, http_port, https_port = _nginx_prefix(tmp_path, served.port)
    nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(200):  # polling a starting nginx
            try:
                _https(https_port, "GET", "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        for path, status in (("/login", 200), ("/api/openapi.json", 200), ("/static/app.css", 200)):
            got, headers, body = _https(https_port, "GET", path, headers={"X-Request-ID": "through-nginx"})
            assert got == status, (path, got, body[:200])
            assert all(h in headers for h in SECURITY), (path, headers)
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff" and "max-age=" in headers["strict-transport-security"]
            assert headers["x-request-id"] == "through-nginx"
        assert "script-src 'self'" in _https(https_port, "GET", "/login")[1]["content-security-policy"]
        assert "'unsafe-inline'" in _https(https_port, "GET", "/api/docs")[1]["content-security-policy"]
        # JSON and the app's styles travel compressed; pages, which carry the CSRF token, do not (BREACH)
        gz = {"Accept-Encoding": "gzip"}
        got, headers, body = _https(https_port, "GET", "/api/openapi.json", headers=gz)
        assert headers.get("content-encoding") == "gzip" and json.loads(gzip.decompress(body))["openapi"]
        assert _https(https_port, "GET", "/static/app.css", headers=gz)[1].get("content-encoding") == "gzip"
        got, headers, body = _https(https_port, "GET", "/login", headers=gz)
        assert got == 200 and "content-encoding" not in headers and "csrf_token" in body.decode()
        # the app's own errors pass through (JSON from the API)
        got, headers, body = _https(https_port, "GET", "/api/tasks")
        assert got == 401 and json.loads(body)["error"]["code"]
        # nginx's own refusal: a body over 11 MB never reaches the service
        got, headers, body = _https(https_port, "POST", "/api/attachments", body=b"x" * (12 * 1024 * 1024),
                                    headers={"Content-Type": "application/octet-stream"})
        assert got == 413 and headers["content-type"].startswith("application/json")
        assert json.loads(body)["error"]["errors"][0]["field"] == "body" and all(h in headers for h in SECURITY)
        # plain HTTP is sent to HTTPS
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        conn.request("GET", "/inbox")
        assert conn.getresponse().status == 301
        # the service down: nginx says so in JSON
        served.stop()
        got, headers, body = _https(https_port, "GET", "/api/tasks")
        assert got == 502 and json.loads(body)["error"]["code"] == "unavailable" and all(h in headers for h in SECURITY)
    finally:
        os.killpg(nginx.pid, signal.SIGTERM)
        nginx.wait(timeout=30)
        served.stop()


def test_the_scheduler_process_serves_its_metrics_and_logs_json(tmp_path):
    cfg, _ = demo_services(tmp_path)
    port = _free_port()
    log = tmp_path / "scheduler.log"
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "scheduler", "--tick", "5", "--metrics",
                             f"127.0.0.1:{port}"], cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=open(log, "wb"),
                            env=dict(os.environ, BRANCHFLOW_DATABASE_URL=cfg.database_url, BRANCHFLOW_AUTO_MIGRATE="0"))
    try:
        text = ""
        for _ in range(300):  # polling a starting process
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/metrics")
                text = conn.getresponse().read().decode()
                if re.search(r"^branchflow_scheduler_sweeps_total [1-9]", text, re.M):
                    break
            except OSError:
                pass
            time.sleep(0.05)
        assert re.search(r"^branchflow_scheduler_sweeps_total [1-9]", text, re.M), text[-2000:]
        assert "branchflow_timer_fire_delay_seconds_bucket" in text and "branchflow_tasks_open" in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in lines)
