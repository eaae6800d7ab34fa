"""A two-node Ray cluster on this machine, in a process of its own, for the Ray engine's tests and benchmark.

Never in the test process: Ray's native threads outlive ``ray.shutdown()`` and its crash handler
replaces Python's (see core/runs/engines/ray.py), which made the rest of the suite crash with no word.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

CLUSTER = """
import os
import sys
from ray.cluster_utils import Cluster

nodes = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
nodes.add_node(num_cpus=2)
nodes.wait_for_nodes()
print(nodes.address, nodes.head_node.node_id, flush=True)
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # nothing more for the caller, who reads no more
sys.stdin.read()  # until the caller closes it
nodes.shutdown()
"""


@dataclass(frozen=True)
class TwoNodes:
    address: str  # what `--ray-address` takes
    head: str  # the head node's id (the other node is the second one)


@contextmanager
def two_nodes(earmark_home: str) -> Iterator[TwoNodes]:
    """Two Ray nodes of 2 CPUs each on loopback, their workers reading models under ``earmark_home``.

    Without Ray's token authentication (RAY_AUTH_MODE=disabled, which drivers joining it must set too):
    a driver sends this computer's token when it has one (left by any `ray start --head`), which a
    cluster started without token authentication refuses ("the actor never ran").
    """
    env = {**os.environ, "EARMARK_HOME": earmark_home, "RAY_BACKEND_LOG_LEVEL": "error", "RAY_AUTH_MODE": "disabled"}
    process = subprocess.Popen([sys.executable, "-c", CLUSTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, env=env)  # fmt: skip
    try:
        address, head = process.stdout.readline().split()
        yield TwoNodes(address, head)
    finally:
        process.stdin.close()
        process.wait(timeout=120)
