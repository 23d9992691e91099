"""Stand-in for pip's get-pip.py in ansible-test's --venv bootstrap.

ansible-test downloads get-pip.py from a host this project's machines cannot
reach; this does the same job with the standard library's ensurepip and then
installs the requested pip version from wheels that `make sanity` downloads
beforehand into ~/.ansible/test/cache/wheels (the freshly bootstrapped pip
cannot verify the package index's certificate in ansible-test's stripped
environment, while the requested pip can).
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    ensurepip.bootstrap(upgrade=True)
    wheels = os.path.expanduser("~/.ansible/test/cache/wheels")
    return subprocess.call([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheels] + args)


if __name__ == "__main__":
    sys.exit(main())
