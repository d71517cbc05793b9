"""The coordinators' cockpit: server-rendered pages around the live board.

One module per area, each with its own ``urlpatterns`` (included by ``backend/board/urls.py``):

- ``auth``: log in (throttled), log out, coordinator sign-up.
- ``live``: the board index and the live board page.
- ``shift_panel``: a shift's detail panel and the actions on its volunteers.
- ``planning``: create, edit, publish and cancel shifts; series; copy a week.
- ``people``: members, roles, qualifications, no-show blocks.
- ``invites``: invite codes, their QR codes and posters.
- ``follow_ups``: the "how did it go" answers that need attention.
- ``figures``: the yearly figures, charts and CSV.
- ``settings``: the organisation's settings (admins).

Every view reaches the organisation through ``access.cockpit_view`` (the same access helper the
API uses) and changes state only through the domain services.
"""
