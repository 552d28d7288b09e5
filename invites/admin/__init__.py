"""The Django admin for invites: every change goes through `invites.services`.

- Adding (the add form, `add_form`) is checked by `check_creatable` and done by
  `create_invites` in `save_model`; the new accept link is shown once.
- The "Resend" button of an invite's page and the action "Refresh tokens and resend"
  call `refresh_invite_tokens`; the button shows the new link once.
- Deleting, from an invite's page or with the bulk action, calls `delete_invites`,
  which soft-deletes.
- Changing an invite edits only its metadata; token, expiry and state change only
  through the services.
- "Import invites" (linked from the list) reads a CSV file or pasted addresses
  (`invites.imports`), shows what `check_import` says of every row, and on
  confirmation creates them with `import_invites`. The confirmation carries the input
  signed, and reads and judges it again: nothing the browser sends back is trusted.

Only documented `ModelAdmin` hooks are overridden, so the admin keeps working as
Django's internals move.
"""

from invites.admin.options import InviteAdmin

__all__ = ["InviteAdmin"]
