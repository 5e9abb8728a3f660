// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace podtap::kube {

/// @brief A JSON-shaped value (what kubectl keeps for extensions and what the printers walk).
///
/// Maps keep their insertion order; the JSON printer writes them in that order and the YAML
/// printer sorts them the way kubectl does.
struct KubeconfigValue
{
    enum class Kind { Null, Bool, Number, String, List, Map };
    Kind kind = Kind::Null;
    bool boolean = false;
    QString text; ///< String, or a Number's literal text
    QList<KubeconfigValue> list;
    QList<QPair<QString, KubeconfigValue>> map;

    static KubeconfigValue string(const QString &s);
    static KubeconfigValue boolean_(bool b);
    static KubeconfigValue stringList(const QStringList &items);
    static KubeconfigValue emptyMap();
    static KubeconfigValue emptyList();
    void insert(const QString &key, KubeconfigValue value);
};

using KubeconfigExtensions = QMap<QString, KubeconfigValue>;

/// @brief One `clusters[]` entry of a kubeconfig, as written (paths unresolved, data decoded).
struct KubeconfigClusterEntry
{
    QString origin; ///< absolute path of the file that defined it
    QString server;
    QString tlsServerName;
    bool insecureSkipTlsVerify = false;
    QString certificateAuthority;
    QByteArray certificateAuthorityData;
    QString proxyUrl;
    bool disableCompression = false;
    KubeconfigExtensions extensions;
    QString error; ///< set when the entry is malformed: names file, entry and field
};

struct KubeconfigExecEntry
{
    QString command;
    std::optional<QStringList> args;
    std::optional<QList<QPair<QString, QString>>> env;
    QString apiVersion;
    QString installHint;
    bool provideClusterInfo = false;
    QString interactiveMode;
};

struct KubeconfigAuthProviderEntry
{
    QString name;
    std::optional<QMap<QString, QString>> config;
};

/// @brief One `users[]` entry of a kubeconfig, as written.
struct KubeconfigUserEntry
{
    QString origin;
    QString clientCertificate;
    QByteArray clientCertificateData;
    QString clientKey;
    QByteArray clientKeyData;
    QString token;
    QString tokenFile;
    QString impersonate;
    QString impersonateUid;
    std::optional<QStringList> impersonateGroups;
    std::optional<QMap<QString, QStringList>> impersonateUserExtra;
    QString username;
    QString password;
    std::optional<KubeconfigAuthProviderEntry> authProvider;
    std::optional<KubeconfigExecEntry> exec;
    KubeconfigExtensions extensions;
    QString error;
};

/// @brief One `contexts[]` entry of a kubeconfig, as written.
struct KubeconfigContextEntry
{
    QString origin;
    QString cluster;
    QString user;
    QString namespaceName;
    KubeconfigExtensions extensions;
    QString error;
};

/// @brief The contents of one kubeconfig file, or of several merged with client-go's rules.
///
/// Entries are keyed by name (kubectl prints them sorted by name). Parsing never throws: a
/// malformed entry keeps an `error` naming the file, the entry and the field; a file that cannot
/// be read or is not YAML leaves `fileError` set.
struct KubeconfigDocument
{
    QMap<QString, KubeconfigClusterEntry> clusters;
    QMap<QString, KubeconfigUserEntry> users;
    QMap<QString, KubeconfigContextEntry> contexts;
    QString currentContext;
    bool colors = false;
    KubeconfigExtensions preferenceExtensions;
    KubeconfigExtensions extensions;
    QString fileError;

    /// Largest kubeconfig read; bigger files are refused before parsing.
    static constexpr qint64 kMaxFileSize = 16 * 1024 * 1024;

    /// Reads and parses @p path (made absolute; it becomes every entry's origin).
    static KubeconfigDocument fromFile(const QString &path);
    /// Parses @p yaml as if read from @p path.
    static KubeconfigDocument fromYaml(const QByteArray &yaml, const QString &path);

    /// Merges @p later under this one: an entry name already here wins as a whole, and only
    /// empty scalars are filled in (client-go's first-file-wins rule).
    void mergeFrom(const KubeconfigDocument &later);
};

} // namespace podtap::kube
