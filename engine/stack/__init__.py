"""The local development stack: Redis, PostgreSQL and a Kafka-compatible broker."""
