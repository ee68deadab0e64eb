"""The one image every engine runs: a busybox rootfs built here from Debian's busybox-static
(no registry is reachable), as a plain tarball for `podman import`/`docker import` and as an OCI
image-layout archive for `ctr images import`. Entries have fixed owners and mtimes, so the
image digest is the same on every run with the same busybox."""

import hashlib
import io
import json
import os
import subprocess
import tarfile

IMAGE = "localhost/swiftlet-engines/busybox:test"

PASSWD = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = b"root:x:0:\nnogroup:x:65534:\n"
DIRECTORIES = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "tmp",
               "root", "home", "run", "var", "var/tmp", "mnt"]


def static_busybox(path="/bin/busybox"):
    described = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout
    if not os.access(path, os.X_OK) or "statically linked" not in described and "static-pie" not in described:
        raise RuntimeError(f"{path} is not a static busybox (install busybox-static)")
    return path


def rootfs_tar(busybox):
    """The rootfs as the bytes of an uncompressed tar."""
    buffer = io.BytesIO()
    applets = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True).stdout.split()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def entry(name, kind, mode, data=b"", link=""):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.uid, info.gid, info.mtime = kind, mode, 0, 0, 0
            info.linkname = link
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)

        made = set()
        for d in DIRECTORIES + sorted({os.path.dirname(a) for a in applets} - {""}):
            if d not in made:
                made.add(d)
                mode = 0o1777 if d in ("tmp", "var/tmp") else 0o700 if d == "root" else 0o755
                entry(d, tarfile.DIRTYPE, mode)
        with open(busybox, "rb") as f:
            entry("bin/busybox", tarfile.REGTYPE, 0o755, f.read())
        for applet in sorted(set(applets) - {"bin/busybox"}):
            entry(applet, tarfile.SYMTYPE, 0o777, link="/bin/busybox")
        entry("etc/passwd", tarfile.REGTYPE, 0o644, PASSWD)
        entry("etc/group", tarfile.REGTYPE, 0o644, GROUP)
        entry("etc/hosts", tarfile.REGTYPE, 0o644, b"")
        # Not executable, for the permission-denied scenario.
        entry("etc/motd", tarfile.REGTYPE, 0o644, b"not a program\n")
    return buffer.getvalue()


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_archive(layer, name=IMAGE, architecture="amd64"):
    """An OCI image layout (index, manifest, config, one uncompressed layer) as tar bytes;
    the index names the image the way `ctr images import` reads it."""
    config = json.dumps({
        "architecture": architecture, "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [_digest(layer)]},
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": _digest(layer), "size": len(layer)}],
    }, sort_keys=True).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": _digest(manifest),
            "size": len(manifest), "platform": {"architecture": architecture, "os": "linux"},
            "annotations": {"io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]},
        }],
    }, sort_keys=True).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for blob in (layer, config, manifest):
            add("blobs/sha256/" + _digest(blob)[len("sha256:"):], blob)
    return buffer.getvalue()


def write_images(directory):
    """Writes rootfs.tar and oci.tar into directory; returns their paths."""
    layer = rootfs_tar(static_busybox())
    architecture = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    rootfs, oci = os.path.join(directory, "rootfs.tar"), os.path.join(directory, "oci.tar")
    with open(rootfs, "wb") as f:
        f.write(layer)
    with open(oci, "wb") as f:
        f.write(oci_archive(layer, architecture=architecture))
    return rootfs, oci
