"""The accreditation back office: what organizers and officers see and do on one event's participants."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from summit.accounts import services as accounts
from summit.accounts.models import ApiToken, hash_token
from summit.core.models import AuditEntry
from summit.events.testing import make_staff
from summit.registration import services
from summit.registration.models import Participant
from summit.registration.testing import make_category, make_organization, make_participant

pytestmark = pytest.mark.django_db


def list_url(event, **params):
    url = reverse("manage:participants", args=[event.slug])
    if params:
        from urllib.parse import urlencode

        url += "?" + urlencode(params)
    return url


def row_ids(response) -> set[int]:
    return {int(x) for x in re.findall(r'<tr data-id="(\d+)"', response.content.decode())}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def people(event, categories):
    org = make_organization(event, name="华为技术有限公司", name_latin="Huawei Technologies")
    return {
        "wang": make_participant(
            event,
            categories["company"],
            given_name="伟",
            family_name="王",
            given_name_latin="Wei",
            family_name_latin="Wang",
            organization=org,
            country="CN",
        ),
        "ivan": make_participant(
            event,
            categories["government"],
            given_name="Иван",
            family_name="Петров",
            given_name_latin="Ivan",
            family_name_latin="Petrov",
            name_order=Participant.GIVEN_FIRST,
            country="RU",
            attendance_mode=Participant.ONLINE,
        ),
        "anna": make_participant(
            event,
            categories["media"],
            given_name="Anna",
            family_name="Schmidt",
            given_name_latin="Anna",
            family_name_latin="Schmidt",
            name_order=Participant.GIVEN_FIRST,
            country="DE",
            status=Participant.APPROVED,
            outlet="Der Spiegel",
        ),
    }


# --- the list and its filters ------------------------------------------------------------------------------


def test_list_shows_participants_with_their_columns(officer_client, event, people):
    response = officer_client.get(list_url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(response) == {p.pk for p in people.values()}
    assert "王伟 (WANG Wei)" in html
    assert "Huawei Technologies" in html
    assert "Russia" in html
    assert 'class="badge status-approved"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'class="responsive"' in html and 'data-label="Name"' in html
    assert reverse("manage:participant", args=[event.slug, people["wang"].pk]) in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "company"}, {"wang"}),
        ({"country": "RU"}, {"ivan"}),
        ({"country": "Germany"}, {"anna"}),
        ({"status": "approved"}, {"anna"}),
        ({"mode": "online"}, {"ivan"}),
        ({"mode": "onsite"}, {"wang", "anna"}),
        ({"organization": "huawei"}, {"wang"}),
        ({"organization": "华为"}, {"wang"}),
        ({"q": "王伟"}, {"wang"}),
        ({"q": "王"}, {"wang"}),
        ({"q": "петров"}, {"ivan"}),
        ({"q": "ИВАН"}, {"ivan"}),
        ({"q": "spiegel"}, {"anna"}),
        ({"q": "anna schmidt"}, {"anna"}),
        ({"q": "nobody"}, set()),
        ({"category": "company", "status": "approved"}, set()),
    ],
)
def test_each_filter_narrows_the_list(officer_client, event, people, params, expected):
    response = officer_client.get(list_url(event, **params))
    assert response.status_code == 200
    assert row_ids(response) == {people[k].pk for k in expected}


def test_filter_by_organization_id(officer_client, event, people):
    response = officer_client.get(list_url(event, organization=people["wang"].organization_id))
    assert row_ids(response) == {people["wang"].pk}


def test_bad_filter_shows_the_message_and_no_rows(officer_client, event, people):
    response = officer_client.get(list_url(event, status="nonsense"))
    assert response.status_code == 200
    assert row_ids(response) == set()
    assert "Unknown status" in response.content.decode()


def test_status_counts_follow_the_other_filters_and_link_to_the_status(
    officer_client, event, categories, people
):
    make_participant(event, categories["company"], status=Participant.REJECTED)
    response = officer_client.get(list_url(event, category="company", status="submitted"))
    html = response.content.decode()
    counts = dict(re.findall(r'data-status="(\w+)" data-count="(\d+)"', html))
    assert counts == {"submitted": "1", "approved": "0", "waitlisted": "0", "rejected": "1", "cancelled": "0"}
    # Each count is a link keeping the other filters and setting the status.
    assert re.search(r'href="\?category=company&amp;status=rejected"[^>]*>Rejected: 1', html)


def test_pagination_keeps_filters(officer_client, event, categories):
    for i in range(120):
        make_participant(event, categories["company"], family_name_latin=f"Zhang{i:03d}")
    make_participant(event, categories["media"])
    response = officer_client.get(list_url(event, category="company"))
    assert len(row_ids(response)) == 50
    html = response.content.decode()
    assert "Page 1 of 3" in html
    assert 'href="?category=company&amp;page=2"' in html
    page3 = officer_client.get(list_url(event, category="company", page=3))
    assert len(row_ids(page3)) == 20
    assert row_ids(response).isdisjoint(row_ids(page3))


def test_export_links_carry_the_filters(officer_client, event, people):
    html = officer_client.get(list_url(event, country="CN", page=1)).content.decode()
    assert reverse("manage:export_csv", args=[event.slug]) + "?country=CN" in html
    assert reverse("manage:export_xlsx", args=[event.slug]) + "?country=CN" in html


def test_list_query_count_does_not_grow_with_rows(officer_client, event, categories):
    def build(n):
        cats = list(categories.values())
        for i in range(n):
            org = make_organization(event) if i % 3 == 0 else None
            make_participant(
                event,
                cats[i % len(cats)],
                organization=org,
                country=["CN", "DE", "RU", "BR"][i % 4],
                status=[Participant.SUBMITTED, Participant.APPROVED, Participant.WAITLISTED][i % 3],
            )

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            response = officer_client.get(list_url(event))
        assert response.status_code == 200
        return len(ctx.captured_queries), len(row_ids(response))

    build(10)
    small, rows_small = count_queries()
    build(290)
    large, rows_large = count_queries()
    assert (rows_small, rows_large) == (10, 50)
    assert small == large


# --- decisions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["approved", "rejected", "waitlisted"])
def test_bulk_decision_with_reason_is_applied_and_audited(officer_client, officer, event, categories, action):
    a = make_participant(event, categories["company"])
    b = make_participant(event, categories["research"])
    untouched = make_participant(event, categories["company"])
    next_url = list_url(event, category="company")
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]),
        {"ids": [a.pk, b.pk], "action": action, "reason": "Checked by the committee", "next": next_url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == next_url
    assert "2 participants changed" in " ".join(messages_of(response))
    for p in (a, b):
        p.refresh_from_db()
        assert p.status == action
        assert p.decision_reason == "Checked by the committee"
    untouched.refresh_from_db()
    assert untouched.status == Participant.SUBMITTED

    detail = officer_client.get(reverse("manage:participant", args=[event.slug, a.pk]))
    html = detail.content.decode()
    assert f"participant.{action}" in html
    assert "Checked by the committee" in html
    assert "officer@example.org" in html


def test_approving_past_the_onsite_quota_is_refused_and_changes_nothing(officer_client, event):
    vip = make_category(event, "guest", onsite_quota=2)
    make_participant(event, vip, status=Participant.APPROVED)
    a = make_participant(event, vip)
    b = make_participant(event, vip)
    before = AuditEntry.objects.count()
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]),
        {
            "ids": [a.pk, b.pk],
            "action": "approved",
            "reason": "",
            "next": list_url(event, status="submitted"),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == list_url(event, status="submitted")
    assert "would exceed its on-site quota" in " ".join(messages_of(response))
    assert set(Participant.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {
        Participant.SUBMITTED
    }
    assert AuditEntry.objects.count() == before


def test_decide_without_selection_shows_the_error(officer_client, event, people):
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]), {"action": "approved"}, follow=True
    )
    assert "Select at least one participant." in " ".join(messages_of(response))


def test_decide_ignores_an_absolute_next_url(officer_client, event, people):
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]),
        {"ids": [people["wang"].pk], "action": "approved", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == list_url(event)
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]),
        {"ids": [people["wang"].pk], "action": "approved", "next": "//evil.example/"},
    )
    assert response["Location"] == list_url(event)


def test_decide_needs_post(officer_client, event):
    assert officer_client.get(reverse("manage:decide", args=[event.slug])).status_code == 405


def test_detail_shows_everything_submitted(officer_client, event, categories):
    from django.core.files.base import ContentFile

    from summit.core.testing import PDF_BYTES
    from summit.registration.testing import make_invitation

    invitation = make_invitation(event, categories["media"], code="PRESS-2027")
    p = make_participant(
        event,
        categories["media"],
        given_name="Anna",
        family_name="Schmidt",
        title="Dr.",
        position="Editor",
        outlet="Der Spiegel",
        press_card_number="DE-123",
        phone="+49 30 1234",
        invitation=invitation,
        status=Participant.WAITLISTED,
        waitlist_position=7,
        organization=make_organization(event, name="Spiegel Verlag", name_latin="Spiegel Verlag"),
    )
    p.press_card_file.save("card.pdf", ContentFile(PDF_BYTES), save=True)
    html = officer_client.get(reverse("manage:participant", args=[event.slug, p.pk])).content.decode()
    for text in (
        "Dr.",
        "Editor",
        "Der Spiegel",
        "DE-123",
        "+49 30 1234",
        "PRESS-2027",
        "Spiegel Verlag",
        "Waitlist position 7",
        p.email,
        "Media",
    ):
        assert text in html, text
    assert reverse("registration:press_card", args=[event.slug, p.pk]) in html


def test_single_decision_from_the_detail_page(officer_client, event, categories):
    p = make_participant(event, categories["company"])
    url = reverse("manage:participant", args=[event.slug, p.pk])
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]),
        {"ids": p.pk, "action": "rejected", "reason": "Incomplete", "next": url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    assert "1 participant changed" in " ".join(messages_of(response))
    assert 'data-status="rejected"' in response.content.decode()


# --- who may see what --------------------------------------------------------------------------------------


def test_officer_of_another_event_gets_404_everywhere(client, event, categories, other_event):
    p = make_participant(event, categories["company"])
    stranger = make_staff(other_event, "accreditation_officer")
    client.force_login(stranger)
    for url in (
        list_url(event),
        reverse("manage:participant", args=[event.slug, p.pk]),
        reverse("manage:export_csv", args=[event.slug]),
        reverse("manage:export_xlsx", args=[event.slug]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("manage:decide", args=[event.slug]), {"ids": [p.pk], "action": "approved"})
    assert response.status_code == 404
    p.refresh_from_db()
    assert p.status == Participant.SUBMITTED


def test_participant_of_another_event_is_404_through_this_events_urls(officer_client, event, other_event):
    foreign = make_participant(other_event, other_event.categories.get(code="company"))
    assert officer_client.get(reverse("manage:participant", args=[event.slug, foreign.pk])).status_code == 404
    response = officer_client.post(
        reverse("manage:decide", args=[event.slug]), {"ids": [foreign.pk], "action": "approved"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Participant.SUBMITTED


def test_anonymous_and_participants_get_404(client, event, categories):
    p = make_participant(event, categories["company"])
    urls = [
        list_url(event),
        reverse("manage:participant", args=[event.slug, p.pk]),
        reverse("manage:export_csv", args=[event.slug]),
        reverse("manage:tokens", args=[event.slug]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("manage:decide", args=[event.slug]), {"ids": [p.pk], "action": "approved"}
        ).status_code
        == 404
    )
    client.force_login(p.user)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_organizer_sees_the_list_and_the_subnavigation(organizer_client, event, people):
    html = organizer_client.get(list_url(event)).content.decode()
    assert reverse("manage:import", args=[event.slug]) in html
    assert reverse("manage:tokens", args=[event.slug]) in html


def test_officer_has_no_token_link(officer_client, event):
    html = officer_client.get(list_url(event)).content.decode()
    assert reverse("manage:import", args=[event.slug]) in html
    assert reverse("manage:tokens", args=[event.slug]) not in html


# --- API tokens --------------------------------------------------------------------------------------------


def test_token_is_shown_once_and_works_until_revoked(organizer_client, organizer, event):
    url = reverse("manage:tokens", args=[event.slug])
    response = organizer_client.post(url, {"name": "Badge printer"})
    assert response.status_code == 200
    html = response.content.decode()
    raw = re.search(r'<code id="raw-token"[^>]*>([^<]+)</code>', html).group(1)
    assert "will not be shown again" in html
    token = ApiToken.objects.get(event=event, user=organizer)
    assert token.token_hash == hash_token(raw)
    assert services.authenticate_token(raw) is not None
    assert response["Cache-Control"] == "private, no-store"

    listing = organizer_client.get(url).content.decode()
    assert "Badge printer" in listing
    assert raw not in listing
    assert token.prefix in listing

    response = organizer_client.post(reverse("manage:revoke_token", args=[event.slug, token.pk]), follow=True)
    assert "has been revoked" in " ".join(messages_of(response))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.authenticate_token(raw) is None


def test_token_needs_a_name(organizer_client, event):
    response = organizer_client.post(reverse("manage:tokens", args=[event.slug]), {"name": "  "})
    assert "Give the token a name." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_only_own_tokens_of_this_event_can_be_revoked(organizer_client, organizer, event, other_event):
    colleague = make_staff(event, "organizer")
    theirs, _raw = accounts.create_api_token(event=event, user=colleague, name="Theirs")
    make_staff_other = make_staff(other_event, "organizer", "x@example.org")
    elsewhere, _raw = accounts.create_api_token(event=other_event, user=make_staff_other, name="Elsewhere")
    mine_elsewhere, _raw = accounts.create_api_token(event=other_event, user=organizer, name="Mine elsewhere")
    listing = organizer_client.get(reverse("manage:tokens", args=[event.slug])).content.decode()
    assert "Theirs" not in listing and "Mine elsewhere" not in listing
    for token in (theirs, elsewhere, mine_elsewhere):
        response = organizer_client.post(reverse("manage:revoke_token", args=[event.slug, token.pk]))
        assert response.status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None


def test_officer_gets_404_on_tokens(officer_client, officer, event):
    token, _raw = accounts.create_api_token(event=event, user=officer, name="Mine")
    assert officer_client.get(reverse("manage:tokens", args=[event.slug])).status_code == 404
    assert officer_client.post(reverse("manage:tokens", args=[event.slug]), {"name": "x"}).status_code == 404
    assert officer_client.post(reverse("manage:revoke_token", args=[event.slug, token.pk])).status_code == 404
