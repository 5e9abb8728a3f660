#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""kube-sim pods/exec with python3-kubernetes' stream() (v4.channel.k8s.io) and, for what stream()
cannot do (v5, the stdin close signal, ping, fragments, handshake refusals), websocket-client
through python3-kubernetes' own create_websocket().

Usage: kube_sim_exec.py KUBECONFIG NAMESPACE
Creates NAMESPACE with a pod "target" (containers "main" and "sidecar") and a pod "waiting" whose
image cannot be pulled. Prints one line per check; exits non-zero on the first failure.
"""
import json
import sys
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream
from kubernetes.stream.ws_client import create_websocket
from websocket import ABNF, WebSocketBadStatusException

V4 = "v4.channel.k8s.io"
V5 = "v5.channel.k8s.io"


def fail(message):
    sys.exit("FAIL: " + message)


def check(condition, message):
    if not condition:
        fail(message)


class Raw:
    """A WebSocket to pods/exec with a chosen subprotocol, reading frames one by one."""

    def __init__(self, cfg, namespace, pod, query, protocol):
        url = cfg.host.replace("https://", "wss://") + f"/api/v1/namespaces/{namespace}/pods/{pod}/exec?{query}"
        self.ws = create_websocket(cfg, url, {"sec-websocket-protocol": protocol})
        self.protocol = self.ws.getheaders().get("sec-websocket-protocol")

    def send(self, channel, data=b""):
        self.ws.send_binary(bytes([channel]) + data)

    def frames(self, deadline=10):
        """Yields (opcode, payload) until the server's close frame (included)."""
        self.ws.settimeout(deadline)
        while True:
            opcode, frame = self.ws.recv_data_frame(True)
            yield opcode, frame.data
            if opcode == ABNF.OPCODE_CLOSE:
                return

    def channels(self):
        """Everything up to the close: {channel: bytes}, the close code, and the first message."""
        out, first, code = {}, None, None
        for opcode, data in self.frames():
            if opcode == ABNF.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
                break
            check(opcode == ABNF.OPCODE_BINARY, f"server sent opcode {opcode}, not binary")
            if first is None:
                first = data
            out[data[0]] = out.get(data[0], b"") + data[1:]
        return out, code, first


def stats(v1):
    return v1.api_client.call_api("/sim/stats", "GET", response_type="object", _return_http_data_only=True)


def wait_for(predicate, what, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    fail(f"timed out waiting for {what}")


def pod(name, images):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(containers=[client.V1Container(name=c, image=i) for c, i in images]),
    )


def set_up(v1, ns):
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    v1.create_namespaced_pod(ns, pod("target", [("main", "registry.example.com/exec:1.0"),
                                                ("sidecar", "registry.example.com/exec:1.0")]))
    v1.create_namespaced_pod(ns, pod("waiting", [("main", "registry.example.com/does-not-exist:1.0")]))
    wait_for(lambda: v1.read_namespaced_pod("target", ns).status.phase == "Running", "pod target to run")
    wait_for(lambda: (v1.read_namespaced_pod("waiting", ns).status.container_statuses or [None])[0] is not None,
             "pod waiting to report its container")


