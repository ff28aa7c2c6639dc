"""The task page's buttons say what they do, per step and decision; an irreversible one asks once, first."""

from __future__ import annotations

import html
import re

from flask import Flask

from workflows.domain.labels import task_buttons
from workflows.persistence.db import Database

from ..support import Driver
from .helpers import session_client

WITHDRAW_CONFIRM = "Rút hồ sơ? Hồ sơ kết thúc, không xử lý tiếp."
REJECT_CONFIRM = "Không khen thưởng? Hồ sơ kết thúc với kết quả không khen thưởng."


def _buttons(page: str) -> list[str]:
    """Each submit button of the task form, as its opening tag and label."""
    form = page.split('class="task-form"', 1)[1].split("</form>", 1)[0]
    return [html.unescape(re.sub(r"\s+", " ", b)) for b in re.findall(r"<button[^>]*>[^<]*</button>", form)]


def _button(buttons: list[str], label: str) -> str:
    found = [b for b in buttons if b.endswith(f">{label}</button>")]
    assert len(found) == 1, (label, buttons)
    return found[0]


def test_the_heads_task_page_names_each_decision_and_withdraw_asks_first(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    page = session_client(web, db, "head1").get(f"/tasks/{driver.item_for(nid, 'head1')}").get_data(as_text=True)
    assert "Xác nhận" not in page
    buttons = _buttons(page)
    assert [b.rsplit(">", 2)[-2].split("<")[0] for b in buttons] == ["Trình Bộ", "Trả lại đơn vị", "Rút hồ sơ"]
    assert 'name="decision" value="approve"' in _button(buttons, "Trình Bộ")
    assert "data-confirm" not in _button(buttons, "Trình Bộ")
    assert 'value="return"' in _button(buttons, "Trả lại đơn vị")
    assert f'data-confirm="{WITHDRAW_CONFIRM}"' in _button(buttons, "Rút hồ sơ")
    assert 'type="radio" name="decision"' not in page  # the buttons carry the decision


def test_the_draft_submits_and_the_secretariat_returns_for_more_or_rejects_with_a_question(
        web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    clerk = session_client(web, db, "clerk1").get(f"/tasks/{driver.item_for(nid, 'clerk1')}").get_data(as_text=True)
    # One "Nộp hồ sơ"; the draft's own buttons keep the work ("Lưu nháp" first: Enter in a field saves the draft).
    buttons = _buttons(clerk)
    assert [b.endswith(">Nộp hồ sơ</button>") for b in buttons].count(True) == 1
    assert 'value="save_draft"' in buttons[0] and "Lưu nháp" in buttons[0]
    assert {"Tải lên", "Lưu nháp", "Xóa"} <= {b.rsplit(">", 2)[-2].split("<")[0] for b in buttons}
    driver.submit(nid)
    page = session_client(web, db, "secretary").get(f"/tasks/{driver.item_for(nid, 'secretary')}").get_data(as_text=True)
    assert "Xác nhận" not in page
    buttons = _buttons(page)
    _button(buttons, "Tiếp nhận hồ sơ")
    assert "data-confirm" not in _button(buttons, "Trả lại đơn vị bổ sung")
    assert f'data-confirm="{REJECT_CONFIRM}"' in _button(buttons, "Không khen thưởng")


def test_a_wrong_pressed_decision_keeps_its_button_marked(web: Flask, db: Database, driver: Driver):
    nid = driver.create()
    driver.act(nid, "clerk1", {})
    head = driver.item_for(nid, "head1")
    answer = session_client(web, db, "head1").post(f"/tasks/{head}", data={"decision": "return", "comment": ""})
    assert answer.status_code == 422
    assert 'class="secondary chosen"' in _button(_buttons(answer.get_data(as_text=True)), "Trả lại đơn vị")


def test_labels_are_data_with_fallbacks():
    schema = {"properties": {"decision": {"oneOf": [{"const": "approve", "title": "Đồng ý"}, {"const": "return"},
                                                    {"const": "odd"}]}}}
    assert [b["label"] for b in task_buttons("appraisal", "appraisal", schema)] == [
        "Thẩm định đạt, trình ký", "Trả lại Bộ phận TĐKT", "Gửi"]
    assert [b["label"] for b in task_buttons("new_step", "x", schema)] == ["Đồng ý", "Trả lại đơn vị", "Gửi"]
    sign = task_buttons("minister_sign", "minister_sign", schema)[0]
    assert sign["label"] == "Ký quyết định" and sign["confirm"].startswith("Ký quyết định?")
    assert task_buttons("draft", "dossier", {"properties": {}}) == [{"decision": None, "label": "Nộp hồ sơ", "confirm": None}]
    assert task_buttons("x", "vote", None)[0]["label"] == "Bỏ phiếu"
