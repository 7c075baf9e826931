"""A small Python client for berth's gRPC API.

It uses Debian's python3-grpcio and python3-protobuf, and compiles berth's
.proto files with protoc (protobuf-compiler) at run time into a cache folder,
so nothing generated is kept in the repository and the stubs always match
the protos beside them. Every service of every file is bound generically
from its descriptor: a new RPC needs no change here.

    client = Berth("unix:/run/berth/berth.sock", namespace="default")
    client.containers.Create(id="web", process={"args": ["httpd", "-f"]})

Run as a script, it drives one container through its life and checks the
events it saw (see demo below): python3 berth_client.py --socket PATH
"""

import argparse
import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc

PROTO_DIR = Path(__file__).resolve().parents[2] / "proto"
NAMESPACE_HEADER = "berth-namespace"


def compile_protos(proto_dir=PROTO_DIR, cache_dir=None):
    """Compiles proto_dir's berth/v1 files to Python modules (once per
    content: the cache folder is named by their hash) and returns the folder
    to put on sys.path."""
    files = sorted((proto_dir / "berth" / "v1").glob("*.proto"))
    if not files:
        raise FileNotFoundError(f"no .proto files under {proto_dir}/berth/v1")
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    base = Path(cache_dir or os.environ.get("BERTH_PY_CACHE") or Path.home() / ".cache" / "berth-python")
    out = base / digest.hexdigest()[:16]
    if not (out / "berth" / "v1").is_dir():
        tmp = base / f"tmp-{os.getpid()}"
        tmp.mkdir(parents=True, exist_ok=True)
        # An argument list, never a shell string.
        subprocess.run(
            ["protoc", f"--proto_path={proto_dir}", f"--python_out={tmp}", *[str(f.relative_to(proto_dir)) for f in files]],
            check=True,
        )
        # protoc writes no __init__.py; namespace packages find the modules.
        try:
            tmp.rename(out)
        except OSError:
            # Another process compiled the same protos first.
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def load_modules(proto_dir=PROTO_DIR, cache_dir=None):
    out = str(compile_protos(proto_dir, cache_dir))
    if out not in sys.path:
        sys.path.insert(0, out)
    names = [f.stem for f in sorted((proto_dir / "berth" / "v1").glob("*.proto"))]
    return {name: importlib.import_module(f"berth.v1.{name}_pb2") for name in names}


class _Service:
    """One gRPC service, each method a callable taking a request message (or
    its fields as keywords) and the namespace header added to every call."""

    def __init__(self, channel, descriptor, classes, metadata):
        self._metadata = metadata
        for method in descriptor.methods:
            path = f"/{descriptor.full_name}/{method.name}"
            request_class = classes[method.input_type.full_name]
            response_class = classes[method.output_type.full_name]
            kind = {
                (False, False): channel.unary_unary,
                (False, True): channel.unary_stream,
                (True, False): channel.stream_unary,
                (True, True): channel.stream_stream,
            }[(method.client_streaming, method.server_streaming)]
            callable_ = kind(path, request_serializer=request_class.SerializeToString, response_deserializer=response_class.FromString)
            setattr(self, method.name, self._bind(callable_, request_class, method.client_streaming))

    def _bind(self, callable_, request_class, client_streaming):
        def call(request=None, timeout=None, **fields):
            if not client_streaming and request is None:
                request = request_class(**fields)
            return callable_(request, timeout=timeout, metadata=self._metadata)

        call.request_class = request_class
        return call


class Berth:
    """A connection to a berth daemon: containers, events, system, networks
    and every other service in berth's protos, as attributes."""

    def __init__(self, target="unix:/run/berth/berth.sock", namespace="default", proto_dir=PROTO_DIR):
        self.pb = load_modules(proto_dir)
        classes = {}
        for module in self.pb.values():
            for message in module.DESCRIPTOR.message_types_by_name.values():
                classes[message.full_name] = getattr(module, message.name)
        # The well-known types berth's messages use (Timestamp) are not
        # request or response types, so they are not needed here.
        self.channel = grpc.insecure_channel(target)
        metadata = ((NAMESPACE_HEADER, namespace),)
        for module in self.pb.values():
            for service in module.DESCRIPTOR.services_by_name.values():
                # ContainerService -> containers, EventService -> events ...
                attr = {"ContainerService": "containers", "EventService": "events", "SystemService": "system"}.get(service.name)
                attr = attr or service.name.removesuffix("Service").lower() + "s"
                setattr(self, attr, _Service(self.channel, service, classes, metadata))

    def event_name(self, value):
        return self.pb["types"].EventType.Name(value).removeprefix("EVENT_TYPE_").lower().replace("_", "-")

    def close(self):
        self.channel.close()


