"""Petitions and their history in the service's own database."""
