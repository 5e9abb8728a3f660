// SPDX-License-Identifier: Apache-2.0
#include "tap/target_resolution.h"

#include "tap/tap_request.h"

#include <QJsonArray>

namespace podtap {

std::optional<ResolvedTarget> targetFromPod(const QJsonObject &pod, QString *error)
{
    const QJsonObject metadata = pod.value(QLatin1String("metadata")).toObject();
    const QString name = metadata.value(QLatin1String("namespace")).toString() + QLatin1Char('/') +
        metadata.value(QLatin1String("name")).toString();
    const QJsonObject spec = pod.value(QLatin1String("spec")).toObject();
    const QJsonObject status = pod.value(QLatin1String("status")).toObject();
    auto fail = [&](const QString &message) -> std::optional<ResolvedTarget> {
        if (error) {
            *error = message;
        }
        return std::nullopt;
    };

    ResolvedTarget target;
    target.node = spec.value(QLatin1String("nodeName")).toString();
    if (target.node.isEmpty() || !isDnsSubdomain(target.node)) {
        return fail(QStringLiteral("pod %1 is not scheduled on a node yet (phase %2); wait until it runs, or check "
                                   "`kubectl describe pod` for why it is pending.")
                        .arg(name, status.value(QLatin1String("phase")).toString(QStringLiteral("unknown"))));
    }
    if (spec.value(QLatin1String("hostNetwork")).toBool()) {
        return fail(QStringLiteral("pod %1 uses hostNetwork: its interfaces are the node's, and mirroring them would "
                                   "loop the tunnel into itself. Tap a pod with its own network namespace.")
                        .arg(name));
    }
    target.podIp = status.value(QLatin1String("podIP")).toString();
    // Any running container will do: they all share the pod's network namespace.
    for (const QJsonValue &value : status.value(QLatin1String("containerStatuses")).toArray()) {
        const QJsonObject container = value.toObject();
        const QString id = container.value(QLatin1String("containerID")).toString();
        if (!id.isEmpty() && container.value(QLatin1String("state")).toObject().contains(QLatin1String("running"))) {
            target.containerId = id;
            break;
        }
    }
    if (target.containerId.isEmpty()) {
        return fail(QStringLiteral("pod %1 has no running container (phase %2), so there is no network namespace to "
                                   "tap; wait until it runs, or check `kubectl describe pod`.")
                        .arg(name, status.value(QLatin1String("phase")).toString(QStringLiteral("unknown"))));
    }
    return target;
}

QString nodeInternalIp(const QJsonObject &node, QString *error)
{
    const QJsonArray addresses =
        node.value(QLatin1String("status")).toObject().value(QLatin1String("addresses")).toArray();
    QString external;
    for (const QJsonValue &value : addresses) {
        const QJsonObject address = value.toObject();
        const QString type = address.value(QLatin1String("type")).toString();
        const QString ip = address.value(QLatin1String("address")).toString();
        if (!isIpLiteral(ip)) {
            continue;
        }
        if (type == QLatin1String("InternalIP")) {
            return ip;
        }
        if (type == QLatin1String("ExternalIP") && external.isEmpty()) {
            external = ip;
        }
    }
    if (external.isEmpty() && error) {
        *error = QStringLiteral("node %1 reports no InternalIP or ExternalIP address, so the tunnel has no endpoint "
                                "there; check `kubectl get node %1 -o wide`.")
                     .arg(node.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString());
    }
    return external;
}

} // namespace podtap
