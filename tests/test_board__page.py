"""The overview page over HTTP: what people typed (branch and person names) reaches every table and chart of
the page as text, never as markup."""
from __future__ import annotations

from datetime import timedelta

from conftest import T0
from scenarios import SUP, file_ticket, open_pairing, travel
from test_web__pages import login

BRANCH_NAME = '设备<i>党</i>支部 "A&B"'
HELPER_NAME = "<b>综合部</b>部长"
SECRETARY_NAME = "<u>设备</u>书记"


def test_names_are_text_in_every_section(api):
    assert api.call("PATCH", "/api/branches/sb", "admin", json={"name": BRANCH_NAME}).status_code == 200
    for person, name in (("zonghe", HELPER_NAME), ("sec_sb", SECRETARY_NAME)):
        assert api.call("PATCH", f"/api/people/{person}", "admin", json={"display_name": name}).status_code == 200
    open_pairing(api, branch="sb", helper="zonghe")
    file_ticket(api)
    travel(api, T0 + timedelta(days=30))  # the ticket's 7-working-day plan is overdue by now

    page = login(api, SUP).get("/board").text

    assert not any(raw in page for raw in ("<i>党</i>", "<b>综合部</b>", "<u>设备</u>"))
    escaped = page.count("设备&lt;i&gt;党&lt;/i&gt;支部")
    # the branch filter, its grid row, heat-map row, chart card and two chart labels, helper, secretary and
    # overdue rows, the overdue task's instance title
    assert escaped >= 10, escaped
    helper = page.count("&lt;b&gt;综合部&lt;/b&gt;部长")
    assert helper >= 2, helper  # the pairing's helper in the grid and in 帮扶人
    secretary = page.count("&lt;u&gt;设备&lt;/u&gt;书记")
    assert secretary >= 2, secretary  # in 支部书记 and as the holder of the overdue plan


def test_the_two_exports_under_one_heading_say_which_table_they_export(api):
    page = login(api, SUP).get("/board").text
    assert 'data-test="export-scores" href="/board/export/scores.xlsx">导出得分 Excel</a>' in page
    assert 'data-test="export-tickets" href="/board/export/tickets.xlsx">导出整改问题 Excel</a>' in page
