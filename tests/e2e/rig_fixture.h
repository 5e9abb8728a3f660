// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "support/process.h"
#include "support/sim_process.h"

#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace podtap::test {

/// @brief `podtap-sim --rig` for an end-to-end test: real namespaces, pods that make traffic, and
/// agent pods that run the built podtap-agent. Clients run in the rig's workstation namespace,
/// as an operator's console would on a machine next to the cluster.
class RigFixture final
{
public:
    struct Node
    {
        QString name;
        QString netns;
        QString ip;
    };
    struct Pod
    {
        QString ns;
        QString name;
        QString node;
        QString netns;
        QString ip;
        QString ref() const { return ns + QLatin1Char('/') + name; }
    };

    RigFixture() = default;
    ~RigFixture();
    RigFixture(const RigFixture &) = delete;
    RigFixture &operator=(const RigFixture &) = delete;

    /// Starts the rig with @p args besides --rig (e.g. --nodes 2 --pods 6) and reads its description.
    bool start(const QStringList &args, QString *error);
    /// Stops the rig and returns the namespaces and cgroups it left behind (empty: clean).
    QStringList stop();

    const SimProcess &sim() const { return m_sim; }
    QString kubeconfig() const { return m_sim.kubeconfig(); }
    QString dir() const { return m_sim.dir(); }
    QString workstationNetns() const { return m_workstation; }
    QString workstationIp() const { return m_workstationIp; }
    const QList<Node> &nodes() const { return m_nodes; }
    const QList<Pod> &pods() const { return m_pods; }
    /// The first pod on @p node (or on any node when empty).
    Pod podOn(const QString &node = {}, int skip = 0) const;
    Node node(const QString &name) const;

    /// Runs @p command inside @p netns.
    ProcessResult inNetns(
        const QString &netns, const QStringList &command, int timeoutMs = 30000, const QByteArray &input = {}) const;
    /// Runs podtapctl (with --kubeconfig) in the workstation namespace.
    ProcessResult podtapctl(const QStringList &args, int timeoutMs = 120000) const;
    /// Starts podtapctl in the workstation namespace; the caller owns the process.
    std::unique_ptr<QProcess> startPodtapctl(const QStringList &args) const;
    /// Runs the real kubectl in the workstation namespace.
    ProcessResult kubectl(const QStringList &args, int timeoutMs = 30000, const QByteArray &input = {}) const;
    /// The API object as JSON (kubectl get -o json); empty when it does not exist.
    QJsonObject getJson(const QStringList &what) const;

    /// Names of the pods in the agent namespace `podtap`.
    QStringList agentPods() const;
    /// Names of tc filters podtap installed on the pod's eth0 (by the agent's marks), and VXLAN
    /// devices in the pod's namespace: what must be gone after a session.
    QStringList podtapObjectsIn(const Pod &pod) const;
    /// The rig's leftovers now: ptsim<pid>-* namespaces and the podtap-sim-<pid> cgroup.
    QStringList leftovers() const;

    /// Fields of every packet in a capture file (`tshark -n -r FILE -T fields -e …`), one list per packet.
    static QList<QStringList> packetFields(const QString &file, const QStringList &fields);
    /// What is wrong with @p file as a capture of @p pod's marker flow (its UDP port 9999 traffic), or empty:
    /// at least two marker packets, in both directions (epb_flags), all on the one interface `ns/pod/eth0`, and
    /// the pod's name from the file's name records.
    static QString markerFlowProblem(const QString &file, const Pod &pod);

private:
    SimProcess m_sim;
    qint64 m_pid = 0;
    QString m_workstation;
    QString m_workstationIp;
    QList<Node> m_nodes;
    QList<Pod> m_pods;
};

} // namespace podtap::test
