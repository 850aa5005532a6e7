"""The story engine: online clustering of articles into stories, storylines and
sub-stories. ``engine`` holds the in-memory algorithm (also used by the evaluation
harness); ``service`` wires it to the database."""

from storyline.cluster.engine import Assignment, ClusterEngine, EngineConfig
from storyline.cluster.represent import ArticleRep, TermStats

__all__ = ["ArticleRep", "Assignment", "ClusterEngine", "EngineConfig", "TermStats"]
