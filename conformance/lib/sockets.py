"""Unix-socket peers of the runtime: the console socket (terminal: true) and
a seccomp agent for listenerPath (SCMP_ACT_NOTIFY)."""
import os
import select
import socket
import threading
import time


class _Server:
    def __init__(self, ctx, name):
        ctx._n += 1
        self.path = ctx.path("%d-%s" % (ctx._n, name))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        if ctx.rootless:
            # connect(2) needs write permission on the socket file.
            os.chown(self.path, ctx.rootless.uid, ctx.rootless.gid)
        self.sock.listen(4)
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        ctx.defer(self.close)
        self.thread.start()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def join(self, timeout=5):
        self.thread.join(timeout)


class ConsoleSocket(_Server):
    """Receives the pty master over SCM_RIGHTS and reads everything the
    container writes to its terminal."""

    def __init__(self, ctx):
        self.master = None
        self.output = b""
        self.got_fd = threading.Event()
        self.eof = threading.Event()
        super().__init__(ctx, "console.sock")

    def _serve(self):
        try:
            self.sock.settimeout(30)
            conn, _ = self.sock.accept()
            with conn:
                msg, fds, _, _ = socket.recv_fds(conn, 4096, 4)
                if not fds:
                    self.error = "no fd received on the console socket (message %r)" % msg
                    return
                self.master = fds[0]
                for extra in fds[1:]:
                    os.close(extra)
            self.got_fd.set()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r, _, _ = select.select([self.master], [], [], 0.2)
                if not r:
                    continue
                try:
                    data = os.read(self.master, 4096)
                except OSError:  # EIO once the slave side is closed
                    break
                if not data:
                    break
                self.output += data
        except Exception as e:
            self.error = repr(e)
        finally:
            self.got_fd.set()
            self.eof.set()

    def close(self):
        super().close()
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
            self.master = None

    def text(self, timeout=10):
        self.eof.wait(timeout)
        return self.output.decode(errors="replace").replace("\r\n", "\n")


class SeccompAgent(_Server):
    """Accepts connections on listenerPath and records each message: the
    JSON payload, the received fds, and whether the runtime closed the
    connection after the one state. Closing the notify fd makes the
    notified syscalls fail with ENOSYS, so the container is not left blocked."""

    def __init__(self, ctx):
        self.messages = []
        self.done = threading.Event()
        super().__init__(ctx, "seccomp.sock")

    def _serve(self):
        try:
            self.sock.settimeout(30)
            conn, _ = self.sock.accept()
            with conn:
                conn.settimeout(10)
                data = b""
                fds_all = []
                first_fds = None
                closed = True
                while True:
                    try:
                        msg, fds, _, _ = socket.recv_fds(conn, 65536, 8)
                    except socket.timeout:
                        closed = False
                        break
                    if first_fds is None:
                        first_fds = list(fds)
                    fds_all.extend(fds)
                    if not msg:
                        break
                    data += msg
                self.messages.append({"data": data, "fds": len(fds_all),
                                      "fds_in_first": len(first_fds or []), "closed": closed})
                for fd in fds_all:
                    os.close(fd)
        except Exception as e:
            self.error = repr(e)
        finally:
            self.done.set()
