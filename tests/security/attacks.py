"""The hostile jobs of the battery, by category; SECURITY.md lists each with its bound.

Bounds are on the sandbox-side duration (queueing excluded) and leave room for a loaded
2-core machine: the point is "the host stopped it", not speed. Probes print one line per
check, which the cases then assert.
"""

from __future__ import annotations

import gzip
import json
import re
import textwrap
from collections.abc import Callable, Mapping

from orchestrator.executor.api import ExecutionResult, ExecutionStatus
from tests.security.battery import (
    GVISOR,
    HOST_SECRETS,
    LIMITS,
    SENTINEL,
    Attack,
    HostFacts,
    ResultCheck,
)

S = ExecutionStatus
KILL_GRACE_S = 10.0  # the container is killed this soon after the limit, even under load
REPORTED_S = 45.0  # a crash, an OOM or a refusal is reported this soon (not at the timeout)
MIB = 1024 * 1024
# What a refused system call returns: Docker's seccomp profile answers EPERM; gVisor
# implements the calls itself and refuses with the error its own checks reach first
# (e.g. EINVAL for a user namespace in a threaded process, ENODEV for perf events).
GVISOR_REFUSALS = {"EACCES", "ENOSYS", "EAFNOSUPPORT", "EINVAL", "ENODEV"}
REFUSED = {"EPERM"} | (GVISOR_REFUSALS if GVISOR else set())


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def count_below(pattern: str, limit: int) -> ResultCheck:
    """The number the code printed (group 1 of pattern) is positive and under the limit."""

    def check(result: ExecutionResult) -> None:
        match = re.search(pattern, result.stdout)
        assert match, f"no {pattern!r} in {result.stdout!r}"
        assert 0 < int(match.group(1)) < limit, match.group(0)

    return check


def probe_lines(expected: Mapping[str, set[str]]) -> ResultCheck:
    """Each probe printed `label: OUTCOME` once, with an allowed outcome."""

    def check(result: ExecutionResult) -> None:
        seen = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
        for label, allowed in expected.items():
            assert label in seen, f"probe {label} did not report: {result.stdout!r}"
            assert seen[label] in allowed, f"{label}: {seen[label]} (allowed: {allowed})"

    return check


def streams_capped(result: ExecutionResult) -> None:
    assert len(result.stdout.encode()) + len(result.stderr.encode()) <= LIMITS.max_stream_bytes
    assert len(result.images) <= LIMITS.max_images


# Time ------------------------------------------------------------------------------------

TIME = [
    Attack(
        "spin-loop",
        "while True:\n    pass\n",
        S.TIMEOUT,
        timeout_s=3,
        bound_s=3 + KILL_GRACE_S,
        ename="Timeout",
    ),
    Attack(
        "sleep-past-limit",
        "import time\ntime.sleep(10_000)\n",
        S.TIMEOUT,
        timeout_s=3,
        bound_s=3 + KILL_GRACE_S,
        ename="Timeout",
    ),
    Attack(
        "signals-ignored",
        code("""
            import signal, time
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            while True:
                try:
                    time.sleep(1)
                except KeyboardInterrupt:
                    pass
            """),
        S.TIMEOUT,
        timeout_s=3,
        bound_s=3 + KILL_GRACE_S,
        ename="Timeout",
    ),
    Attack(
        "blocking-input",
        "answer = input('name? ')\n",
        S.ERROR,
        bound_s=REPORTED_S,
        ename="StdinNotImplementedError",
    ),
    Attack(
        "stdin-read",
        "import sys\nprint('stdin gave', len(sys.stdin.read()), 'chars')\n",
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=("stdin gave 0 chars",),
    ),
]

# Processes -------------------------------------------------------------------------------

