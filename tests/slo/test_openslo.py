"""OpenSLO v1: export and import round trip for the kinds OpenSLO can express."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from slo.load import build, load_spec, spec_from_text
from slo.model import GaugeIndicator, Matcher, Selector
from slo.openslo import export_spec, import_openslo, parse_selector
from slo.spec import SpecDoc


def test_openslo_round_trip_keeps_every_expressible_slo() -> None:
    spec = load_spec()
    text, skipped = export_spec(spec)
    assert skipped == [s.name for s in spec.slos if isinstance(s.indicator, GaugeIndicator)] + ["llm-spend"]
    back = build(SpecDoc.model_validate(import_openslo(text)))
    assert list(back.slos) == [s for s in spec.slos if not isinstance(s.indicator, GaugeIndicator)]


def test_exported_documents_are_openslo_v1_slos() -> None:
    docs = list(yaml.safe_load_all(export_spec(load_spec())[0]))
    assert docs[0]["kind"] == "Service"
    for doc in docs[1:]:
        assert doc["apiVersion"] == "openslo/v1"
        assert doc["kind"] == "SLO"
        assert doc["spec"]["budgetingMethod"] == "Occurrences"
        assert 0 < doc["spec"]["objectives"][0]["target"] < 1
        assert "ratioMetric" in doc["spec"]["indicator"]["spec"]


def test_a_calendar_window_from_openslo_is_refused_with_the_reason() -> None:
    spec = spec_from_text(
        "apiVersion: slo.todochat/v1\nkind: ServiceLevelObjectives\nservice: s\nslos:\n  - name: a\n"
        "    target: 0.99\n    window: 30d\n    indicator:\n      ratio:\n"
        "        metric: todochat_chat_turns_total\n        good: {outcome: ok}\n"
    )
    text = export_spec(spec)[0]
    assert "isRolling: true" in text
    calendar = text.replace("isRolling: true", "isRolling: false")  # the same 30 days, aligned to the month
    with pytest.raises(ValidationError, match="cannot be expressed in Prometheus rules"):
        SpecDoc.model_validate(import_openslo(calendar))


@pytest.mark.parametrize(
    ("query", "selector"),
    [
        pytest.param("up", Selector("up"), id="a bare name"),
        pytest.param(
            'x{a="1",b!="2"}', Selector("x", (Matcher("a", ("1",)), Matcher("b", ("2",), True))), id="equality"
        ),
        pytest.param('x{r!~"/a|/b\\\\.c"}', Selector("x", (Matcher("r", ("/a", "/b.c"), True),)), id="a negated regex"),
    ],
)
def test_selectors_parse_back(query: str, selector: Selector) -> None:
    assert parse_selector(query) == selector
    assert parse_selector(selector.promql()) == selector
