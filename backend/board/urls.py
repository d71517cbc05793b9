"""The cockpit's URLs under /board/: each area's module brings its own ``urlpatterns``."""

from django.urls import path
from django.views.i18n import set_language

from backend.board.views import (
    allowances,
    figures,
    follow_ups,
    info_note,
    invites,
    live,
    people,
    planning,
    settings,
    shift_panel,
)

app_name = "board"

urlpatterns = [
    path("language/", set_language, name="set_language"),
    *live.urlpatterns,
    *shift_panel.urlpatterns,
    *planning.urlpatterns,
    *people.urlpatterns,
    *invites.urlpatterns,
    *follow_ups.urlpatterns,
    *figures.urlpatterns,
    *info_note.urlpatterns,
    *allowances.urlpatterns,
    *settings.urlpatterns,
]
