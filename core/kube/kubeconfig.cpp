// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig.h"

#include "common/text_escape.h"
#include "kube/kubeconfig_printer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QSet>

namespace podtap::kube {

namespace {

const QLatin1String kExecExtension("client.authentication.k8s.io/exec");

QString resolvePath(const QString &path, const QString &origin)
{
    if (path.isEmpty() || QDir::isAbsolutePath(path)) {
        return path;
    }
    return QDir::cleanPath(QFileInfo(origin).absolutePath() + QLatin1Char('/') + path);
}

/// Reads a file a kubeconfig entry points at; the error names the entry, the field and the file.
std::optional<QByteArray> readReferenced(const QString &path, const QString &what, QString &error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("%1: cannot read %2: %3. Fix the path or embed the contents as *-data.")
                    .arg(what, path, file.errorString());
        return std::nullopt;
    }
    return file.read(KubeconfigDocument::kMaxFileSize);
}

QString entryName(const char *kind, const QString &name, const QString &origin)
{
    return QStringLiteral("kubeconfig %1: %2 entry %3").arg(origin, QLatin1String(kind), quoteForMessage(name));
}

QString resolveCluster(const KubeconfigClusterEntry &c, const QString &name, RestConfig &rc)
{
    if (!c.error.isEmpty()) {
        return c.error;
    }
    const QString where = entryName("clusters", name, c.origin);
    if (c.server.isEmpty()) {
        return QStringLiteral("%1: field \"server\": missing; set the API server URL").arg(where);
    }
    QString server = c.server;
    if (!server.contains(QLatin1String("://"))) {
        server.prepend(QLatin1String("https://"));
    }
    rc.server = QUrl(server, QUrl::StrictMode);
    if (!rc.server.isValid() || rc.server.host().isEmpty() ||
        (rc.server.scheme() != QLatin1String("https") && rc.server.scheme() != QLatin1String("http"))) {
        return QStringLiteral("%1: field \"server\": %2 is not an http(s) URL")
            .arg(where, quoteForMessage(c.server, 200));
    }
    const bool hasCa = !c.certificateAuthority.isEmpty() || !c.certificateAuthorityData.isEmpty();
    if (c.insecureSkipTlsVerify && hasCa) {
        return QStringLiteral("%1: field \"insecure-skip-tls-verify\": specifying a root certificates file with the "
                              "insecure flag is not allowed; remove one of them")
            .arg(where);
    }
    if (!c.certificateAuthority.isEmpty() && !c.certificateAuthorityData.isEmpty()) {
        return QStringLiteral("%1: field \"certificate-authority\": both certificate-authority and "
                              "certificate-authority-data are set; keep one")
            .arg(where);
    }
    rc.caPem = c.certificateAuthorityData;
    if (!c.certificateAuthority.isEmpty()) {
        QString error;
        const auto data = readReferenced(resolvePath(c.certificateAuthority, c.origin),
            where + QStringLiteral(": field \"certificate-authority\""), error);
        if (!data) {
            return error;
        }
        rc.caPem = *data;
    }
    rc.insecureSkipTlsVerify = c.insecureSkipTlsVerify;
    rc.tlsServerName = c.tlsServerName;
    rc.disableCompression = c.disableCompression;
    if (!c.proxyUrl.isEmpty()) {
        rc.proxyUrl = QUrl(c.proxyUrl, QUrl::StrictMode);
        static const QStringList schemes {QStringLiteral("http"), QStringLiteral("https"), QStringLiteral("socks5")};
        if (!rc.proxyUrl.isValid() || rc.proxyUrl.host().isEmpty() || !schemes.contains(rc.proxyUrl.scheme())) {
            return QStringLiteral("%1: field \"proxy-url\": not an http, https or socks5 URL").arg(where);
        }
    }
    return {};
}

QString resolveUser(
    const KubeconfigUserEntry &u, const QString &name, const KubeconfigClusterEntry &cluster, RestConfig &rc)
{
    if (!u.error.isEmpty()) {
        return u.error;
    }
    const QString where = entryName("users", name, u.origin);
    auto loadPair = [&](const QString &path, const QByteArray &data, const char *field, QByteArray &out) -> QString {
        if (!path.isEmpty() && !data.isEmpty()) {
            return QStringLiteral("%1: field \"%2\": both %2 and %2-data are set; keep one")
                .arg(where, QLatin1String(field));
        }
        out = data;
        if (!path.isEmpty()) {
            QString error;
            const auto read = readReferenced(
                resolvePath(path, u.origin), where + QStringLiteral(": field \"%1\"").arg(QLatin1String(field)), error);
            if (!read) {
                return error;
            }
            out = *read;
        }
        return {};
    };
    if (QString e =
            loadPair(u.clientCertificate, u.clientCertificateData, "client-certificate", rc.clientCertificatePem);
        !e.isEmpty()) {
        return e;
    }
    if (QString e = loadPair(u.clientKey, u.clientKeyData, "client-key", rc.clientKeyPem); !e.isEmpty()) {
        return e;
    }
    if (rc.clientCertificatePem.isEmpty() != rc.clientKeyPem.isEmpty()) {
        return QStringLiteral("%1: field \"%2\": a client certificate needs both client-certificate and client-key; "
                              "add the missing one")
            .arg(
                where, rc.clientKeyPem.isEmpty() ? QStringLiteral("client-key") : QStringLiteral("client-certificate"));
    }
    const bool hasToken = !u.token.isEmpty() || !u.tokenFile.isEmpty();
    const bool hasBasic = !u.username.isEmpty() || !u.password.isEmpty();
    if (hasToken && hasBasic) {
        return QStringLiteral("%1: field \"username\": more than one authentication method found (token and "
                              "username/password); keep one")
            .arg(where);
    }
    if (!u.tokenFile.isEmpty()) {
        rc.tokenFile = resolvePath(u.tokenFile, u.origin);
    }
    if (!u.token.isEmpty()) {
        rc.token = u.token;
    } else if (!rc.tokenFile.isEmpty()) {
        QString error;
        const auto data = readReferenced(rc.tokenFile, where + QStringLiteral(": field \"tokenFile\""), error);
        if (!data) {
            return error;
        }
        rc.token = QString::fromUtf8(*data).trimmed();
    }
    rc.username = u.username;
    rc.password = u.password;
    rc.impersonateUser = u.impersonate;
    rc.impersonateUid = u.impersonateUid;
    rc.impersonateGroups = u.impersonateGroups.value_or(QStringList());
    rc.impersonateExtra = u.impersonateUserExtra.value_or(QMap<QString, QStringList>());
    if (u.authProvider) {
        return QStringLiteral("%1: field \"auth-provider\": auth provider %2 is not supported (kubectl removed them "
                              "too); use an exec credential plugin instead")
            .arg(where, quoteForMessage(u.authProvider->name));
    }
    if (u.exec) {
        const KubeconfigExecEntry &e = *u.exec;
        if (e.command.isEmpty()) {
            return QStringLiteral("%1: field \"exec.command\": missing; name the credential plugin to run").arg(where);
        }
        static const QStringList versions {
            QStringLiteral("client.authentication.k8s.io/v1"), QStringLiteral("client.authentication.k8s.io/v1beta1")};
        if (!versions.contains(e.apiVersion)) {
            return QStringLiteral("%1: field \"exec.apiVersion\": %2 is not supported; use "
                                  "client.authentication.k8s.io/v1 or v1beta1")
                .arg(where, quoteForMessage(e.apiVersion));
        }
        static const QStringList modes {
            QStringLiteral("Never"), QStringLiteral("IfAvailable"), QStringLiteral("Always")};
        if (e.interactiveMode.isEmpty()) {
            return QStringLiteral("%1: field \"exec.interactiveMode\": must be specified to use exec authentication "
                                  "plugin with client.authentication.k8s.io/v1; set it to Never")
                .arg(where);
        }
        if (!modes.contains(e.interactiveMode)) {
            return QStringLiteral("%1: field \"exec.interactiveMode\": %2 is not Never, IfAvailable or Always")
                .arg(where, quoteForMessage(e.interactiveMode));
        }
        ExecConfig exec;
        exec.apiVersion = e.apiVersion;
        // client-go resolves a command against the kubeconfig's folder only when it has a slash.
        exec.command = e.command.contains(QLatin1Char('/')) ? resolvePath(e.command, u.origin) : e.command;
        exec.args = e.args.value_or(QStringList());
        exec.env = e.env.value_or(QList<QPair<QString, QString>>());
        exec.installHint = e.installHint;
        exec.provideClusterInfo = e.provideClusterInfo;
        exec.interactiveMode = e.interactiveMode;
        if (cluster.extensions.contains(kExecExtension)) {
            exec.clusterConfigJson = KubeconfigPrinter::toGoJson(cluster.extensions.value(kExecExtension)).trimmed();
        }
        rc.exec = exec;
    }
    return {};
}

} // namespace

