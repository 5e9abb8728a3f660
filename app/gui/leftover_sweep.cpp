// SPDX-License-Identifier: Apache-2.0
#include "leftover_sweep.h"

#include "kube/kube_client.h"

#include <QDateTime>
#include <QUrlQuery>

#include <memory>

namespace podtap::gui {

LeftoverSweep::LeftoverSweep(kube::KubeClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
}

LeftoverSweep::~LeftoverSweep() = default;

void LeftoverSweep::find(
    const QString &agentNamespace, int heartbeatTimeoutSeconds, const QSet<QString> &liveSessionIds)
{
    if (!m_client)
        return;
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), podtapPodSelector());
    kube::KubeReply *reply = m_client->get(kube::KubeClient::corePath(QStringLiteral("pods"), agentNamespace), query);
    reply->onFinished(this, [this, agentNamespace, heartbeatTimeoutSeconds, liveSessionIds](kube::KubeReply *reply) {
        reply->deleteLater();
        if (!reply->ok()) {
            // A missing agent namespace simply means nothing was ever left there.
            if (reply->httpStatus() == 404) {
                m_leftovers.clear();
                Q_EMIT found(m_leftovers);
                return;
            }
            Q_EMIT failed(tr("Cannot look for leftover podtap pods in namespace %1: %2")
                              .arg(agentNamespace, reply->error().toString()));
            return;
        }
        m_leftovers.clear();
        const QList<AgentPodInfo> pods =
            agentPodsFromList(reply->json(), QDateTime::currentDateTimeUtc(), heartbeatTimeoutSeconds);
        for (const AgentPodInfo &pod : pods) {
            if (pod.dead && !pod.deleting && !liveSessionIds.contains(pod.sessionId))
                m_leftovers << pod;
        }
        Q_EMIT found(m_leftovers);
    });
}

void LeftoverSweep::remove(const QList<AgentPodInfo> &pods, const QSet<QString> &liveSessionIds)
{
    struct Tally
    {
        int pending = 0;
        int removed = 0;
        QStringList errors;
    };
    auto tally = std::make_shared<Tally>();
    QList<AgentPodInfo> doomed;
    for (const AgentPodInfo &pod : pods) {
        if (!liveSessionIds.contains(pod.sessionId))
            doomed << pod;
    }
    if (!m_client || doomed.isEmpty()) {
        Q_EMIT removed(0, {});
        return;
    }
    tally->pending = int(doomed.size());
    for (const AgentPodInfo &pod : std::as_const(doomed)) {
        kube::KubeReply *reply =
            m_client->remove(kube::KubeClient::corePath(QStringLiteral("pods"), pod.namespaceName, pod.name), 0);
        reply->onFinished(this, [this, tally, pod](kube::KubeReply *reply) {
            reply->deleteLater();
            // Already gone counts as removed: someone (or the agent itself) was quicker.
            if (reply->ok() || reply->httpStatus() == 404)
                ++tally->removed;
            else
                tally->errors << tr("pod %1/%2: %3").arg(pod.namespaceName, pod.name, reply->error().toString());
            if (--tally->pending == 0)
                Q_EMIT removed(tally->removed, tally->errors);
        });
    }
}

} // namespace podtap::gui
