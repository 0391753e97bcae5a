"""Customers pages (navigation section "Customers"): Recommendations."""