QStringList Kubeconfig::selectFiles(const KubeconfigLoadOptions &options)
{
    if (!options.explicitPath.isEmpty()) {
        return {QFileInfo(options.explicitPath).absoluteFilePath()};
    }
    QStringList files;
    const QString env = options.environment.value(QStringLiteral("KUBECONFIG"));
    if (!env.isEmpty()) {
        QSet<QString> seen;
        for (const QString &entry : env.split(QLatin1Char(':'), Qt::SkipEmptyParts)) {
            const QString absolute = QFileInfo(entry).absoluteFilePath();
            if (seen.contains(absolute)) {
                continue;
            }
            seen.insert(absolute);
            if (QFileInfo::exists(absolute)) {
                files << absolute;
            }
        }
        return files;
    }
    const QString home = options.home.isEmpty() ? QDir::homePath() : options.home;
    const QString fallback = QDir(home).filePath(QStringLiteral(".kube/config"));
    if (QFileInfo::exists(fallback)) {
        files << fallback;
    }
    return files;
}

Kubeconfig Kubeconfig::load(const KubeconfigLoadOptions &options)
{
    Kubeconfig config;
    const QStringList selected = selectFiles(options);
    if (!options.explicitPath.isEmpty() && !QFileInfo::exists(selected.constFirst())) {
        config.fileErrors << QStringLiteral("kubeconfig %1 (from --kubeconfig) does not exist; check the path")
                                 .arg(selected.constFirst());
        return config;
    }
    for (const QString &path : selected) {
        const KubeconfigDocument doc = KubeconfigDocument::fromFile(path);
        if (!doc.fileError.isEmpty()) {
            config.fileErrors << doc.fileError;
            continue;
        }
        config.files << path;
        config.merged.mergeFrom(doc);
    }
    if (selected.isEmpty() && options.explicitPath.isEmpty() && options.allowInCluster &&
        !options.environment.value(QStringLiteral("KUBERNETES_SERVICE_HOST")).isEmpty()) {
        KubeconfigContext context = inClusterContext(options);
        config.inCluster = true;
        config.currentContext = context.name;
        config.contexts << context;
        return config;
    }
    config.currentContext = config.merged.currentContext;
    for (auto it = config.merged.contexts.cbegin(); it != config.merged.contexts.cend(); ++it) {
        config.contexts << resolve(config.merged, it.key());
    }
    return config;
}

