"""`python -m runagent [celery worker options]`: start the run agent.

The configuration comes from the environment (runagent.config). Extra arguments go to
`celery worker` (e.g. `-c 2 -n gpu1@%h --logfile agent.log`). The agent consumes only the
run queues named in FORGERYBENCH_AGENT_QUEUES.
"""

from __future__ import annotations

import sys

from .config import AgentConfigError, load_config


def main(argv: list[str] | None = None) -> int:
    try:
        config = load_config()
    except AgentConfigError as exc:
        print(f"runagent: {exc}", file=sys.stderr)
        return 2
    from .celery_app import make_app
    from .presence import announce_start
    from .reaper import clean_at_start

    # Before any message is taken: no job of this agent runs, so whatever its name's
    # containers, mounts and held jobs are, a killed process of it left them.
    clean_at_start(config)
    announce_start(config)
    app = make_app(config)
    args = list(sys.argv[1:] if argv is None else argv)
    app.worker_main(
        [
            "worker",
            "-Q",
            ",".join(config.queues),
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "INFO",
            *args,
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