FORK_COUNT = Attack(
    "fork-until-refused",
    code("""
        import errno, os, time
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
                children += 1
        except OSError as exc:
            print("fork refused after", children, "children:", errno.errorcode[exc.errno])
        """),
    S.OK,
    bound_s=REPORTED_S,
    under_gvisor=(S.OOM,),  # each guest process costs gVisor memory: the memory limit stops it
    stdout_has=("EAGAIN",),
    check=count_below(r"after (\d+) children", LIMITS.pids_limit),
)
FORK_BOMB = Attack(
    "fork-bomb",
    code("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """),
    S.TIMEOUT,
    timeout_s=5,
    bound_s=5 + 2 * KILL_GRACE_S,  # killing 256 spinning processes takes a moment
    under_gvisor=(S.TIMEOUT, S.OOM),  # each guest process costs gVisor memory
    ename="Timeout",
)
THREAD_BOMB = Attack(
    "thread-bomb",
    code("""
        import threading, time
        threads = 0
        try:
            while True:
                threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
                threads += 1
        except RuntimeError as exc:
            print("thread start refused after", threads, "threads:", exc)
        """),
    S.OK,
    timeout_s=30,
    bound_s=30 + 2 * KILL_GRACE_S,
    # gVisor keeps making threads until the time limit, or, beside other hostile jobs,
    # until its own thread limit ends the kernel
    under_gvisor=(S.TIMEOUT, S.CRASHED),
    check=count_below(r"after (\d+) threads", LIMITS.pids_limit),
)
KILL_ALL = Attack(
    "kill-minus-one",
    "import os, signal\nos.kill(-1, signal.SIGKILL)\n",
    S.CRASHED,
    bound_s=REPORTED_S,
    ename="SandboxCrashed",
)
SEGFAULT = Attack(
    "ctypes-segfault",
    "import ctypes\nctypes.string_at(0)\n",
    S.CRASHED,
    bound_s=REPORTED_S,
    ename="KernelDied",
)
OS_EXIT = Attack(
    "os-exit-0",
    "import os\nprint('half way')\nos._exit(0)\nprint('never')\n",
    S.CRASHED,
    bound_s=REPORTED_S,
    ename="KernelDied",
)
PROCESSES = [
    FORK_COUNT,
    FORK_BOMB,
    THREAD_BOMB,
    KILL_ALL,
    Attack(
        "sigkill-pid-1",
        code("""
            import os, signal, time
            os.kill(1, signal.SIGKILL)  # the kernel protects a namespace's init from this
            time.sleep(1)
            print("pid 1 alive:", os.path.exists("/proc/1"))
            """),
        S.OK,
        bound_s=REPORTED_S,
        under_gvisor=(S.CRASHED,),  # gVisor lets the signal end PID 1, and so the container
        stdout_has=("pid 1 alive: True",),
    ),
    Attack(
        "sigterm-pid-1",
        "import os, signal, time\nos.kill(1, signal.SIGTERM)\ntime.sleep(30)\n",
        S.CRASHED,
        bound_s=REPORTED_S,
        ename="SandboxCrashed",
    ),
    Attack(
        "kill-parent",
        "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)\n",
        S.CRASHED,
        bound_s=REPORTED_S,
        ename="SandboxCrashed",
    ),
    OS_EXIT,
    SEGFAULT,
    Attack(
        "sys-exit",
        "import sys\nsys.exit(0)\n",
        S.ERROR,
        bound_s=REPORTED_S,
        ename="SystemExit",
    ),
    Attack(
        "orphaned-daemons",
        code("""
            import os, subprocess
            subprocess.Popen(["sleep", "100000"], start_new_session=True)
            if os.fork() == 0:
                os.setsid()
                while True:
                    pass
            print("left a sleeper and a spinner behind")
            """),
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=("left a sleeper and a spinner behind",),
    ),
    Attack(
        "file-descriptors",
        code("""
            import errno
            files = []
            try:
                while True:
                    files.append(open("/dev/null"))
            except OSError as exc:
                print("open refused after", len(files), "files:", errno.errorcode[exc.errno])
            """),
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=("EMFILE",),
        check=count_below(r"after (\d+) files", LIMITS.nofile),
    ),
]

# Memory ----------------------------------------------------------------------------------

