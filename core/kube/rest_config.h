// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace podtap::kube {

/// @brief An exec credential plugin as a kubeconfig user describes it (client.authentication.k8s.io v1/v1beta1).
struct ExecConfig
{
    QString apiVersion;
    QString command;
    QStringList args;
    QList<QPair<QString, QString>> env;
    QString installHint;
    bool provideClusterInfo = false;
    QString interactiveMode; ///< Never, IfAvailable or Always
    /// The cluster's `client.authentication.k8s.io/exec` extension as JSON (spec.cluster.config); empty: none
    QByteArray clusterConfigJson;
};

/// @brief What an exec plugin returned: a token or a client certificate, and when it expires.
struct ExecCredential
{
    QString token;
    QByteArray clientCertificatePem;
    QByteArray clientKeyPem;
    std::optional<QDateTime> expiration; ///< UTC; unset: valid until a 401
};

/// @brief Everything needed to talk to one cluster as one user: the resolved form of a kubeconfig context.
///
/// Paths are already resolved and `*-data` fields decoded, so a client never reads the kubeconfig again.
struct RestConfig
{
    QString contextName;
    QString clusterName;
    QString userName;
    QString namespaceName = QStringLiteral("default");

    QUrl server;
    QByteArray caPem; ///< empty: the system roots
    bool insecureSkipTlsVerify = false;
    QString tlsServerName;
    QUrl proxyUrl;

    QByteArray clientCertificatePem;
    QByteArray clientKeyPem;
    QString token; ///< `token`, or the contents of `tokenFile`
    QString tokenFile; ///< re-read when a request gets 401
    QString username;
    QString password;
    std::optional<ExecConfig> exec;
    bool disableCompression = false;

    QString impersonateUser; ///< `as`: send Impersonate-User
    QString impersonateUid; ///< `as-uid`: Impersonate-Uid
    QStringList impersonateGroups; ///< `as-groups`: one Impersonate-Group header each
    QMap<QString, QStringList> impersonateExtra; ///< `as-user-extra`: Impersonate-Extra-<key>
};

} // namespace podtap::kube
