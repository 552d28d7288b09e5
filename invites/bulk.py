"""Set-based writes for the bulk services: one statement per chunk, not one per row.

Django's `bulk_update` builds a `CASE WHEN` per row per field, which for the token
refresh costs 20 to 45 times what the database itself needs. Here the new values travel
as arrays (PostgreSQL `unnest`) or one JSON document (SQLite `json_each`) and are joined
to the table in a single `UPDATE ... FROM`. Values go through Django's own field
conversion and are always bound as parameters; other databases use `bulk_update`.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar
from uuid import UUID

from django.db import connections
from django.db.models import DateTimeField, Field, Model
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_init, pre_init

from invites.models import DeliveryStatus, Invite
from invites.tokens import MintedToken

T = TypeVar("T")

# Rows per statement. Large enough that a 100,000-row refresh is a few dozen queries.
CHUNK_SIZE = 5000


def concrete_fields() -> list[Field[Any, Any]]:
    """The invite table's columns, in model order."""
    return [field for field in Invite._meta.concrete_fields if isinstance(field, Field)]


def invite_field(name: str) -> Field[Any, Any]:
    """One of the invite's columns."""
    found = Invite._meta.get_field(name)
    if not isinstance(found, Field):
        raise TypeError(f"Invite.{name} is not a column.")
    return found


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_set_based(using: str = "default") -> bool:
    """Whether this database takes a chunk of values as one parameter in `UPDATE FROM`
    with `RETURNING` (PostgreSQL; SQLite 3.35 and newer)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        return True
    # Django's SQLite backend is the standard library's sqlite3 module.
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)


def in_clause_chunk_size(using: str = "default") -> int:
    """How many values one `field__in=...` lookup built by `values_in` may hold."""
    max_params = connections[using].features.max_query_params
    if is_set_based(using) or max_params is None:
        return CHUNK_SIZE
    return min(CHUNK_SIZE, max_params - 50)


def values_in(values: Sequence[Any], field: Field[Any, Any], using: str = "default") -> Any:
    """The right-hand side of `field__in=` for many values, bound as one parameter.

    SQLite would otherwise cap a chunk at 999 values (one parameter each); PostgreSQL
    parses one array faster than thousands of placeholders.
    """
    connection = connections[using]
    prepped = [field.get_db_prep_value(value, connection, prepared=False) for value in values]
    if connection.vendor == "postgresql":
        # The type comes from the field, the values are bound: nothing is pasted in.
        return RawSQL(f"SELECT unnest(%s::{_array_type(field, using)})", [prepped])  # noqa: S611
    if is_set_based(using):
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(prepped)])
    return prepped


def lock_live_invites(ids: Sequence[UUID], *, using: str = "default") -> dict[UUID, Invite]:
    """Fetch the live invites among `ids`, locking their rows (`FOR UPDATE`) in id order.

    Locking in one global order means two bulk calls over overlapping ids queue up
    behind each other instead of deadlocking.
    """
    found: dict[UUID, Invite] = {}
    id_field = invite_field("id")
    for chunk in chunked(sorted(ids, key=attrgetter("int")), in_clause_chunk_size(using)):
        queryset = (
            Invite.objects.using(using)
            .select_for_update()
            .filter(pk__in=values_in(chunk, id_field, using))
            .order_by("pk")
        )
        found.update((invite.pk, invite) for invite in queryset)
    return found


def live_closure(ids: Sequence[UUID], *, using: str = "default") -> dict[UUID, str]:
    """`{id: state}` for the live invites among `ids`: `"accepted"`, `"declined"` or
    `"open"` (no lock; for error reports)."""
    found: dict[UUID, str] = {}
    id_field = invite_field("id")
    for chunk in chunked(sorted(ids, key=attrgetter("int")), in_clause_chunk_size(using)):
        rows = Invite.objects.using(using).filter(pk__in=values_in(chunk, id_field, using))
        for pk, accepted, declined_at in rows.values_list("pk", "accepted", "declined_at"):
            found[pk] = "accepted" if accepted else "declined" if declined_at else "open"
    return found


# Columns a refresh writes; everything else it reads back unchanged. `sent_at` goes
# back to NULL: the new link has not been emailed yet; `queued_at` says whether its
# email was queued with it; the delivery state starts over for the new link.
REFRESHED_FIELDS = (
    "token_nonce",
    "token_hash",
    "expires_at",
    "updated_at",
    "sent_at",
    "queued_at",
    "delivery_status",
    "delivery_attempts",
    "delivery_error",
)


def fresh_delivery_status(queued_at: datetime | None) -> DeliveryStatus:
    """A new link's delivery state: `queued` when its email was queued with it."""
    return DeliveryStatus.NOT_SENT if queued_at is None else DeliveryStatus.QUEUED


