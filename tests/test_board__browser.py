"""督导看板 in a real browser (Debian's chromium via Playwright, as in test_web__browser): a seeded quarter
shows the right counts and colours in the right cells, a cell leads to the instances behind it, an exported
``.xlsx`` holds the page's figures; phone width and print. Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from scenarios import SUP, seed_company
from test_web__browser import CHROMIUM, DESKTOP, PHONE, Site  # noqa: F401  (skips without chromium)

Q1 = "/board?quarter=2026Q1"


@pytest.fixture
def company(tmp_path):
    s = Site(tmp_path)
    ids = seed_company(s.api)
    yield s, ids
    s.close()
    assert s.foreign == [], f"pages fetched from outside the app: {s.foreign}"


def cell(page, branch, kind):
    return page.locator(f"[data-test=cell-{branch}-{kind}]")


def figures(page) -> dict:
    """(branch, kind) → (due, on time, late, overdue) as the page's cells carry them."""
    out = {}
    for td in page.locator("[data-test=board-grid] td.cell[data-due]").all():
        _, branch, kind = td.get_attribute("data-test").split("-", 2)
        out[(branch, kind)] = tuple(int(td.get_attribute(a)) for a in ("data-due", "data-on-time", "data-late",
                                                                         "data-overdue"))
    return out


def test_supervisor_sees_the_quarter_in_colour_follows_a_cell_and_exports_it(company, tmp_path):
    site, ids = company
    page = site.page()
    site.login(page, SUP)
    page.click("nav.menu >> text=督导看板")
    page.select_option("select[name=quarter]", "2026Q1")
    page.click("[data-test=filters] button:has-text('筛选')")
    page.wait_for_url("**/board?*quarter=2026Q1*")
    assert page.locator("[data-test=period]").inner_text() == "2026年第1季度"
    late = cell(page, "jg2", "remedial")
    assert "warn" in late.get_attribute("class") and late.inner_text().split() == ["1/1", "迟1"]  # done 1 of 1, late
    checks = cell(page, "sc1", "spot_check")
    assert "warn" in checks.get_attribute("class") and checks.inner_text().split() == ["12/12", "迟1"]
    assert "warn" in cell(page, "sc1", "workdays").get_attribute("class")
    overdue = cell(page, "sc2", "workdays")
    assert "bad" in overdue.get_attribute("class") and "逾1" in overdue.inner_text()
    quiz = cell(page, "sc1", "quiz")
    assert "bad" in quiz.get_attribute("class") and quiz.inner_text().split() == ["0/1", "逾1"]
    assert "good" in cell(page, "sb", "workdays").get_attribute("class") and cell(page, "sb", "workdays").inner_text() == "1/1"
    assert "good" in cell(page, "jg2", "spot_check").get_attribute("class") and cell(page, "jg2", "spot_check").inner_text() == "12/12"
    assert "none" in cell(page, "jg1", "visits").get_attribute("class") and cell(page, "jg1", "visits").inner_text() == "—"
    # the colours a person sees: red for overdue, amber for late, green for on time
    colour = "el => getComputedStyle(el).backgroundColor"
    assert overdue.evaluate(colour) == quiz.evaluate(colour) == "rgb(253, 236, 234)"
    assert late.evaluate(colour) == "rgb(255, 244, 214)"
    assert cell(page, "sb", "workdays").evaluate(colour) == "rgb(232, 245, 233)"
    assert page.locator("[data-test=tickets-jg1]").inner_text() == "1/1"
    assert page.locator("[data-test=assessment-jg2]").inner_text().startswith("75")
    assert page.locator("[data-test=assessment-sb]").inner_text().startswith("92")
    assert "争先牌" in page.locator("[data-test=plaque-sc2]").inner_text()
    assert page.locator("[data-test=heat-sc2-2026-01]").inner_text() == "0%"
    assert page.locator("[data-test=heat-sb-2026-03]").inner_text() == "100%"
    assert page.locator("[data-test=scores-jg2] circle").count() == 2  # the Q1 assessment and composite
    assert "3月 0 次" in page.locator("[data-test=visits-sc1]").inner_text()
    assert "不足" in page.locator("[data-test=helpers] tr", has_text="纪委副书记").inner_text()
    assert "达标" in page.locator("[data-test=helpers] tr", has_text="综合部部长").inner_text()
    now = page.locator("[data-test=overdue] tbody tr")
    assert now.count() == 3 and [n in now.nth(i).inner_text() for i, n in enumerate(("生产二支部", "机关一支部", "生产一支部"))] == [True] * 3
    assert "工会副主席" in now.nth(0).inner_text() and "二级督办" in now.nth(0).inner_text()
    site.shot(page, "board-desktop")
    shown = figures(page)

    with page.expect_download() as download:
        page.click("[data-test=export-grid]")
    path = tmp_path / "grid.xlsx"
    download.value.save_as(path)
    sheet = load_workbook(path).active
    head = [c.value for c in sheet[2]]
    kinds = [h.split("·")[0] for h in head[3::4]][:10]
    labels = {k["label"]: k["key"] for k in site.api.get("/api/board", SUP, query_string={"quarter": "2026Q1"}).get_json()["kinds"]}
    codes = {"机关一支部": "jg1", "机关二支部": "jg2", "生产一支部": "sc1", "生产二支部": "sc2", "设备党支部": "sb"}
    exported = {}
    for row in sheet.iter_rows(min_row=3, values_only=True):
        for i, label in enumerate(kinds):
            exported[(codes[row[0]], labels[label])] = tuple(row[3 + 4 * i: 7 + 4 * i])
    assert exported == shown and exported[("sc2", "workdays")] == (1, 0, 0, 1)
    assert exported[("sc1", "spot_check")] == (12, 11, 1, 0) and exported[("sc1", "quiz")] == (1, 0, 0, 1)
    assert "2026年第1季度" in sheet["A1"].value

    cell(page, "sc1", "workdays").locator("a").first.click()
    page.wait_for_url("**/board/duties?**")
    rows = page.locator("[data-test=duties] tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-instance") == ids["sc1"]
    assert "逾期办结" in rows.first.inner_text()
    site.shot(page, "board-duties-desktop")
    rows.first.locator("a").click()
    page.wait_for_url(f"**/instances/{ids['sc1']}")
    # the late spot check leads to the month it belongs to, a child of 生产一支部's pairing
    page.goto(site.url + Q1)
    cell(page, "sc1", "spot_check").locator("a").first.click()
    page.wait_for_url("**/board/duties?**")
    late_rows = page.locator("[data-test=duties] tbody tr", has_text="逾期办结")
    assert late_rows.count() == 1
    child = late_rows.first.get_attribute("data-instance")
    assert site.api.get(f"/api/instances/{child}", SUP).get_json()["parent_id"] == ids["sc1"]


