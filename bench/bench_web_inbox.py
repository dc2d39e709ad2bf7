"""Benchmark: the 待办 page costs about what the JSON inbox costs, and downloads little, with 100,000 open tasks.

Prints, from one run on one machine (Flask app, SQLite file holding the demo organisation and 100,000 open
inbox tasks, built as in ``bench_timers.bench_inbox``):
* for supervisor, sec_jg2 and committee: p50/p95 server time of ``GET /inbox`` (the 待办 page, cookie
  session) and of ``GET /api/tasks`` (bearer token, ``per_page`` = the page's 20 rows), measured in the
  same run with the requests interleaved (page, JSON, JSON, page, ... over ``page=1..3``) so noise hits
  both, and the ratio page/JSON — target <= 1.5x at p50 and p95;
* the bytes a browser downloads for the 待办 page with a cold cache: the HTML plus every stylesheet,
  script and image it references, as served (uncompressed), with the gzip size for information —
  target <= 300 KB, and no bpmn-js file among them;
* the same for the instance page of a real pairing, to show the diagram viewer (bpmn-js) loads there.

"Server time" is the WSGI app handling the request: routing, session or token, the queries, rendering
and the body. The request environ is built before the clock starts (as in ``bench_complete``), so the
benchmark client's own work is not counted on either side.
Run: ``python bench/bench_web_inbox.py [repetitions]`` (default 200 per user and endpoint).
"""
from __future__ import annotations

import gzip
import re
import shutil
import statistics
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_timers import inbox_database  # noqa: E402
from conftest import DEMO_PASSWORD, Api  # noqa: E402
from scenarios import open_pairing  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from service.app import create_app  # noqa: E402
from service.store.models import InboxTask  # noqa: E402
from service.web.views import PER_PAGE  # noqa: E402

OPEN_TASKS = 100_000
USERS = ("supervisor", "sec_jg2", "committee")
WARMUP = 10
TARGET_RATIO = 1.5
TARGET_BYTES = 300 * 1024


def build(folder: Path, open_tasks: int = OPEN_TASKS):
    """bench_timers' inbox database (``open_tasks`` open rows over every role and branch) and one real
    pairing, behind the app."""
    cfg, svc = inbox_database(folder, open_tasks)
    api = Api(create_app(cfg, svc))
    pairing = open_pairing(api)
    return api, pairing


def page_client(api: Api, username: str):
    """A test client logged in to the pages (GET /login for the CSRF token, POST /login; keeps the cookie)."""
    client = api.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.status_code
    return client


def environ(path: str, query: dict, headers: dict) -> dict:
    return EnvironBuilder(path=path, method="GET", query_string=query, headers=headers).get_environ()


def serve(app, env: dict) -> tuple[str, float, int]:
    """Run one request through the WSGI app: (status, seconds in the app including the body, body bytes)."""
    seen = []
    t0 = time.perf_counter()
    it = app(dict(env), lambda status, headers, exc_info=None: seen.append(status))
    try:
        body = b"".join(it)
    finally:
        if hasattr(it, "close"):
            it.close()
    elapsed = time.perf_counter() - t0
    return seen[0], elapsed, len(body)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def task_ids_on_page(html: str) -> list[str]:
    return re.findall(r'href="/tasks/([0-9a-f-]{36})"', html)


