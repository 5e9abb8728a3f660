// SPDX-License-Identifier: Apache-2.0
#include "kube_client.h"

#include "podtap/version.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslError>
#include <QSslKey>
#include <QTimer>

#include <algorithm>

namespace podtap::kube {

namespace {

// QNAM opens at most 6 HTTP/1.1 connections per host and manager; a stream holds one for its
// whole life. Keep well below so a stream never waits for a connection either.
constexpr int kStreamsPerManager = 4;

const char kSslErrorsProperty[] = "podtapSslErrors";
const char kTooLargeProperty[] = "podtapTooLarge";

QString userAgent()
{
    return QStringLiteral("podtap/%1").arg(QLatin1String(kVersion));
}

ApiError makeConfigError(const QString &message)
{
    ApiError error;
    error.kind = ApiError::Kind::Config;
    error.message = message;
    return error;
}

/// Reads a private key whatever its algorithm: PKCS#1 RSA, SEC1 EC, or PKCS#8 "BEGIN PRIVATE KEY"
/// wrapping either. Never assumes RSA: each algorithm is tried against the PEM.
std::optional<QSslKey> parsePrivateKey(const QByteArray &pem, QString *problem)
{
    if (pem.contains("BEGIN ENCRYPTED PRIVATE KEY") || pem.contains("Proc-Type: 4,ENCRYPTED")) {
        *problem = QStringLiteral("the key is encrypted with a passphrase, which a kubeconfig cannot supply; "
                                  "decrypt it with 'openssl pkey -in KEY -out KEY.plain'");
        return std::nullopt;
    }
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull()) {
            return key;
        }
    }
    *problem = pem.contains("BEGIN") ? QStringLiteral("the key is not an RSA, EC or DSA private key that TLS can use")
                                     : QStringLiteral("the data is not a PEM private key");
    return std::nullopt;
}

bool applyClientIdentity(
    QSslConfiguration &ssl, const QByteArray &certPem, const QByteArray &keyPem, const QString &who, ApiError *error)
{
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = makeConfigError(QStringLiteral("%1: the client certificate is not a PEM certificate. "
                                                "Fix client-certificate(-data) in the kubeconfig.")
                                     .arg(who));
        return false;
    }
    QString problem;
    const std::optional<QSslKey> key = parsePrivateKey(keyPem, &problem);
    if (!key) {
        *error = makeConfigError(
            QStringLiteral("%1: cannot use the client key: %2. Fix client-key(-data) in the kubeconfig.")
                .arg(who, problem));
        return false;
    }
    ssl.setLocalCertificateChain(chain);
    ssl.setPrivateKey(*key);
    return true;
}

QNetworkProxy proxyFromUrl(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    const QNetworkProxy::ProxyType type =
        scheme.startsWith(QLatin1String("socks")) ? QNetworkProxy::Socks5Proxy : QNetworkProxy::HttpProxy;
    const int defaultPort = type == QNetworkProxy::Socks5Proxy ? 1080 : (scheme == QLatin1String("https") ? 443 : 80);
    return QNetworkProxy(type, url.host(), quint16(url.port(defaultPort)), url.userName(), url.password());
}

/// Percent-encodes what may not stand in an HTTP header name, as client-go does for
/// Impersonate-Extra-<key> (RFC 7230 token characters stay, `%` itself is encoded).
QByteArray headerKeyEscape(const QString &key)
{
    return QUrl::toPercentEncoding(key, QByteArrayLiteral("!#$&'*+-.^_`|~"));
}

/// Several values of one header. QNetworkRequest keeps one value per name, so the repeats are
/// joined into one field the way they go on the wire; values are checked to hold no line breaks.
QByteArray repeatedHeader(const QByteArray &name, const QStringList &values)
{
    QByteArray joined;
    for (const QString &value : values) {
        if (!joined.isEmpty()) {
            joined += "\r\n" + name + ": ";
        }
        joined += value.toUtf8();
    }
    return joined;
}

bool hasControlCharacter(const QString &text)
{
    return std::any_of(text.cbegin(), text.cend(), [](QChar c) { return c.unicode() < 0x20 || c.unicode() == 0x7f; });
}

