"""Errors a caller maps to "bad input" (the CLI's exit 2): the id is not in the model's data."""

from __future__ import annotations


class UnknownCustomerError(LookupError):
    """The customer has no orders in the data the active model was trained on."""


class UnknownProductError(LookupError):
    """The product was never ordered in the data the active model was trained on."""
