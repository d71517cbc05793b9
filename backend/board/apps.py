from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "backend.board"
    label = "board"
    verbose_name = "Live shift board"