QByteArray encodeQuery(const QUrlQuery &query)
{
    QByteArray out;
    for (const auto &[key, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (!out.isEmpty()) {
            out += '&';
        }
        out += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
    }
    return out;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// KubeReply

KubeReply::KubeReply(QObject *parent)
    : QObject(parent)
{
}

QJsonObject KubeReply::json() const
{
    if (!m_json) {
        m_json = QJsonDocument::fromJson(m_body).object();
    }
    return *m_json;
}

void KubeReply::onFinished(QObject *context, std::function<void(KubeReply *)> callback)
{
    if (m_finished) {
        callback(this);
        return;
    }
    connect(this, &KubeReply::finished, context, [this, callback = std::move(callback)] { callback(this); });
}

void KubeReply::finish(int httpStatus, QByteArray body, ApiError error, QStringList warnings)
{
    m_finished = true;
    m_httpStatus = httpStatus;
    m_body = std::move(body);
    m_error = std::move(error);
    m_warnings = std::move(warnings);
    Q_EMIT finished();
}

// ---------------------------------------------------------------------------------------------
// KubeStream

KubeStream::KubeStream(QObject *parent)
    : QObject(parent)
{
}

KubeStream::~KubeStream()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void KubeStream::setIdleTimeout(int ms)
{
    m_idleTimeoutMs = std::max(0, ms);
    if (m_idleTimeoutMs == 0) {
        if (m_idleTimer) {
            m_idleTimer->stop();
        }
        return;
    }
    if (!m_idleTimer) {
        m_idleTimer = new QTimer(this);
        m_idleTimer->setSingleShot(true);
        connect(m_idleTimer, &QTimer::timeout, this, &KubeStream::onIdle);
    }
    if (!m_closed) {
        m_idleTimer->start(m_idleTimeoutMs);
    }
}

void KubeStream::onIdle()
{
    if (m_closed) {
        return;
    }
    ApiError error;
    error.kind = ApiError::Kind::Network;
    error.message = QStringLiteral("%1: no data from the server for %2 s, longer than the server's own watch "
                                   "timeout; the connection is presumed dead (a half-open connection, e.g. after a "
                                   "network change or a NAT timeout). Reconnecting; if this repeats, check the network "
                                   "path to the API server.")
                        .arg(m_operation.isEmpty() ? QStringLiteral("stream") : m_operation)
                        .arg(m_idleTimeoutMs / 1000);
    m_closed = true;
    m_open = false;
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
    }
    Q_EMIT closed(error);
}

void KubeStream::close()
{
    if (m_closed) {
        return;
    }
    m_closed = true;
    if (m_idleTimer) {
        m_idleTimer->stop();
    }
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
    }
    Q_EMIT closed(ApiError {});
}

void KubeStream::attach(QNetworkReply *reply)
{
    m_reply = reply;
    m_httpStatus = 0;
    m_errorBody.clear();
    if (m_idleTimer && m_idleTimeoutMs > 0) {
        m_idleTimer->start(m_idleTimeoutMs);
    }
    connect(reply, &QNetworkReply::metaDataChanged, this, [this] {
        if (!m_reply) {
            return;
        }
        m_httpStatus = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (m_httpStatus >= 200 && m_httpStatus < 300 && !m_open) {
            m_open = true;
            Q_EMIT opened();
        }
    });
    connect(reply, &QNetworkReply::readyRead, this, &KubeStream::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &KubeStream::onFinished);
}

void KubeStream::onReadyRead()
{
    if (!m_reply) {
        return;
    }
    m_httpStatus = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray chunk = m_reply->readAll();
    if (m_idleTimer && m_idleTimeoutMs > 0 && !chunk.isEmpty()) {
        m_idleTimer->start(m_idleTimeoutMs);
    }
    if (m_httpStatus < 200 || m_httpStatus >= 300) {
        if (m_errorBody.size() < 1024 * 1024) {
            m_errorBody += chunk;
        }
        return;
    }
    if (!m_open) {
        m_open = true;
        Q_EMIT opened();
    }
    const qsizetype droppedBefore = m_framer.droppedLines();
    const QByteArrayList lines = m_framer.append(chunk);
    QPointer<KubeStream> self(this);
    for (const QByteArray &line : lines) {
        Q_EMIT lineReceived(line);
        if (!self || m_closed) {
            return; // a receiver closed or deleted the stream
        }
    }
    if (m_framer.droppedLines() != droppedBefore) {
        Q_EMIT lineTooLong(m_framer.maxLineBytes());
    }
}

