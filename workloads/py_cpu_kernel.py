"""py_cpu_kernel.py - workloads/cpu_kernel.h in Python, bit for bit:
xorshift64 folded into an FNV-style hash. tests/test_python_models.py
checks it against the C kernel (cbench run serial cpu), so it cannot
diverge unnoticed. Python integers do not wrap: the left shifts and the
product are masked to 64 bits."""

from lib.py_checksum import FNV1A_OFFSET, FNV1A_PRIME, MASK64, checksum_mix


def seed_of_task(tid):
    """cpu.c's seed: checksum_mix(0, id) | 1 (xorshift needs x != 0)."""
    return checksum_mix(0, tid) | 1, FNV1A_OFFSET


def run(x, h, iterations):
    """`iterations` steps of the kernel from state (x, h); the new state.
    Locals only, one loop: the fastest pure-Python form of the kernel."""
    mask, prime = MASK64, FNV1A_PRIME
    for _ in range(iterations):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        h = ((h ^ x) * prime) & mask
    return x, h
