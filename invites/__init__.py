"""Invitations for Django: create, refresh and resend, accept, delete."""
