"""Names shared by the scorer, the search, the report and the pages (kept torch-free so importing is cheap)."""

# The two ways a merchant asks for recommendations.
MODES = ("discovery", "replenishment")
# Order of the scorer's terms and of each mode's mixing weights.
TERMS = ("co_purchase", "name_similarity", "category", "price_band", "popularity", "reviews", "repeat")
