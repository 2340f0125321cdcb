"""The publish stage: one build of every output (orchestrator), the work area and its atomic
swaps (workarea), the teacher edition beside the build (aside), ``dist/`` (dist), the
published outputs checked against the source (verify) and one-off packets (packet)."""
