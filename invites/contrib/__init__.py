"""Integrations with optional packages; the core never imports them."""
