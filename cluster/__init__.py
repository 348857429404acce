"""Entry points and Ray: the `audiorouter` command line, the config (schema, base:, --set), the
training recipe and its resumable run state, cache warming, the tool and reasoner worker pools,
the data-efficiency sweep, Ray job submission and the cluster definitions (deploy/)."""
