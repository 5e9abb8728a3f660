// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "common/defaults.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace podtap {

/// @brief The agent namespace as a v1 Namespace object, with the Pod Security labels the agent needs.
///
/// `enforce=privileged`: the baseline and restricted levels refuse hostNetwork, hostPath
/// volumes and the NET_ADMIN/SYS_ADMIN/SYS_PTRACE capabilities, all of which the agent needs.
/// `warn`/`audit` are set to the same level so that every tap does not log a warning.
QJsonObject agentNamespaceObject(const QString &name = QString::fromLatin1(kDefaultAgentNamespace));

/// The same as YAML with a comment explaining the labels: what manifests/namespace.yaml holds
/// for the default name, and what preflight shows or creates when the namespace is missing.
QByteArray agentNamespaceYaml(const QString &name = QString::fromLatin1(kDefaultAgentNamespace));

} // namespace podtap