void KubeStream::onFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply || m_closed) {
        return;
    }
    if (reply->bytesAvailable() > 0) {
        onReadyRead();
        if (m_closed) {
            return;
        }
    }
    m_httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->disconnect(this);
    reply->deleteLater();
    m_reply = nullptr;
    if (m_idleTimer) {
        m_idleTimer->stop(); // a retry's attach() restarts it
    }
    if (m_httpStatus == 401 && !m_open && !m_retriedAuth && m_retry) {
        m_retriedAuth = true;
        if (m_retry(this, m_httpStatus)) {
            return; // reattached to a fresh request
        }
    }
    ApiError error;
    if (m_httpStatus >= 200 && m_httpStatus < 300) {
        const QByteArray rest = m_framer.takeRemainder();
        if (!rest.isEmpty()) {
            QPointer<KubeStream> self(this);
            Q_EMIT lineReceived(rest);
            if (!self || m_closed) {
                return;
            }
        }
        // A clean end (the server's timeout) is no error; a reset mid-stream is.
        if (reply->error() != QNetworkReply::NoError && m_transportError) {
            error = m_transportError(reply);
        }
    } else if (m_httpStatus == 0) {
        error = m_transportError ? m_transportError(reply) : ApiError {};
    } else {
        error = ApiError::fromStatus(m_httpStatus, m_errorBody, QStringLiteral("stream"));
    }
    m_closed = true;
    m_open = false;
    Q_EMIT closed(error);
}

// ---------------------------------------------------------------------------------------------
// KubeClient

KubeClient::KubeClient(RestConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    m_ssl = QSslConfiguration::defaultConfiguration();
    m_ssl.setProtocol(QSsl::TlsV1_2OrLater);
    const QString who = m_config.contextName.isEmpty() ? m_config.server.toString()
                                                       : QStringLiteral("context %1").arg(m_config.contextName);
    if (!m_config.caPem.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromData(m_config.caPem, QSsl::Pem);
        if (cas.isEmpty()) {
            m_configError =
                makeConfigError(QStringLiteral("%1: the cluster's certificate-authority is not a PEM "
                                               "certificate. Fix certificate-authority(-data) in the kubeconfig.")
                                    .arg(who));
        } else {
            // The kubeconfig's CA is the only trust anchor, exactly as kubectl treats it.
            m_ssl.setCaCertificates(cas);
        }
    }
    if (m_config.insecureSkipTlsVerify) {
        m_ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
    }
    if (!m_config.clientCertificatePem.isEmpty() || !m_config.clientKeyPem.isEmpty()) {
        ApiError error;
        if (!applyClientIdentity(m_ssl, m_config.clientCertificatePem, m_config.clientKeyPem, who, &error)) {
            m_configError = error;
        }
    }
    if (m_config.server.scheme() == QLatin1String("https") && QSslSocket::supportsSsl() == false) {
        m_configError = makeConfigError(QStringLiteral("%1: this build has no TLS support; install the Qt TLS plugin "
                                                       "(OpenSSL backend).")
                                            .arg(who));
    }
    QStringList impersonation = m_config.impersonateGroups;
    impersonation << m_config.impersonateUser << m_config.impersonateUid;
    for (auto it = m_config.impersonateExtra.cbegin(); it != m_config.impersonateExtra.cend(); ++it) {
        impersonation << it.key() << it.value();
    }
    if (std::any_of(impersonation.cbegin(), impersonation.cend(), hasControlCharacter)) {
        m_configError = makeConfigError(QStringLiteral("%1: a value of as, as-uid, as-groups or as-user-extra of user "
                                                       "%2 holds a control character, which cannot go into an HTTP "
                                                       "header. Fix the impersonation settings in the kubeconfig.")
                                            .arg(who, m_config.userName));
    }
    if (m_config.proxyUrl.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0) {
        // Qt speaks only cleartext to an HTTP proxy: the CONNECT line and Proxy-Authorization would
        // travel unencrypted to a proxy the kubeconfig expects to reach over TLS.
        m_configError = makeConfigError(
            QStringLiteral("cluster %1 in the kubeconfig: proxy-url %2 asks for TLS to the proxy (https://), which "
                           "podtap does not support, and it will not send the proxy credentials in the clear. Use an "
                           "http:// proxy-url (the API traffic inside the tunnel is still TLS) or a local tunnel to "
                           "the proxy (e.g. ssh -L or stunnel) and point proxy-url at it.")
                .arg(m_config.clusterName.isEmpty() ? who : m_config.clusterName,
                    m_config.proxyUrl.toString(QUrl::RemoveUserInfo)));
    }
    m_manager = createManager();
}

