// SPDX-License-Identifier: Apache-2.0
#include "exec_stream.h"

#include "kube_client.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkProxy>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketHandshakeOptions>

namespace podtap::kube {

namespace {

constexpr char kChannelStdin = 0;
constexpr char kChannelStdout = 1;
constexpr char kChannelStderr = 2;
constexpr char kChannelError = 3;
constexpr char kChannelClose = char(255);
/// Stdin is cut into messages of this size, as kubectl does, so one write never becomes one huge frame.
constexpr qsizetype kStdinChunkBytes = 32 * 1024;
/// Stdin held before the connection is open, and stdin queued in the socket, at most.
constexpr qsizetype kMaxHeldStdinBytes = 1024 * 1024;
constexpr qint64 kMaxQueuedStdinBytes = 4 * 1024 * 1024;
/// A Status is a few hundred bytes; more on the error channel is not a Status.
constexpr qsizetype kMaxErrorChannelBytes = 64 * 1024;

/// Qt WebSockets reports a refused upgrade only in its error text ("... Unhandled http status code:
/// 403 (Forbidden)."); the status is all it keeps of the answer (the Status body is lost).
int upgradeHttpStatus(const QString &errorString)
{
    static const QRegularExpression pattern(QStringLiteral(R"(status code:\s*(\d{3}))"));
    const QRegularExpressionMatch match = pattern.match(errorString);
    if (match.hasMatch()) {
        return match.captured(1).toInt();
    }
    // A 400 is read as a failed version negotiation and reported in these words instead.
    if (errorString.contains(QLatin1String("processHandshake: Unknown error condition")) ||
        errorString.contains(QLatin1String("processHandshake: Unsupported version requested"))) {
        return 400;
    }
    return 0;
}

QNetworkReply::NetworkError networkError(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return QNetworkReply::ConnectionRefusedError;
    case QAbstractSocket::HostNotFoundError:
        return QNetworkReply::HostNotFoundError;
    case QAbstractSocket::SocketTimeoutError:
        return QNetworkReply::TimeoutError;
    case QAbstractSocket::RemoteHostClosedError:
        return QNetworkReply::RemoteHostClosedError;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        return QNetworkReply::SslHandshakeFailedError;
    case QAbstractSocket::ProxyConnectionRefusedError:
        return QNetworkReply::ProxyConnectionRefusedError;
    case QAbstractSocket::ProxyConnectionClosedError:
        return QNetworkReply::ProxyConnectionClosedError;
    case QAbstractSocket::ProxyNotFoundError:
        return QNetworkReply::ProxyNotFoundError;
    case QAbstractSocket::ProxyConnectionTimeoutError:
        return QNetworkReply::ProxyTimeoutError;
    case QAbstractSocket::ProxyAuthenticationRequiredError:
        return QNetworkReply::ProxyAuthenticationRequiredError;
    default:
        return QNetworkReply::UnknownNetworkError;
    }
}

/// True when @p name is one @p certificate was issued for (DNS SANs, else the CN; `*.` wildcards in
/// the left-most label only), which is what tls-server-name asks the client to verify.
bool certificateMatches(const QSslCertificate &certificate, const QString &name)
{
    QStringList names = certificate.subjectAlternativeNames().values(QSsl::DnsEntry);
    if (names.isEmpty()) {
        names = certificate.subjectInfo(QSslCertificate::CommonName);
    }
    for (const QString &candidate : std::as_const(names)) {
        if (candidate.compare(name, Qt::CaseInsensitive) == 0) {
            return true;
        }
        if (candidate.startsWith(QLatin1String("*.")) && name.count(QLatin1Char('.')) >= 2 &&
            name.section(QLatin1Char('.'), 1).compare(candidate.mid(2), Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

ExecStream::ExecStream(KubeClient *client, ExecRequest request, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_request(std::move(request))
{
    m_silenceTimer.setSingleShot(true);
    connect(&m_pingTimer, &QTimer::timeout, this, &ExecStream::onPingDue);
    connect(&m_silenceTimer, &QTimer::timeout, this, &ExecStream::onSilenceCheck);
}

ExecStream::~ExecStream()
{
    dropSocket();
}

QString ExecStream::operation() const
{
    QString where = QStringLiteral("pod %1/%2").arg(m_request.ns, m_request.pod);
    if (!m_request.container.isEmpty()) {
        where += QStringLiteral(" (container %1)").arg(m_request.container);
    }
    return QStringLiteral("exec '%1' in %2").arg(m_request.command.join(QLatin1Char(' ')), where);
}

void ExecStream::start()
{
    if (m_started) {
        return;
    }
    m_started = true;
    if (!m_client) {
        ApiError error;
        error.kind = ApiError::Kind::Config;
        error.message = QStringLiteral("no API client");
        QTimer::singleShot(0, this, [this, error] { failWith(error, QStringLiteral("This is a bug in podtap.")); });
        return;
    }
    if (m_request.pod.isEmpty() || m_request.ns.isEmpty() || m_request.command.isEmpty()) {
        ApiError error;
        error.kind = ApiError::Kind::Config;
        error.message = QStringLiteral("the namespace, the pod and the command must all be given");
        QTimer::singleShot(0, this, [this, error] { failWith(error, QStringLiteral("Name all three.")); });
        return;
    }
    QUrlQuery query;
    for (const QString &argument : std::as_const(m_request.command)) {
        query.addQueryItem(QStringLiteral("command"), argument);
    }
    if (!m_request.container.isEmpty()) {
        query.addQueryItem(QStringLiteral("container"), m_request.container);
    }
    if (m_request.stdinEnabled) {
        query.addQueryItem(QStringLiteral("stdin"), QStringLiteral("true"));
    }
    query.addQueryItem(QStringLiteral("stdout"), QStringLiteral("true"));
    query.addQueryItem(QStringLiteral("stderr"), QStringLiteral("true"));
    const QString path =
        KubeClient::corePath(QStringLiteral("pods"), m_request.ns, m_request.pod) + QStringLiteral("/exec");
    m_client->prepareUpgrade(
        this, path, query,
        [this](const KubeClient::UpgradeRequest &upgrade, const ApiError &error) {
            if (m_finished) {
                return;
            }
            if (error.isError()) {
                // Keep finished() asynchronous, as for any network answer.
                QTimer::singleShot(0, this, [this, error] { failWith(error); });
                return;
            }
            openSocket(
                upgrade.request, upgrade.ssl, upgrade.proxy, upgrade.tlsServerName, upgrade.credentialGeneration);
        },
        m_credentialGeneration);
}

void ExecStream::openSocket(const QNetworkRequest &request, const QSslConfiguration &ssl, const QNetworkProxy &proxy,
    const QString &tlsServerName, int generation)
{
    dropSocket();
    m_credentialGeneration = generation;
    m_tlsServerName = tlsServerName;
    m_sslErrors.clear();
    QNetworkRequest upgrade = request;
    QUrl url = upgrade.url();
    url.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss") : QStringLiteral("ws"));
    upgrade.setUrl(url);

    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket->setProxy(proxy);
    m_socket->setSslConfiguration(ssl);
    m_socket->setMaxAllowedIncomingMessageSize(quint64(qMax<qint64>(1024, m_maxMessageBytes)));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(qMax<qint64>(1024, m_maxMessageBytes)));
    connect(m_socket, &QWebSocket::connected, this, &ExecStream::onConnected);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &ExecStream::onMessage);
    // Any frame counts as a sign of life, also the parts of a message still being reassembled.
    connect(m_socket, &QWebSocket::binaryFrameReceived, this, &ExecStream::noteHeard);
    connect(m_socket, &QWebSocket::textFrameReceived, this, &ExecStream::noteHeard);
    connect(m_socket, &QWebSocket::pong, this, &ExecStream::noteHeard);
    connect(m_socket, &QWebSocket::disconnected, this, &ExecStream::onDisconnected);
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, &ExecStream::onSocketError);
    connect(m_socket, &QWebSocket::sslErrors, this, &ExecStream::onSslErrors);

    QWebSocketHandshakeOptions options;
    options.setSubprotocols(m_offeredProtocols);
    m_socket->open(upgrade, options);
}

void ExecStream::onSslErrors(const QList<QSslError> &errors)
{
    // Qt WebSockets verifies the URL's host and has no peer-verify-name: honour tls-server-name by
    // accepting a host-name mismatch (and nothing else) when the certificate names that name instead.
    QList<QSslError> acceptable;
    for (const QSslError &error : errors) {
        if (!m_tlsServerName.isEmpty() && error.error() == QSslError::HostNameMismatch &&
            certificateMatches(error.certificate(), m_tlsServerName)) {
            acceptable << error;
        } else {
            m_sslErrors << error.errorString();
        }
    }
    if (!acceptable.isEmpty() && acceptable.size() == errors.size() && m_socket) {
        m_socket->ignoreSslErrors(acceptable);
    }
}

void ExecStream::onConnected()
{
    m_protocol = m_socket->subprotocol();
    if ((m_protocol != QLatin1String(kProtocolV5) && m_protocol != QLatin1String(kProtocolV4)) ||
        !m_offeredProtocols.contains(m_protocol)) {
        ApiError error;
        error.kind = ApiError::Kind::Network;
        error.message = m_protocol.isEmpty()
            ? QStringLiteral("the server accepted the WebSocket but chose no channel.k8s.io subprotocol")
            : QStringLiteral("the server chose the subprotocol '%1', which podtap does not speak").arg(m_protocol);
        m_protocol.clear();
        failWith(error,
            QStringLiteral("The API server must be Kubernetes 1.4 or newer (v4.channel.k8s.io), and a proxy between "
                           "must pass the Sec-WebSocket-Protocol header."));
        return;
    }
    m_open = true;
    startKeepAlive();
    if (!m_heldStdin.isEmpty()) {
        sendStdin(std::exchange(m_heldStdin, {}));
    }
    QPointer<ExecStream> self(this);
    Q_EMIT opened();
    if (self && m_closeStdinWhenOpen && !m_finished) {
        m_closeStdinWhenOpen = false;
        m_stdinClosed = false;
        closeStdin();
    }
}

void ExecStream::onMessage(const QByteArray &message)
{
    if (message.isEmpty() || m_finished) {
        return;
    }
    const char channel = message.at(0);
    // The server opens each channel with an empty message; nothing to deliver then.
    if (message.size() == 1) {
        return;
    }
    const QByteArray payload = message.mid(1);
    switch (channel) {
    case kChannelStdout: {
        if (m_maxUnacknowledged > 0 && m_unacknowledged + payload.size() > m_maxUnacknowledged) {
            m_droppedBytes += quint64(payload.size());
            ++m_droppedMessages;
            Q_EMIT stdoutDropped(payload.size());
            return;
        }
        if (m_maxUnacknowledged > 0) {
            m_unacknowledged += payload.size();
        }
        m_deliveredBytes += quint64(payload.size());
        Q_EMIT stdoutData(payload);
        return;
    }
    case kChannelStderr:
        Q_EMIT stderrData(payload);
        return;
    case kChannelError:
        onStatus(payload);
        return;
    default:
        return; // resize and close are client-to-server; anything else is for a newer protocol
    }
}

void ExecStream::onStatus(const QByteArray &json)
{
    if (m_statusSeen || json.size() > kMaxErrorChannelBytes) {
        return;
    }
    m_statusSeen = true;
    const QJsonObject status = QJsonDocument::fromJson(json).object();
    ExecResult result;
    if (status.value(QLatin1String("status")).toString() == QLatin1String("Success")) {
        result.exitCode = 0;
    } else if (status.value(QLatin1String("reason")).toString() == QLatin1String("NonZeroExitCode")) {
        const QJsonArray causes =
            status.value(QLatin1String("details")).toObject().value(QLatin1String("causes")).toArray();
        for (const QJsonValue &cause : causes) {
            const QJsonObject object = cause.toObject();
            if (object.value(QLatin1String("reason")).toString() == QLatin1String("ExitCode")) {
                bool ok = false;
                const int code = object.value(QLatin1String("message")).toString().toInt(&ok);
                if (ok && code >= 0) {
                    result.exitCode = code;
                }
            }
        }
    }
    if (result.exitCode < 0) {
        // A Failure that is not an exit code (the command did not start, the container is gone), or
        // something that is not a Status at all.
        result.apiError = status.isEmpty() ? ApiError {} : ApiError::fromStatusObject(0, status);
        result.apiError.kind = ApiError::Kind::Status;
        if (result.apiError.message.isEmpty()) {
            result.apiError.message =
                QStringLiteral("the exec error channel said: %1").arg(QString::fromUtf8(json.left(200)).simplified());
        }
        result.error = QStringLiteral("%1 failed: %2. Check that the command exists in the container and that the "
                                      "container is running.")
                           .arg(operation(), result.apiError.toString());
    }
    m_statusResult = result;
}

void ExecStream::onSocketError()
{
    if (m_finished || !m_socket) {
        return;
    }
    if (m_statusSeen) {
        finish(m_statusResult); // the command ended; how the connection went down does not matter
        return;
    }
    const QString text = m_socket->errorString();
    const int status = m_open ? 0 : upgradeHttpStatus(text);
    if (status == 401 && !m_retriedAuth && m_client && m_client->mayRetryUnauthorized()) {
        m_retriedAuth = true;
        dropSocket();
        m_started = false;
        start(); // with a fresh credential (m_credentialGeneration names the refused one)
        return;
    }
    if (status != 0) {
        ApiError error = ApiError::fromStatus(status, {}, operation());
        QString fix;
        switch (status) {
        case 400:
            fix = QStringLiteral("The server refused the request: a pod with several containers needs the container "
                                 "named, and the container must be running. Check the pod with "
                                 "'podtapctl get pods -n %1'.")
                      .arg(m_request.ns);
            break;
        case 401:
            fix = QStringLiteral("The server did not accept the credentials. Log in again or refresh the "
                                 "kubeconfig's credentials.");
            break;
        case 403:
            // An exec over WebSocket is a GET: API servers authorize it as get on pods/exec, newer ones also as
            // create, so the rule needs both verbs.
            fix = QStringLiteral("You lack the permission 'get' and 'create' on 'pods/exec' in namespace %1. Ask a "
                                 "cluster administrator to grant both (podtap's operator role in manifests/ does).")
                      .arg(m_request.ns);
            break;
        case 404:
            fix = QStringLiteral("The pod %1/%2 does not exist (any more). Check it with 'podtapctl get pods -n %1'.")
                      .arg(m_request.ns, m_request.pod);
            break;
        default:
            fix = QStringLiteral("The server (or a proxy or load balancer in between) did not switch to a WebSocket; "
                                 "make sure WebSocket upgrades pass on the way to the API server.");
            break;
        }
        failWith(error, fix);
        return;
    }
    QNetworkReply::NetworkError code = networkError(m_socket->error());
    if (!m_sslErrors.isEmpty() && code == QNetworkReply::UnknownNetworkError) {
        code = QNetworkReply::SslHandshakeFailedError;
    }
    if (m_client) {
        failWith(m_client->transportError(code, text, m_sslErrors));
    } else {
        ApiError error;
        error.kind = ApiError::Kind::Network;
        error.message = text;
        failWith(error);
    }
}

void ExecStream::onDisconnected()
{
    if (m_finished) {
        return;
    }
    if (m_statusSeen) {
        finish(m_statusResult);
        return;
    }
    if (!m_open) {
        // Never connected: Qt may report the disconnect before the error that caused it, so decide
        // once the error had its turn.
        QTimer::singleShot(0, this, [this] {
            if (!m_finished) {
                onSocketError();
            }
        });
        return;
    }
    if (m_stdinClosed && m_protocol == QLatin1String(kProtocolV4)) {
        ExecResult result;
        result.endedByClient = true; // v4 ends stdin by closing the connection: no exit status follows
        finish(result);
        return;
    }
    ApiError error;
    error.kind = ApiError::Kind::Network;
    const QString reason = m_socket ? m_socket->closeReason() : QString();
    const int code = m_socket ? int(m_socket->closeCode()) : 0;
    if (code == QWebSocketProtocol::CloseCodeTooMuchData) {
        error.message = QStringLiteral("the server sent a WebSocket message larger than the limit of %1 bytes, so "
                                       "the connection was closed rather than buffer it")
                            .arg(m_maxMessageBytes);
        failWith(error, QStringLiteral("Raise the limit (ExecStream::setMaxMessageBytes) if the server is right to."));
        return;
    }
    error.message = QStringLiteral("the connection closed before the command's exit status arrived (WebSocket close "
                                   "code %1%2)")
                        .arg(code)
                        .arg(reason.isEmpty() ? QString() : QStringLiteral(": ") + reason);
    failWith(error,
        QStringLiteral("The pod may have been deleted, its node lost, or the API server restarted; check the pod and "
                       "try again."));
}

bool ExecStream::writeStdin(const QByteArray &data)
{
    if (!m_request.stdinEnabled || m_stdinClosed || m_closeStdinWhenOpen || m_finished) {
        return false;
    }
    if (data.isEmpty()) {
        return true;
    }
    if (!m_open) {
        if (m_heldStdin.size() + data.size() > kMaxHeldStdinBytes) {
            return false;
        }
        m_heldStdin += data;
        return true;
    }
    if (m_socket->bytesToWrite() > kMaxQueuedStdinBytes) {
        return false; // the server reads stdin slower than it is written: the caller must wait
    }
    sendStdin(data);
    return true;
}

void ExecStream::sendStdin(const QByteArray &data)
{
    for (qsizetype at = 0; at < data.size(); at += kStdinChunkBytes) {
        QByteArray message(1, kChannelStdin);
        message += QByteArrayView(data).sliced(at, qMin(kStdinChunkBytes, data.size() - at));
        m_socket->sendBinaryMessage(message);
    }
}

void ExecStream::closeStdin()
{
    if (!m_request.stdinEnabled || m_stdinClosed || m_finished) {
        return;
    }
    if (!m_open) {
        m_closeStdinWhenOpen = true;
        return;
    }
    m_stdinClosed = true;
    if (m_protocol == QLatin1String(kProtocolV5)) {
        const char close[] = {kChannelClose, kChannelStdin};
        m_socket->sendBinaryMessage(QByteArray(close, sizeof close));
    } else {
        m_socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("stdin closed"));
    }
}

void ExecStream::abort()
{
    if (m_finished) {
        return;
    }
    dropSocket();
    ExecResult result;
    result.endedByClient = true;
    finish(result);
}

void ExecStream::acknowledge(qint64 bytes)
{
    m_unacknowledged = qMax<qint64>(0, m_unacknowledged - qMax<qint64>(0, bytes));
}

void ExecStream::failWith(const ApiError &error, const QString &fix)
{
    ExecResult result;
    result.apiError = error;
    // A Status error built by fromStatus() already names the operation ("exec … failed with HTTP 403 …").
    const QString reason = error.toString();
    result.error = reason.startsWith(operation()) ? reason : QStringLiteral("%1 failed: %2").arg(operation(), reason);
    if (!fix.isEmpty()) {
        result.error += (result.error.endsWith(QLatin1Char('.')) ? QStringLiteral(" ") : QStringLiteral(". ")) + fix;
    }
    finish(result);
}

void ExecStream::startKeepAlive()
{
    m_lastHeard.start();
    m_pingsUnanswered = 0;
    if (m_pingIntervalMs > 0) {
        m_pingTimer.start(m_pingIntervalMs);
    }
    if (m_silenceTimeoutMs > 0) {
        m_silenceTimer.start(m_silenceTimeoutMs);
    }
}

void ExecStream::stopKeepAlive()
{
    m_pingTimer.stop();
    m_silenceTimer.stop();
}

void ExecStream::noteHeard()
{
    // Called for every frame: only the clock is read here, the silence timer re-arms itself when due.
    m_lastHeard.start();
    m_pingsUnanswered = 0;
}

void ExecStream::onPingDue()
{
    if (m_socket && m_open && !m_finished) {
        m_socket->ping();
        ++m_pingsUnanswered;
    }
}

void ExecStream::onSilenceCheck()
{
    if (!m_open || m_finished || !m_lastHeard.isValid()) {
        return;
    }
    const qint64 quietMs = m_lastHeard.elapsed();
    if (quietMs < m_silenceTimeoutMs) {
        m_silenceTimer.start(int(m_silenceTimeoutMs - quietMs));
        return;
    }
    const QString seconds = QString::number(m_silenceTimeoutMs / 1000.0, 'f', m_silenceTimeoutMs % 1000 ? 1 : 0);
    ApiError error;
    error.kind = ApiError::Kind::Network;
    error.message =
        (m_pingsUnanswered > 0
                ? QStringLiteral("nothing arrived from the API server for %1 s, no data and no answer to %2 WebSocket "
                                 "%3, so the connection is presumed dead")
                      .arg(seconds)
                      .arg(m_pingsUnanswered)
                      .arg(m_pingsUnanswered == 1 ? QStringLiteral("ping") : QStringLiteral("pings"))
                : QStringLiteral("nothing arrived from the API server for %1 s (keep-alive pings are off), so the "
                                 "connection is presumed dead")
                      .arg(seconds)) +
        QStringLiteral(": most likely the network path to the API server was lost (a VPN or network change, a NAT, "
                       "proxy or load balancer that dropped the connection) without closing it");
    failWith(error,
        QStringLiteral("Check the connection to the API server (podtapctl get pods -n %1) and start again; the "
                       "command in the pod ends when the server notices the connection is gone.")
            .arg(m_request.ns));
}

void ExecStream::finish(ExecResult result)
{
    if (m_finished) {
        return;
    }
    m_finished = true;
    m_open = false;
    stopKeepAlive();
    if (m_socket) {
        m_socket->disconnect(this);
        if (m_socket->state() != QAbstractSocket::UnconnectedState) {
            m_socket->abort();
        }
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    Q_EMIT finished(result);
}

void ExecStream::dropSocket()
{
    stopKeepAlive();
    if (!m_socket) {
        return;
    }
    m_socket->disconnect(this);
    m_socket->abort();
    m_socket->deleteLater();
    m_socket = nullptr;
}

} // namespace podtap::kube
