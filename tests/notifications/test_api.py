"""The API: broadcast to eligible volunteers, the follow-up list, reminder settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from backend.accounts.models import User, VolunteerProfile
from backend.notifications.models import Kind, Notification
from backend.notifications.services import follow_up_answer, follow_up_comment
from backend.notifications.worker import Worker
from backend.organisations.models import Organisation, Role, VolunteerQualification
from backend.shifts.models import ClaimStatus
from backend.shifts.services import claim_create
from tests.bots.fake_telegram import FakeTelegram
from tests.conftest import client_for
from tests.factories import MembershipFactory, QualificationFactory, shift_at


def test_a_broadcast_reaches_each_eligible_volunteer_once_with_a_claim_button(
    organisation: Organisation,
    coordinator: User,
    on_telegram: Callable[..., User],
    fake: FakeTelegram,
    worker: Worker,
) -> None:
    first_aid = QualificationFactory(organisation=organisation)
    shift = shift_at(organisation, starts_in=dt.timedelta(hours=5))
    shift.required_qualifications.set([first_aid])
    anna, bob, carol, dirk = (on_telegram(chat) for chat in (701, 702, 703, 704))
    for person in (anna, bob, dirk):
        VolunteerQualification.objects.create(user=person, qualification=first_aid)
    claim_create(volunteer=bob, shift_id=shift.pk)  # already claimed
    # Carol lacks the qualification; Dirk is busy on an overlapping shift.
    other = shift_at(organisation, starts_in=dt.timedelta(hours=4))
    claim_create(volunteer=dirk, shift_id=other.pk)
    coordinator_client = client_for(coordinator)
    url = f"/api/v1/shifts/{shift.pk}/broadcast/"

    response = coordinator_client.post(
        url, {"text": "We still need 2 people tonight"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.json() == {"queued": 1, "detail": "1 volunteer was asked to help."}
    worker.run_until_idle()
    [message] = fake.sent_to(701)
    assert message.text.endswith("We still need 2 people tonight")
    assert message.button("Claim") == f"claim:{shift.pk}"
    assert fake.sent_to(702) == fake.sent_to(703) == fake.sent_to(704) == []

    again = coordinator_client.post(
        url, {"text": "Still two!"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.json()["queued"] == 0
    assert again.json()["detail"].startswith("Nobody new was asked")
    worker.run_until_idle()
    assert len(fake.sent_to(701)) == 1
    assert client_for(anna).post(url, {"text": "hi"}, format="json").status_code == 403
    assert carol  # in the cast, not asked


def test_a_broadcast_asks_volunteers_only_and_not_those_who_only_want_the_other_mode(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    other_coordinator = MembershipFactory(organisation=organisation, role=Role.COORDINATOR).user
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN).user
    both, online_only, on_site_only = make_volunteer(), make_volunteer(), make_volunteer()
    VolunteerProfile.objects.filter(user=online_only).update(mode_preference="online")
    VolunteerProfile.objects.filter(user=on_site_only).update(mode_preference="on_site")
    on_site = shift_at(organisation, starts_in=dt.timedelta(hours=5), mode="on_site")
    online = shift_at(
        organisation,
        starts_in=dt.timedelta(hours=8),
        mode="online",
        address="",
        meeting_link="https://meet.example.org/x",
    )

    for shift in (on_site, online):
        response = client_for(coordinator).post(
            f"/api/v1/shifts/{shift.pk}/broadcast/", {"text": "Wie kan?"}, format="json"
        )
        assert response.status_code == 200, response.json()

    def asked(shift: object) -> set[int]:
        return set(
            Notification.objects.filter(kind=Kind.BROADCAST, shift=shift).values_list(
                "user_id", flat=True
            )
        )

    assert asked(on_site) == {both.pk, on_site_only.pk}
    assert asked(online) == {both.pk, online_only.pk}
    assert not {coordinator.pk, other_coordinator.pk, admin.pk} & (asked(on_site) | asked(online))


def test_a_broadcast_for_a_full_shift_without_waitlist_is_refused_and_queues_nothing(
    organisation: Organisation,
    coordinator: User,
    make_volunteer: Callable[..., User],
) -> None:
    shift = shift_at(organisation, starts_in=dt.timedelta(hours=5), capacity=1)
    shift.waitlist_enabled = False
    shift.save(update_fields=["waitlist_enabled"])
    claim_create(volunteer=make_volunteer(), shift_id=shift.pk)
    make_volunteer()  # could be asked, were there a place
    response = client_for(coordinator).post(
        f"/api/v1/shifts/{shift.pk}/broadcast/", {"text": "Help!"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "shift_full"
    assert "no waitlist" in response.json()["detail"] or "wachtlijst" in response.json()["detail"]
    assert not Notification.objects.filter(kind=Kind.BROADCAST, shift=shift).exists()


def test_low_scores_and_worrying_answers_are_on_the_follow_up_list(
    organisation: Organisation, coordinator: User, make_volunteer: Callable[..., User]
) -> None:
    shift = shift_at(organisation, starts_in=dt.timedelta(hours=3))
    people = [make_volunteer() for _ in range(3)]
    claims = [claim_create(volunteer=p, shift_id=shift.pk).claim for p in people]
    assert all(c.status == ClaimStatus.CONFIRMED for c in claims)
    follow_up_answer(user=people[0], claim_id=claims[0].pk, score=2)
    follow_up_answer(user=people[1], claim_id=claims[1].pk, score=5)
    follow_up_answer(user=people[2], claim_id=claims[2].pk, score=4)
    from backend.accounts.models import VolunteerProfile

    VolunteerProfile.objects.filter(user=people[1]).update(telegram_chat_id=705)
    follow_up_comment(chat_id=705, text="Nice people, but I felt unsafe walking back")

    response = client_for(coordinator).get(f"/api/v1/organisations/{organisation.pk}/follow-ups/")
    assert response.status_code == 200
    listed = {row["claim"]: row for row in response.json()}
    assert set(listed) == {claims[0].pk, claims[1].pk}
    assert listed[claims[1].pk]["comment"].endswith("unsafe walking back")
    assert (
        client_for(people[2])
        .get(f"/api/v1/organisations/{organisation.pk}/follow-ups/")
        .status_code
        == 403
    )


def test_a_volunteer_sets_reminder_offsets_and_switches_them_off(volunteer: User) -> None:
    api = client_for(volunteer)
    assert api.get("/api/v1/me/reminders/").json() == {
        "enabled": True,
        "offsets_minutes": [1440, 120],
    }
    changed = api.patch(
        "/api/v1/me/reminders/", {"enabled": False, "offsets_minutes": [60, 180]}, format="json"
    )
    assert changed.json() == {"enabled": False, "offsets_minutes": [180, 60]}
    refused = api.patch("/api/v1/me/reminders/", {"offsets_minutes": [5]}, format="json")
    assert refused.status_code == 400
