"""Layer 5: the Mesa model (:class:`~simlib.model.model.ElderCareModel`) and its reporters."""

from simlib.model.model import ElderCareModel

__all__ = ["ElderCareModel"]
