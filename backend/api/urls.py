from django.urls import URLPattern, URLResolver, include, path, register_converter

from backend.api.converters import IdConverter
from backend.api.views import (
    attendance,
    auth,
    calendar,
    figures,
    inbox,
    law,
    me,
    notifications,
    organisations,
    planning,
    privacy,
    shifts,
    stand_ins,
    suggestions,
)

register_converter(IdConverter, "id")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/register/", auth.RegisterView.as_view(), name="register"),
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("auth/token/refresh/", auth.RefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", auth.LogoutView.as_view(), name="logout"),
    path("auth/password-reset/", auth.PasswordResetView.as_view(), name="password-reset"),
    path(
        "auth/password-reset/confirm/",
        auth.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("auth/email/confirm/", auth.EmailConfirmView.as_view(), name="email-confirm"),
    # MeView plus DELETE (erasure), see views/privacy.py.
    path("me/", privacy.MeWithErasureView.as_view(), name="me"),
    path("me/password/", auth.PasswordChangeView.as_view(), name="my-password"),
    path("me/email/", auth.EmailChangeView.as_view(), name="my-email"),
    path("me/export/", privacy.MyDataExportView.as_view(), name="my-export"),
    path("me/claims/", me.MyClaimsView.as_view(), name="my-claims"),
    path(
        "claims/<id:claim_id>/stand-in/",
        stand_ins.ClaimStandInView.as_view(),
        name="claim-stand-in",
    ),
    path(
        "me/stand-in-requests/",
        stand_ins.MyStandInRequestsView.as_view(),
        name="my-stand-in-requests",
    ),
    path(
        "stand-in-requests/<id:request_id>/accept/",
        stand_ins.StandInAcceptView.as_view(),
        name="stand-in-accept",
    ),
    path(
        "stand-in-requests/<id:request_id>/decline/",
        stand_ins.StandInDeclineView.as_view(),
        name="stand-in-decline",
    ),
    path("claims/<id:claim_id>/swap/", stand_ins.ClaimSwapView.as_view(), name="claim-swap"),
    path("me/swap-requests/", stand_ins.MySwapRequestsView.as_view(), name="my-swap-requests"),
    path(
        "swap-requests/<id:swap_id>/accept/", stand_ins.SwapAcceptView.as_view(), name="swap-accept"
    ),
    path(
        "swap-requests/<id:swap_id>/decline/",
        stand_ins.SwapDeclineView.as_view(),
        name="swap-decline",
    ),
    path("me/suggestions/", suggestions.MySuggestionsView.as_view(), name="my-suggestions"),
    path("me/claims/<id:claim_id>/feedback/", inbox.FeedbackView.as_view(), name="my-feedback"),
    path("me/devices/", inbox.DeviceListView.as_view(), name="my-devices"),
    path("me/devices/<id:device_id>/", inbox.DeviceDetailView.as_view(), name="my-device"),
    path("me/notifications/", inbox.InboxView.as_view(), name="my-notifications"),
    path(
        "me/notifications/<id:notification_id>/read/",
        inbox.InboxReadView.as_view(),
        name="my-notification-read",
    ),
    path("push/", inbox.PushConfigView.as_view(), name="push-config"),
    path("organisations/", organisations.OrganisationListView.as_view(), name="organisations"),
    path("organisations/join/", organisations.JoinView.as_view(), name="organisation-join"),
    path(
        "organisations/<id:organisation_id>/",
        organisations.OrganisationDetailView.as_view(),
        name="organisation",
    ),
    path(
        "organisations/<id:organisation_id>/members/",
        organisations.MemberListView.as_view(),
        name="members",
    ),
    path(
        "organisations/<id:organisation_id>/members/<id:membership_id>/",
        organisations.MemberDetailView.as_view(),
        name="member",
    ),
    path(
        "organisations/<id:organisation_id>/invites/",
        organisations.InviteListView.as_view(),
        name="invites",
    ),
    path(
        "organisations/<id:organisation_id>/invites/<id:invite_id>/",
        organisations.InviteDetailView.as_view(),
        name="invite",
    ),
    path(
        "organisations/<id:organisation_id>/qualifications/",
        organisations.QualificationListView.as_view(),
        name="qualifications",
    ),
    path(
        "organisations/<id:organisation_id>/qualifications/<id:qualification_id>/holders/",
        organisations.HolderListView.as_view(),
        name="qualification-holders",
    ),
    path(
        "organisations/<id:organisation_id>/qualifications/<id:qualification_id>/holders/"
        "<id:user_id>/",
        organisations.HolderDetailView.as_view(),
        name="qualification-holder",
    ),
    path(
        "organisations/<id:organisation_id>/info-note/",
        law.InfoNoteView.as_view(),
        name="info-note",
    ),
    path(
        "organisations/<id:organisation_id>/info-note/acknowledge/",
        law.AcknowledgeView.as_view(),
        name="info-note-acknowledge",
    ),
    path(
        "organisations/<id:organisation_id>/info-note/acknowledgements/",
        law.AcknowledgementListView.as_view(),
        name="info-note-acknowledgements",
    ),
    path(
        "organisations/<id:organisation_id>/allowance-policy/",
        law.AllowancePolicyView.as_view(),
        name="allowance-policy",
    ),
    path(
        "organisations/<id:organisation_id>/allowances/",
        law.OrganisationAllowanceListView.as_view(),
        name="allowances",
    ),
    path(
        "organisations/<id:organisation_id>/allowances/<id:entry_id>/correct/",
        law.EntryCorrectView.as_view(),
        name="allowance-correct",
    ),
    path("allowance-caps/", law.CapListView.as_view(), name="allowance-caps"),
    path(
        "organisations/<id:organisation_id>/c45b/",
        law.ObjectionListView.as_view(),
        name="c45b-objections",
    ),
    path("me/allowance/", law.MyAllowanceView.as_view(), name="my-allowance"),
    path(
        "me/allowance/declarations/",
        law.MyDeclarationView.as_view(),
        name="my-allowance-declarations",
    ),
    path("shifts/", shifts.ShiftListView.as_view(), name="shifts"),
    path("shifts/copy-week/", planning.CopyWeekView.as_view(), name="shifts-copy-week"),
    path("shifts/<id:shift_id>/", shifts.ShiftDetailView.as_view(), name="shift"),
    path("shifts/<id:shift_id>/publish/", shifts.ShiftPublishView.as_view(), name="shift-publish"),
    path("shifts/<id:shift_id>/claim/", shifts.ClaimView.as_view(), name="shift-claim"),
    path("shifts/<id:shift_id>/claims/", shifts.ShiftClaimListView.as_view(), name="shift-claims"),
    path(
        "shifts/<id:shift_id>/claims/<id:claim_id>/",
        shifts.ShiftClaimDetailView.as_view(),
        name="shift-claim-detail",
    ),
    # The coordinators' toolkit (issue 6).
    path("me/history/", attendance.MyHistoryView.as_view(), name="my-history"),
    path("shifts/<id:shift_id>/check-in/", attendance.MyCheckInView.as_view(), name="check-in"),
    path(
        "shifts/<id:shift_id>/attendance/",
        attendance.ShiftAttendanceView.as_view(),
        name="shift-attendance",
    ),
    path("shifts/<id:shift_id>/check-out/", attendance.MyCheckOutView.as_view(), name="check-out"),
    path(
        "shifts/<id:shift_id>/claims/<id:claim_id>/check-in/",
        attendance.ClaimCheckInView.as_view(),
        name="claim-check-in",
    ),
    path(
        "shifts/<id:shift_id>/claims/<id:claim_id>/check-out/",
        attendance.ClaimCheckOutView.as_view(),
        name="claim-check-out",
    ),
    path(
        "shifts/<id:shift_id>/claims/<id:claim_id>/attendance/",
        attendance.ClaimAttendanceView.as_view(),
        name="claim-attendance",
    ),
    path(
        "shifts/<id:shift_id>/claims/<id:claim_id>/no-show/",
        attendance.ClaimNoShowView.as_view(),
        name="claim-no-show",
    ),
    path(
        "organisations/<id:organisation_id>/members/<id:membership_id>/block/",
        attendance.MemberBlockView.as_view(),
        name="member-block",
    ),
    path(
        "organisations/<id:organisation_id>/stats/",
        figures.FiguresView.as_view(),
        name="organisation-stats",
    ),
    path(
        "organisations/<id:organisation_id>/leave/",
        privacy.LeaveView.as_view(),
        name="organisation-leave",
    ),
    path("series/", planning.SeriesListView.as_view(), name="series-list"),
    path("series/<id:series_id>/", planning.SeriesDetailView.as_view(), name="series"),
    path("me/calendar/", calendar.CalendarLinksView.as_view(), name="my-calendar"),
    path("me/calendar/rotate/", calendar.CalendarRotateView.as_view(), name="my-calendar-rotate"),
    path(
        # The token is secrets.token_urlsafe: a slug. Anything else (a NUL byte, which
        # PostgreSQL refuses in a query) matches no route.
        "calendar/<slug:token>/shifts.ics",
        calendar.MyCalendarFeedView.as_view(),
        name="calendar-mine",
    ),
    path(
        "calendar/<slug:token>/organisations/<id:organisation_id>.ics",
        calendar.OrganisationCalendarFeedView.as_view(),
        name="calendar-organisation",
    ),
    # Reminders and notifications (issue 5).
    path("me/reminders/", notifications.MyReminderSettingsView.as_view(), name="my-reminders"),
    path(
        "shifts/<id:shift_id>/broadcast/",
        notifications.ShiftBroadcastView.as_view(),
        name="shift-broadcast",
    ),
    path(
        "organisations/<id:organisation_id>/notifications/",
        notifications.OrganisationNotificationsView.as_view(),
        name="organisation-notifications",
    ),
    path(
        "organisations/<id:organisation_id>/follow-ups/",
        notifications.OrganisationFollowUpsView.as_view(),
        name="organisation-follow-ups",
    ),
    path("", include("backend.telegram.urls")),
]
