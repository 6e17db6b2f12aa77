"""Several replicas serving one sandbox through Redis (issue 16); see the modules."""
