"""Layer 0: strict reading, checks and units, and the person table's schema.

Nothing here knows about cities, service lists or the model; every layer above builds on it.
"""
