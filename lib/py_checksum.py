"""py_checksum.py - cbench's two folds in Python, bit for bit as lib/fnv.h
and workloads/common.c compute them, so a Python run's checksum equals the
C run's for the same work. Python integers do not wrap: every product is
masked to 64 bits, which is what C's uint64_t arithmetic does."""

MASK64 = (1 << 64) - 1
FNV1A_OFFSET = 0xcbf29ce484222325   # the hash of nothing
FNV1A_PRIME = 0x100000001b3


def fnv1a_fold(h, v):
    """Fold one value (a byte, or the cpu kernel's word) into h."""
    return ((h ^ v) * FNV1A_PRIME) & MASK64


def fnv1a(h, data):
    """Fold the bytes of data into h (FNV1A_OFFSET to start a hash)."""
    for byte in data:
        h = ((h ^ byte) * FNV1A_PRIME) & MASK64
    return h


def checksum_mix(h, v):
    """The order-sensitive fold of workloads/common.c (a splitmix64 finaliser)."""
    z = h ^ ((v + 0x9e3779b97f4a7c15 + ((h << 6) & MASK64) + (h >> 2)) & MASK64)
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK64
    return z ^ (z >> 31)


def run_checksum(workload_name, task_checksums):
    """The run's checksum as bench/run.c folds it: from the workload's name,
    the tasks' checksums in id order, printed as 16 hex digits."""
    h = fnv1a(FNV1A_OFFSET, workload_name.encode())
    for c in task_checksums:
        h = checksum_mix(h, c & MASK64)
    return "%016x" % h
