"""The conformance harness: an API's contract suite against any live target.

It knows no fake: it reads ``contracts/<api>.yaml`` and a target profile per API
(``standin.check.profiles``), and talks HTTP. The public names live in ``runner``
(``run_check``, ``CheckOptions``), ``report``, ``pacing`` and ``credentials``; nothing is
imported here, so that ``standin serve`` never pays for importing schemathesis.
"""