KubeconfigContext Kubeconfig::resolve(const KubeconfigDocument &merged, const QString &contextName)
{
    KubeconfigContext out;
    out.name = contextName;
    out.namespaceName = QStringLiteral("default");
    const auto it = merged.contexts.constFind(contextName);
    if (it == merged.contexts.cend()) {
        out.error =
            QStringLiteral("context %1 is not defined in any kubeconfig file; pick one of %2")
                .arg(quoteForMessage(contextName), QStringList(merged.contexts.keys()).join(QLatin1String(", ")));
        return out;
    }
    const KubeconfigContextEntry &ctx = it.value();
    out.cluster = ctx.cluster;
    out.user = ctx.user;
    if (!ctx.namespaceName.isEmpty()) {
        out.namespaceName = ctx.namespaceName;
    }
    if (!ctx.error.isEmpty()) {
        out.error = ctx.error;
        return out;
    }
    const QString where = entryName("contexts", contextName, ctx.origin);
    if (ctx.cluster.isEmpty()) {
        out.error = QStringLiteral("%1: field \"cluster\": missing; name the cluster this context uses").arg(where);
        return out;
    }
    const auto cluster = merged.clusters.constFind(ctx.cluster);
    if (cluster == merged.clusters.cend()) {
        out.error = QStringLiteral("%1: field \"cluster\": cluster %2 is not defined in any kubeconfig file; add it "
                                   "or fix the name")
                        .arg(where, quoteForMessage(ctx.cluster));
        return out;
    }
    RestConfig rc;
    rc.contextName = contextName;
    rc.clusterName = ctx.cluster;
    rc.userName = ctx.user;
    rc.namespaceName = out.namespaceName;
    if (QString error = resolveCluster(cluster.value(), ctx.cluster, rc); !error.isEmpty()) {
        out.error = error;
        return out;
    }
    if (!ctx.user.isEmpty()) {
        const auto user = merged.users.constFind(ctx.user);
        if (user == merged.users.cend()) {
            out.error = QStringLiteral("%1: field \"user\": user %2 is not defined in any kubeconfig file; add it or "
                                       "fix the name")
                            .arg(where, quoteForMessage(ctx.user));
            return out;
        }
        if (QString error = resolveUser(user.value(), ctx.user, cluster.value(), rc); !error.isEmpty()) {
            out.error = error;
            return out;
        }
    }
    out.config = rc;
    return out;
}

