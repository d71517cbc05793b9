"""``python -m backend.config.daphne_cli``: Daphne, with secrets kept out of its access log.

Daphne writes its access log itself (to stdout, or the ``--access-log`` file), not through
``logging``, so the filter on the handlers in ``settings.LOGGING`` never sees those lines. An
HTTP line holds the whole URL: a calendar feed's secret and any ``?token=<jwt>`` (issue 16).
This is Daphne's own command line (same arguments) with a server that redacts the path before
any access logger sees it.
"""

from __future__ import annotations

from typing import Any

from daphne.cli import CommandLineInterface  # type: ignore[import-untyped]
from daphne.server import Server  # type: ignore[import-untyped]

from backend.core.logging import redact


class RedactingServer(Server):
    def log_action(self, protocol: str, action: str, details: dict[str, Any]) -> None:
        if "path" in details:
            details = {**details, "path": redact(str(details["path"]))}
        super().log_action(protocol, action, details)


class RedactingCommandLineInterface(CommandLineInterface):
    server_class = RedactingServer


if __name__ == "__main__":
    RedactingCommandLineInterface.entrypoint()
