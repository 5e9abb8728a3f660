// SPDX-License-Identifier: Apache-2.0
#include "tap/session_sweep.h"

#include "kube/api_error.h"
#include "kube/kube_client.h"
#include "tap/agent_pod_spec.h"

#include <QJsonArray>
#include <QUrlQuery>

#include <memory>

namespace podtap {

QString podtapPodSelector()
{
    return QStringLiteral("%1=podtap").arg(QLatin1String(kLabelManagedBy));
}

QList<AgentPodInfo> agentPodsFromList(const QJsonObject &podList, const QDateTime &now, int heartbeatTimeoutSeconds)
{
    QList<AgentPodInfo> pods;
    for (const QJsonValue &value : podList.value(QLatin1String("items")).toArray()) {
        const QJsonObject pod = value.toObject();
        const QJsonObject metadata = pod.value(QLatin1String("metadata")).toObject();
        const QJsonObject labels = metadata.value(QLatin1String("labels")).toObject();
        const QJsonObject annotations = metadata.value(QLatin1String("annotations")).toObject();
        if (labels.value(QLatin1String(kLabelManagedBy)).toString() != QLatin1String("podtap")) {
            continue;
        }
        AgentPodInfo info;
        info.name = metadata.value(QLatin1String("name")).toString();
        info.namespaceName = metadata.value(QLatin1String("namespace")).toString();
        info.sessionId = labels.value(QLatin1String(kLabelSession)).toString();
        info.component = labels.value(QLatin1String(kLabelComponent)).toString();
        info.target = annotations.value(QLatin1String(kAnnotationTarget)).toString();
        info.requestedBy = annotations.value(QLatin1String(kAnnotationRequestedBy)).toString();
        info.node = pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString();
        info.phase = pod.value(QLatin1String("status")).toObject().value(QLatin1String("phase")).toString();
        info.deleting = metadata.contains(QLatin1String("deletionTimestamp"));
        info.heartbeat =
            QDateTime::fromString(annotations.value(QLatin1String(kAnnotationHeartbeat)).toString(), Qt::ISODate);
        if (info.phase == QLatin1String("Succeeded") || info.phase == QLatin1String("Failed")) {
            info.dead = true;
            info.deadReason = QStringLiteral("the pod has ended (%1)").arg(info.phase);
        } else if (annotations.value(QLatin1String(kAnnotationHeartbeat)).toString() == QLatin1String(kNoHeartbeat)) {
            // Made by `podtapctl manifest` for kubectl: its owner deletes it; activeDeadlineSeconds bounds it.
        } else if (!info.heartbeat.isValid()) {
            info.dead = true;
            info.deadReason = QStringLiteral("it has no valid podtap.io/heartbeat annotation");
        } else if (info.heartbeat.secsTo(now) > heartbeatTimeoutSeconds) {
            info.dead = true;
            info.deadReason = QStringLiteral("its last heartbeat was %1 s ago (timeout %2 s)")
                                  .arg(info.heartbeat.secsTo(now))
                                  .arg(heartbeatTimeoutSeconds);
        }
        pods << info;
    }
    return pods;
}

namespace {

// What to do when listing or deleting podtap's pods was refused: one sentence a person can act on.
QString sweepFix(const kube::ApiError &error, const QString &verb, const QString &agentNamespace, const QString &pod)
{
    const QString byHand = pod.isEmpty()
        ? QStringLiteral("kubectl get pods -n %1 -l %2").arg(agentNamespace, podtapPodSelector())
        : QStringLiteral("kubectl delete pod -n %1 %2").arg(agentNamespace, pod);
    if (error.isForbidden()) {
        return QStringLiteral("Ask for permission to %1 pods in namespace %2 (manifests/rbac.yaml grants it), or have "
                              "someone who has it run: %3")
            .arg(verb, agentNamespace, byHand);
    }
    if (error.isUnauthorized()) {
        return QStringLiteral("Log in again (the token or certificate may have expired), then retry.");
    }
    if (error.isTransport() || error.kind == kube::ApiError::Kind::Config) {
        return QStringLiteral("Retry when the API server is reachable with this kubeconfig.");
    }
    return QStringLiteral("Retry, or check by hand: %1").arg(byHand);
}

} // namespace

SessionSweeper::SessionSweeper(kube::KubeClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
}

SessionSweeper::~SessionSweeper() = default;

void SessionSweeper::find(
    const QString &agentNamespace, int heartbeatTimeoutSeconds, const QSet<QString> &liveSessionIds)
{
    if (!m_client) {
        Q_EMIT failed(tr("Cannot look for leftover podtap pods in namespace %1: not connected to a cluster. Connect, "
                         "then retry.")
                          .arg(agentNamespace));
        return;
    }
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), podtapPodSelector());
    ++m_busy;
    kube::KubeReply *reply = m_client->get(kube::KubeClient::corePath(QStringLiteral("pods"), agentNamespace), query);
    reply->onFinished(this, [this, agentNamespace, heartbeatTimeoutSeconds, liveSessionIds](kube::KubeReply *reply) {
        reply->deleteLater();
        --m_busy;
        m_pods.clear();
        m_leftovers.clear();
        // The list reply's Date header has just set the server's clock: ages are measured on it.
        m_serverTime = m_client ? m_client->serverNow() : QDateTime::currentDateTimeUtc();
        if (!reply->ok()) {
            // A missing agent namespace simply means nothing was ever left there.
            if (reply->error().isNotFound()) {
                Q_EMIT found(m_leftovers);
                return;
            }
            Q_EMIT failed(tr("Cannot list podtap's pods in namespace %1: %2. %3")
                              .arg(agentNamespace, reply->error().toString(),
                                  sweepFix(reply->error(), QStringLiteral("list"), agentNamespace, {})));
            return;
        }
        m_pods = agentPodsFromList(reply->json(), m_serverTime, heartbeatTimeoutSeconds);
        for (const AgentPodInfo &pod : std::as_const(m_pods)) {
            // A pod being deleted is already on its way out: offering it again would only race its kubelet.
            if (pod.dead && !pod.deleting && !liveSessionIds.contains(pod.sessionId)) {
                m_leftovers << pod;
            }
        }
        Q_EMIT found(m_leftovers);
    });
}

