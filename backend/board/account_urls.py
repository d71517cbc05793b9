"""Log in and out for the board (the API uses JWTs and needs none of this)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from backend.board.views.auth import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
]
