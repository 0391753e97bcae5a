"""Models pages (navigation section "Models"): Training of the sentiment model; each family's training joins here."""
