"""The HTTP edge: FastAPI routes that authenticate, validate and call the use cases."""
