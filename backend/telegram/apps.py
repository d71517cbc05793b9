from django.apps import AppConfig


class TelegramConfig(AppConfig):
    name = "backend.telegram"
    label = "telegram"
    verbose_name = "Telegram"
