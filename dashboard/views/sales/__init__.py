"""Sales pages (navigation section "Sales"): Overview; the Forecasts page joins here."""
