"""writer_of tells a reader whether a trajectory or run folder is being written, and by whom,
without taking or blocking the claim (the CLI's analyses refuse a running trajectory with it)."""

import subprocess
import sys
import textwrap

from ase_electrolyte.writer_lock import WriterLock, lock_file, writer_of


def test_no_claim_is_none_and_the_probe_creates_nothing(tmp_path):
    path = tmp_path / "md.h5md"
    assert writer_of(path) is None and writer_of(tmp_path) is None
    assert not lock_file(path).exists() and not list(tmp_path.iterdir())


def test_a_claim_of_this_process_is_named_so_and_the_probe_leaves_it(tmp_path):
    path = tmp_path / "md.h5md"
    with WriterLock(path, "trajectory") as claim:
        assert writer_of(path) == "this process"
        assert claim.held
    assert writer_of(path) is None
    with WriterLock(tmp_path, "run folder"):
        assert writer_of(tmp_path) == "this process"


def test_a_claim_of_another_process_names_its_pid_and_a_writer_may_start_after(tmp_path):
    path = tmp_path / "md.h5md"
    code = textwrap.dedent("""
        import sys
        from ase_electrolyte.writer_lock import WriterLock
        with WriterLock(sys.argv[1], "trajectory"):
            print("HELD", flush=True)
            sys.stdin.readline()
    """)
    child = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "HELD"
        assert writer_of(path).startswith(f"another process (pid {child.pid} on ")
        assert writer_of(path).startswith(f"another process (pid {child.pid} on ")  # again
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=600)
    assert writer_of(path) is None
    with WriterLock(path, "trajectory"):  # the probes left nothing behind
        pass
