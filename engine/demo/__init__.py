"""`nuanxin demo`: the union's Spring Festival programmes, a claim burst and redemptions."""
