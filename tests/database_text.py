"""Every row of every table of the test database, as text: for tests that search the
database itself for what must, or must not, be stored there."""

from django.db import connection

from therapy.encryption import PREFIX, decrypt


def stored_text(*, decrypted: bool) -> str:
    """With `decrypted`, encrypted values are shown decrypted: what the database holds
    for anyone with the keys. Without it, exactly what is on disk."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema
            for row in cursor.fetchall():
                if decrypted:
                    row = tuple(
                        decrypt(cell) if isinstance(cell, str) and cell.startswith(PREFIX) else cell
                        for cell in row
                    )
                rows.append(repr(row))
    return "\n".join(rows)
