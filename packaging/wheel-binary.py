"""Takes the puppet-lint binary out of a wheel maturin built (bindings = "bin"
puts it at <name>-<version>.data/scripts/puppet-lint[.exe]), so the npm
package and the release tarball carry the very bytes the wheel does.

    python3 packaging/wheel-binary.py WHEEL OUT_DIR   -> prints OUT_DIR/<exe>
"""

import os
import sys
import zipfile


def main(wheel: str, out: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = [
            n
            for n in archive.namelist()
            if n.split("/")[0].endswith(".data")
            and n.split("/")[1:2] == ["scripts"]
            and os.path.basename(n) in ("puppet-lint", "puppet-lint.exe")
        ]
        if len(names) != 1:
            sys.exit(f"{wheel}: want one puppet-lint in .data/scripts, found {names}")
        os.makedirs(out, exist_ok=True)
        path = os.path.join(out, os.path.basename(names[0]))
        with archive.open(names[0]) as source, open(path, "wb") as target:
            target.write(source.read())
        os.chmod(path, 0o755)
        # Forward slashes: the path goes on to bash, on Windows runners too.
        print(path.replace(os.sep, "/"))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 packaging/wheel-binary.py WHEEL OUT_DIR")
    main(sys.argv[1], sys.argv[2])
