// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tap/session_sweep.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>

namespace podtap::kube {
class KubeClient;
}

namespace podtap::gui {

/// @brief Finds the agent pods of dead sessions in one agent namespace and removes them on request.
///
/// The rules for "dead" are core's (agentPodsFromList); this class only asks the API server and
/// keeps out what must never be offered: pods already being deleted, pods still alive, and pods of
/// sessions this console is running.
class LeftoverSweep final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LeftoverSweep)

public:
    explicit LeftoverSweep(kube::KubeClient *client, QObject *parent = nullptr);
    ~LeftoverSweep() override;

    /// Lists podtap pods in @p agentNamespace; emits found() with the dead ones, or failed().
    void find(const QString &agentNamespace, int heartbeatTimeoutSeconds, const QSet<QString> &liveSessionIds);
    /// Deletes @p pods, skipping any whose session is in @p liveSessionIds; emits removed() once all answered.
    void remove(const QList<AgentPodInfo> &pods, const QSet<QString> &liveSessionIds);

    /// The dead pods of the last find(), minus live sessions.
    const QList<AgentPodInfo> &leftovers() const { return m_leftovers; }

Q_SIGNALS:
    void found(const QList<podtap::AgentPodInfo> &leftovers);
    void failed(const QString &error);
    /// @p removed pods are gone or going; @p errors names each pod that could not be deleted and why.
    void removed(int removed, const QStringList &errors);

private:
    QPointer<kube::KubeClient> m_client;
    QList<AgentPodInfo> m_leftovers;
};

} // namespace podtap::gui
