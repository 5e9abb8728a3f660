// SPDX-License-Identifier: Apache-2.0
#include "seeder.h"

#include "sim_random.h"
#include "sim_store.h"

#include <vector>

namespace podtap::sim {

namespace {

using Random = SimRandom;

QByteArray addressFor(int index)
{
    // Two documentation /24s; repeating is fine for a simulated inventory.
    const int host = index / 2 % 254 + 1;
    return (index % 2 == 0 ? "203.0.113." : "198.51.100.") + QByteArray::number(host);
}

const char *const appNames[] = {"web", "api", "checkout", "cart", "payments", "search", "frontend", "backend", "worker",
    "redis", "postgres", "kafka", "nginx", "auth", "billing", "catalog", "gateway", "metrics", "notifier", "scheduler",
    "ingest", "reporter", "mailer", "cache"};
const char *const namespaceNames[] = {"payments", "checkout", "monitoring", "ingress-nginx", "data", "frontend",
    "backend", "search", "logging", "staging"};
const char *const registries[] = {"registry.example.com/shop/", "docker.io/library/", "ghcr.io/example/"};

} // namespace

void Seeder::seed(SimStore &store, const Counts &counts, quint64 seed)
{
    Random random(seed);
    const qint64 now = SimStore::nowMs();
    const qint64 day = 24LL * 3600 * 1000;

    std::vector<std::shared_ptr<SimNode>> nodes;
    for (int i = 0; i < counts.nodes; ++i) {
        auto node = std::make_shared<SimNode>();
        node->name = i < 3 && counts.nodes > 3 ? "control-plane-" + QByteArray::number(i + 1)
                                               : "node-" + QByteArray::number(i + 1).rightJustified(3, '0');
        node->uid = random.uid();
        node->creationMs = now - 40 * day - random.below(int(day / 1000)) * 1000LL;
        node->internalIP = i < 254 ? "198.51.100." + QByteArray::number(i + 1)
                                   : "203.0.113." + QByteArray::number((i - 254) % 254 + 1);
        node->podCIDR = "10." + QByteArray::number(i / 256 % 256) + '.' + QByteArray::number(i % 256) + ".0/24";
        node->labels = {{"beta.kubernetes.io/arch", "amd64"}, {"beta.kubernetes.io/os", "linux"},
            {"kubernetes.io/arch", "amd64"}, {"kubernetes.io/hostname", node->name}, {"kubernetes.io/os", "linux"}};
        if (node->name.startsWith("control-plane")) {
            node->labels.push_back({"node-role.kubernetes.io/control-plane", ""});
        }
        node->ready = i % 97 != 96; // a rare NotReady node
        store.seed(node);
        nodes.push_back(node);
    }

    std::vector<QByteArray> namespaces = {"default", "kube-system", "kube-public", "kube-node-lease"};
    for (const QByteArray &name : namespaces) {
        auto ns = std::make_shared<SimNamespace>();
        ns->name = name;
        ns->uid = random.uid();
        ns->creationMs = now - 40 * day;
        ns->labels = {{"kubernetes.io/metadata.name", name}};
        store.seed(ns);
    }
    std::vector<QByteArray> workloadNamespaces;
    for (int i = 0; i < counts.namespaces; ++i) {
        const int named = int(std::size(namespaceNames));
        const QByteArray name = i < named ? QByteArray(namespaceNames[i]) : "team-" + QByteArray::number(i - named + 1);
        auto ns = std::make_shared<SimNamespace>();
        ns->name = name;
        ns->uid = random.uid();
        ns->creationMs = now - 30 * day + random.below(int(20 * day / 1000)) * 1000LL;
        ns->labels = {{"kubernetes.io/metadata.name", name}};
        store.seed(ns);
        workloadNamespaces.push_back(name);
    }
    if (workloadNamespaces.empty()) {
        workloadNamespaces.push_back("default");
    }

    int made = 0;
    int deployment = 0;
    while (made < counts.pods) {
        // One ReplicaSet (or Job) worth of pods: same app label, template hash and owner.
        const QByteArray ns = workloadNamespaces[std::size_t(deployment) % workloadNamespaces.size()];
        const QByteArray app = QByteArray(appNames[random.below(int(std::size(appNames)))]) +
            (deployment >= int(std::size(appNames)) ? '-' + QByteArray::number(deployment) : QByteArray());
        ++deployment;
        const bool job = random.below(100) < 4;
        const int replicas = job ? 1 : 1 + random.below(5);
        const QByteArray hash = random.suffix(10);
        const QByteArray ownerName = job ? app + "-job-" + random.suffix(5) : app + '-' + hash;
        const QByteArray ownerUid = random.uid();
        const QByteArray image = QByteArray(registries[random.below(int(std::size(registries)))]) + app + ":1." +
            QByteArray::number(random.below(20)) + '.' + QByteArray::number(random.below(10));
        const bool sidecar = random.below(10) == 0;
        const qint64 created = now - qint64(random.next() % quint64(20 * day));
        for (int r = 0; r < replicas && made < counts.pods; ++r, ++made) {
            auto pod = std::make_shared<SimPod>();
            pod->ns = ns;
            pod->name = job ? ownerName : ownerName + '-' + random.suffix(5);
            pod->generateName = job ? QByteArray() : ownerName + '-';
            pod->uid = random.uid();
            pod->creationMs = created + r * 1000LL;
            pod->labels = {{"app", app}};
            if (job) {
                pod->labels.push_back({"job-name", ownerName});
                pod->owners.push_back({"batch/v1", "Job", ownerName, ownerUid, true});
                pod->restartPolicy = "OnFailure";
            } else {
                pod->labels.push_back({"pod-template-hash", hash});
                pod->owners.push_back({"apps/v1", "ReplicaSet", ownerName, ownerUid, true});
            }
            ContainerInfo main;
            main.name = app;
            main.image = image;
            pod->containers.push_back(main);
            if (sidecar) {
                ContainerInfo proxy;
                proxy.name = "envoy";
                proxy.image = "docker.io/envoyproxy/envoy:v1.31.2";
                pod->containers.push_back(proxy);
            }
            if (nodes.empty()) {
                pod->scheduled = false;
                pod->scheduleReason = "Unschedulable";
                pod->scheduleMessage = "0/0 nodes are available: no nodes available to schedule pods.";
                store.seed(pod);
                continue;
            }
            const SimNode &node = *nodes[std::size_t(random.below(int(nodes.size())))];
            pod->nodeName = node.name;
            pod->hostIP = node.internalIP;
            pod->startMs = pod->creationMs + 2000;
            const int roll = job ? 95 : random.below(100);
            for (ContainerInfo &c : pod->containers) {
                c.containerID = "containerd://" + random.hex(64);
                c.startedMs = pod->startMs + 1000;
            }
            pod->podIP = addressFor(made);
            if (roll < 85) {
                pod->phase = "Running";
                for (ContainerInfo &c : pod->containers) {
                    c.state = ContainerInfo::State::Running;
                    c.ready = true;
                    c.restartCount = random.below(20) == 0 ? 1 + random.below(3) : 0;
                }
            } else if (roll < 90) {
                pod->phase = "Running";
                ContainerInfo &c = pod->containers.front();
                c.state = ContainerInfo::State::Waiting;
                c.reason = "CrashLoopBackOff";
                c.message = "back-off 5m0s restarting failed container=" + c.name + " pod=" + pod->name + '_' + ns +
                    '(' + pod->uid + ')';
                c.restartCount = 5 + random.below(40);
                c.hasLastTermination = true;
                c.lastExitCode = 1;
                c.lastFinishedMs = now - random.below(300) * 1000LL;
                for (std::size_t k = 1; k < pod->containers.size(); ++k) {
                    pod->containers[k].state = ContainerInfo::State::Running;
                    pod->containers[k].ready = true;
                }
            } else if (roll < 95) {
                pod->phase = "Pending";
                pod->podIP.clear();
                if (roll < 92) {
                    pod->scheduled = false;
                    pod->scheduleReason = "Unschedulable";
                    pod->scheduleMessage = "0/" + QByteArray::number(qsizetype(nodes.size())) +
                        " nodes are available: " + QByteArray::number(qsizetype(nodes.size())) +
                        " Insufficient cpu. preemption: 0/" + QByteArray::number(qsizetype(nodes.size())) +
                        " nodes are available: " + QByteArray::number(qsizetype(nodes.size())) +
                        " No preemption victims found for incoming pod.";
                    pod->nodeName.clear();
                    pod->hostIP.clear();
                    pod->startMs = 0;
                    for (ContainerInfo &c : pod->containers) {
                        c.containerID.clear();
                    }
                } else {
                    for (ContainerInfo &c : pod->containers) {
                        c.state = ContainerInfo::State::Waiting;
                        c.reason = "ContainerCreating";
                        c.containerID.clear();
                    }
                }
            } else {
                pod->phase = "Succeeded";
                pod->podIP.clear();
                for (ContainerInfo &c : pod->containers) {
                    c.state = ContainerInfo::State::Terminated;
                    c.reason = "Completed";
                    c.exitCode = 0;
                    c.finishedMs = c.startedMs + 60000;
                }
            }
            if (!pod->podIP.isEmpty() && random.below(20) == 0) {
                // Multus: a secondary macvlan interface and a userspace vhost-user port without a netdev.
                const QByteArray annotation = "[{\"name\":\"cbr0\",\"interface\":\"eth0\",\"ips\":[\"" + pod->podIP +
                    "\"],\"mac\":\"" + random.mac() + "\",\"default\":true,\"dns\":{}},{\"name\":\"" + ns +
                    "/macvlan-storage\",\"interface\":\"net1\",\"ips\":[\"192.0.2." +
                    QByteArray::number(made % 254 + 1) + "\"],\"mac\":\"" + random.mac() +
                    "\",\"dns\":{}},{\"name\":\"" + ns + "/vhost-user-dpdk\",\"interface\":\"net2\",\"mac\":\"" +
                    random.mac() +
                    "\",\"dns\":{},\"device-info\":{\"type\":\"vhost-user\",\"version\":\"1.1.0\",\"vhost-user\":"
                    "{\"mode\":\"server\",\"path\":\"/var/run/vhost-user/" +
                    pod->uid.left(8) + "-net2.sock\"}}}]";
                pod->annotations.push_back({"k8s.v1.cni.cncf.io/network-status", annotation});
                pod->annotations.push_back({"k8s.v1.cni.cncf.io/networks", "macvlan-storage,vhost-user-dpdk"});
            }
            store.seed(pod);
        }
    }
}

} // namespace podtap::sim
