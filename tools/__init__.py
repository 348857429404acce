"""Audio tools behind one `Tool` protocol (tools/base.py), their registry, executor and result
cache; plus the two things every layer above shares: the typed-config helper (sections.py) and
the user-facing error (errors.py). No Ray, no reasoner, no RL here."""