def test_the_overview_at_phone_width_in_print_and_for_a_secretary(company):
    site, _ids = company
    page = site.page(PHONE)
    site.login(page, SUP)
    page.goto(site.url + Q1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    site.shot(page, "board-phone")
    page.context.close()
    page = site.page({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    site.login(page, SUP)
    page.goto(site.url + Q1)
    page.emulate_media(media="print")
    assert page.locator("[data-test=filters]").is_hidden() and page.locator("[data-test=export-grid]").is_hidden()
    site.shot(page, "board-print")
    page.context.close()

    page = site.page(PHONE)
    site.login(page, "sec_sc2")
    page.goto(site.url + Q1)
    assert [r.get_attribute("data-branch") for r in page.locator("[data-test=board-grid] tbody tr").all()] == ["sc2"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    site.shot(page, "board-secretary-phone")
    response = page.goto(site.url + "/board?month=2026-13")
    assert response.status == 422
    assert page.locator("[data-test=board-error]").inner_text() == "月份格式如 2026-03"
    assert page.goto(site.url + "/board?branch=jg1").status == 403
    page.context.close()
    page = site.page(DESKTOP)
    site.login(page, "auditor")
    assert page.locator("nav.menu >> text=督导看板").count() == 0
    assert page.goto(site.url + "/board").status == 403
    assert re.search("没有权限", page.locator("main").inner_text())
