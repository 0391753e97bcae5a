"""StoreLens engine: storage, import, analytics and models, one package per capability; no UI code lives here.

`import engine` does no work; import the package you need (`engine.store`, `engine.ingest`, `engine.sentiment`...).
"""

__all__ = ["store", "ingest", "analytics", "models", "sentiment", "explain", "forecast", "demo", "cli"]
