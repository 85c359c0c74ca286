"""The screen counts every worker of a running cluster, whatever distributed's default.

Measured before, with distributed 2025.7 to 2026.6 (``Client.scheduler_info(n_workers=5)``:
the first five workers only, dask/distributed#9045): a cluster of 8 (16) workers on one host
was counted as 5 workers per host, so each task ran ``cores // 5`` threads, 8/5 (16/5) times
the cores in all; the GPU of a sixth worker was not seen. Clients of earlier versions (no
``n_workers``, unknown keywords sent on to the scheduler, which refuses them) still work.
"""

import pytest

from ase_electrolyte.screen import engine


def _workers(n_hosts, per_host, gpu_from=None):
    out = {}
    for h in range(n_hosts):
        for w in range(per_host):
            k = len(out)
            resources = {"GPU": 1} if gpu_from is not None and k >= gpu_from else {}
            out[f"tcp://10.0.0.{h + 1}:{4000 + w}"] = {"resources": resources}
    return out


class _Capped:
    """A client of distributed 2025.7-2026.6: five workers unless asked for all."""

    def __init__(self, workers):
        self.workers = workers

    def scheduler_info(self, n_workers=5, **kwargs):
        items = list(self.workers.items())
        return {"workers": dict(items if n_workers == -1 else items[:n_workers])}


class _Old:
    """A client before 2025.7: every worker; a keyword goes to the scheduler, which refuses
    one it does not know."""

    def __init__(self, workers):
        self.workers = workers

    def scheduler_info(self, **kwargs):
        if kwargs:
            raise TypeError(f"identity() got an unexpected keyword argument {list(kwargs)[0]!r}")
        return {"workers": dict(self.workers)}


@pytest.mark.parametrize("client_class", [_Capped, _Old])
@pytest.mark.parametrize("n_hosts, per_host", [(1, 8), (1, 16), (2, 6), (3, 2), (1, 1)])
def test_workers_per_host_counts_every_worker(client_class, n_hosts, per_host):
    client = client_class(_workers(n_hosts, per_host))
    per = engine._workers_per_host(client)
    assert per == {f"tcp://10.0.0.{h + 1}": per_host for h in range(n_hosts)}


@pytest.mark.parametrize("client_class", [_Capped, _Old])
def test_a_gpu_of_the_sixth_worker_onwards_is_seen(client_class):
    client = client_class(_workers(1, 8, gpu_from=6))
    offered = [w.get("resources", {}) for w in engine._all_workers(client).values()]
    assert len(offered) == 8 and sum("GPU" in r for r in offered) == 2
