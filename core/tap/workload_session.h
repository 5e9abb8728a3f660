// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cluster/workload_target.h"
#include "tap/agent_event.h"
#include "tap/agent_pod_spec.h"
#include "tap/tap_request.h"
#include "tap/tap_session.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

class QProcess;

namespace podtap::kube {
class KubeClient;
class KubeReply;
class KubeStream;
class ListWatch;
struct ApiError;
} // namespace podtap::kube

namespace podtap {

class TapPreflight;
namespace receive {
class LocalCapture;
} // namespace receive

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
    /// The most pods one tap takes (an agent takes at most 256 targets; a tap is for troubleshooting).
    static constexpr int kMaxMaxPods = 256;
    /// Above this summed rate of the pods' mirrored traffic (bits per second, from the agents' stats) the session
    /// warns once with the expected bandwidth toward this machine; 0: never.
    qint64 bandwidthWarningBitsPerSecond = 100'000'000;

    /// Every rule this request breaks; empty when it is valid.
    ValidationProblems validate() const;
    /// For people: `deployment "cart" in namespace "shop"`, or `3 pods: shop/a, shop/b, web/c`.
    QString describe() const;
    /// What the pods are, for a sentence: `the pods of deployment "cart" in namespace "shop"`, `the pods matching
    /// "app=cart" in namespace "shop"`, `3 pods: ...`.
    QString subjectText() const;
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
///
/// Unlike TapSession, it does not fall back to the stream through the API server when no tunnel packet
/// arrives: it warns with the tunnel's fixes. A pod whose container the agent does not find yet (reported
/// running a moment early) is tried again a few times, and so is one whose VNI another tap took on its node
/// meanwhile (with a new pair); a pod's VNIs are a fresh pair for every line it gets.
class WorkloadTapSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkloadTapSession)

public:
    enum class State {
        Idle,
        Validating,
        Resolving,
        Preflight,
        StartingReceiver,
        Starting,
        Running,
        Stopping,
        Stopped,
        Failed
    };
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
    /// A packet summary line from the session's own tshark viewer (TapSessionOptions::capture.tool Tshark).
    void packetLine(const QString &line);
    /// Every pod found at the start is tapped (or failed): the session runs.
    void ready();
    void failed(const QString &summary, const QString &fix);
    /// The session is over and its agent pods and receiver are gone.
    void finished();

