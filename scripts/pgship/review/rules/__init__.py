"""Review rules: one module per rule, named after its id (see pgship.review.registry)."""
