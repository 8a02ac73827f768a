"""The migration that retires the PostgreSQL fast path: every `blindrate_rate_<hash>`
function goes, whatever its arguments, and nothing else."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from tests.conftest import needs_postgresql

drop = importlib.import_module("ratings.migrations.0004_drop_rate_functions")


def functions(prefix: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oid::regprocedure::text FROM pg_proc WHERE starts_with(proname, %s)", [prefix]
        )
        return {signature for (signature,) in cursor.fetchall()}


@needs_postgresql
@pytest.mark.django_db
def test_every_fast_path_function_left_in_the_database_is_dropped():
    with connection.cursor() as cursor:
        for name, arguments in [
            ("blindrate_rate_0abc", "p_study bigint, p_key text"),
            ("blindrate_rate_0abc", "p_study bigint"),  # an overload: the same name
            ("blindrate_rate_91ff", ""),
            ("blindrate1rate2x", ""),  # the underscores of the pattern are not wildcards
            ("blindrate_other", ""),
        ]:
            cursor.execute(
                f"CREATE FUNCTION {name}({arguments}) RETURNS int LANGUAGE sql AS 'SELECT 1'"
            )
    assert len(functions("blindrate_rate_")) == 3
    with connection.schema_editor() as editor:
        drop.drop_rate_functions(apps, editor)
    assert functions("blindrate") == {"blindrate1rate2x()", "blindrate_other()"}
    with connection.schema_editor() as editor:
        drop.drop_rate_functions(apps, editor)  # nothing left to drop: no error
