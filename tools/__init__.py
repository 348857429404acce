"""Audio tools behind one `Tool` protocol (tools/base.py); no Ray, no reasoner, no RL here."""
