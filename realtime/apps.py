import logging

from django.apps import AppConfig


class DroppedMessagesFilter(logging.Filter):
    """Raise channels_redis's "channels over capacity" notice to a WARNING of our own.

    When a consumer's channel is full, ``RedisChannelLayer.group_send`` skips it and only
    logs the count at INFO on ``channels_redis.core``; nothing is raised or returned. The
    consumers also notice drops from gaps in the sequence numbers (realtime/consumers.py),
    which covers the silent cases: expired messages and a full local receive buffer.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if "over capacity" in record.getMessage():
            logging.getLogger("realtime.layer").warning(
                "channel layer dropped messages: %s", record.getMessage()
            )
            return False
        # Its other notices are INFO too; keep them at the level LOG_LEVEL asks for.
        return record.levelno >= logging.getLogger().getEffectiveLevel()


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        layer_logger = logging.getLogger("channels_redis.core")
        # The notice is logged at INFO; make sure it is created even when LOG_LEVEL=WARNING.
        if layer_logger.getEffectiveLevel() > logging.INFO:
            layer_logger.setLevel(logging.INFO)
        if not any(isinstance(f, DroppedMessagesFilter) for f in layer_logger.filters):
            layer_logger.addFilter(DroppedMessagesFilter())
