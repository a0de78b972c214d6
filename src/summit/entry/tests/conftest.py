"""Fixtures the entry tests share: the event's main zone, a second zone, and a badge holder."""

import pytest

from summit.entry.testing import make_holder


@pytest.fixture
def main(event):
    return event.zones.get(code="main")


@pytest.fixture
def press(event):
    return event.zones.create(code="press", name_en="Press centre", name_zh="新闻中心")


@pytest.fixture
def holder(event, categories):
    return make_holder(event, categories["company"], given_name="伟", family_name="王")