KubeClient::~KubeClient() = default;

QNetworkAccessManager *KubeClient::createManager()
{
    auto *manager = new QNetworkAccessManager(this);
    manager->setProxy(proxy());
    manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    connect(manager, &QNetworkAccessManager::sslErrors, this, [](QNetworkReply *reply, const QList<QSslError> &errors) {
        QStringList texts;
        for (const QSslError &error : errors) {
            texts << error.errorString();
        }
        reply->setProperty(kSslErrorsProperty, texts);
    });
    return manager;
}

QNetworkProxy KubeClient::proxy() const
{
    if (m_config.proxyUrl.isValid() && !m_config.proxyUrl.isEmpty()) {
        return proxyFromUrl(m_config.proxyUrl);
    }
    return QNetworkProxy(QNetworkProxy::NoProxy);
}

void KubeClient::setCredentialProvider(CredentialProvider provider)
{
    m_credentialProvider = std::move(provider);
    m_execCredential.reset();
}

QString KubeClient::corePath(const QString &resource, const QString &namespaceName, const QString &name)
{
    QString path = QStringLiteral("/api/v1");
    if (!namespaceName.isEmpty()) {
        path += QStringLiteral("/namespaces/") + namespaceName;
    }
    path += QLatin1Char('/') + resource;
    if (!name.isEmpty()) {
        path += QLatin1Char('/') + name;
    }
    return path;
}

QNetworkRequest KubeClient::buildRequest(const QString &path, const QUrlQuery &query, bool streaming)
{
    QUrl url = m_config.server;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/'))) {
        base.chop(1);
    }
    url.setPath(base + path);
    const QByteArray encoded = encodeQuery(query);
    url.setQuery(encoded.isEmpty() ? QString() : QString::fromLatin1(encoded), QUrl::StrictMode);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::UserAgentHeader, userAgent());
    request.setTransferTimeout(streaming ? 0 : m_requestTimeoutMs);
    if (streaming) {
        // One connection per stream: a dropped stream never takes other streams with it.
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    }
    if (!m_config.tlsServerName.isEmpty()) {
        request.setPeerVerifyName(m_config.tlsServerName);
    }
    // The kubeconfig's as/as-uid/as-groups/as-user-extra, as kubectl sends them, on every request and stream.
    if (!m_config.impersonateUser.isEmpty()) {
        request.setRawHeader("Impersonate-User", m_config.impersonateUser.toUtf8());
    }
    if (!m_config.impersonateUid.isEmpty()) {
        request.setRawHeader("Impersonate-Uid", m_config.impersonateUid.toUtf8());
    }
    if (!m_config.impersonateGroups.isEmpty()) {
        request.setRawHeader("Impersonate-Group", repeatedHeader("Impersonate-Group", m_config.impersonateGroups));
    }
    for (auto it = m_config.impersonateExtra.cbegin(); it != m_config.impersonateExtra.cend(); ++it) {
        const QByteArray name = "Impersonate-Extra-" + headerKeyEscape(it.key());
        request.setRawHeader(name, repeatedHeader(name, it.value()));
    }
    return request;
}

bool KubeClient::applyCredentials(QNetworkRequest &request, QSslConfiguration &ssl, ApiError *error)
{
    QString token;
    if (m_config.exec) {
        if (!m_credentialProvider) {
            *error = makeConfigError(QStringLiteral("user %1 gets credentials from the exec plugin '%2', but this "
                                                    "program was given no way to run it")
                                         .arg(m_config.userName, m_config.exec->command));
            return false;
        }
        if (!m_execCredential) {
            *error = makeConfigError(m_execCredentialError.isEmpty()
                    ? QStringLiteral("the exec plugin '%1' returned no credential").arg(m_config.exec->command)
                    : m_execCredentialError);
            return false;
        }
        token = m_execCredential->token;
        if (!m_execCredential->clientCertificatePem.isEmpty()) {
            if (!applyClientIdentity(ssl, m_execCredential->clientCertificatePem, m_execCredential->clientKeyPem,
                    QStringLiteral("exec plugin '%1'").arg(m_config.exec->command), error)) {
                return false;
            }
        }
    }
    if (token.isEmpty()) {
        token = m_config.token;
    }
    if (token.isEmpty() && !m_config.tokenFile.isEmpty()) {
        QFile file(m_config.tokenFile);
        if (file.open(QIODevice::ReadOnly)) {
            m_config.token = QString::fromUtf8(file.readAll()).trimmed();
            token = m_config.token;
        }
    }
    if (!token.isEmpty()) {
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    } else if (!m_config.username.isEmpty()) {
        request.setRawHeader(
            "Authorization", "Basic " + (m_config.username + QLatin1Char(':') + m_config.password).toUtf8().toBase64());
    }
    return true;
}

