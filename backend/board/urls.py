from django.urls import path
from django.views.i18n import set_language

from backend.board import views

app_name = "board"

urlpatterns = [
    path("", views.board_index, name="index"),
    path("language/", set_language, name="set_language"),
    path("<slug:slug>/", views.board_page, name="page"),
]
