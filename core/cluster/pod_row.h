// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace podtap::cluster {

/// @brief One pod network interface from the `k8s.v1.cni.cncf.io/network-status` annotation.
struct PodInterface
{
    QString network; ///< `name`: the NetworkAttachmentDefinition (ns/name) or the default network
    QString interfaceName; ///< `interface`, e.g. eth0, net1
    QStringList ips;
    QString mac;
    bool isDefault = false;
    QString deviceType; ///< `device-info.type`: empty (veth & co), pci, vdpa, vhost-user, memif, vfio
    /// False for kinds with no kernel netdev in the pod (vfio-bound PCI, vhost-user, memif,
    /// vhost-vdpa): nothing there for tc to mirror.
    bool hasKernelNetdev = true;
};

/// @brief One container of a pod and its state, as `kubectl describe pod` shows it.
///
/// Kept small because every row of a 100k-pod table carries these: the name and reason are
/// interned (they repeat across pods), the rest are plain numbers.
struct PodContainer
{
    enum class State : quint8 {
        Unknown, ///< no status reported yet
        Waiting,
        Running,
        Terminated,
    };
    enum class Kind : quint8 { App, Init, Ephemeral };

    QString name;
    QString reason; ///< waiting/terminated reason (CrashLoopBackOff, Completed, OOMKilled, ...); empty if none
    int restarts = 0;
    int exitCode = 0; ///< of a terminated container
    State state = State::Unknown;
    Kind kind = Kind::App;
    bool ready = false;

    bool operator==(const PodContainer &) const = default;
};

/// "Running", "Waiting", "Terminated" or "Unknown".
QString containerStateName(PodContainer::State state);

/// @brief A pod reduced to what the console and `podtapctl get` show: no JSON is kept.
///
/// Strings that repeat across pods (namespace, node, status, phase, label keys/values) are
/// interned through a StringPool by the parser.
struct PodRow
{
    QString uid;
    QString namespaceName;
    QString name;
    QString phase; ///< status.phase
    QString status; ///< kubectl's STATUS: Running, CrashLoopBackOff, ContainerCreating, Terminating, Completed, ...
    QString podIp;
    QString nodeName;
    qint64 creationMs = 0; ///< metadata.creationTimestamp, ms since the epoch (0: unknown)
    qint64 deletionMs = 0; ///< metadata.deletionTimestamp (0: not being deleted)
    qint64 lastRestartMs = 0; ///< newest lastState.terminated.finishedAt of a restarted container
    int readyContainers = 0;
    int totalContainers = 0;
    int restarts = 0;
    bool podReady = false; ///< the Ready condition
    QStringList containerIds; ///< runtime://id of every container that has one (init containers last)
    /// Init containers, then app containers, then ephemeral ones, each in spec order; containers
    /// without a status yet are listed from the spec with State::Unknown.
    QList<PodContainer> containers;
    QList<QPair<QString, QString>> labels;
    QList<PodInterface> interfaces;
};

/// @brief A node: name, its InternalIP and its conditions.
struct NodeCondition
{
    QString type;
    QString status; ///< True, False, Unknown
    QString reason;
};

struct NodeRow
{
    QString uid;
    QString name;
    QString internalIp;
    QString roles; ///< kubectl's ROLES, comma separated, or <none>
    QString kubeletVersion;
    qint64 creationMs = 0;
    bool unschedulable = false;
    QList<NodeCondition> conditions;

    /// kubectl's STATUS: Ready, NotReady or Unknown, plus ",SchedulingDisabled".
    QString status() const;
};

struct NamespaceRow
{
    QString uid;
    QString name;
    QString phase; ///< Active or Terminating
    qint64 creationMs = 0;
};

} // namespace podtap::cluster
