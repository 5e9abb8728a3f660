// SPDX-License-Identifier: Apache-2.0
#include "sim_kubelet.h"

#include "exec_command.h"
#include "sim_store.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QTimer>

namespace podtap::sim {

SimKubelet::SimKubelet(SimStore *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
}

SimKubelet::~SimKubelet() = default;

QByteArray SimKubelet::randomContainerId()
{
    quint32 words[8];
    QRandomGenerator::global()->fillRange(words);
    return "containerd://" + QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

QByteArray SimKubelet::allocatePodIP()
{
    const quint32 n = m_nextPodIP++;
    // API-created pods get 192.0.2.0/24 so they never collide with seeded addresses.
    return "192.0.2." + QByteArray::number(n % 254 + 1);
}

bool SimKubelet::updatePod(
    const QByteArray &ns, const QByteArray &name, const QByteArray &uid, const std::function<void(SimPod &)> &change)
{
    const ObjectPtr current = m_store->find(Kind::Pod, ns, name);
    if (!current || current->uid != uid) {
        return false;
    }
    auto copy = std::static_pointer_cast<SimPod>(cloneObject(*current));
    change(*copy);
    m_store->put(copy);
    return true;
}

void SimKubelet::podCreated(const SimPod &pod)
{
    const SimStore::ObjectMap &nodes = m_store->objects(Kind::Node);
    QByteArray nodeName = pod.nodeName;
    if (nodeName.isEmpty() && !nodes.empty()) {
        // A scheduler that spreads by name is enough for a simulation.
        auto it = nodes.begin();
        std::advance(it, qHash(pod.name) % nodes.size());
        nodeName = it->first;
        updatePod(pod.ns, pod.name, pod.uid, [&](SimPod &p) {
            p.nodeName = nodeName;
            if (!p.spec.isEmpty()) {
                p.spec.insert(QStringLiteral("nodeName"), QString::fromUtf8(nodeName));
            }
        });
    }
    const ObjectPtr node = nodeName.isEmpty() ? nullptr : m_store->find(Kind::Node, {}, nodeName);
    if (!node) {
        const QByteArray message = nodes.empty()
            ? QByteArray("0/0 nodes are available: no nodes available to schedule pods.")
            : "0/" + QByteArray::number(qsizetype(nodes.size())) + " nodes are available: node \"" + nodeName +
                "\" not found. preemption: 0/" + QByteArray::number(qsizetype(nodes.size())) +
                " nodes are available: " + QByteArray::number(qsizetype(nodes.size())) +
                " Preemption is not helpful for scheduling.";
        updatePod(pod.ns, pod.name, pod.uid, [&](SimPod &p) {
            p.scheduled = false;
            p.scheduleReason = "Unschedulable";
            p.scheduleMessage = message;
        });
        return;
    }
    const QByteArray ns = pod.ns;
    const QByteArray name = pod.name;
    const QByteArray uid = pod.uid;
    QTimer::singleShot(m_startDelayMs, this, [this, ns, name, uid, nodeName] {
        const ObjectPtr current = m_store->find(Kind::Pod, ns, name);
        const ObjectPtr currentNode = m_store->find(Kind::Node, {}, nodeName);
        if (!current || current->uid != uid || current->deletionMs != 0 || !currentNode) {
            return;
        }
        startContainers(asPod(*current), asNode(*currentNode));
    });
}

void SimKubelet::startContainers(const SimPod &pod, const SimNode &node)
{
    bool pullFails = false;
    for (const ContainerInfo &c : pod.containers) {
        pullFails = pullFails || c.image.contains("does-not-exist");
    }
    const bool hostNetwork = pod.spec.value(QStringLiteral("hostNetwork")).toBool();
    const QByteArray podIP = hostNetwork ? node.internalIP : allocatePodIP();
    const qint64 now = SimStore::nowMs();
    updatePod(pod.ns, pod.name, pod.uid, [&](SimPod &p) {
        p.hostIP = node.internalIP;
        p.podIP = podIP;
        p.startMs = now;
        for (ContainerInfo &c : p.containers) {
            if (c.image.contains("does-not-exist")) {
                c.state = ContainerInfo::State::Waiting;
                c.reason = "ErrImagePull";
                c.message = "failed to pull and unpack image \"" + c.image + "\": failed to resolve reference \"" +
                    c.image + "\": " + c.image + ": not found";
                continue;
            }
            c.containerID = randomContainerId();
            if (pullFails) {
                c.state = ContainerInfo::State::Waiting;
                c.reason = "PodInitializing";
                continue;
            }
            c.state = ContainerInfo::State::Running;
            c.reason.clear();
            c.message.clear();
            c.ready = true;
            c.startedMs = now;
        }
        p.phase = pullFails ? "Pending" : "Running";
    });
    if (pullFails) {
        const QByteArray ns = pod.ns;
        const QByteArray name = pod.name;
        const QByteArray uid = pod.uid;
        QTimer::singleShot(m_startDelayMs * 2, this, [this, ns, name, uid] {
            updatePod(ns, name, uid, [](SimPod &p) {
                for (ContainerInfo &c : p.containers) {
                    if (c.reason == "ErrImagePull") {
                        c.reason = "ImagePullBackOff";
                        c.message = "Back-off pulling image \"" + c.image + "\"";
                    }
                }
            });
        });
        return;
    }
    m_store->appendLog(pod.ns, pod.name, "starting " + pod.name);
    m_store->appendLog(pod.ns, pod.name, "running on node " + node.name);
}

void SimKubelet::podDeleting(const SimPod &pod, qint64 graceSeconds)
{
    if (graceSeconds <= 0 || pod.nodeName.isEmpty() || !pod.scheduled || pod.phase == "Succeeded" ||
        pod.phase == "Failed") {
        finishDeletion(pod.ns, pod.name, pod.uid);
        return;
    }
    stopContainers(pod, graceSeconds);
}

void SimKubelet::stopContainers(const SimPod &pod, qint64 graceSeconds)
{
    const QByteArray ns = pod.ns;
    const QByteArray name = pod.name;
    const QByteArray uid = pod.uid;
    const qint64 delay = std::min<qint64>(graceSeconds * 1000, m_stopDelayMs);
    QTimer::singleShot(int(delay), this, [this, ns, name, uid] { finishDeletion(ns, name, uid); });
}

void SimKubelet::finishDeletion(const QByteArray &ns, const QByteArray &name, const QByteArray &uid)
{
    const ObjectPtr current = m_store->find(Kind::Pod, ns, name);
    if (current && current->uid == uid) {
        m_store->remove(Kind::Pod, ns, name);
    }
}

ExecCommand *SimKubelet::startExec(const SimPod &pod, const QByteArray &container, const QByteArrayList &command)
{
    Q_UNUSED(container);
    return new BuiltinExecCommand(command, pod.name);
}

} // namespace podtap::sim
