"""Stream workers (faust): the slower work behind the synchronous edge."""
