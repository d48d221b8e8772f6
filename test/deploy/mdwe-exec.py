"""Runs a command with memory that is never both writable and executable, enforced by the kernel.

PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3+): no mapping can become executable after it was
writable, and the setting is inherited across fork and execve. It is what systemd's
MemoryDenyWriteExecute=yes enforces (where the kernel has it). Exit 77 when the kernel lacks it.

    python3 mdwe-exec.py COMMAND [ARG...]
"""
import ctypes
import os
import sys

PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1

libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    print(f"mdwe-exec: PR_SET_MDWE refused (errno {ctypes.get_errno()})", file=sys.stderr)
    sys.exit(77)
os.execvp(sys.argv[1], sys.argv[1:])
