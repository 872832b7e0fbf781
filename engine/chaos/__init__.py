"""`nuanxin chaos`: faults on a seeded schedule under load, then the books checked."""
