"""Layer 1: the rules grammar (conditions), benefit kinds, items and lists.

Pure rule objects: nothing here reads a file. :mod:`simlib.params` builds them from YAML.
"""
