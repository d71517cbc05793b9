"""Path converters. Ids longer than a 64-bit integer would make PostgreSQL raise, so the
URL doesn't match them at all and the client gets a plain 404."""


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
