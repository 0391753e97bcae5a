"""Data pages (navigation section "Data"): Upload, Data."""
