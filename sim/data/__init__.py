"""The data layer: one data dictionary, records → tables, datasets on disk.

:mod:`sim.data.schema` documents every column and checks tables against it;
:mod:`sim.data.tables` derives the tables from a run's plain records;
:mod:`sim.data.dataset` saves and loads them (Parquet + manifest, atomic
writes); :mod:`sim.data.schema_docs` renders the dictionary as Markdown. The
data layer never imports the world.
"""