HUGE_ALLOCATION = Attack(
    "huge-allocation",
    "blob = b'x' * (4 * 1024**3)\n",
    S.OOM,
    timeout_s=120,
    bound_s=90,
)
APPEND_LOOP = Attack(
    "append-loop",
    "hog = []\nwhile True:\n    hog.append(b'x' * 50_000_000)\n",
    S.OOM,
    timeout_s=120,
    bound_s=90,
)
MEMORY = [
    HUGE_ALLOCATION,
    APPEND_LOOP,
    Attack(
        "enormous-figure",
        code("""
            import matplotlib.pyplot as plt
            plt.figure(figsize=(600, 600), dpi=100)  # 60000 x 60000 px to rasterise
            plt.plot([1, 2])
            """),
        S.OOM,
        timeout_s=120,
        bound_s=90,
    ),
    Attack(
        "hog-in-a-child",
        code("""
            import subprocess, sys
            child = subprocess.run([sys.executable, "-c", "b = b'x' * (4 * 1024**3)"])
            print("child exit", child.returncode)
            """),
        S.OK,
        timeout_s=120,
        bound_s=90,
        under_gvisor=(S.OOM,),  # the host sees one process, gVisor's, and kills it
        stdout_has=("child exit -9",),
    ),
]

# Disk ------------------------------------------------------------------------------------


def fill(directory: str, attempt_mib: int) -> str:
    """Code that writes 16 MiB files into directory until refused or attempt_mib is written."""
    return code(f"""
        import errno, os
        written = 0
        try:
            for i in range({attempt_mib} // 16):
                fd = os.open(f"{directory}/fill-{{i}}", os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    for _ in range(16):
                        os.write(fd, bytes(1 << 20))
                        written += 1
                finally:
                    os.close(fd)
            print("{directory} took", written, "MiB without refusing")
        except OSError as exc:
            print("{directory} stopped at", written, "MiB:", errno.errorcode[exc.errno])
        """)


READ_ONLY_PATHS = (
    "/etc/ppb-probe",
    "/usr/ppb-probe",
    "/ppb-probe",
    "/var/ppb-probe",
    "/opt/venv/lib/python3.11/site-packages/ppb_probe.py",
    "/opt/sandbox/sandbox_server/server.py",
)


def stopped_within(cap_mib: int) -> ResultCheck:
    return count_below(r"stopped at (\d+) MiB: ENOSPC", cap_mib + 1)


FILL_TMP = Attack(
    "fill-tmp",
    fill("/tmp", 1024),
    S.OK,
    bound_s=REPORTED_S,
    check=stopped_within(256),
)
FILL_SHM = Attack(
    "fill-dev-shm",
    fill("/dev/shm", 1024),
    S.OK,
    bound_s=REPORTED_S,
    check=stopped_within(64),
)
DISK = [
    FILL_TMP,
    Attack(
        "fill-home",
        fill("/home/sandbox", 1024),
        S.OK,
        bound_s=REPORTED_S,
        check=stopped_within(128),
    ),
    FILL_SHM,
    # The socket directory is a host directory: nothing but the socket may go there.
    Attack(
        "fill-socket-dir",
        fill("/run/sandbox", 320),
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=("/run/sandbox stopped at 0 MiB: EACCES",),
    ),
    Attack(
        "write-read-only-paths",
        code(f"""
            import errno
            for path in {READ_ONLY_PATHS!r}:
                try:
                    with open(path, "a"):
                        print(f"{{path}}: WRITABLE")
                except OSError as exc:
                    print(f"{{path}}: " + errno.errorcode[exc.errno])
            """),
        S.OK,
        bound_s=REPORTED_S,
        # A new file is refused as EROFS; an existing root-owned one may be EACCES first,
        # and gVisor checks permissions before the read-only mount.
        check=probe_lines(
            {path: {"EROFS"} | ({"EACCES"} if GVISOR else set()) for path in READ_ONLY_PATHS}
            | {READ_ONLY_PATHS[-1]: {"EROFS", "EACCES"}}
        ),
    ),
]


# Output ----------------------------------------------------------------------------------