def main():
    kubeconfig, ns = sys.argv[1], sys.argv[2]
    config.load_kube_config(config_file=kubeconfig)
    cfg = client.Configuration.get_default_copy()
    v1 = client.CoreV1Api()
    execute = v1.connect_get_namespaced_pod_exec
    set_up(v1, ns)

    # stream() with its defaults: v4, output collected.
    v4_before = stats(v1)["execsV4"]
    out = stream(execute, "target", ns, container="main", command=["echo", "hello", "python"],
                 stdin=False, stdout=True, stderr=True, tty=False)
    check(out == "hello python\n", f"echo gave {out!r}")
    check(stats(v1)["execsV4"] == v4_before + 1, "stream() did not open a v4 session")
    print("stream v4: stdout")

    ws = stream(execute, "target", ns, container="main", command=["stderr", "to", "stderr"],
                stdin=False, stdout=True, stderr=True, tty=False, _preload_content=False)
    ws.run_forever(timeout=10)
    check(ws.read_stderr() == "to stderr\n", "stderr channel")
    check(ws.returncode == 0, f"returncode {ws.returncode} after a successful command")
    print("stream v4: stderr, returncode 0")

    ws = stream(execute, "target", ns, container="main", command=["exit", "42"],
                stdin=False, stdout=True, stderr=True, tty=False, _preload_content=False)
    ws.run_forever(timeout=10)
    check(ws.returncode == 42, f"returncode {ws.returncode}, expected 42")
    print("stream v4: returncode 42")

    # stdin: write, read the echo, close the socket; the command ends with it.
    ws = stream(execute, "target", ns, container="main", command=["cat"],
                stdin=True, stdout=True, stderr=True, tty=False, _preload_content=False)
    ws.write_stdin("ping\n")
    check(ws.readline_stdout(timeout=10) == "ping", "cat did not echo text stdin")
    ws.write_stdin(b"bytes\n")
    check(ws.readline_stdout(timeout=10) == "bytes", "cat did not echo binary stdin")
    check(stats(v1)["execsRunning"] == 1, "cat is not running while stdin is open")
    ws.close()
    wait_for(lambda: stats(v1)["execsRunning"] == 0, "cat to end after the socket closed")
    print("stream v4: stdin write, close ends the command")

    ws = stream(execute, "target", ns, container="main", command=["no-such-tool"],
                stdin=False, stdout=True, stderr=True, tty=False, _preload_content=False)
    ws.run_forever(timeout=10)
    status = json.loads(ws.read_channel(3))
    check(status["status"] == "Failure" and status["reason"] == "InternalError" and status["code"] == 500,
          f"unknown executable: {status}")
    check('exec: "no-such-tool": executable file not found in $PATH' in status["message"], status["message"])
    print("stream v4: unknown executable is an InternalError Status")

    # Refusals before the upgrade are HTTP errors.
    for name, container, code, what in (("ghost", "main", 404, "missing pod"),
                                       ("target", None, 400, "no container named in a two-container pod"),
                                       ("waiting", "main", 500, "container not running (v4)")):
        try:
            extra = {"container": container} if container else {}
            stream(execute, name, ns, command=["echo"], stdin=False, stdout=True, stderr=True, tty=False, **extra)
            fail(f"{what}: the exec was accepted")
        except ApiException as error:
            check(f"Handshake status {code}" in str(error.reason), f"{what}: {error.reason}")
    print("stream v4: 404 missing pod, 400 no container, 500 container not running")

    # v5: preferred over v4 whatever the order, the opening message, stdin closed by "255 0".
    raw = Raw(cfg, ns, "target", "container=main&command=cat&stdin=true&stdout=true&stderr=true",
              f"{V4}, {V5}")
    check(raw.protocol == V5, f"negotiated {raw.protocol!r}, expected {V5}")
    raw.send(0, b"over v5\n")
    raw.ws.ping(b"are you there")
    pong = None
    echoed = b""
    for opcode, data in raw.frames():
        if opcode == ABNF.OPCODE_PONG:
            pong = data
        elif opcode == ABNF.OPCODE_BINARY and data[:1] == b"\x01":
            echoed += data[1:]
        if pong is not None and echoed == b"over v5\n":
            break
    check(pong == b"are you there", f"pong carried {pong!r}")
    # A fragmented message: the channel byte and data over three frames.
    raw.ws.send_frame(ABNF.create_frame(b"\x00frag", ABNF.OPCODE_BINARY, fin=0))
    raw.ws.send_frame(ABNF.create_frame(b"men", ABNF.OPCODE_CONT, fin=0))
    raw.ws.send_frame(ABNF.create_frame(b"ted\n", ABNF.OPCODE_CONT, fin=1))
    raw.send(255, b"\x00")
    out, code, _ = raw.channels()
    check(out.get(1) == b"fragmented\n", f"stdout after the fragments: {out.get(1)!r}")
    check(json.loads(out[3]) == {"metadata": {}, "status": "Success"}, f"status {out.get(3)!r}")
    check(code == 1000, f"close code {code}")
    raw.ws.close()
    print("raw v5: negotiated over v4, ping/pong, fragments, 255 0 closes stdin, Success, close 1000")

    raw = Raw(cfg, ns, "target", "container=main&command=exit&command=5&stdout=true&stderr=true", V5)
    out, code, first = raw.channels()
    check(first == b"\x01", f"the first message was {first!r}, not an empty stdout message")
    status = json.loads(out[3])
    check(status["reason"] == "NonZeroExitCode" and
          status["details"]["causes"] == [{"reason": "ExitCode", "message": "5"}], f"status {status}")
    raw.ws.close()
    print("raw v5: opening message on stdout, NonZeroExitCode with the exit code")

    raw = Raw(cfg, ns, "waiting", "container=main&command=echo&stdout=true", V5)
    out, code, _ = raw.channels()
    status = json.loads(out[3])
    check(status["reason"] == "InternalError" and
          'unable to upgrade connection: container not found ("main")' in status["message"], f"status {status}")
    raw.ws.close()
    print("raw v5: container not running is an InternalError Status on channel 3")

    try:
        Raw(cfg, ns, "target", "container=main&command=echo&stdout=true", "base64.channel.k8s.io")
        fail("an unsupported subprotocol was accepted")
    except WebSocketBadStatusException as error:
        check("403" in str(error), str(error))
    print("raw: an unsupported subprotocol gets 403")

    # Back-pressure: a client that does not read makes the server pause the command's output,
    # and then gets every line, in order, when it reads.
    pauses = stats(v1)["execOutputPauses"]
    raw = Raw(cfg, ns, "target", "container=main&command=seq&command=1500000&stdout=true&stderr=true", V5)
    wait_for(lambda: stats(v1)["execOutputPauses"] > pauses, "the server to pause output for a slow reader")
    out, code, _ = raw.channels()
    lines = out[1].split(b"\n")
    check(len(lines) == 1500001 and lines[0] == b"1" and lines[-2] == b"1500000" and lines[777776] == b"777777",
          f"seq output: {len(lines)} lines")
    check(json.loads(out[3])["status"] == "Success", "seq status")
    raw.ws.close()
    print("raw v5: output paused for a slow reader, then delivered whole")


if __name__ == "__main__":
    main()
