"""Handlers for the events notification consumes."""
