"""The run agent: the only process that starts submission containers.

It imports no Django and no platform model. It holds an agent credential, a broker URL limited
to the run queues, and a scratch/cache folder; it asks the platform's agent API
(/api/agent/v1/) for everything else: the job's spec, its inputs (by content hash), the image
when its engine lacks it. It sends back the output bundle, heartbeats and the outcome.
"""

__all__: list[str] = []