def refresh_tokens(
    ids: Sequence[UUID],
    minted: Sequence[MintedToken],
    *,
    expires_at: datetime,
    now: datetime,
    queued_at: datetime | None = None,
    using: str = "default",
) -> dict[UUID, Invite]:
    """Store new tokens on the live, open invites among `ids`; return those invites.

    One `UPDATE ... FROM ... RETURNING` per chunk on PostgreSQL and SQLite: the update
    takes the row locks itself (so an accept of the same invite waits for the commit,
    or wins first and the row is skipped), and returns the rows so the caller gets
    full instances without a second query. A separate `SELECT ... FOR UPDATE` first
    would fix the lock order but write every row twice (measured: +15 to 30 % at
    100,000 rows on PostgreSQL). Ids it skipped (unknown, deleted, accepted, declined)
    are simply absent from the result; the caller decides what that means.
    """
    if not is_set_based(using):
        return _refresh_tokens_orm(
            dict(zip(ids, minted, strict=True)),
            expires_at=expires_at,
            now=now,
            queued_at=queued_at,
            using=using,
        )

    connection = connections[using]
    # Only the columns the update leaves alone come back; the written ones are known.
    returned = [field for field in concrete_fields() if field.attname not in REFRESHED_FIELDS]
    names = [field.attname for field in returned]
    id_index = names.index(invite_field("id").attname)
    converters = [
        (index, _converter(column, functions, field, connection))
        for index, ((column, functions), field) in enumerate(
            zip(_converters(returned, using), returned, strict=True)
        )
        if functions and index != id_index
    ]
    sql = _refresh_sql(returned, using)
    when = [
        _db_datetime(expires_at, using),
        _db_datetime(now, using),
        None if queued_at is None else _db_datetime(queued_at, using),
        str(fresh_delivery_status(queued_at)),
    ]
    id_field = invite_field("id")
    written = {
        "expires_at": expires_at,
        "updated_at": now,
        "sent_at": None,
        "queued_at": queued_at,
        "delivery_status": fresh_delivery_status(queued_at),
        "delivery_attempts": 0,
        "delivery_error": "",
    }
    build = _instance_builder(using)
    # (id, its new token) pairs in id order: chunks in one global order, so two
    # overlapping calls meet their chunks in the same order.
    pairs = sorted(zip(ids, minted, strict=True), key=lambda pair: pair[0].int)

    found: dict[UUID, Invite] = {}
    with connection.cursor() as cursor, gc_paused():
        # Within a statement the lock order is the join's: a deadlock is possible and
        # is retried by the service.
        for chunk in chunked(pairs, CHUNK_SIZE):
            db_ids = [id_field.get_db_prep_value(pk, connection) for pk, _token in chunk]
            params: list[Any]
            if connection.vendor == "postgresql":
                nonces = [token.nonce for _pk, token in chunk]
                digests = [token.digest for _pk, token in chunk]
                params = [*when, db_ids, nonces, digests]
            else:
                sent = [
                    [db_id, t.nonce, t.digest]
                    for db_id, (_pk, t) in zip(db_ids, chunk, strict=True)
                ]
                params = [*when, json.dumps(sent)]
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not rows:
                continue
            # Column by column: most columns need no conversion, or are all NULL.
            columns = [list(column) for column in zip(*rows, strict=True)]
            # The returned id is the value sent: map it back instead of converting it.
            sent_as = dict(zip(db_ids, chunk, strict=True))
            refreshed = [sent_as[db_id] for db_id in columns[id_index]]
            columns[id_index] = [pk for pk, _token in refreshed]
            for index, convert in converters:
                columns[index] = [None if v is None else convert(v) for v in columns[index]]
            for values, (pk, token) in zip(zip(*columns, strict=True), refreshed, strict=True):
                attrs = dict(zip(names, values, strict=True), **written)
                attrs["token_nonce"] = token.nonce
                attrs["token_hash"] = token.digest
                found[pk] = build(attrs)
    return found


