"""Pure domain logic: no Redis, Kafka or PostgreSQL imports here."""
