"""`make report`: the analytics queries as one self-contained HTML page of charts (never ships to Lambda)."""
