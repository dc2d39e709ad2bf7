"""The pages in a real browser: Debian's chromium driven by Playwright, against the app served over real
HTTP on a real database. Walks a secretary, a supervisor, an auditor and an admin through their work;
saves screenshots at desktop and phone width in test-artifacts/screenshots/.

Without a chromium binary these tests skip (the README's test command on a bare machine); `.ci/run`
installs Debian's chromium and sets BRANCHFLOW_REQUIRE_BROWSER=1, so there a missing browser fails."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from conftest import DEMO_PASSWORD, Api, build_app
from scenarios import SEC, SUP, open_pairing

CHROMIUM = os.environ.get("BRANCHFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}

if not CHROMIUM:
    if os.environ.get("BRANCHFLOW_REQUIRE_BROWSER"):
        raise RuntimeError("BRANCHFLOW_REQUIRE_BROWSER is set but no chromium binary was found")
    pytest.skip("no chromium binary (Debian: apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


class Site:
    """The app on a real port, the Playwright browser, and the JSON API of the same app for set-up."""

    def __init__(self, tmp_path):
        self.app = build_app(tmp_path)
        self.api = Api(self.app)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.pw = sync_api.sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        self.foreign: list[str] = []

    def page(self, viewport=DESKTOP):
        context = self.browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.set_default_timeout(15000)
        # no CDN: every request a page makes goes to this app
        page.on("request", lambda req: None if urlparse(req.url).netloc in ("", urlparse(self.url).netloc)
                or req.url.startswith(("data:", "blob:", "about:")) else self.foreign.append(req.url))
        return page

    def login(self, page, username, password=DEMO_PASSWORD):
        page.goto(f"{self.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button.primary")

    def shot(self, page, name):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self):
        self.browser.close()
        self.pw.stop()
        self.server.shutdown()


@pytest.fixture
def site(tmp_path):
    s = Site(tmp_path)
    yield s
    s.close()
    assert s.foreign == [], f"pages fetched from outside the app: {s.foreign}"


def _task_link(page, name):
    return page.locator("[data-test=task-list] a", has_text=name).first


def test_secretary_fixes_a_form_the_page_refused_and_finds_the_task_in_done(site):
    iid = open_pairing(site.api)
    site.api.complete(SUP, "sign_helper", {"signed": True}, iid)
    page = site.page()
    site.login(page, SEC)
    assert page.locator("[data-test=who]").inner_text() == "机关二支部书记"
    assert "支部书记（乙方）·机关二支部" in page.locator(".who .roles").inner_text()
    site.shot(page, "inbox-desktop")
    _task_link(page, "乙方签署责任书").click()
    assert page.locator("h1").inner_text() == "乙方签署责任书"
    assert "机关二支部" in page.locator(".crumb").inner_text()
    assert page.locator("input[name=signed]").is_checked() is False  # checkboxes start unticked
    page.fill("textarea[name=remarks], input[name=remarks]", "已与政工负责人当面沟通")
    page.click("[data-test=submit]")
    error = page.locator(".field.has-error[data-path=signed] .field-error")
    assert error.inner_text() == "请勾选确认"
    assert page.locator("[name=remarks]").input_value() == "已与政工负责人当面沟通"  # what was typed is kept
    site.shot(page, "task-error-desktop")
    page.check("input[name=signed]")
    page.click("[data-test=submit]")
    page.wait_for_url("**/done")
    assert page.locator("[data-test=task-list]").inner_text().count("乙方签署责任书") == 1
    page.goto(f"{site.url}/inbox")
    assert _task_link(page, "乙方签署责任书").count() == 0


def test_supervisor_starts_a_pairing_and_sees_where_it_stands_on_its_diagram(site):
    page = site.page()
    site.login(page, SUP)
    page.goto(f"{site.url}/start")
    page.locator("[data-test=startable] a", has_text="结对提升").click()
    page.select_option("select[name=branch]", label="机关二支部")
    page.fill("input[name=helper]", "supervisor")
    page.fill("input[name=term_start]", "2026-03-02")
    page.fill("input[name=months]", "2")  # below the minimum of 3
    page.fill("input[name='targets.0.name']", "台账齐全率")
    page.fill("input[name='targets.0.target']", "100%")
    page.click("fieldset.rows .add-row")
    page.fill("input[name='targets.1.name']", "三会一课完成率")
    page.fill("input[name='targets.1.target']", "100%")
    page.click("[data-test=submit]")
    assert page.locator(".field.has-error[data-path=months] .field-error").inner_text() == "不能小于3"
    assert page.locator("input[name='targets.1.name']").input_value() == "三会一课完成率"
    site.shot(page, "start-error-desktop")
    page.fill("input[name=months]", "3")
    page.click("[data-test=submit]")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator("[data-test=status]").inner_text() == "进行中"
    # the two signing tasks are open: marked on the pinned diagram
    assert page.locator(".djs-element.bf-open[data-element-id=sign_helper]").count() == 1
    assert page.locator(".djs-element.bf-open[data-element-id=sign_secretary]").count() == 1
    assert page.locator(".djs-element.bf-passed[data-element-id=start]").count() == 1
    assert "发起" in page.locator("[data-test=timeline]").inner_text()
    site.shot(page, "instance-desktop")


def test_auditor_steps_through_a_history_and_verifies_it(site):
    iid = open_pairing(site.api)
    site.api.complete(SUP, "sign_helper", {"signed": True}, iid)
    site.api.complete(SEC, "sign_secretary", {"signed": True}, iid)
    page = site.page()
    site.login(page, "auditor")
    page.goto(f"{site.url}/instances/{iid}/audit?seq=1")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator("[data-test=seq]").inner_text() == "1"
    assert page.locator(".djs-element.bf-open[data-element-id=sign_secretary]").count() == 1
    for _ in range(3):  # the helper's task assigned by rule, then the two signatures
        page.click("[data-test=next]")
    page.wait_for_selector("#diagram[data-ready='1']")
    assert page.locator("[data-test=seq]").inner_text() == "4"
    # after both signatures the letter is being filed: signing is done on the diagram as it stood then
    assert page.locator(".djs-element.bf-passed[data-element-id=sign_secretary]").count() == 1
    assert page.locator(".djs-element.bf-open[data-element-id=file_letter]").count() == 1
    assert "备案结对提升责任书" in page.locator("[data-test=state-open]").inner_text()
    page.click("[data-test=verify]")
    assert page.locator("[data-test=verify-result]").inner_text().startswith("校验通过")
    site.shot(page, "audit-desktop")
    # the history says who the diagram's rule gave the helper's signature to, and why, in words
    page.goto(f"{site.url}/instances/{iid}")
    given = page.locator("[data-test=timeline] li").nth(1).inner_text()
    assert "按规则指派「甲方签署责任书」：个人待办：" in given and "（结对帮扶人）" in given, given
    assert "（系统）" not in given  # the service acting is 系统, once
    # a personal task names its person in Chinese, not by account
    fresh = open_pairing(site.api, branch="sb", helper="zonghe")
    page.goto(f"{site.url}/instances/{fresh}")
    holders = page.locator("td[data-label=办理角色]").all_inner_texts()
    assert any(h.endswith("· 综合部部长") for h in holders), holders
    assert not any("zonghe" in h for h in holders), holders


def test_admin_resets_a_password_and_the_user_logs_in_with_it(site):
    page = site.page()
    site.login(page, "admin")
    page.goto(f"{site.url}/admin/users")
    row = page.locator("tr[data-user=wei_jg1]")
    row.locator("input[name=password]").fill("short")
    row.locator("button", has_text="重置密码").click()
    assert "密码至少8个字符" in page.locator(".flash").inner_text()
    row = page.locator("tr[data-user=wei_jg1]")
    row.locator("input[name=password]").fill("new-secret-2026")
    row.locator("button", has_text="重置密码").click()
    assert "已重置 wei_jg1 的密码" in page.locator(".flash").inner_text()
    site.shot(page, "users-desktop")
    other = site.page()
    site.login(other, "wei_jg1", DEMO_PASSWORD)
    assert other.locator("[data-test=login-error]").inner_text() == "账号或密码不正确。"
    site.login(other, "wei_jg1", "new-secret-2026")
    assert other.locator("[data-test=who]").inner_text() == "机关一支部组织委员"


def test_a_user_of_another_branch_gets_no_page_of_that_branchs_data(site):
    iid = open_pairing(site.api)  # 机关二支部
    task = site.api.task(SUP, "sign_helper", iid)
    page = site.page()
    site.login(page, "sec_jg1")
    for path in (f"/instances/{iid}", f"/instances/{iid}/audit", f"/tasks/{task['id']}"):
        response = page.goto(f"{site.url}{path}")
        assert response.status == 404
        assert page.locator("[data-test=error-message]").inner_text() == "找不到该记录，或您无权查看。"
        assert "机关二支部" not in page.locator("main").inner_text()
    page.goto(f"{site.url}/inbox")
    assert "机关二支部" not in page.locator("[data-test=task-list]").inner_text()


def test_main_pages_at_phone_width(site):
    """Screenshots of the main pages at 375 px; nothing wider than the screen (no sideways scrolling)."""
    iid = open_pairing(site.api)
    for user, paths, name in ((SUP, ["/inbox", f"/instances/{iid}", "/start", "/plaques", "/tickets"], "supervisor"),
                              ("auditor", [f"/instances/{iid}/audit"], "auditor"), ("admin", ["/admin/users"], "admin")):
        page = site.page(PHONE)
        site.login(page, user)
        for path in paths:
            page.goto(f"{site.url}{path}")
            if "instances" in path:
                page.wait_for_selector("#diagram[data-ready='1']")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} is {width} px wide at phone width"
            site.shot(page, f"{name}-{path.replace(iid, 'pairing').strip('/').replace('/', '-')}-phone")
        page.context.close()
