"""Commands built on the pipeline: `mt compare` (`compare`) and `mt score` (`score`)."""
