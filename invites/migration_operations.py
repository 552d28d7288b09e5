"""Migration operations of the app that behave per database."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _change_concurrently(
    operation: migrations.AddIndex | migrations.RemoveIndex,
    schema_editor: Any,
    app_label: str,
    state: Any,
    index: Any,
    *,
    add: bool,
) -> None:
    """Add or drop `index` of the operation's model `CONCURRENTLY` (PostgreSQL only).

    `state` is the project state in which the model (and, for a drop, the index) exists.
    """
    model = state.apps.get_model(app_label, operation.model_name)
    if not operation.allow_migrate_model(schema_editor.connection.alias, model):
        return
    if add:
        schema_editor.add_index(model, index, concurrently=True)
    else:
        schema_editor.remove_index(model, index, concurrently=True)


def _on_postgresql(schema_editor: Any) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class AddIndexConcurrently(migrations.AddIndex):
    """`AddIndex` that PostgreSQL builds `CONCURRENTLY`, so writes to a large table go on
    meanwhile; elsewhere a plain `AddIndex`. Its migration must be `atomic = False`.

    (`django.contrib.postgres.operations.AddIndexConcurrently` refuses other databases.)
    """

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        _change_concurrently(self, schema_editor, app_label, to_state, self.index, add=True)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        _change_concurrently(self, schema_editor, app_label, from_state, self.index, add=False)


class RemoveIndexConcurrently(migrations.RemoveIndex):
    """`RemoveIndex` that PostgreSQL drops `CONCURRENTLY`; elsewhere a plain one."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _on_postgresql(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        _change_concurrently(self, schema_editor, app_label, from_state, index, add=False)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if not _on_postgresql(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
        _change_concurrently(self, schema_editor, app_label, to_state, index, add=True)