def _converter(
    column: Any, functions: Sequence[Converter], field: Field[Any, Any], connection: Any
) -> Callable[[Any], Any]:
    """One column's from-database conversion, as the ORM applies it.

    Date-times are remembered per raw value: the invites of one batch often share
    them (one `created_at` per `create_invites` call), and a `datetime` is immutable.
    Other values (a JSON document is a fresh, mutable object) are converted each time.
    """

    def convert(value: Any) -> Any:
        for function in functions:
            value = function(value, column, connection)
        return value

    if not isinstance(field, DateTimeField):
        return convert
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = convert(value)
            return converted

    return remembered


def _instance_builder(using: str) -> Callable[[dict[str, Any]], Invite]:
    """Turn a row's `{attname: python value}` (every column) into a loaded `Invite`.

    The same as `Invite.from_db(using, names, values)`, without the per-field
    `setattr` of `Model.__init__`: the instance is made as unpickling makes one
    (`__new__`, then its `__dict__`). That is only the same when nothing observes
    `__init__`, so with a `pre_init`/`post_init` receiver for `Invite`, or an
    overridden `from_db`, it goes through `from_db`.
    """
    if (
        pre_init.has_listeners(Invite)
        or post_init.has_listeners(Invite)
        or getattr(Invite.from_db, "__func__", None) is not getattr(Model.from_db, "__func__", None)
    ):
        names = [field.attname for field in concrete_fields()]

        def through_from_db(attrs: dict[str, Any]) -> Invite:
            return Invite.from_db(using, names, [attrs[name] for name in names])

        return through_from_db

    new = Invite.__new__

    def build(attrs: dict[str, Any]) -> Invite:
        invite = new(Invite)
        state = ModelState()
        state.adding = False
        state.db = using
        attrs["_state"] = state
        invite.__dict__ = attrs
        return invite

    return build


def _refresh_sql(fields: Sequence[Field[Any, Any]], using: str) -> str:
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(Invite._meta.db_table)

    def col(name: str) -> str:
        return quote(invite_field(name).column)

    returning = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    if connection.vendor == "postgresql":
        source = "unnest(%s::uuid[], %s::varchar[], %s::varchar[]) AS v(id, nonce, digest)"
    else:
        source = (
            "(SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS nonce, "
            "json_extract(value, '$[2]') AS digest FROM json_each(%s)) AS v"
        )
    return (
        f"UPDATE {table} SET {col('token_nonce')} = v.nonce, {col('token_hash')} = v.digest, "
        f"{col('expires_at')} = %s, {col('updated_at')} = %s, {col('queued_at')} = %s, "
        f"{col('delivery_status')} = %s, {col('delivery_attempts')} = 0, "
        f"{col('delivery_error')} = '', {col('sent_at')} = NULL "
        f"FROM {source} "
        f"WHERE {table}.{col('id')} = v.id AND {table}.{col('deleted_at')} IS NULL "
        f"AND NOT {table}.{col('accepted')} AND {table}.{col('declined_at')} IS NULL "
        f"RETURNING {returning}"
    )