ApiError KubeClient::authorizedRequest(
    const QString &path, const QUrlQuery &query, bool streaming, QNetworkRequest *request, QSslConfiguration *ssl)
{
    if (m_configError.isError()) {
        return m_configError;
    }
    *request = buildRequest(path, query, streaming);
    *ssl = m_ssl;
    ApiError error;
    if (!applyCredentials(*request, *ssl, &error)) {
        return error;
    }
    request->setSslConfiguration(*ssl);
    return {};
}

void KubeClient::prepareUpgrade(
    QObject *context, const QString &path, const QUrlQuery &query, UpgradeCallback ready, int refusedGeneration)
{
    withCredential(
        context,
        [this, path, query, ready = std::move(ready)] {
            UpgradeRequest upgrade;
            const ApiError error = authorizedRequest(path, query, true, &upgrade.request, &upgrade.ssl);
            upgrade.proxy = proxy();
            upgrade.tlsServerName = m_config.tlsServerName;
            upgrade.credentialGeneration = m_credentialGeneration;
            ready(upgrade, error);
        },
        refusedGeneration);
}

bool KubeClient::mayRetryUnauthorized()
{
    return (m_config.exec && m_credentialProvider) || refreshTokenFile();
}

void KubeClient::withCredential(QObject *context, std::function<void()> then, int refusedGeneration)
{
    const bool refused = refusedGeneration >= 0 && refusedGeneration == m_credentialGeneration;
    const bool fresh = m_execCredential &&
        (!m_execCredential->expiration || *m_execCredential->expiration > QDateTime::currentDateTimeUtc().addSecs(10));
    if (!m_config.exec || !m_credentialProvider || m_configError.isError() ||
        (fresh && !refused && !m_fetchingCredential)) {
        then();
        return;
    }
    m_credentialWaiters.append({QPointer<QObject>(context), std::move(then)});
    if (m_fetchingCredential) {
        return; // the fetch under way serves this one too
    }
    m_fetchingCredential = true;
    QPointer<KubeClient> self(this);
    m_credentialProvider(refused || m_execCredential.has_value(),
        [self](std::optional<ExecCredential> credential, const QString &error) {
            if (!self) {
                return;
            }
            self->m_fetchingCredential = false;
            self->m_execCredential = std::move(credential);
            self->m_execCredentialError = error;
            ++self->m_credentialGeneration;
            const auto waiters = std::exchange(self->m_credentialWaiters, {});
            for (const auto &[waiter, run] : waiters) {
                if (waiter) {
                    run();
                }
            }
        });
}

bool KubeClient::refreshTokenFile()
{
    if (!m_config.tokenFile.isEmpty()) {
        QFile file(m_config.tokenFile);
        if (file.open(QIODevice::ReadOnly)) {
            const QString token = QString::fromUtf8(file.readAll()).trimmed();
            if (token != m_config.token) {
                m_config.token = token;
                return true;
            }
        }
    }
    return false;
}

QNetworkReply *KubeClient::dispatch(
    QNetworkAccessManager *manager, const QNetworkRequest &request, const QByteArray &verb, const QByteArray &body)
{
    if (verb == "GET") {
        return manager->get(request);
    }
    if (verb == "POST") {
        return manager->post(request, body);
    }
    if (verb == "PUT") {
        return manager->put(request, body);
    }
    return manager->sendCustomRequest(request, verb, body);
}