STDOUT_FLOOD = Attack(
    "stdout-flood",
    "while True:\n    print('x' * 1_000_000)\n",
    S.ERROR,
    bound_s=REPORTED_S,
    # gVisor delivers the interrupt late: the kernel's queued output may hit the memory limit
    under_gvisor=(S.ERROR, S.OOM),
    ename="OutputLimitExceeded",
    check=streams_capped,
)
FD_FLOOD = Attack(
    "fd-level-flood",
    "import subprocess\nsubprocess.run(['head', '-c', '3000000000', '/dev/zero'])\n",
    S.ERROR,
    bound_s=REPORTED_S,
    ename="OutputLimitExceeded",
    check=streams_capped,
)
FIGURE_FLOOD = Attack(
    "figure-flood",
    code("""
        import matplotlib.pyplot as plt
        for i in range(2000):
            plt.figure()
            plt.plot([0, i])
            plt.show()
        """),
    S.ERROR,
    bound_s=REPORTED_S,
    ename="OutputLimitExceeded",
    stdout_has=(),
    check=streams_capped,
)
PIXEL_BOMB = Attack(
    "pixel-bomb-png",
    code("""
        import io
        from PIL import Image as Picture
        from IPython.display import Image, display
        buffer = io.BytesIO()
        Picture.new("1", (6000, 6000), 1).save(buffer, format="PNG")  # 36 Mpx in ~16 kB
        display(Image(data=buffer.getvalue(), format="png"))
        """),
    S.ERROR,
    bound_s=REPORTED_S,
    ename="OutputLimitExceeded",
)
FAKE_PNG = Attack(
    "not-a-png",
    "from IPython.display import display\ndisplay({'image/png': 'bm90IGEgcG5n'}, raw=True)\n",
    S.ERROR,
    bound_s=REPORTED_S,
    ename="OutputLimitExceeded",
)


def _evalue_has(text: str) -> ResultCheck:
    def check(result: ExecutionResult) -> None:
        assert result.error is not None and text in result.error.evalue, result.error

    return check


OUTPUT = [
    STDOUT_FLOOD,
    Attack(
        "stderr-flood",
        "import sys\nwhile True:\n    sys.stderr.write('e' * 65536)\n",
        S.ERROR,
        bound_s=REPORTED_S,
        ename="OutputLimitExceeded",
        check=streams_capped,
    ),
    FD_FLOOD,
    Attack(
        "container-log-flood",
        code("""
            with open("/proc/1/fd/1", "wb") as log:
                for _ in range(200):
                    log.write(b"y" * (1 << 20) + b"\\n")
            print("wrote 200 MiB to the container log")
            """),
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=("wrote 200 MiB to the container log",),
    ),
    FIGURE_FLOOD,
    Attack(
        "open-figure-flood",
        code("""
            import matplotlib.pyplot as plt
            for i in range(40):
                plt.figure()
                plt.plot([0, i])
            """),
        S.ERROR,
        timeout_s=120,
        bound_s=2 * REPORTED_S,  # the inline backend renders 33 figures before one is refused
        ename="OutputLimitExceeded",
        check=_evalue_has(f"more than {LIMITS.max_images} images"),
    ),
    Attack(
        "unshown-figure-flood",
        code("""
            import matplotlib
            matplotlib.use("Agg")  # nothing is shown: the end-of-cell harvest finds them
            import matplotlib.pyplot as plt
            for i in range(40):
                plt.figure()
                plt.plot([0, i])
            """),
        S.ERROR,
        bound_s=REPORTED_S,  # counted and refused before any is rendered
        ename="OutputLimitExceeded",
        check=_evalue_has(f"40 open figures, over the {LIMITS.max_images} images left"),
    ),
    PIXEL_BOMB,
    Attack(
        "oversized-png",
        code("""
            import io, os
            from PIL import Image as Picture
            from IPython.display import Image, display
            buffer = io.BytesIO()
            noise = Picture.frombytes("RGB", (1800, 1800), os.urandom(1800 * 1800 * 3))
            noise.save(buffer, format="PNG")  # ~9.7 MB of incompressible pixels
            display(Image(data=buffer.getvalue(), format="png"))
            """),
        S.ERROR,
        bound_s=REPORTED_S,
        ename="OutputLimitExceeded",
        check=_evalue_has(f"over the limit of {LIMITS.png_max_bytes}"),
    ),
    FAKE_PNG,
]

# Network ---------------------------------------------------------------------------------

