// SPDX-License-Identifier: Apache-2.0
#include "tap/session_sweep.h"

#include "tap/agent_pod_spec.h"

#include <QJsonArray>

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

} // namespace podtap
