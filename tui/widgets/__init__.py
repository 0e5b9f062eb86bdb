"""Widgets that only show things; the screen feeds them."""
