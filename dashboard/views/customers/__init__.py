"""Customers pages (navigation section "Customers"): Segments (learned segments, RFM, churn risk and its reasons),
Recommendations."""