PROBE = code("""
    import errno, socket, time, urllib.error, urllib.request

    def probe(label, action):
        started = time.monotonic()
        try:
            action()
            outcome = "CONNECTED"
        except urllib.error.URLError as exc:
            outcome = type(exc.reason).__name__
        except socket.gaierror:
            outcome = "gaierror"
        except OSError as exc:
            outcome = errno.errorcode.get(exc.errno, str(exc))
        if time.monotonic() - started > 2.0:  # every socket below waits up to 10 s
            outcome += " (slow)"
        print(f"{label}: {outcome}")

    def tcp(host, port):
        socket.create_connection((host, port), timeout=10).close()

    def udp(host, port):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(10)
            sock.sendto(b"ppb", (host, port))
            sock.recvfrom(16)
    """)
UNREACHABLE = {"ENETUNREACH"} | ({"EHOSTUNREACH"} if GVISOR else set())
NO_ROUTE = UNREACHABLE | {"EADDRNOTAVAIL", "EAFNOSUPPORT"}  # IPv6: no address at all
NO_NAMES = {"gaierror"}


def network_attack(name: str, probes: Mapping[str, tuple[str, set[str]]]) -> Attack:
    """probes: label -> (an expression that connects, the outcomes that mean blocked)."""
    body = "".join(f"probe({label!r}, lambda: {action})\n" for label, (action, _) in probes.items())
    return Attack(
        name,
        PROBE + body,
        S.OK,
        bound_s=REPORTED_S,
        check=probe_lines({label: allowed for label, (_, allowed) in probes.items()}),
    )


def network_attacks(facts: HostFacts) -> list[Attack]:
    gateway, host = facts.gateway, facts.host_ip
    ports = (80, 2375, facts.executor_port, facts.probe_port)
    return [
        network_attack(
            "egress-http-dns-udp",
            {
                "http://pypi.org": (
                    "urllib.request.urlopen('http://pypi.org/simple/', timeout=10)",
                    NO_NAMES,
                ),
                "151.101.0.223:80": ("tcp('151.101.0.223', 80)", UNREACHABLE),
                "[2606:4700:4700::1111]:80": ("tcp('2606:4700:4700::1111', 80)", NO_ROUTE),
                "getaddrinfo pypi.org": ("socket.getaddrinfo('pypi.org', 443)", NO_NAMES),
                "resolv.conf nameserver": (
                    "udp(open('/etc/resolv.conf').read().split('nameserver')[1].split()[0], 53)",
                    UNREACHABLE,
                ),
                "8.8.8.8:53/udp": ("udp('8.8.8.8', 53)", UNREACHABLE),
                "1.1.1.1:443/udp": ("udp('1.1.1.1', 443)", UNREACHABLE),
            },
        ),
        network_attack(
            "host-gateway-metadata-services",
            {
                **{
                    f"{gateway}:{port}": (f"tcp({gateway!r}, {port})", UNREACHABLE)
                    for port in ports
                },
                "169.254.169.254:80": ("tcp('169.254.169.254', 80)", UNREACHABLE),
                "169.254.169.254:53/udp": ("udp('169.254.169.254', 53)", UNREACHABLE),
                # The sandbox's loopback is its own: the executor's port there is closed.
                f"127.0.0.1:{facts.executor_port}": (
                    f"tcp('127.0.0.1', {facts.executor_port})",
                    {"ECONNREFUSED"},
                ),
                **{f"{host}:{port}": (f"tcp({host!r}, {port})", UNREACHABLE) for port in ports},
                f"{host}:{facts.probe_port}/udp": (
                    f"udp({host!r}, {facts.probe_port})",
                    UNREACHABLE,
                ),
            },
        ),
        Attack(
            "other-sandboxes",
            code(f"""
                import errno, os, socket
                print("interfaces:", sorted(os.listdir("/sys/class/net")))
                try:
                    print("socket dir:", sorted(os.listdir("/run/sandbox")))
                except OSError as exc:
                    print("socket dir:", errno.errorcode[exc.errno])
                print("host socket root visible:", os.path.exists({str(facts.socket_root)!r}))
                for peer in ("172.17.0.2", "172.17.0.3", "10.0.0.2"):
                    try:
                        socket.create_connection((peer, 8888), timeout=10).close()
                        print(peer, "CONNECTED")
                    except OSError as exc:
                        print(peer, exc.errno in (101, 113) and "unreachable" or exc)
                """),
            S.OK,
            bound_s=REPORTED_S,
            stdout_has=(
                "interfaces: ['lo']",
                "socket dir: EACCES",  # closed to the sandbox once it is ready
                "host socket root visible: False",
                "172.17.0.2 unreachable",
                "172.17.0.3 unreachable",
                "10.0.0.2 unreachable",
            ),
        ),
    ]


