// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>

namespace podtap::kube {
class KubeClient;
}

namespace podtap {

/// @brief One podtap agent pod found in the cluster, and whether its session is still alive.
struct AgentPodInfo
{
    QString name;
    QString namespaceName;
    QString sessionId; ///< podtap.io/session
    QString component; ///< sender or receiver
    QString target; ///< podtap.io/target: ns/pod/iface
    QString requestedBy;
    QString node;
    QString phase;
    QDateTime heartbeat; ///< invalid when missing or unparsable
    bool deleting = false; ///< metadata.deletionTimestamp is set
    bool dead = false;
    QString deadReason; ///< why it counts as dead: for the sweep prompt
};

/// Reads the podtap pods of a v1 PodList. A pod is dead when it ended (Succeeded/Failed), or its
/// heartbeat is missing or older than @p heartbeatTimeoutSeconds at @p now: its console is gone,
/// and its agent has already removed the mirror or is about to.
QList<AgentPodInfo> agentPodsFromList(const QJsonObject &podList, const QDateTime &now, int heartbeatTimeoutSeconds);

/// The label selector for every pod podtap manages.
QString podtapPodSelector();

/// @brief Finds the agent pods of dead sessions in one agent namespace and removes them: the one
/// sweep the console's leftover offer and `podtapctl list/stop/sweep` share.
///
/// The rules, in one place:
/// - "dead" is agentPodsFromList()'s, with heartbeat ages measured on the API server's clock
///   (KubeClient::serverNow(), from the list reply's `Date` header), never this machine's;
/// - a leftover is a dead pod that is not already being deleted and whose session is not one of
///   the caller's live sessions;
/// - a missing agent namespace (404) means nothing was left there, not an error;
/// - a pod that is already gone (404) when it is deleted counts as removed;
/// - every other failure is reported per pod, naming the pod, the reason and the fix.
///
/// Asynchronous: the console connects to the signals, the CLI waits for them.
class SessionSweeper final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionSweeper)

public:
    explicit SessionSweeper(kube::KubeClient *client, QObject *parent = nullptr);
    ~SessionSweeper() override;

    /// Lists the podtap pods in @p agentNamespace; emits found() with the leftovers, or failed().
    void find(const QString &agentNamespace, int heartbeatTimeoutSeconds, const QSet<QString> &liveSessionIds = {});
    /// Deletes @p pods with @p gracePeriodSeconds, skipping any whose session is in @p liveSessionIds;
    /// emits removed() once all have answered.
    void remove(const QList<AgentPodInfo> &pods, int gracePeriodSeconds = 0, const QSet<QString> &liveSessionIds = {});

    /// Every podtap pod the last find() listed, alive or dead (for `podtapctl list` and `stop`).
    const QList<AgentPodInfo> &pods() const { return m_pods; }
    /// The leftovers of the last find(): dead, not being deleted, not of a live session.
    const QList<AgentPodInfo> &leftovers() const { return m_leftovers; }
    /// The server's time the last find() measured ages against.
    const QDateTime &serverTime() const { return m_serverTime; }
    bool isBusy() const { return m_busy > 0; }

Q_SIGNALS:
    void found(const QList<podtap::AgentPodInfo> &leftovers);
    /// Listing failed: @p error names the namespace, the reason and the fix.
    void failed(const QString &error);
    /// @p removed are gone or going; @p errors names each pod that could not be deleted, why, and the fix.
    void removed(const QList<podtap::AgentPodInfo> &removed, const QStringList &errors);

private:
    QPointer<kube::KubeClient> m_client;
    QList<AgentPodInfo> m_pods;
    QList<AgentPodInfo> m_leftovers;
    QDateTime m_serverTime;
    int m_busy = 0;
};

} // namespace podtap
