// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cluster/workload_target.h"
#include "tap/tap_request.h"
#include "tap/tap_session.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdint>

class QProcess;

namespace podtap {

/// @brief A tap of many pods at once: the pods a label selector or a workload picks (followed as pods come
/// and go), or pods picked by name (the console's multi-select).
struct WorkloadTapRequest
{
    /// A Selector or a workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job): the session follows
    /// its selector. Kind::Pod is not used here; name pods with @ref pods instead.
    cluster::WorkloadTarget target;
    /// Pods picked by name, each `NS/NAME` (may span namespaces). When set, @ref target is ignored and the
    /// session follows exactly these names: a deleted pod ends, a pod re-created with the same name is tapped
    /// again.
    QStringList pods;

    QString interfaceName = QStringLiteral("eth0");
    Direction direction = Direction::Both;
    /// Only ThisMachine (the userspace receiver, one pcapng) carries a workload tap; others are refused by
    /// validate() with the reason and the fix.
    Destination destination;
    int port = TapRequest::kDefaultPort;
    QString captureFilter;
    std::chrono::seconds maxDuration = TapRequest::kDefaultMaxDuration;
    QString agentNamespace = QString::fromLatin1(kDefaultAgentNamespace);
    QString agentImage;
    /// The most pods tapped at once (default 64). Above it the start fails with a clear message; a pod that
    /// appears later while the limit is reached is not tapped, with a warning.
    int maxPods = cluster::WorkloadResolver::defaultMaxPods;

    /// Every rule this request breaks; empty when it is valid.
    ValidationProblems validate() const;
    /// For people: `deployment "cart" in namespace "shop"`, or `3 pods: shop/a, shop/b, web/c`.
    QString describe() const;
};

/// @brief One pod of a workload session: what the Sessions panel shows in its child row.
struct WorkloadMember
{
    enum class State {
        Waiting, ///< matched, not Running yet (or no node/container ID yet)
        Starting, ///< handed to its node's agent, no `ready` yet
        Tapped, ///< the agent reported `ready` for it
        Gone, ///< deleted, no longer matching, or its containers ended: its interface ended cleanly
        Failed, ///< the agent refused it (detail says why); the other pods go on
        Skipped, ///< above maxPods: not tapped
    };

    QString key; ///< `NS/NAME`
    QString node;
    QString podIp;
    QString interfaceName; ///< the pcapng interface, `NS/NAME/IFACE`
    State state = State::Waiting;
    QString detail; ///< why Failed/Gone/Skipped, or the step while Starting
    std::uint32_t vni = 0;
    std::uint32_t egressVni = 0;
    // From the agent's `stats` for this pod.
    qint64 mirroredPackets = 0;
    qint64 mirroredBytes = 0;
    // From the userspace receiver, for this pod's interface.
    qint64 capturedPackets = 0;
    qint64 capturedBytes = 0;

    bool operator==(const WorkloadMember &) const = default;
};

QString workloadMemberStateName(WorkloadMember::State state);

/// @brief A tap of many pods into one capture: one agent pod per node (`podtap-agent mirror --targets-file`,
/// its targets in the `podtap.io/targets` annotation), one userspace receiver, one pcapng stream with an
/// interface per pod.
///
/// Follows the selector (a watch on pods): a new matching pod that is Running is handed to its node's agent
/// (creating that agent pod when the node has none), a deleted or no longer matching pod's target is removed,
/// a pod whose container ID changed is tapped again. Each change is announced with memberEvent() ("+cart-7f9
/// tapped", "-cart-x2 gone"). Every step announces itself with progress(); a failure names what failed and its
/// fix and removes what the session created. stop() is idempotent and leaves nothing behind.
class WorkloadTapSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkloadTapSession)

public:
    enum class State { Idle, Validating, Resolving, Preflight, StartingReceiver, Starting, Running, Stopping, Stopped, Failed };
    Q_ENUM(State)

    /// @p options: the capture (file, tool), the tools' paths, the local address and the timeouts, as for
    /// TapSession.
    WorkloadTapSession(kube::KubeClient *client, WorkloadTapRequest request, TapSessionOptions options = {},
        QObject *parent = nullptr);
    ~WorkloadTapSession() override;

    void start();
    void stop(const QString &reason = QStringLiteral("stopped by the operator"));

    State state() const { return m_state; }
    bool isActive() const { return m_state != State::Idle && m_state != State::Stopped && m_state != State::Failed; }
    const WorkloadTapRequest &request() const { return m_request; }
    /// The podtap.io/session label of every agent pod of this session.
    QString sessionId() const { return m_sessionId; }
    /// Every pod matched so far, in the order they were first seen (gone ones stay, state Gone).
    QList<WorkloadMember> members() const { return m_members; }
    /// The agent pods running now, one per node with tapped pods.
    QStringList agentPods() const;
    /// Totals over all pods: the agents' mirrored counts.
    AgentStats stats() const;
    /// The userspace receiver's totals (all interfaces).
    qint64 capturedPackets() const;
    qint64 capturedBytes() const;
    qint64 captureDrops() const;
    qint64 elapsedMs() const;
    /// Starts @p tool reading the session's one pcapng stream (all pods' interfaces) through a pipe.
    QProcess *openViewer(CaptureTool tool, const QStringList &extraArguments, QString *error);
    QString failureSummary() const { return m_failureSummary; }
    QString failureFix() const { return m_failureFix; }
    QString stopReason() const { return m_stopReason; }
    QStringList warnings() const { return m_warnings; }

    static QString stateName(State state);

Q_SIGNALS:
    void stateChanged(podtap::WorkloadTapSession::State state);
    void progress(const QString &text);
    void warningRaised(const QString &text);
    /// A pod joined, left, failed or was skipped: "+shop/cart-7f9 tapped on worker-1", "-shop/cart-x2 gone".
    void memberEvent(const QString &text);
    /// Member @p key's row changed (state, counters).
    void memberChanged(const QString &key);
    /// Totals changed (about once a second while running).
    void countersChanged();
    /// Every pod found at the start is tapped (or failed): the session runs.
    void ready();
    void failed(const QString &summary, const QString &fix);
    /// The session is over and its agent pods and receiver are gone.
    void finished();

private:
    State m_state = State::Idle;
    kube::KubeClient *m_client;
    WorkloadTapRequest m_request;
    TapSessionOptions m_options;
    QString m_sessionId;
    QList<WorkloadMember> m_members;
    QString m_failureSummary;
    QString m_failureFix;
    QString m_stopReason;
    QStringList m_warnings;
};

} // namespace podtap
