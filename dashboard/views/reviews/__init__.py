"""Reviews pages (navigation section "Reviews"): Sentiment, Explain, Drivers."""
