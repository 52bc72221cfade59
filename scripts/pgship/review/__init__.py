"""SQL review: `pgship review` parses migrations with pglast and reports risky statements.

Layout: `engine` runs the rules over each file; `rules/<rule_id>.py` holds one rule each
(found by `registry`); `formats/` renders a report. pglast is imported only by `parse`, so
importing this package is cheap.
"""