KubeconfigContext Kubeconfig::inClusterContext(const KubeconfigLoadOptions &options)
{
    KubeconfigContext out;
    out.name = QStringLiteral("in-cluster");
    out.cluster = out.name;
    out.user = out.name;
    out.namespaceName = QStringLiteral("default");
    const QString host = options.environment.value(QStringLiteral("KUBERNETES_SERVICE_HOST"));
    const QString port = options.environment.value(QStringLiteral("KUBERNETES_SERVICE_PORT"));
    if (host.isEmpty() || port.isEmpty()) {
        out.error = QStringLiteral("in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
                                   "set (podtap is not running in a pod); use a kubeconfig instead");
        return out;
    }
    const QDir root(options.inClusterRoot);
    RestConfig rc;
    rc.contextName = out.name;
    rc.clusterName = out.name;
    rc.userName = out.name;
    QHostAddress address;
    const QString hostPart = address.setAddress(host) && address.protocol() == QAbstractSocket::IPv6Protocol
        ? QStringLiteral("[%1]").arg(host)
        : host;
    rc.server = QUrl(QStringLiteral("https://%1:%2").arg(hostPart, port));
    rc.tokenFile = root.filePath(QStringLiteral("token"));
    QString error;
    const auto token = readReferenced(rc.tokenFile, QStringLiteral("in-cluster config: service account token"), error);
    if (!token) {
        out.error = error;
        return out;
    }
    rc.token = QString::fromUtf8(*token).trimmed();
    const auto ca =
        readReferenced(root.filePath(QStringLiteral("ca.crt")), QStringLiteral("in-cluster config: CA"), error);
    if (!ca) {
        out.error = error;
        return out;
    }
    rc.caPem = *ca;
    QFile ns(root.filePath(QStringLiteral("namespace")));
    if (ns.open(QIODevice::ReadOnly)) {
        const QString name = QString::fromUtf8(ns.read(256)).trimmed();
        if (!name.isEmpty()) {
            out.namespaceName = name;
        }
    }
    rc.namespaceName = out.namespaceName;
    out.config = rc;
    return out;
}

const KubeconfigContext *Kubeconfig::context(const QString &name) const
{
    for (const auto &c : contexts) {
        if (c.name == name) {
            return &c;
        }
    }
    return nullptr;
}

} // namespace podtap::kube
