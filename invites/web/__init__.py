"""The invitee's HTML pages: the accept form behind the emailed link."""
