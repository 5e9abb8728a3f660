// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace podtap::testing {

/// A pod object as the API serves it, with the parts a test varies given as JSON text.
inline QJsonObject podJson(const QString &uid, const QString &ns, const QString &name,
    const QByteArray &statusJson =
        R"({"phase":"Running","podIP":"203.0.113.7","conditions":[{"type":"Ready","status":"True"}],
        "containerStatuses":[{"name":"app","ready":true,"restartCount":0,"state":{"running":{}},
        "containerID":"containerd:\/\/abc123"}]})",
    const QByteArray &extraMetadata = "{}",
    const QByteArray &specJson = R"({"nodeName":"node-1","containers":[{"name":"app"}]})")
{
    QJsonObject metadata = QJsonDocument::fromJson(extraMetadata).object();
    metadata.insert(QStringLiteral("uid"), uid);
    metadata.insert(QStringLiteral("namespace"), ns);
    metadata.insert(QStringLiteral("name"), name);
    if (!metadata.contains(QStringLiteral("creationTimestamp"))) {
        metadata.insert(QStringLiteral("creationTimestamp"), QStringLiteral("2026-01-01T00:00:00Z"));
    }
    return QJsonObject {{QStringLiteral("kind"), QStringLiteral("Pod")}, {QStringLiteral("metadata"), metadata},
        {QStringLiteral("spec"), QJsonDocument::fromJson(specJson).object()},
        {QStringLiteral("status"), QJsonDocument::fromJson(statusJson).object()}};
}

} // namespace podtap::testing
