#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""kube-sim conformance with python3-kubernetes: paginated list, watch, create, delete.

Usage: kube_sim_client.py KUBECONFIG EXPECTED_PODS
Prints one line per check; exits non-zero on the first failure.
"""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def pod(name):
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": "py-conformance"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="registry.example.com/py:1.0")]),
    )


def main():
    kubeconfig, expected = sys.argv[1], int(sys.argv[2])
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()

    total, pages, token = 0, 0, None
    while True:
        page = v1.list_pod_for_all_namespaces(limit=7, _continue=token)
        total += len(page.items)
        pages += 1
        token = page.metadata._continue
        if not token:
            break
    print(f"paginated list: {total} pods in {pages} pages")
    if total != expected or pages < 2:
        sys.exit(f"expected {expected} pods over several pages, got {total} in {pages}")

    listed = v1.list_namespaced_pod("default")
    creator = threading.Timer(0.5, lambda: v1.create_namespaced_pod("default", pod("py-watched")))
    creator.start()
    seen = None
    w = watch.Watch()
    for event in w.stream(v1.list_namespaced_pod, "default", resource_version=listed.metadata.resource_version,
                          timeout_seconds=15):
        if event["type"] == "ADDED" and event["object"].metadata.name == "py-watched":
            seen = event
            w.stop()
    creator.join()
    if not seen:
        sys.exit("watch: no ADDED event for py-watched")
    print("watch: ADDED py-watched")

    created = v1.create_namespaced_pod("default", pod("py-pod"))
    if not created.metadata.uid or created.metadata.name != "py-pod":
        sys.exit(f"create returned {created.metadata}")
    print(f"create: py-pod uid {created.metadata.uid}")

    for name in ("py-pod", "py-watched"):
        v1.delete_namespaced_pod(name, "default", grace_period_seconds=1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            v1.read_namespaced_pod("py-pod", "default")
            time.sleep(0.1)
        except ApiException as error:
            if error.status == 404:
                print("delete: py-pod is gone")
                return
            raise
    sys.exit("delete: py-pod still exists after 10 s")


if __name__ == "__main__":
    main()