# Privilege -------------------------------------------------------------------------------

SYSCALL = code("""
    import ctypes, errno
    libc = ctypes.CDLL(None, use_errno=True)

    def syscall(label, number, *args):
        ctypes.set_errno(0)
        result = libc.syscall(number, *args)
        print(f"{label}: " + ("ALLOWED" if result >= 0 else errno.errorcode[ctypes.get_errno()]))
    """)
# Tools run as the sandbox user; any that printed uid 0 would report ROOT.
TOOLS = code("""
    import shutil, subprocess

    def tool(label, command):
        if shutil.which(command.split()[0]) is None:
            print(f"{label}: absent")
            return
        run = subprocess.run(command, shell=True, input="\\n", capture_output=True, text=True,
                             timeout=20)
        root = any(line.strip() == "0" for line in run.stdout.splitlines())
        print(f"{label}: " + ("ROOT" if root else "refused" if run.returncode else "ran"))
    """)


# This gVisor build (2022) lets these through, inside its user-space kernel: the mount
# namespace and the device node exist only in the Sentry, which has no host device behind them.
ALLOWED_BY_GVISOR = {"unshare(CLONE_NEWNS)", "mknod char device"}


def probe_attack(
    name: str,
    syscalls: Mapping[str, str] | None = None,
    tools: Mapping[str, tuple[str, set[str]]] | None = None,
) -> Attack:
    """syscalls: label -> libc.syscall arguments, each must be refused;
    tools: label -> (a shell command, its allowed outcomes)."""
    syscalls, tools = syscalls or {}, tools or {}
    body = "".join(f"syscall({label!r}, {args})\n" for label, args in syscalls.items())
    body += "".join(f"tool({label!r}, {command!r})\n" for label, (command, _) in tools.items())
    expected = {
        label: REFUSED | ({"ALLOWED"} if GVISOR and label in ALLOWED_BY_GVISOR else set())
        for label in syscalls
    }
    expected |= {label: allowed for label, (_, allowed) in tools.items()}
    return Attack(
        name, SYSCALL + TOOLS + body, S.OK, bound_s=REPORTED_S, check=probe_lines(expected)
    )


def capabilities_none(result: ExecutionResult) -> None:
    status = dict(line.split(":\t", 1) for line in result.stdout.splitlines() if ":\t" in line)
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        if field in status:  # gVisor does not show CapAmb
            assert int(status[field], 16) == 0, (field, status[field])
    assert int(status["CapEff"], 16) == 0
    if not GVISOR:  # gVisor's /proc shows neither; its own syscall filter is always on
        assert status["NoNewPrivs"].strip() == "1"
        assert status["Seccomp"].strip() == "2"  # a filter is installed


KERNEL_FILES = (
    "/proc/sysrq-trigger",
    "/proc/sys/kernel/hostname",
    "/proc/sys/vm/drop_caches",
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    "/sys/fs/cgroup/pids/pids.max",
    "/sys/fs/cgroup/ppb-probe",
    "/sys/kernel/uevent_helper",
)

