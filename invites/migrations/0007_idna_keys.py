"""Re-key every invite: `email_key` now writes the domain in its IDNA (punycode) form.

Two open invites into one target whose emails were different keys before and are one
now (`x@ex\u0430mple.com` and `x@xn--exmple-4nf.com`) would break the open-invite
uniqueness. The migration does not choose between them: it refuses, changing nothing,
and names every such group, so that an operator deletes or declines all but one of
each and runs `migrate` again. An email whose key would outgrow the column (254
characters) is refused the same way.
"""

import unicodedata

from django.core.management.base import CommandError
from django.db import migrations

from invites.addresses import email_key

BATCH_SIZE = 2000
KEY_LENGTH = 254


def old_key(email):
    return unicodedata.normalize("NFKC", email).casefold()


def rekey_with(key_of):
    def rekey(apps, schema_editor):
        Invite = apps.get_model("invites", "Invite")
        rows = Invite._base_manager.using(schema_editor.connection.alias)
        changed = []
        open_by_key = {}
        too_long = []
        fields = (
            "pk", "email", "email_key", "accepted", "declined_at", "deleted_at",
            "target_type_id", "target_id",
        )
        for pk, email, key, accepted, declined_at, deleted_at, target_type, target_id in (
            rows.order_by("pk").values_list(*fields).iterator(chunk_size=BATCH_SIZE)
        ):
            new = key_of(email)
            if len(new) > KEY_LENGTH:
                too_long.append(f"{pk} ({email})")
                continue
            if new != key:
                changed.append((pk, new))
            if not accepted and declined_at is None and deleted_at is None:
                group = open_by_key.setdefault((new, target_type, target_id), [])
                group.append(f"{pk} ({email})")
        duplicates = [group for group in open_by_key.values() if len(group) > 1]
        if duplicates or too_long:
            lines = ["Cannot re-key the invites' emails; nothing was changed."]
            if duplicates:
                lines.append(
                    "These open invites are now for one mailbox and one target (a domain "
                    "and its punycode spelling); delete or decline all but one of each "
                    "group, then run migrate again:"
                )
                lines.extend("  " + ", ".join(group) for group in duplicates)
            if too_long:
                lines.append(
                    "These invites' emails are longer than 254 characters once the domain "
                    "is in punycode; delete them, then run migrate again:"
                )
                lines.extend("  " + row for row in too_long)
            raise CommandError("\n".join(lines))
        for start in range(0, len(changed), BATCH_SIZE):
            batch = [Invite(pk=pk, email_key=new) for pk, new in changed[start : start + BATCH_SIZE]]
            rows.bulk_update(batch, ["email_key"])

    return rekey


class Migration(migrations.Migration):
    dependencies = [
        ("invites", "0006_admin_jobs"),
    ]

    operations = [
        migrations.RunPython(rekey_with(email_key), rekey_with(old_key), elidable=False),
    ]
