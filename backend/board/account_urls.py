"""Log in and out for the board (the API uses JWTs and needs none of this), and the pages
that links in e-mails open."""

from django.contrib.auth import views as auth_views
from django.urls import path

from backend.board.views import recovery
from backend.board.views.auth import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("password-reset/", recovery.password_reset, name="password_reset"),
    path(
        "reset/<uidb64>/<token>/",
        recovery.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", recovery.password_reset_done, name="password_reset_done"),
    path("email/<str:value>/", recovery.email_confirm, name="email_confirm"),
]
