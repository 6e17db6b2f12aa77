"""``make bench``: the Atmotube fake against a bare Starlette app, measured with wrk."""
