// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

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

} // namespace podtap
