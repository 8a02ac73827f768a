"""Drop the PostgreSQL functions of the retired fast path (`blindrate_rate_<hash>`).

The rating page ran its usual request as a PL/pgSQL function created after every
`migrate`, one per version of its body; the services in `ratings.services` are now the
only implementation, and nothing creates or calls those functions. Every one left is
found in pg_proc by its name and dropped with its signature. On SQLite there is nothing
to drop.
"""

from django.db import migrations

FUNCTIONS = (
    "SELECT p.oid::regprocedure::text FROM pg_proc p"
    " JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE p.proname LIKE 'blindrate\\_rate\\_%' AND n.nspname = current_schema()"
)


def drop_rate_functions(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(FUNCTIONS)
        signatures = [signature for (signature,) in cursor.fetchall()]
        for signature in signatures:
            # regprocedure's text is the function's name and argument types, quoted.
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature}")


class Migration(migrations.Migration):
    dependencies = [("ratings", "0003_fewer_indexes")]

    operations = [
        migrations.RunPython(drop_rate_functions, migrations.RunPython.noop, elidable=True),
    ]
