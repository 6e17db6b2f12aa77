"""Several ``standin serve`` replicas serving one sandbox through Redis (``--redis URL``).

The package of the scale-out: ``limits`` (rate-limit counters shared by the replicas) and
``journal`` (the request journal shared by the replicas).
"""