private:
    /// What the session keeps about a member besides its public row.
    struct MemberPrivate
    {
        QString uid;
        QString containerId; ///< the running container the agent enters (empty: not running)
        bool runnable = false; ///< Running with a node, an IP and a container ID
        bool listed = false; ///< its line is in its node's target list
        int captureIndex = -1; ///< its target in the receiver while it receives for it (-1: none)
        bool skipWarned = false;
        /// The agent did not find its container (yet): its line is out of the list until the agent dropped it,
        /// then it goes back unchanged, so the agent installs it anew.
        bool reAddPending = false;
        bool reAddDropped = false; ///< the agent's target list no longer has it
        qint64 reAddNotBeforeMs = 0; ///< elapsedMs() before which it does not go back (the retry's wait)
        int reAddGeneration = 0; ///< the retry a timer belongs to
        int retries = 0;
        AgentStats mirroredBefore; ///< the final counts of the installs of its line that ended
        qint64 lastBytes = -1; ///< for the rate: the agent's byte count at lastStatsMs
        qint64 lastStatsMs = 0;
        double bitsPerSecond = 0;
    };
    /// One node with tapped pods: its agent pod and the state of its target list.
    struct NodeAgent
    {
        QString node;
        QString nodeIp; ///< InternalIP: the tunnel's source
        QString remoteIp; ///< this machine's address toward the node: the agent's --remote
        bool lookingUp = false;
        QString podName;
        bool creating = false;
        bool created = false;
        bool running = false;
        bool ended = false; ///< the agent pod ended or went (no more patches)
        QString appliedList; ///< the podtap.io/targets value the pod carries
        bool patching = false;
        QPointer<kube::KubeStream> log;
        int logReopens = 0;
        qint64 linesRead = 0; ///< log lines handled, so a re-followed log skips what was read
        qint64 linesToSkip = 0;
        int restarts = 0; ///< the agent container's restartCount, from the agent pod watch
        int restartsWhenFollowed = 0; ///< restarts when its log was followed: another count means a new log
        bool contractChecked = false;
        bool agentStopped = false; ///< the agent-wide `stopped` arrived
    };

    void setState(State state, const QString &text = {});
    void fail(const QString &summary, const QString &fix = {});
    void failWithApiError(const QString &operation, const kube::ApiError &error);
    void warn(const QString &text);
    void resolve();
    void resolveNamedPods();
    void startPodWatches();
    void onPodObject(const QJsonObject &pod, bool deleted);
    void onInitialPods();
    void lookUpNodes(const std::function<void()> &next);
    void lookUpNode(const QString &node, const std::function<void()> &next);
    void preflight();
    void loadUsedVnis();
    void startCapture();
    void startAgents();
    void reconcile();
    bool giveLine(qsizetype index);
    void allocateVnis(WorkloadMember &member);
    void addCaptureTarget(qsizetype index);
    void removeCaptureTarget(qsizetype index);
    QList<WorkloadTargetSpec> targetsOn(const QString &node) const;
    TapPlan planFor(const NodeAgent &agent) const;
    void createAgent(NodeAgent &agent);
    void patchTargets(NodeAgent &agent);
    void watchAgents();
    void onAgentPod(const QJsonObject &pod, bool deleted);
    void followLog(const QString &node);
    void onAgentLine(const QString &node, const QByteArray &line);
    void onTargetEvent(const QString &node, const QString &tag, const AgentEvent &event);
    void memberSeen(
        const QString &key, const QString &node, const QString &podIp, const QString &uid, const QString &containerId);
    void memberWaiting(const QString &key, const QString &uid, const QString &why);
    void memberGone(const QString &key, const QString &why);
    void memberFailed(qsizetype index, const QString &why);
    void retryLater(qsizetype index, const QString &why);
    void retryWithNewVnis(qsizetype index, const QString &why);
    void maybeReAdd(const QString &key);
    void reAdd(const QString &key);
    qsizetype memberIndex(const QString &key) const;
    qsizetype ensureMember(const QString &key);
    int activeCount() const;
    void checkStarted();
    void checkBandwidth();
    void sendHeartbeat();
    void teardown();
    void finishTeardown();
    template<typename Callback>
    void request(kube::KubeReply *reply, Callback callback);

    State m_state = State::Idle;
    kube::KubeClient *m_client;
    WorkloadTapRequest m_request;
    TapSessionOptions m_options;
    QString m_sessionId;
    QList<WorkloadMember> m_members;
    QList<MemberPrivate> m_private; ///< parallel to m_members
    QHash<QString, qsizetype> m_index; ///< member key → index
    QHash<QString, NodeAgent> m_nodes;
    QHash<QString, QString> m_nodeOfAgentPod; ///< agent pod name → node
    TapPlan m_plan; ///< the session's common settings (no target): session, filter, port, agent settings
    QString m_selectorText; ///< the label selector the pods are followed with (empty: named pods)
    std::optional<cluster::LabelSelector> m_selector;
    QSet<QString> m_named; ///< the named pods (`NS/NAME`), when the request names them
    QList<QPointer<kube::ListWatch>> m_podWatches;
    int m_watchesSynced = 0;
    bool m_initialDone = false;
    QHash<QString, QSet<QString>> m_relistSeen; ///< per watch path, the pods a relist showed
    QPointer<kube::ListWatch> m_agentWatch;
    QPointer<cluster::WorkloadResolver> m_resolver;
    QPointer<TapPreflight> m_preflight;
    QPointer<receive::LocalCapture> m_capture;
    QPointer<QProcess> m_viewer;
    QSet<quint32> m_usedVnis;
    QTimer m_heartbeatTimer;
    QTimer m_durationTimer;
    QTimer m_stepTimer;
    QTimer m_stoppedWait;
    QElapsedTimer m_elapsed;
    int m_pendingDeletes = 0;
    bool m_tearingDown = false;
    bool m_failedBeforeTeardown = false;
    bool m_deletesDone = false;
    bool m_stoppedWaitOver = false;
    bool m_readyEmitted = false;
    bool m_bandwidthWarned = false;
    qint64 m_capturedPackets = 0;
    qint64 m_capturedBytes = 0;
    qint64 m_captureDrops = 0;
    QString m_failureSummary;
    QString m_failureFix;
    QString m_stopReason;
    QStringList m_warnings;
};

} // namespace podtap