PRIVILEGE = [
    Attack(
        "no-engine-socket",
        code("""
            import os, stat
            engine = ("docker.sock", "containerd", "dockershim", "podman", "crio")
            mounts = open("/proc/self/mountinfo").read()
            print("engine mounts:", [word for word in engine if word in mounts])
            sockets = []
            for top in ("/run", "/var", "/tmp", "/home", "/dev", "/etc", "/opt/sandbox"):
                for directory, _, files in os.walk(top):
                    for name in files:
                        path = os.path.join(directory, name)
                        try:
                            if stat.S_ISSOCK(os.lstat(path).st_mode):
                                sockets.append(path)
                        except OSError:
                            pass
            print("sockets:", sockets)
            print("known paths:", [p for p in ("/var/run/docker.sock", "/run/docker.sock",
                  "/run/containerd/containerd.sock", "/var/run/docker") if os.path.exists(p)])
            """),
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=(
            "engine mounts: []",
            "sockets: []",  # its own socket's directory is closed to it once it is ready
            "known paths: []",
        ),
    ),
    probe_attack(
        "privilege-escalation",
        syscalls={
            "setuid(0)": "105, 0",
            "setgid(0)": "106, 0",
            "setresuid(0,0,0)": "117, 0, 0, 0",
            "setgroups([0])": "116, 1, (ctypes.c_uint * 1)(0)",
        },
        tools={
            "su": ("su -c 'id -u' root", {"refused"}),
            "sudo": ("sudo -n id -u", {"absent", "refused"}),
            "newgrp": ("newgrp root", {"refused"}),
            "passwd": ("passwd -d root", {"refused"}),
            "setuid mount": ("mount -t tmpfs none /tmp && id -u", {"refused"}),
        },
    ),
    probe_attack(
        "namespaces-and-mounts",
        syscalls={
            "unshare(CLONE_NEWUSER)": "272, 0x10000000",
            "unshare(CLONE_NEWNS)": "272, 0x00020000",
            "unshare(CLONE_NEWNET)": "272, 0x40000000",
            "mount tmpfs": "165, b'none', b'/tmp', b'tmpfs', 0, None",
            "mount proc": "165, b'proc', b'/tmp', b'proc', 0, None",
            "bind mount /": "165, b'/', b'/tmp', None, 4096, None",
            "umount /run/sandbox": "166, b'/run/sandbox', 2",
        },
        tools={
            # gVisor may grant a user namespace of its own (inside the Sentry): uid 0 there
            "unshare -r": ("unshare -r id -u", {"refused"} | ({"ROOT"} if GVISOR else set())),
            "unshare -m": ("unshare -m id -u", {"refused"}),
        },
    ),
    probe_attack(
        "kernel-attack-surface",
        syscalls={
            "bpf(BPF_MAP_CREATE)": "321, 0, 0, 0",
            "keyctl": "250, 0, 0, 0, 0, 0",
            "add_key": "248, b'user', b'ppb', b'secret', 6, -2",
            "request_key": "249, b'user', b'ppb', None, -2",
            "perf_event_open": "298, 0, 0, -1, -1, 0",
            "raw socket": "41, 2, 3, 1",  # socket(AF_INET, SOCK_RAW, ICMP)
            "packet socket": "41, 17, 3, 0",  # socket(AF_PACKET, SOCK_RAW)
            "mknod char device": "133, b'/tmp/mem', 0o20600, (1 << 8) | 1",
            "chroot": "161, b'/tmp'",
            "init_module": "175, None, 0, b''",
            "reboot": "169, 0xFEE1DEAD, 672274793, 0x1234567, None",
        },
    ),
    Attack(
        "proc-self-status",
        "print(open('/proc/self/status').read())\n",
        S.OK,
        bound_s=REPORTED_S,
        check=capabilities_none,
    ),
    Attack(
        "kernel-interfaces",
        code(f"""
            import errno
            for path in {KERNEL_FILES!r}:
                try:
                    with open(path, "w") as target:
                        target.write("1")
                    print(f"{{path}}: WRITTEN")
                except OSError as exc:
                    print(f"{{path}}: " + errno.errorcode[exc.errno])
            """),
        S.OK,
        bound_s=REPORTED_S,
        check=probe_lines({path: {"EROFS", "EACCES", "ENOENT", "EPERM"} for path in KERNEL_FILES}),
    ),
    Attack(
        "oom-score-floor",
        code("""
            for value in ("-1000", "-1"):
                try:
                    with open("/proc/self/oom_score_adj", "w") as adj:
                        adj.write(value)
                except OSError as exc:
                    print("refused", value, exc.errno)
            print("oom_score_adj:", open("/proc/self/oom_score_adj").read().strip())
            """),
        S.OK,
        bound_s=REPORTED_S,
        check=lambda r: _oom_score_not_negative(r),
    ),
]


