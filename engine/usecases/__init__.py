"""Application services: the engine's operations, composed from domain and adapters."""
