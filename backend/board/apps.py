from django.apps import AppConfig


class BoardConfig(AppConfig):
    name = "backend.board"
    label = "board"
    verbose_name = "Live shift board"

    def ready(self) -> None:
        # The board row each published event carries is read by a query compiled once per
        # process; compile it at start, not in the first event (backend/core/compiled.py).
        from backend.board.selectors import prepare_board_rows

        prepare_board_rows()
