"""refmap: map what news articles say about places, with provenance down to the sentence."""

__version__ = "0.1.0"
