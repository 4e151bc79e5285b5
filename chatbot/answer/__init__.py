"""Answering, one stage per module: screen → rewrite → retrieve → gate → generate → check → render.

`pipeline.py` runs the stages in order; `types.py` holds what they hand on and the one JSON record of
an answer; `refusals.py` holds every rule that turns a question into a refusal.
"""