QStringList KubeClient::collectWarnings(QNetworkReply *reply)
{
    // RFC 7234 warn-value: `299 - "text"`; one header may carry several, comma-separated.
    static const QRegularExpression warnValue(QStringLiteral(R"re((\d{3})\s+\S+\s+"((?:[^"\\]|\\.)*)")re"));
    QStringList warnings;
    for (const auto &[name, value] : reply->rawHeaderPairs()) {
        if (name.compare("Warning", Qt::CaseInsensitive) != 0) {
            continue;
        }
        const QString text = QString::fromUtf8(value);
        auto it = warnValue.globalMatch(text);
        bool any = false;
        while (it.hasNext()) {
            QString warning = it.next().captured(2);
            warning.replace(QLatin1String("\\\""), QLatin1String("\""));
            warning.replace(QLatin1String("\\\\"), QLatin1String("\\"));
            warnings << warning;
            any = true;
        }
        if (!any && !text.isEmpty()) {
            warnings << text;
        }
    }
    for (const QString &warning : std::as_const(warnings)) {
        Q_EMIT warningReceived(warning);
    }
    return warnings;
}

ApiError KubeClient::transportError(QNetworkReply *reply) const
{
    return transportError(reply->error(), reply->errorString(), reply->property(kSslErrorsProperty).toStringList());
}

ApiError KubeClient::transportError(
    QNetworkReply::NetworkError code, const QString &errorString, const QStringList &sslErrors) const
{
    ApiError error;
    error.kind = ApiError::Kind::Network;
    const QString server = m_config.server.toString();
    const QString where =
        m_config.contextName.isEmpty() ? server : QStringLiteral("%1 (context %2)").arg(server, m_config.contextName);
    switch (code) {
    case QNetworkReply::ConnectionRefusedError:
        error.message = QStringLiteral("cannot connect to the API server %1: connection refused. Check that the "
                                       "cluster is up and that the kubeconfig's server address is right.")
                            .arg(where);
        break;
    case QNetworkReply::HostNotFoundError:
        error.message = QStringLiteral("cannot connect to the API server %1: host %2 not found. Check the server "
                                       "address in the kubeconfig and your DNS or VPN.")
                            .arg(where, m_config.server.host());
        break;
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:
        error.message = QStringLiteral("the API server %1 did not answer in time. Check the network path "
                                       "(VPN, proxy, firewall) to it.")
                            .arg(where);
        break;
    case QNetworkReply::RemoteHostClosedError:
        error.message = QStringLiteral("the API server %1 closed the connection. It may be restarting; retry, and "
                                       "check a load balancer's idle timeout if it keeps happening.")
                            .arg(where);
        break;
    case QNetworkReply::SslHandshakeFailedError:
        error.kind = ApiError::Kind::Tls;
        error.message = QStringLiteral("TLS with the API server %1 failed: %2. Check the cluster's "
                                       "certificate-authority and tls-server-name in the kubeconfig, and the client "
                                       "certificate if the server asks for one.")
                            .arg(where, sslErrors.isEmpty() ? errorString : sslErrors.join(QStringLiteral("; ")));
        break;
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::ProxyAuthenticationRequiredError:
        error.message = QStringLiteral("the proxy %1 for the API server %2 failed: %3. Check proxy-url in the "
                                       "kubeconfig.")
                            .arg(m_config.proxyUrl.toString(QUrl::RemoveUserInfo), where, errorString);
        break;
    default:
        error.message = QStringLiteral("request to the API server %1 failed: %2. Check the network path to it.")
                            .arg(where, errorString);
        if (!sslErrors.isEmpty()) {
            error.kind = ApiError::Kind::Tls;
        }
        break;
    }
    return error;
}

KubeReply *KubeClient::send(const KubeRequest &request)
{
    auto *reply = new KubeReply(this);
    startRequest(reply, request, false);
    return reply;
}

void KubeClient::startRequest(KubeReply *reply, const KubeRequest &request, bool retried, int refusedGeneration)
{
    withCredential(
        reply, [this, reply, request, retried] { sendRequest(reply, request, retried); }, refusedGeneration);
}

void KubeClient::sendRequest(KubeReply *reply, const KubeRequest &request, bool retried)
{
    auto failSoon = [reply](ApiError error) {
        // Keep finished() asynchronous, as for any network answer.
        QTimer::singleShot(0, reply, [reply, error] { reply->finish(0, {}, error, {}); });
    };
    QNetworkRequest netRequest;
    QSslConfiguration ssl;
    if (ApiError error = authorizedRequest(request.path, request.query, false, &netRequest, &ssl); error.isError()) {
        failSoon(std::move(error));
        return;
    }
    netRequest.setRawHeader("Accept", request.accept);
    if (!request.body.isEmpty() || request.verb != "GET") {
        netRequest.setHeader(QNetworkRequest::ContentTypeHeader,
            request.contentType.isEmpty() ? QByteArrayLiteral("application/json") : request.contentType);
    }
    QNetworkReply *netReply = dispatch(m_manager, netRequest, request.verb, request.body);
    const QString operation = QStringLiteral("%1 %2").arg(QString::fromLatin1(request.verb), request.path);
    const int generation = m_credentialGeneration;
    // The body is buffered whole; cut off a reply that grows past the cap rather than hold it.
    const qint64 maxBytes = m_maxResponseBytes;
    connect(netReply, &QNetworkReply::downloadProgress, netReply, [netReply, maxBytes](qint64 received, qint64 total) {
        if (maxBytes > 0 && (received > maxBytes || total > maxBytes) &&
            !netReply->property(kTooLargeProperty).toBool()) {
            netReply->setProperty(kTooLargeProperty, true);
            netReply->abort();
        }
    });
    connect(netReply, &QNetworkReply::finished, reply,
        [this, reply, netReply, request, retried, operation, maxBytes, generation] {
            netReply->deleteLater();
            const int status = netReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            m_serverClock.observe(netReply->rawHeader("Date")); // heartbeats are aged on the server's clock
            if (netReply->property(kTooLargeProperty).toBool()) {
                ApiError error;
                error.kind = ApiError::Kind::Status;
                error.httpStatus = status;
                error.reason = QStringLiteral("ResponseTooLarge");
                error.message =
                    QStringLiteral("%1: the server's reply is larger than podtap's limit of %2 bytes, so it was "
                                   "not read. Ask for less (a label or field selector, or pages with a "
                                   "smaller limit, e.g. --chunk-size 500), or raise the limit.")
                        .arg(operation)
                        .arg(maxBytes);
                reply->finish(status, {}, std::move(error), collectWarnings(netReply));
                return;
            }
            QByteArray body = netReply->readAll();
            if (status == 401 && !retried && mayRetryUnauthorized()) {
                startRequest(reply, request, true, generation);
                return;
            }
            QStringList warnings = collectWarnings(netReply);
            ApiError error;
            if (status == 0) {
                error = transportError(netReply);
            } else if (status < 200 || status >= 300) {
                error = ApiError::fromStatus(status, body, operation);
            }
            reply->finish(status, std::move(body), std::move(error), std::move(warnings));
        });
}

KubeReply *KubeClient::get(const QString &path, const QUrlQuery &query)
{
    KubeRequest request;
    request.path = path;
    request.query = query;
    return send(request);
}

KubeReply *KubeClient::create(const QString &collectionPath, const QJsonObject &object, bool dryRun)
{
    KubeRequest request;
    request.verb = "POST";
    request.path = collectionPath;
    if (dryRun) {
        request.query.addQueryItem(QStringLiteral("dryRun"), QStringLiteral("All"));
    }
    request.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return send(request);
}

KubeReply *KubeClient::patch(const QString &path, const QJsonObject &patch, PatchType type, bool dryRun)
{
    KubeRequest request;
    request.verb = "PATCH";
    request.path = path;
    if (dryRun) {
        request.query.addQueryItem(QStringLiteral("dryRun"), QStringLiteral("All"));
    }
    switch (type) {
    case PatchType::Merge:
        request.contentType = "application/merge-patch+json";
        break;
    case PatchType::StrategicMerge:
        request.contentType = "application/strategic-merge-patch+json";
        break;
    case PatchType::Json:
        request.contentType = "application/json-patch+json";
        break;
    }
    request.body = QJsonDocument(patch).toJson(QJsonDocument::Compact);
    return send(request);
}

KubeReply *KubeClient::remove(const QString &path, int gracePeriodSeconds, bool dryRun)
{
    KubeRequest request;
    request.verb = "DELETE";
    request.path = path;
    QJsonObject options {{QStringLiteral("kind"), QStringLiteral("DeleteOptions")},
        {QStringLiteral("apiVersion"), QStringLiteral("v1")}};
    if (gracePeriodSeconds >= 0) {
        options.insert(QStringLiteral("gracePeriodSeconds"), gracePeriodSeconds);
    }
    if (dryRun) {
        options.insert(QStringLiteral("dryRun"), QJsonArray {QStringLiteral("All")});
    }
    request.body = QJsonDocument(options).toJson(QJsonDocument::Compact);
    return send(request);
}

KubeReply *KubeClient::selfSubjectAccessReview(const QString &verb, const QString &resource,
    const QString &namespaceName, const QString &subresource, const QString &group, const QString &name)
{
    QJsonObject attributes {{QStringLiteral("verb"), verb}, {QStringLiteral("resource"), resource}};
    if (!namespaceName.isEmpty()) {
        attributes.insert(QStringLiteral("namespace"), namespaceName);
    }
    if (!subresource.isEmpty()) {
        attributes.insert(QStringLiteral("subresource"), subresource);
    }
    if (!group.isEmpty()) {
        attributes.insert(QStringLiteral("group"), group);
    }
    if (!name.isEmpty()) {
        attributes.insert(QStringLiteral("name"), name);
    }
    const QJsonObject review {{QStringLiteral("apiVersion"), QStringLiteral("authorization.k8s.io/v1")},
        {QStringLiteral("kind"), QStringLiteral("SelfSubjectAccessReview")},
        {QStringLiteral("spec"), QJsonObject {{QStringLiteral("resourceAttributes"), attributes}}}};
    return create(QStringLiteral("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"), review);
}

QNetworkAccessManager *KubeClient::acquireStreamManager()
{
    for (StreamManager &entry : m_streamManagers) {
        if (entry.streams < kStreamsPerManager) {
            ++entry.streams;
            return entry.manager;
        }
    }
    StreamManager entry;
    entry.manager = createManager();
    entry.streams = 1;
    m_streamManagers.append(entry);
    return entry.manager;
}

void KubeClient::releaseStreamManager(QNetworkAccessManager *manager)
{
    for (StreamManager &entry : m_streamManagers) {
        if (entry.manager == manager && entry.streams > 0) {
            --entry.streams;
            return;
        }
    }
}

bool KubeClient::openStream(
    KubeStream *stream, const QString &path, const QUrlQuery &query, int refusedGeneration, bool credentialReady)
{
    if (!credentialReady) {
        QPointer<KubeStream> guard(stream);
        withCredential(
            stream,
            [this, guard, path, query] {
                if (guard && !guard->m_closed) {
                    openStream(guard, path, query, -1, true);
                }
            },
            refusedGeneration);
        return true;
    }
    QNetworkRequest request;
    QSslConfiguration ssl;
    const ApiError error = authorizedRequest(path, query, true, &request, &ssl);
    if (error.isError()) {
        QTimer::singleShot(0, stream, [stream, error] {
            if (!stream->m_closed) {
                stream->m_closed = true;
                Q_EMIT stream->closed(error);
            }
        });
        return true;
    }
    request.setRawHeader("Accept", "application/json");
    QNetworkAccessManager *manager = acquireStreamManager();
    QNetworkReply *reply = manager->get(request);
    connect(reply, &QObject::destroyed, this, [this, manager] { releaseStreamManager(manager); });
    connect(reply, &QNetworkReply::metaDataChanged, this, [this, reply] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 0) {
            collectWarnings(reply);
        }
    });
    stream->m_framer.setMaxLineBytes(m_maxStreamLineBytes);
    stream->m_operation = QStringLiteral("GET %1").arg(path);
    stream->m_transportError = [this](QNetworkReply *r) { return transportError(r); };
    stream->m_retry = [this, path, query, generation = m_credentialGeneration](KubeStream *s, int status) {
        return status == 401 && mayRetryUnauthorized() && openStream(s, path, query, generation);
    };
    stream->attach(reply);
    return true;
}

KubeStream *KubeClient::stream(const QString &path, const QUrlQuery &query)
{
    auto *stream = new KubeStream(this);
    openStream(stream, path, query);
    return stream;
}

KubeStream *KubeClient::followLog(
    const QString &namespaceName, const QString &pod, const QString &container, int tailLines, bool follow)
{
    QUrlQuery query;
    if (follow) {
        query.addQueryItem(QStringLiteral("follow"), QStringLiteral("true"));
    }
    if (!container.isEmpty()) {
        query.addQueryItem(QStringLiteral("container"), container);
    }
    if (tailLines >= 0) {
        query.addQueryItem(QStringLiteral("tailLines"), QString::number(tailLines));
    }
    return stream(corePath(QStringLiteral("pods"), namespaceName, pod) + QStringLiteral("/log"), query);
}

} // namespace podtap::kube