def _oom_score_not_negative(result: ExecutionResult) -> None:
    match = re.search(r"oom_score_adj: (-?\d+)", result.stdout)
    assert match, result.stdout
    if not GVISOR:  # gVisor's /proc keeps its own value; the host's score is untouched
        assert int(match.group(1)) >= 0, result.stdout


# Hostile dataset files -------------------------------------------------------------------


def gzip_bomb(mib: int) -> bytes:
    """A CSV of `mib` MiB in about 1 kB per MiB: gzip members may simply be concatenated."""
    block = gzip.compress(b"1,2\n" * (1 << 18), compresslevel=9)
    return gzip.compress(b"a,b\n") + block * mib


DATASET = [
    Attack(
        "gzip-bomb-csv",
        "import pandas as pd\ndf = pd.read_csv('data.csv.gz')\n",
        S.OOM,
        timeout_s=120,
        bound_s=90,
        files={"data.csv.gz": gzip_bomb(1024)},  # 1 MiB on the wire, 1 GiB of rows
    ),
]

# Secrets ---------------------------------------------------------------------------------

ENVIRONMENT_DUMP = Attack(
    "environment",
    code("""
        import json, os
        environs = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    environs[pid] = open(f"/proc/{pid}/environ", "rb").read().decode("latin-1")
                except OSError:
                    pass
        print(json.dumps({"kernel": dict(os.environ), "processes": environs}))
        """),
    S.OK,
    bound_s=REPORTED_S,
)


def filesystem_search(needles: tuple[str, ...]) -> Attack:
    """Reads every small file outside the Python install and /proc, /sys; reports needles."""
    return Attack(
        "filesystem",
        code(f"""
            import os
            needles = [n.encode() for n in {needles!r}]
            hits, scanned = [], 0
            for top in ("/etc", "/home", "/root", "/tmp", "/run", "/var", "/opt/sandbox",
                        "/srv", "/mnt", "/media", "/dev/shm"):
                for directory, _, files in os.walk(top):
                    for name in files:
                        path = os.path.join(directory, name)
                        try:
                            if os.path.islink(path) or os.path.getsize(path) > 4 << 20:
                                continue
                            data = open(path, "rb").read()
                        except OSError:
                            continue
                        scanned += 1
                        hits += [(path, n.decode()) for n in needles if n in data]
            print("scanned", scanned, "files; hits:", hits)
            """),
        S.OK,
        bound_s=REPORTED_S,
        stdout_has=("hits: []",),
        check=count_below(r"scanned (\d+) files", 1_000_000),
    )


def parse_environment_dump(result: ExecutionResult) -> dict[str, dict[str, str]]:
    parsed: dict[str, dict[str, str]] = json.loads(result.stdout)
    return parsed


# The kernel's environment: the image's ENV, Docker's HOSTNAME, what ipykernel adds.
KERNEL_ENVIRONMENT = {
    "PATH", "HOSTNAME", "LANG", "HOME", "MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR",
    "JUPYTER_PLATFORM_DIRS", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "JPY_PARENT_PID",
    "PYDEVD_USE_FRAME_EVAL", "TERM", "CLICOLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "PAGER",
    "GIT_PAGER", "MPLBACKEND",
}  # fmt: skip


def secret_attacks(facts: HostFacts) -> list[Attack]:
    return [ENVIRONMENT_DUMP, filesystem_search((SENTINEL, "EXECUTOR_TOKEN", *HOST_SECRETS))]


# Category -> its attacks (some aim at the host's addresses, hence the facts).
CATALOGUE: dict[str, Callable[[HostFacts], list[Attack]]] = {
    "time": lambda _: TIME,
    "processes": lambda _: PROCESSES,
    "memory": lambda _: MEMORY,
    "disk": lambda _: DISK,
    "output": lambda _: OUTPUT,
    "dataset": lambda _: DATASET,
    "network": network_attacks,
    "privilege": lambda _: PRIVILEGE,
    "secrets": secret_attacks,
}