void SessionSweeper::remove(
    const QList<AgentPodInfo> &pods, int gracePeriodSeconds, const QSet<QString> &liveSessionIds)
{
    struct Tally
    {
        int pending = 0;
        QList<AgentPodInfo> removed;
        QStringList errors;
    };
    QList<AgentPodInfo> doomed;
    for (const AgentPodInfo &pod : pods) {
        if (!liveSessionIds.contains(pod.sessionId)) {
            doomed << pod;
        }
    }
    if (doomed.isEmpty()) {
        Q_EMIT removed({}, {});
        return;
    }
    if (!m_client) {
        QStringList errors;
        for (const AgentPodInfo &pod : std::as_const(doomed)) {
            errors
                << tr("pod %1/%2: not connected to a cluster. Connect, then retry.").arg(pod.namespaceName, pod.name);
        }
        Q_EMIT removed({}, errors);
        return;
    }
    auto tally = std::make_shared<Tally>();
    tally->pending = int(doomed.size());
    ++m_busy;
    for (const AgentPodInfo &pod : std::as_const(doomed)) {
        kube::KubeReply *reply = m_client->remove(
            kube::KubeClient::corePath(QStringLiteral("pods"), pod.namespaceName, pod.name), gracePeriodSeconds);
        reply->onFinished(this, [this, tally, pod](kube::KubeReply *reply) {
            reply->deleteLater();
            // Already gone counts as removed: someone (or the agent's own deadline) was quicker.
            if (reply->ok() || reply->error().isNotFound()) {
                tally->removed << pod;
            } else {
                tally->errors << tr("pod %1/%2: could not delete it: %3. %4")
                                     .arg(pod.namespaceName, pod.name, reply->error().toString(),
                                         sweepFix(
                                             reply->error(), QStringLiteral("delete"), pod.namespaceName, pod.name));
            }
            if (--tally->pending == 0) {
                --m_busy;
                Q_EMIT removed(tally->removed, tally->errors);
            }
        });
    }
}

} // namespace podtap