Converter = Callable[[Any, Any, Any], Any]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch builds many long-lived objects.

    Building 100,000 instances otherwise triggers repeated full collections that walk
    every object in the process (measured: a quarter of the refresh's own time). The
    loop creates no reference cycles, so nothing is left for the collector to miss.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _converters(fields: Sequence[Field[Any, Any]], using: str) -> list[tuple[Any, list[Converter]]]:
    """Django's own from-database converters of each field, as the ORM would apply them."""
    connection = connections[using]
    result = []
    for field in fields:
        column = field.get_col(Invite._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        result.append((column, functions))
    return result


def _refresh_tokens_orm(
    by_id: Mapping[UUID, MintedToken],
    *,
    expires_at: datetime,
    now: datetime,
    queued_at: datetime | None,
    using: str,
) -> dict[UUID, Invite]:
    """The same as `refresh_tokens` through the ORM, for databases without `UPDATE FROM`."""
    found = {
        pk: invite
        for pk, invite in lock_live_invites(list(by_id), using=using).items()
        if invite.is_open
    }
    for pk, invite in found.items():
        invite.token_nonce = by_id[pk].nonce
        invite.token_hash = by_id[pk].digest
        invite.expires_at = expires_at
        invite.updated_at = now
        invite.sent_at = None
        invite.queued_at = queued_at
        invite.delivery_status = fresh_delivery_status(queued_at)
        invite.delivery_attempts = 0
        invite.delivery_error = ""
    Invite.all_objects.using(using).bulk_update(
        list(found.values()), list(REFRESHED_FIELDS), batch_size=500
    )
    return found


def _db_datetime(value: datetime, using: str) -> object:
    connection = connections[using]
    return invite_field("updated_at").get_db_prep_value(value, connection)


def _array_type(field: Field[Any, Any], using: str) -> str:
    """The PostgreSQL array type of a field's column: `varchar(254)` -> `varchar[]`."""
    connection = connections[using]
    # A foreign key's db_type is its target's column type.
    return f"{str(field.db_type(connection)).split('(')[0]}[]"


def insert_invites(invites: Sequence[Invite], *, using: str = "default") -> None:
    """Insert new invites, one statement per chunk; like `bulk_create` without its limits."""
    if not is_set_based(using):
        Invite.objects.using(using).bulk_create(invites, batch_size=500)
    else:
        fields = concrete_fields()
        connection = connections[using]
        _insert_rows(
            Invite,
            fields,
            (
                [f.get_db_prep_save(getattr(invite, f.attname), connection) for f in fields]
                for invite in invites
            ),
            using=using,
        )
        for invite in invites:
            invite._state.adding = False
            invite._state.db = using


def insert_invite_groups(pairs: Sequence[tuple[UUID, int]], *, using: str = "default") -> None:
    """Insert `(invite id, group id)` rows of `Invite.groups`, one statement per chunk."""
    through: Any = Invite.groups.through
    if not is_set_based(using):
        rows = [through(invite_id=invite_id, group_id=group_id) for invite_id, group_id in pairs]
        through._default_manager.using(using).bulk_create(rows, batch_size=500)
        return
    connection = connections[using]
    invite_column = through._meta.get_field("invite")
    group_column = through._meta.get_field("group")
    _insert_rows(
        through,
        [invite_column, group_column],
        (
            [
                invite_column.get_db_prep_save(invite_id, connection),
                group_column.get_db_prep_save(group_id, connection),
            ]
            for invite_id, group_id in pairs
        ),
        using=using,
    )


def _insert_rows(
    model: Any,
    fields: Sequence[Field[Any, Any]],
    rows: Iterable[list[Any]],
    *,
    using: str,
) -> None:
    """`INSERT ... SELECT` of prepared rows: arrays (PostgreSQL) or a JSON document (SQLite)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{_array_type(f, using)}" for f in fields)
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"
    else:
        extracts = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(fields)))
        sql = f"INSERT INTO {table} ({columns}) SELECT {extracts} FROM json_each(%s)"
    with connection.cursor() as cursor:
        for chunk in chunked(list(rows), CHUNK_SIZE):
            if connection.vendor == "postgresql":
                cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
            else:
                cursor.execute(sql, [json.dumps(list(chunk))])
