"""Judge-free figure metrics: a generated figure's description scored against the ground
truth's (scores.py), with CIEDE2000 colour distances (colour.py)."""
