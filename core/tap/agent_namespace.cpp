// SPDX-License-Identifier: Apache-2.0
#include "tap/agent_namespace.h"

#include "tap/manifest_yaml.h"

namespace podtap {

QJsonObject agentNamespaceObject(const QString &name)
{
    const QJsonObject labels {
        {QStringLiteral("app.kubernetes.io/name"), QStringLiteral("podtap")},
        {QStringLiteral("app.kubernetes.io/managed-by"), QStringLiteral("podtap")},
        {QStringLiteral("pod-security.kubernetes.io/enforce"), QStringLiteral("privileged")},
        {QStringLiteral("pod-security.kubernetes.io/enforce-version"), QStringLiteral("latest")},
        {QStringLiteral("pod-security.kubernetes.io/warn"), QStringLiteral("privileged")},
        {QStringLiteral("pod-security.kubernetes.io/warn-version"), QStringLiteral("latest")},
        {QStringLiteral("pod-security.kubernetes.io/audit"), QStringLiteral("privileged")},
        {QStringLiteral("pod-security.kubernetes.io/audit-version"), QStringLiteral("latest")},
    };
    return QJsonObject {
        {QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Namespace")},
        {QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), name}, {QStringLiteral("labels"), labels}}},
    };
}

QByteArray agentNamespaceYaml(const QString &name)
{
    const QString comment =
        QStringLiteral("The namespace podtap's node agents run in.\n"
                       "The agent pods need hostNetwork, hostPath volumes (/proc, /var/run/netns) and the\n"
                       "NET_ADMIN, SYS_ADMIN and SYS_PTRACE capabilities. The Pod Security 'baseline' and\n"
                       "'restricted' levels refuse every one of those, so this namespace enforces 'privileged'.\n"
                       "warn and audit are set to the same level, so that every tap does not log a warning.\n"
                       "Keep this namespace for podtap only, and grant pod create rights in it to operators only\n"
                       "(see rbac.yaml).");
    return toYaml(agentNamespaceObject(name), comment);
}

} // namespace podtap
