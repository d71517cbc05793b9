"""``backend/`` (the domain, the API, the worker) imports nothing from ``bots/`` (the Telegram
interface), except through the bot's one documented door, ``bots/webhook.py``.

The bot depends on the domain, never the other way round: the worker sends with
``backend/telegram/`` (client, rate limiter, callback data), so it runs without the bot's
handlers, and a change to the bot cannot break it. Every import statement counts, also those
inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Module (relative path) -> the bots modules it may import, and why.
ALLOWED = {
    # The webhook view hands each update to the bot running inside the web process.
    "backend/telegram/views.py": {"bots.webhook"},
    # Registering the webhook also publishes the bot's command menu.
    "backend/telegram/management/commands/set_telegram_webhook.py": {"bots.webhook"},
}


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module an ``import`` names; ``from a import b`` counts as ``a`` and ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def bots_imports(path: Path) -> set[str]:
    modules = imported_modules(ast.parse(path.read_text(), filename=str(path)))
    return {name for name in modules if name == "bots" or name.startswith("bots.")}


def test_backend_imports_nothing_from_bots_but_its_one_door() -> None:
    wrong = {}
    for path in sorted((ROOT / "backend").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        allowed = ALLOWED.get(relative, set())
        # ``from bots import webhook`` names ``bots`` too; that alone is no import of more.
        extra = bots_imports(path) - allowed - ({"bots"} if allowed else set())
        if extra:
            wrong[relative] = sorted(extra)
    assert wrong == {}


def test_the_check_sees_imports_inside_functions_and_every_form() -> None:
    source = (
        "import bots.app\n"
        "def f():\n"
        "    from bots import bridge\n"
        "    from bots.keyboards import button\n"
    )
    assert imported_modules(ast.parse(source)) >= {"bots.app", "bots.bridge", "bots.keyboards"}


def test_the_allowed_exceptions_still_exist_and_still_need_it() -> None:
    # A stale exception would let the next import through unnoticed.
    for relative, allowed in ALLOWED.items():
        assert bots_imports(ROOT / relative) - {"bots"} == allowed, relative
