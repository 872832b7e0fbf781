"""Adapters at the edge: Redis, PostgreSQL and Kafka."""
