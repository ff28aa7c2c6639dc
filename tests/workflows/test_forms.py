"""Form schemas answer in Vietnamese and refuse keys they do not declare."""

from __future__ import annotations

import pytest

from tests.support import SHIPPED_FORMS
from workflows.domain.errors import Invalid


def test_return_needs_a_reason():
    assert SHIPPED_FORMS.errors("head_review", {"decision": "return"}) == {"comment": "Trường này là bắt buộc."}
    assert SHIPPED_FORMS.errors("head_review", {"decision": "return", "comment": "   "}) == {"comment": "Không được để trống."}
    assert SHIPPED_FORMS.errors("head_review", {"decision": "approve"}) == {}


def test_unknown_keys_are_refused():
    found = SHIPPED_FORMS.errors("vote", {"vote": "agree", "council_passed": True})
    assert found == {"council_passed": "Trường không thuộc biểu mẫu này."}


def test_step_decisions_are_limited_to_the_step():
    assert "decision" in SHIPPED_FORMS.errors("appraisal", {"decision": "withdraw", "comment": "x"})
    assert SHIPPED_FORMS.errors("head_review", {"decision": "withdraw", "comment": "Xin rút"}) == {}


def test_dossier_messages():
    found = SHIPPED_FORMS.errors("dossier", {"year": "năm nay"})
    assert found["year"] == "Phải là số nguyên."
    assert found["nominee_name"] == "Trường này là bắt buộc."
    with pytest.raises(Invalid) as err:
        SHIPPED_FORMS.validate("dossier", [])
    assert err.value.fields == {"": "Dữ liệu biểu mẫu phải là một đối tượng JSON."}
