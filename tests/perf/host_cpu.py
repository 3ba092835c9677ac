"""The whole machine's busy CPU time, from /proc/stat: how much of the cores a path used."""

from __future__ import annotations

import os

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def busy_cpu_s() -> float:
    """CPU-seconds spent since boot, over all cores, in user, nice, system, irq and softirq
    (not idle, iowait or time a hypervisor stole)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / TICKS_PER_S