def demo(socket, namespace, cid):
    """Runs one container's life and checks what berth said about it:
    create and start, an exec with its exit code, stats and pids, pause and
    resume, logs, a signal and the exit it caused, and delete; then the
    events of all of it, in order."""
    b = Berth(f"unix:{socket}", namespace)
    problems = []

    def check(what, ok):
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if not ok:
            problems.append(what)

    version = b.system.Version(timeout=10)
    check(f"version {version.version} with {version.runtime} {version.runtime_version}", bool(version.version))

    events = []
    stream = b.events.Subscribe(container_ids=[cid], timeout=60)
    seen_delete = threading.Event()

    def read_events():
        try:
            for response in stream:
                events.append(b.event_name(response.event.type))
                if events[-1] == "delete":
                    seen_delete.set()
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.CANCELLED:
                problems.append(f"event stream: {err.code().name} {err.details()}")
            seen_delete.set()

    reader = threading.Thread(target=read_events, daemon=True)
    reader.start()

    pb = b.pb
    try:
        run_life(b, pb, cid, check)
    finally:
        # A failed step must not leave the container behind.
        try:
            b.containers.Delete(id=cid, force=True, timeout=30)
        except grpc.RpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
    seen_delete.wait(timeout=15)
    stream.cancel()
    reader.join(timeout=5)
    expected = ["create", "start-container", "start-process", "exit-process", "pause", "resume", "exit", "delete"]
    check(f"events: {events}", events == expected)

    remaining = [c.id for c in b.containers.List(timeout=10).containers if c.id == cid]
    check("nothing left behind", remaining == [])
    b.close()
    return 0 if not problems else 1


def run_life(b, pb, cid, check):
    created = b.containers.Create(
        id=cid,
        process=pb["types"].ProcessSpec(args=["sh", "-c", "trap 'exit 3' TERM; echo hello from python; sleep 600 & wait"]),
        labels={"example": "python"},
        timeout=30,
    )
    check(f"created {cid}: {pb['types'].Status.Name(created.container.status)}, pid {created.container.pid}", created.container.pid > 0)

    added = b.containers.AddProcess(id=cid, process_id="probe", process=pb["types"].ProcessSpec(args=["sh", "-c", "exit 7"]), timeout=30)
    waited = b.containers.Wait(id=cid, process_id="probe", timeout=30)
    check(f"exec {added.process.id} exited {waited.exit_status.exit_code}", waited.exit_status.exit_code == 7)

    stats = b.containers.Stats(id=cid, timeout=10)
    pids = b.containers.ListPids(id=cid, timeout=10)
    check(f"stats: {stats.stats.memory.usage_bytes} bytes of memory, pids {list(pids.pids)}", len(pids.pids) >= 1)

    b.containers.Pause(id=cid, timeout=10)
    paused = b.containers.State(id=cid, timeout=10).container.status
    b.containers.Resume(id=cid, timeout=10)
    resumed = b.containers.State(id=cid, timeout=10).container.status
    check(f"pause then resume: {pb['types'].Status.Name(paused)}, {pb['types'].Status.Name(resumed)}", paused != resumed)

    lines = [r.line.decode() for r in b.containers.Logs(id=cid, stdout=True, stderr=True, timeout=10)]
    check(f"logs: {lines}", "hello from python" in lines)

    b.containers.Signal(id=cid, signal="SIGTERM", timeout=10)
    exited = b.containers.Wait(id=cid, timeout=30)
    # PID 1 of a container ignores a signal it has no handler for: the
    # shell's trap is what turns SIGTERM into exit 3.
    check(f"SIGTERM: exit {exited.exit_status.exit_code}", exited.exit_status.exit_code == 3)

    deleted = b.containers.Delete(id=cid, timeout=30)
    check(f"deleted, exit {deleted.exit_status.exit_code}", deleted.exit_status.exit_code == 3)


def main(argv):
    parser = argparse.ArgumentParser(description="Drive one container's life through berth and check its events.")
    parser.add_argument("--socket", default=os.environ.get("BERTH_SOCKET", "/run/berth/berth.sock"))
    parser.add_argument("--namespace", default=os.environ.get("BERTH_NAMESPACE", "default"))
    parser.add_argument("--id", default=f"python-{os.getpid()}-{int(time.time())}")
    args = parser.parse_args(argv)
    try:
        return demo(args.socket, args.namespace, args.id)
    except grpc.RpcError as err:
        print(f"FAIL {err.code().name}: {err.details()}", flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