def bench_user(api: Api, username: str, reps: int) -> None:
    client = page_client(api, username)
    # warm up through the test clients (this also settles the session cookie: the first page adds the
    # CSRF token to it), and check the page lists the very tasks the JSON inbox does
    for i in range(WARMUP):
        q = {"page": 1 + i % 3}
        r = client.get("/inbox", query_string=q)
        assert r.status_code == 200, r.status_code
        j = api.get("/api/tasks", username, query_string=dict(q, per_page=PER_PAGE))
        assert j.status_code == 200, j.get_json()
        assert task_ids_on_page(r.text) == [t["id"] for t in j.get_json()["items"]], "page and JSON list differ"
    visible = j.get_json()["total"]
    cookie = client.get_cookie("bf_session")
    page_headers = {"Cookie": f"bf_session={cookie.value}"}
    json_headers = {"Authorization": f"Bearer {api.login(username)}"}
    page_env = [environ("/inbox", {"page": p}, page_headers) for p in (1, 2, 3)]
    json_env = [environ("/api/tasks", {"page": p, "per_page": PER_PAGE}, json_headers) for p in (1, 2, 3)]
    page_t, json_t, page_bytes, json_bytes = [], [], 0, 0
    for i in range(reps):
        k = i % 3
        order = ("page", "json") if i % 2 == 0 else ("json", "page")  # neither always goes first
        for which in order:
            if which == "page":
                status, t, n = serve(api.app, page_env[k])
                page_t.append(t)
                page_bytes = n
            else:
                status, t, n = serve(api.app, json_env[k])
                json_t.append(t)
                json_bytes = n
            assert status.startswith("200"), (which, status)
    pp50, pp95 = statistics.median(page_t), pct(page_t, 0.95)
    jp50, jp95 = statistics.median(json_t), pct(json_t, 0.95)
    print(f"{username:<10} ({visible:>6,} visible; page {page_bytes / 1024:.1f} KB, JSON {json_bytes / 1024:.1f} KB)")
    print(f"  待办 page p50 {pp50 * 1000:.2f} ms p95 {pp95 * 1000:.2f} ms | JSON inbox p50 {jp50 * 1000:.2f} ms "
          f"p95 {jp95 * 1000:.2f} ms | ratio p50 {pp50 / jp50:.2f}× p95 {pp95 / jp95:.2f}× (target ≤ {TARGET_RATIO}×)")


class Assets(HTMLParser):
    """Every stylesheet link, script src and img src in a page, in document order."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower().split() and a.get("href"):
            self.found.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.found.append(a["src"])


def fetch(client, path: str) -> bytes:
    r = client.get(path)
    try:
        assert r.status_code == 200, (path, r.status_code)
        return r.get_data()
    finally:
        r.close()


def cold_download(client, label: str, path: str) -> list[str]:
    """Print what a browser with an empty cache downloads for ``path``; returns the asset URLs."""
    html = fetch(client, path)
    parser = Assets()
    parser.feed(html.decode("utf-8"))
    total, total_gz = len(html), len(gzip.compress(html))
    print(f"{label}: GET {path}")
    print(f"  {'(HTML)':<64} {len(html) / 1024:>8.1f} KB  gzip {len(gzip.compress(html)) / 1024:>7.1f} KB")
    for url in parser.found:
        body = fetch(client, url)
        total += len(body)
        total_gz += len(gzip.compress(body))
        print(f"  {url:<64} {len(body) / 1024:>8.1f} KB  gzip {len(gzip.compress(body)) / 1024:>7.1f} KB")
    verdict = "ok" if total <= TARGET_BYTES else "OVER"
    print(f"  total {total / 1024:.1f} KB as served (gzip {total_gz / 1024:.1f} KB), {1 + len(parser.found)} requests"
          f"  (target ≤ {TARGET_BYTES // 1024} KB: {verdict})")
    return parser.found


def bench_bytes(api: Api, pairing: str) -> None:
    client = page_client(api, "supervisor")
    inbox_assets = cold_download(client, "待办 page, cold cache, as supervisor", "/inbox")
    assert not [u for u in inbox_assets if "bpmn" in u.lower()], f"bpmn-js loads on the 待办 page: {inbox_assets}"
    instance_assets = cold_download(client, "instance page of a pairing, cold cache, as supervisor", f"/instances/{pairing}")
    viewer = [u for u in instance_assets if "bpmn" in u.lower()]
    assert viewer, f"the instance page loads no bpmn-js: {instance_assets}"
    print(f"  bpmn-js on the instance page only: {', '.join(viewer)}")


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    root = Path(tempfile.mkdtemp(prefix="bf-bench-web-"))
    try:
        folder = root / "inbox"
        folder.mkdir()
        t0 = time.perf_counter()
        api, pairing = build(folder)
        with api.svc.uow() as uow:
            total_open = uow.session.scalar(select(func.count()).select_from(InboxTask).where(InboxTask.status == "open"))
        print(f"database: {total_open:,} open tasks (built in {time.perf_counter() - t0:.0f} s); "
              f"{reps} requests each, interleaved, after {WARMUP} warm-up requests each")
        for user in USERS:
            bench_user(api, user, reps)
        bench_bytes(api, pairing)
        api.svc.db_engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
