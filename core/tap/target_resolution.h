// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QJsonObject>
#include <QString>

#include <optional>

namespace podtap {

/// @brief What a tap needs from the target pod's status: where it runs and which container to find.
struct ResolvedTarget
{
    QString node; ///< spec.nodeName
    QString nodeIp; ///< the node's InternalIP (filled by nodeInternalIp())
    QString containerId; ///< a running container's ID, with its runtime:// prefix
    QString podIp; ///< status.podIP, for the pod-name hosts file
};

/// Reads node, a running container's ID and the pod IP from a v1 Pod. On failure returns nullopt
/// and fills @p error with what is missing and what to do (pending, not scheduled, nothing running).
std::optional<ResolvedTarget> targetFromPod(const QJsonObject &pod, QString *error);

/// The first InternalIP in a v1 Node's status.addresses (ExternalIP when there is none). Empty
/// with @p error filled when the node reports neither.
QString nodeInternalIp(const QJsonObject &node, QString *error);

} // namespace podtap
